package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"s3_bucket_name":"b","s3_bucket_path":"p","s3_bucket_region":"","format":{"format_type":"Parquet"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if *c.PathFormat != DefaultPathFormat || c.Format.CompressionCodec != "SNAPPY" || c.Format.ColumnLayout != LayoutCurrent ||
		!*c.Format.DictionaryEncoding || c.PartSizeMB != 10 || c.UploadConcurrency != 2 || !*c.WriteSuccessMarkers {
		t.Errorf("defaults = %+v", c)
	}
	empty := ""
	c2, err := Parse([]byte(`{"s3_bucket_name":"b","s3_path_format":"","format":{"format_type":"Parquet","compression_codec":"gzip"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if *c2.PathFormat != empty || c2.Format.CompressionCodec != "GZIP" {
		t.Errorf("an empty s3_path_format is used as is (as Airbyte does); codec upper-cased: %+v", c2)
	}
}

func TestEndpointScheme(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"", "", ""},
		{"minio.internal:9000", "https://minio.internal:9000", ""},
		{"http://127.0.0.1:9000/", "http://127.0.0.1:9000", ""},
		{"HTTPS://s3.example.com", "HTTPS://s3.example.com", ""},
		{"ftp://x", "", "http:// or https://"},
	}
	for _, tt := range tests {
		c := &Config{Endpoint: tt.in}
		got, err := c.EndpointURL()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("EndpointURL(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EndpointURL(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"s3_bucket_name":"b","format":{"format_type":"Parquet","compression_codec":"LZO"}}`, "LZO cannot be written"},
		{`{"s3_bucket_name":"b","format":{"format_type":"Avro"}}`, "not supported"},
		{`{"s3_bucket_name":"b","format":{"format_type":"Parquet","column_layout":"v2"}}`, "column_layout"},
		{`{"s3_bucket_name":"b","upload_part_size_mb":4,"format":{"format_type":"Parquet"}}`, "upload_part_size_mb"},
		{`{"s3_bucket_name":"b","kms_key_id":"k","format":{"format_type":"Parquet"}}`, "kms_key_id"},
		{`{"s3_bucket_name":" ","format":{"format_type":"Parquet"}}`, "s3_bucket_name"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) || protocol.FailureTypeOf(err) != protocol.FailureConfig {
			t.Errorf("Parse(%s) = %v, want a config error about %q", tt.json, err, tt.want)
		}
	}
}

// TestSpecSecrets: the credentials are airbyte_secret, and the spec accepts
// the team's existing configs unchanged.
func TestSpecSecrets(t *testing.T) {
	s := Spec()
	var paths []string
	for _, p := range s.SecretPaths() {
		paths = append(paths, strings.Join(p, "."))
	}
	if strings.Join(paths, ",") != "access_key_id,secret_access_key" && strings.Join(paths, ",") != "secret_access_key,access_key_id" {
		t.Errorf("secret paths = %v", paths)
	}
	for _, cfg := range []string{
		`{"access_key_id":"A","secret_access_key":"S","s3_bucket_name":"radar","s3_bucket_path":"origin=airbyte/database=bronze_radar","s3_bucket_region":"us-east-1","s3_path_format":"${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}","format":{"format_type":"Parquet","compression_codec":"SNAPPY","block_size_mb":128,"max_padding_size_mb":8,"page_size_kb":1024,"dictionary_page_size_kb":1024,"dictionary_encoding":true}}`,
		`{"s3_bucket_name":"radar","s3_bucket_path":"bronze","s3_bucket_region":"sa-east-1","s3_path_format":"${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}","file_name_pattern":"{part_number}{format_extension}","format":{"format_type":"Parquet","compression_codec":"GZIP"}}`,
	} {
		if err := s.Validate([]byte(cfg)); err != nil {
			t.Errorf("team config rejected: %v", err)
		}
	}
	if got := fmt.Sprint(s.Message.SupportedDestinationSyncModes); got != "[overwrite append append_dedup]" {
		t.Errorf("sync modes = %s, want [overwrite append append_dedup]", got)
	}
}

package destination

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

const smallSchema = `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]}}}`

func records(ns, stream string, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		b.WriteString(recordLine(ns, stream, fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i), 1700000000000+int64(i)))
	}
	return b.String()
}

// TestTeamConfigKeys runs both of the team's configurations twice on the
// same day: keys follow the templates, the second sync adds new part
// numbers instead of overwriting, and every folder gets a _SUCCESS marker.
func TestTeamConfigKeys(t *testing.T) {
	day := time.Now().UTC().Format("2006-01-02")
	y, m, d := day[:4], day[5:7], day[8:10]
	tests := []struct {
		name   string
		extra  map[string]any
		codec  string
		first  []string
		second []string
	}{
		{
			name: "a: partitioned by ingestion date, SNAPPY",
			extra: map[string]any{
				"s3_bucket_path": "origin=airbyte/database=bronze_radar",
				"s3_path_format": "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
				"format":         map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY"},
			},
			codec: "SNAPPY",
			first: []string{
				"origin=airbyte/database=bronze_radar/pharmacies/cog_dt_ingestion=" + day + "/_SUCCESS",
				"origin=airbyte/database=bronze_radar/pharmacies/cog_dt_ingestion=" + day + "/file_pharmacies0.parquet",
				"origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=" + day + "/_SUCCESS",
				"origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=" + day + "/file_users0.parquet",
			},
			second: []string{
				"origin=airbyte/database=bronze_radar/pharmacies/cog_dt_ingestion=" + day + "/file_pharmacies1.parquet",
				"origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=" + day + "/file_users1.parquet",
			},
		},
		{
			name: "b: date folders, GZIP, part number pattern",
			extra: map[string]any{
				"s3_bucket_path":    "bronze",
				"s3_path_format":    "${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}",
				"file_name_pattern": "{part_number}{format_extension}",
				"format":            map[string]any{"format_type": "Parquet", "compression_codec": "GZIP"},
			},
			codec: "GZIP",
			first: []string{
				"bronze/" + y + "/" + m + "/" + d + "/_SUCCESS",
				"bronze/" + y + "/" + m + "/" + d + "/pharmacies0.parquet",
				"bronze/" + y + "/" + m + "/" + d + "/users0.parquet",
			},
			second: []string{
				"bronze/" + y + "/" + m + "/" + d + "/pharmacies1.parquet",
				"bronze/" + y + "/" + m + "/" + d + "/users1.parquet",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := s3test.Start(t)
			cat := catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema}, catalogStream{name: "pharmacies", namespace: "radar", schema: smallSchema})
			input := records("radar", "users", 0, 3) + records("radar", "pharmacies", 0, 2) + streamState("radar", "users", 1, "x")
			if r := write(t, srv.Config(tt.extra), cat, input); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stdout)
			}
			if got := srv.Keys(t, ""); strings.Join(got, "\n") != strings.Join(tt.first, "\n") {
				t.Fatalf("keys after the first sync:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.first, "\n"))
			}
			if r := write(t, srv.Config(tt.extra), cat, input); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stdout)
			}
			got := srv.Keys(t, "")
			for _, k := range append(tt.first, tt.second...) {
				if !contains(got, k) {
					t.Errorf("after the second sync %s is missing; keys:\n%s", k, strings.Join(got, "\n"))
				}
			}
			if len(got) != len(tt.first)+len(tt.second) {
				t.Errorf("keys after the second sync:\n%s", strings.Join(got, "\n"))
			}
			db := s3test.DuckDB(t)
			keys := parquetKeys(t, srv, "")
			src := readSource(t, srv, keys)
			if n := s3test.Query(t, db, "SELECT count(*) FROM "+src)[0][0]; n != "10" {
				t.Errorf("rows = %s, want 10", n)
			}
			codecs := s3test.Query(t, db, "SELECT DISTINCT compression FROM parquet_metadata("+strings.TrimPrefix(src, "read_parquet(")+" WHERE path_in_schema = 'id'")
			if len(codecs) != 1 || codecs[0][0] != tt.codec {
				t.Errorf("codecs = %v, want %s", codecs, tt.codec)
			}
			if md := srv.Metadata(t, keys[0]); md["Ab-Generation-Id"] != "0" && md["ab-generation-id"] != "0" {
				t.Errorf("metadata = %v, want ab-generation-id 0", md)
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestDefaultKeys checks the default path format and a pattern without
// extension (the decision: no extension is added, as in Airbyte).
func TestDefaultKeys(t *testing.T) {
	srv := s3test.Start(t)
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema})
	if r := write(t, srv.Config(map[string]any{"write_success_markers": false}), cat, records("radar", "users", 0, 2)); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	keys := srv.Keys(t, "")
	if len(keys) != 1 || !regexpMatch(`^airbyte/raw/radar/users/20[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{13}_0\.parquet$`, keys[0]) {
		t.Fatalf("keys = %v", keys)
	}
	srv2 := s3test.Start(t)
	cfg := srv2.Config(map[string]any{"s3_path_format": "${STREAM_NAME}/", "file_name_pattern": "{sync_id}_{timestamp:micros}", "write_success_markers": false})
	cat2 := catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema, syncID: i64(4242)})
	if r := write(t, cfg, cat2, records("radar", "users", 0, 2)); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	keys = srv2.Keys(t, "")
	if len(keys) != 1 || !regexpMatch(`^airbyte/raw/users/4242_[0-9]{16}$`, keys[0]) {
		t.Fatalf("keys = %v, want airbyte/raw/users/4242_<micros> without extension", keys)
	}
}

// TestCodecs writes with every codec this build supports and reads back
// the codec DuckDB sees; LZO is a config error.
func TestCodecs(t *testing.T) {
	srv := s3test.Start(t)
	want := map[string]string{"UNCOMPRESSED": "UNCOMPRESSED", "SNAPPY": "SNAPPY", "GZIP": "GZIP", "ZSTD": "ZSTD", "BROTLI": "BROTLI", "LZ4": "LZ4_RAW", "": "SNAPPY"}
	db := s3test.DuckDB(t)
	for codec, w := range want {
		path := "codec_" + codec
		if codec == "" {
			path = "codec_default"
		}
		format := map[string]any{"format_type": "Parquet"}
		if codec != "" {
			format["compression_codec"] = codec
		}
		cfg := srv.Config(map[string]any{"s3_bucket_path": path, "format": format})
		r := write(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}), records("", "users", 0, 100))
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", codec, r.code, r.stdout)
		}
		src := readSource(t, srv, parquetKeys(t, srv, path+"/"))
		got := s3test.Query(t, db, "SELECT DISTINCT compression FROM parquet_metadata("+strings.TrimPrefix(src, "read_parquet(")+" WHERE path_in_schema = 'name'")
		if len(got) != 1 || got[0][0] != w {
			t.Errorf("codec %q: DuckDB sees %v, want %s", codec, got, w)
		}
		if n := s3test.Query(t, db, "SELECT count(*), sum(id) FROM "+src)[0]; n[0] != "100" || n[1] != "4950" {
			t.Errorf("codec %q: rows %v", codec, n)
		}
	}
	cfg := srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "compression_codec": "LZO"}})
	r := write(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}), records("", "users", 0, 1))
	te := traceError(r)
	if r.code != 1 || te == nil || te.FailureType != "config_error" || !strings.Contains(te.Message, "LZO") {
		t.Errorf("LZO: exit %d, trace %+v", r.code, te)
	}
}

// TestServerSideEncryption: SSE settings reach every object-creating
// request (gofakes3 ignores them, so the requests are inspected).
func TestServerSideEncryption(t *testing.T) {
	srv := s3test.Start(t)
	var mu sync.Mutex
	seen := map[string]string{}
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if op := s3test.Op(r); op == "PutObject" || op == "CreateMultipartUpload" {
			mu.Lock()
			seen[r.URL.Path] = r.Header.Get("X-Amz-Server-Side-Encryption") + "|" + r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
			mu.Unlock()
		}
		return false
	})
	cfg := srv.Config(map[string]any{"server_side_encryption": "SSE_KMS", "kms_key_id": "arn:aws:kms:eu-west-1:1:key/k1"})
	if r := write(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}), records("", "users", 0, 3)); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	if len(seen) < 2 { // the file and its _SUCCESS marker
		t.Fatalf("requests seen: %v", seen)
	}
	for path, v := range seen {
		if v != "aws:kms|arn:aws:kms:eu-west-1:1:key/k1" {
			t.Errorf("%s: SSE headers %q", path, v)
		}
	}
}

// Package config holds the destination's configuration: the embedded
// spec.json (Airbyte destination-s3's property names, plus this connector's
// own optional settings) and the parsed, defaulted and validated Config.
package config

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
)

//go:embed spec.json
var specJSON []byte

// SpecJSON returns the embedded connector specification document.
func SpecJSON() []byte { return specJSON }

// Spec returns the parsed connector specification.
func Spec() *connspec.Spec { return connspec.MustLoad(specJSON) }

// DefaultPathFormat is the s3_path_format used when the config has none.
const DefaultPathFormat = "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_"

// Column layouts.
const (
	LayoutCurrent = "current"
	LayoutLegacy  = "legacy_0_3"
)

// Defaults of this connector's own settings.
const (
	DefaultPartSizeMB        = 10 // Airbyte's part size; 10 MiB x 10,000 parts = 97 GiB per object
	DefaultUploadConcurrency = 2
	DefaultFileSizeMB        = 256
	DefaultBufferMemoryMB    = 32
	DefaultMaxAckDelay       = 15 * time.Minute
	DefaultIdleStreamClose   = time.Minute
	DefaultBlockSizeMB       = 128
	DefaultPageSizeKB        = 1024
	DefaultDictPageSizeKB    = 1024
)

// Config is the destination's configuration. JSON names are Airbyte
// destination-s3's, exactly.
type Config struct {
	AccessKeyID     string  `json:"access_key_id"`
	SecretAccessKey string  `json:"secret_access_key"`
	RoleARN         string  `json:"role_arn"`
	BucketName      string  `json:"s3_bucket_name"`
	BucketPath      string  `json:"s3_bucket_path"`
	Region          string  `json:"s3_bucket_region"`
	Endpoint        string  `json:"s3_endpoint"`
	PathFormat      *string `json:"s3_path_format"`
	FileNamePattern string  `json:"file_name_pattern"`
	Format          Format  `json:"format"`

	PartSizeMB             int      `json:"upload_part_size_mb"`
	UploadConcurrency      int      `json:"upload_concurrency"`
	FileSizeMB             int      `json:"file_size_mb"`
	BufferMemoryMB         int      `json:"buffer_memory_mb"`
	MaxAckDelaySeconds     *float64 `json:"max_ack_delay_seconds"`
	IdleStreamCloseSeconds *float64 `json:"idle_stream_close_seconds"`
	WriteSuccessMarkers    *bool    `json:"write_success_markers"`
	ServerSideEncryption   string   `json:"server_side_encryption"`
	KMSKeyID               string   `json:"kms_key_id"`
}

// Format is the Parquet format object.
type Format struct {
	FormatType           string `json:"format_type"`
	CompressionCodec     string `json:"compression_codec"`
	BlockSizeMB          int    `json:"block_size_mb"`
	MaxPaddingSizeMB     int    `json:"max_padding_size_mb"`
	PageSizeKB           int    `json:"page_size_kb"`
	DictionaryPageSizeKB int    `json:"dictionary_page_size_kb"`
	DictionaryEncoding   *bool  `json:"dictionary_encoding"`
	DeltaEncoding        bool   `json:"delta_encoding"` // this connector's own
	ColumnLayout         string `json:"column_layout"`
}

// ReadFile reads the config file at path for a subcommand: its secrets
// go to secrets (so no output shows them), then it is validated against
// the spec and parsed. Every failure is a config error.
func ReadFile(path string, secrets *protocol.Redactor) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, protocol.ConfigError(err, "cannot read the config file %s", path)
	}
	spec := Spec()
	secrets.Add(spec.Secrets(raw)...)
	if err := spec.Validate(raw); err != nil {
		return nil, err
	}
	return Parse(raw)
}

// Parse decodes a config that the command frame has already validated
// against the spec, applies defaults and checks the rules that span fields.
func Parse(raw []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, protocol.ConfigError(nil, "config cannot be decoded: %v", err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// SetDefaults fills unset settings.
func (c *Config) SetDefaults() {
	if c.PathFormat == nil {
		p := DefaultPathFormat
		c.PathFormat = &p
	}
	f := &c.Format
	if f.CompressionCodec == "" {
		f.CompressionCodec = "SNAPPY"
	}
	f.CompressionCodec = strings.ToUpper(strings.TrimSpace(f.CompressionCodec))
	if f.BlockSizeMB <= 0 {
		f.BlockSizeMB = DefaultBlockSizeMB
	}
	if f.PageSizeKB <= 0 {
		f.PageSizeKB = DefaultPageSizeKB
	}
	if f.DictionaryPageSizeKB <= 0 {
		f.DictionaryPageSizeKB = DefaultDictPageSizeKB
	}
	if f.DictionaryEncoding == nil {
		t := true
		f.DictionaryEncoding = &t
	}
	if f.ColumnLayout == "" {
		f.ColumnLayout = LayoutCurrent
	}
	if c.PartSizeMB <= 0 {
		c.PartSizeMB = DefaultPartSizeMB
	}
	if c.UploadConcurrency <= 0 {
		c.UploadConcurrency = DefaultUploadConcurrency
	}
	if c.FileSizeMB <= 0 {
		c.FileSizeMB = DefaultFileSizeMB
	}
	if c.BufferMemoryMB <= 0 {
		c.BufferMemoryMB = DefaultBufferMemoryMB
	}
	if c.WriteSuccessMarkers == nil {
		t := true
		c.WriteSuccessMarkers = &t
	}
	if c.ServerSideEncryption == "" {
		c.ServerSideEncryption = "NONE"
	}
}

// Validate checks the rules the JSON schema cannot express.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.BucketName) == "" {
		return protocol.ConfigError(nil, "`s3_bucket_name` is empty")
	}
	if c.Format.FormatType != "" && !strings.EqualFold(c.Format.FormatType, "Parquet") {
		return protocol.ConfigError(nil, "`format.format_type` %q is not supported by this build; use Parquet", c.Format.FormatType)
	}
	if _, err := c.Codec(); err != nil {
		return err
	}
	switch c.Format.ColumnLayout {
	case LayoutCurrent, LayoutLegacy:
	default:
		return protocol.ConfigError(nil, "`format.column_layout` must be %s or %s", LayoutCurrent, LayoutLegacy)
	}
	if c.PartSizeMB < 5 || c.PartSizeMB > 512 {
		return protocol.ConfigError(nil, "`upload_part_size_mb` must be between 5 and 512 (S3 parts are at least 5 MiB)")
	}
	switch c.ServerSideEncryption {
	case "NONE", "SSE_S3", "SSE_KMS":
	default:
		return protocol.ConfigError(nil, "`server_side_encryption` must be NONE, SSE_S3 or SSE_KMS")
	}
	if c.KMSKeyID != "" && c.ServerSideEncryption != "SSE_KMS" {
		return protocol.ConfigError(nil, "`kms_key_id` is set but `server_side_encryption` is not SSE_KMS")
	}
	if _, err := c.EndpointURL(); err != nil {
		return err
	}
	return nil
}

// Codec returns the Parquet compression codec.
func (c *Config) Codec() (compress.Compression, error) {
	switch c.Format.CompressionCodec {
	case "UNCOMPRESSED":
		return compress.Codecs.Uncompressed, nil
	case "SNAPPY":
		return compress.Codecs.Snappy, nil
	case "GZIP":
		return compress.Codecs.Gzip, nil
	case "BROTLI":
		return compress.Codecs.Brotli, nil
	case "LZ4", "LZ4_RAW":
		// The Hadoop-framed LZ4 of parquet-mr is deprecated in the Parquet
		// format; LZ4_RAW is what current readers expect.
		return compress.Codecs.Lz4Raw, nil
	case "ZSTD":
		return compress.Codecs.Zstd, nil
	case "LZO":
		return 0, protocol.ConfigError(nil, "`format.compression_codec` LZO cannot be written by this build; choose SNAPPY, GZIP, ZSTD, BROTLI, LZ4 or UNCOMPRESSED")
	}
	return 0, protocol.ConfigError(nil, "`format.compression_codec` %q is unknown; choose SNAPPY, GZIP, ZSTD, BROTLI, LZ4 or UNCOMPRESSED", c.Format.CompressionCodec)
}

// EndpointURL returns the S3 endpoint as a URL, or "" for AWS. An endpoint
// without a scheme means https; http is used only when written explicitly.
func (c *Config) EndpointURL() (string, error) {
	e := strings.TrimSpace(c.Endpoint)
	if e == "" {
		return "", nil
	}
	lower := strings.ToLower(e)
	switch {
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
	case strings.Contains(e, "://"):
		return "", protocol.ConfigError(nil, "`s3_endpoint` must use http:// or https://")
	default:
		e = "https://" + e
	}
	return strings.TrimRight(e, "/"), nil
}

// ObjectPrefix returns s3_bucket_path without surrounding slashes.
func (c *Config) ObjectPrefix() string { return strings.Trim(c.BucketPath, "/") }

// PartSize returns the multipart part size in bytes.
func (c *Config) PartSize() int { return c.PartSizeMB << 20 }

// FileSize returns the target file size in bytes.
func (c *Config) FileSize() int64 { return int64(c.FileSizeMB) << 20 }

// BufferMemory returns the buffer memory budget in bytes.
func (c *Config) BufferMemory() int64 { return int64(c.BufferMemoryMB) << 20 }

// RowGroupSize returns the row group target in bytes.
func (c *Config) RowGroupSize() int64 { return int64(c.Format.BlockSizeMB) << 20 }

// MaxAckDelay returns the acknowledgement time bound.
func (c *Config) MaxAckDelay() time.Duration {
	return seconds(c.MaxAckDelaySeconds, DefaultMaxAckDelay)
}

// IdleStreamClose returns the idle interval after which a stream's file is completed.
func (c *Config) IdleStreamClose() time.Duration {
	return seconds(c.IdleStreamCloseSeconds, DefaultIdleStreamClose)
}

// Legacy reports whether the 0.3.x column layout is configured.
func (c *Config) Legacy() bool { return c.Format.ColumnLayout == LayoutLegacy }

func seconds(v *float64, def time.Duration) time.Duration {
	if v == nil || *v <= 0 {
		return def
	}
	return time.Duration(*v * float64(time.Second))
}

// String describes the config without secrets (for logs).
func (c *Config) String() string {
	return fmt.Sprintf("bucket=%s path=%s region=%s endpoint=%s codec=%s layout=%s",
		c.BucketName, c.BucketPath, c.Region, c.Endpoint, c.Format.CompressionCodec, c.Format.ColumnLayout)
}

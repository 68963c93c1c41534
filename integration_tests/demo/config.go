package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cognitivo/radar-connectors/protocol"
)

// The destination settings the team uses in production.
const (
	BucketPath = "origin=airbyte/database=bronze_radar"
	PathFormat = "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}"
	Region     = "sa-east-1"
	// AccessKey and SecretKey are what the demo's S3 endpoint is given;
	// it checks no signature.
	AccessKey = "DEMOACCESSKEY"
	SecretKey = "demo-secret-key-not-checked"
)

// SourceConfig is the source's config in the shape of the team's
// production connector config (Airbyte source-mysql 3.0.0 property names).
func SourceConfig(m *MySQL) map[string]any {
	return map[string]any{
		"host":          m.Host,
		"port":          m.Port,
		"database":      m.Database,
		"username":      m.User,
		"password":      m.Password,
		"ssl":           true,
		"ssl_mode":      map[string]any{"mode": "preferred"},
		"tunnel_method": map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{
			"method":                  "STANDARD",
			"initial_waiting_seconds": 300,
		},
		"jdbc_url_params": "allowPublicKeyRetrieval=true&useSSL=false",
	}
}

// DestinationConfig is the destination's config in the shape of the team's
// production connector config (Airbyte destination-s3 0.3.23 names),
// pointed at endpoint.
func DestinationConfig(endpoint, bucket string) map[string]any {
	return map[string]any{
		"s3_bucket_name":    bucket,
		"s3_bucket_path":    BucketPath,
		"s3_bucket_region":  Region,
		"s3_endpoint":       endpoint,
		"access_key_id":     AccessKey,
		"secret_access_key": SecretKey,
		"s3_path_format":    PathFormat,
		"format": map[string]any{
			"format_type":       "Parquet",
			"compression_codec": "SNAPPY",
		},
	}
}

// ConfiguredCatalog selects every discovered stream for a full refresh
// that overwrites the destination, as the platform configures a custom
// destination: generation_id == minimum_generation_id (truncate) and the
// job id as sync_id.
func ConfiguredCatalog(c *protocol.Catalog, syncID int64) *protocol.ConfiguredCatalog {
	out := &protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{}}
	for _, s := range c.Streams {
		gen, id := syncID, syncID
		out.Streams = append(out.Streams, protocol.ConfiguredStream{
			Stream:              s,
			SyncMode:            protocol.SyncModeFullRefresh,
			DestinationSyncMode: protocol.DestinationOverwrite,
			PrimaryKey:          s.SourceDefinedPrimaryKey,
			GenerationID:        &gen,
			MinimumGenerationID: &gen,
			SyncID:              &id,
		})
	}
	return out
}

// Files are the paths of the files the demo writes for a rerun by hand.
type Files struct {
	Dir               string
	SourceConfig      string
	DestinationConfig string
	Catalog           string // the discovered catalog
	ConfiguredCatalog string
}

// NewFiles names the files under dir.
func NewFiles(dir string) Files {
	return Files{
		Dir:               dir,
		SourceConfig:      filepath.Join(dir, "source.json"),
		DestinationConfig: filepath.Join(dir, "destination.json"),
		Catalog:           filepath.Join(dir, "discovered_catalog.json"),
		ConfiguredCatalog: filepath.Join(dir, "configured_catalog.json"),
	}
}

// writeJSON writes v indented, readable by the owner only (configs hold
// passwords).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

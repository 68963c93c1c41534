package destination

import (
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/protocol"
)

// CheckSyncMode returns a config error when a stream's destination sync
// mode is not supported, or is append_dedup without a primary key (the
// protocol requires one, and the dedup view partitions by it).
func CheckSyncMode(cs *protocol.ConfiguredStream) error {
	switch cs.DestinationSyncMode {
	case protocol.DestinationAppend, protocol.DestinationOverwrite:
		return nil
	case protocol.DestinationAppendDedup:
		if len(cs.PrimaryKey) == 0 && len(cs.Stream.SourceDefinedPrimaryKey) == 0 {
			return protocol.ConfigError(nil, "destination_sync_mode append_dedup needs a primary key; set primary_key for the stream")
		}
		return nil
	}
	return protocol.ConfigError(nil,
		"destination_sync_mode %s is not supported by the S3 destination; use append, append_dedup or overwrite", cs.DestinationSyncMode)
}

// Schema returns the resolved schema the writer writes for a stream under
// cfg's column layout (the Athena DDL is derived from the same schema).
func Schema(cfg *config.Config, cs *protocol.ConfiguredStream) (*arrowschema.Stream, error) {
	layout := arrowschema.Current
	if cfg.Legacy() {
		layout = arrowschema.Legacy
	}
	s, err := arrowschema.Resolve(cs.Stream.JSONSchema, layout)
	if err != nil {
		return nil, protocol.ConfigError(err, "the stream's json_schema cannot be used")
	}
	return s, nil
}

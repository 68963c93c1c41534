// Package source is the MySQL source connector: spec, check, discover and
// read (full refresh by key chunks, incremental by cursor), on top of the
// protocol library's command frame.
package source

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
)

// Source implements airbytecli.Source.
type Source struct {
	spec *connspec.Spec
	// Backoff returns the wait before retry attempt n (from 1) of a read
	// that failed with a transient error.
	Backoff func(attempt int) time.Duration
}

var _ airbytecli.Source = (*Source)(nil)

// New returns the source.
func New() *Source {
	return &Source{spec: config.Spec(), Backoff: defaultBackoff}
}

// defaultBackoff waits 1, 2, 4, 8, 16, 30, 30... seconds.
func defaultBackoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 5)
	return min(d, 30*time.Second)
}

// Spec returns the connector specification.
func (s *Source) Spec() *connspec.Spec { return s.spec }

// open parses the config, logs its warnings and connects.
func (s *Source) open(ctx context.Context, env *airbytecli.Env, raw json.RawMessage) (*dbconn.DB, error) {
	cfg, err := config.Parse(raw)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		env.Log.Warn(w)
	}
	return dbconn.Open(ctx, cfg, env.Log)
}

func columnOptions(cfg *config.Config) column.Options {
	return column.Options{TinyInt1AsInteger: cfg.TinyInt1AsInteger}
}

// Discover lists the tables and views of the configured database.
func (s *Source) Discover(ctx context.Context, env *airbytecli.Env, raw json.RawMessage) (*protocol.Catalog, error) {
	db, err := s.open(ctx, env, raw)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tables, err := loadTables(ctx, db, env.Log)
	if err != nil {
		return nil, err
	}
	cat := &protocol.Catalog{Streams: []protocol.Stream{}}
	for _, t := range tables {
		if db.Config.IsCDC() {
			cat.Streams = append(cat.Streams, cdcStream(t, db.Config.Database))
		} else {
			cat.Streams = append(cat.Streams, t.Stream(db.Config.Database))
		}
	}
	return cat, nil
}

// loadTables reads the schema and logs columns of types the connector
// reads only as text.
func loadTables(ctx context.Context, db *dbconn.DB, log *slog.Logger) ([]*schema.Table, error) {
	cfg := db.Config
	tables, err := schema.Load(ctx, db, cfg.Database, cfg.TablePatterns, columnOptions(cfg))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, classifyQueryError(err, cfg, "read the schema of database "+cfg.Database)
	}
	for _, t := range tables {
		for _, c := range t.Columns {
			if !c.IsKnownType() {
				log.Warn("column type not mapped: read as a string in its text form", "table", t.Name, "column", c.Name, "type", c.ColumnType)
			}
		}
	}
	return tables, nil
}

package source

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/query"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
)

// Check connects, runs a trivial query, and confirms that the database has
// at least one table the user can read; with CDC it also checks the binary
// log settings and the REPLICATION CLIENT privilege.
func (s *Source) Check(ctx context.Context, env *airbytecli.Env, raw json.RawMessage) error {
	db, err := s.open(ctx, env, raw)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := db.Config
	if _, err := query.Value(ctx, db, "SELECT 1"); err != nil {
		return classifyQueryError(err, cfg, "run SELECT 1")
	}
	tables, err := loadTables(ctx, db, env.Log)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		filter := ""
		if len(cfg.TablePatterns) > 0 {
			filter = " matching `table_filters`"
		}
		return protocol.ConfigError(nil, "database %q has no tables or views%s that user %q can see: grant the user SELECT on the tables to sync", cfg.Database, filter, cfg.Username)
	}
	if err := checkReadable(ctx, db, tables); err != nil {
		return err
	}
	if cfg.IsCDC() {
		return checkCDC(ctx, db)
	}
	return nil
}

// checkReadable tries tables until one can be read.
func checkReadable(ctx context.Context, db *dbconn.DB, tables []*schema.Table) error {
	var first error
	for _, t := range tables {
		_, err := query.Value(ctx, db, "SELECT 1 FROM "+column.QuoteTable(db.Config.Database, t.Name)+" LIMIT 1")
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !isPrivilegeError(err) {
			return classifyQueryError(err, db.Config, "read table "+t.Name)
		}
		if first == nil {
			first = err
		}
	}
	return protocol.ConfigError(first, "user %q cannot SELECT from any of the %d tables of database %q: grant it SELECT on the tables to sync", db.Config.Username, len(tables), db.Config.Database)
}

// checkCDC verifies what reading the binary log needs.
func checkCDC(ctx context.Context, db *dbconn.DB) error {
	want := []struct{ name, value string }{
		{"log_bin", "ON"},
		{"binlog_format", "ROW"},
		{"binlog_row_image", "FULL"},
	}
	for _, w := range want {
		v, err := query.Value(ctx, db, "SELECT @@GLOBAL."+w.name)
		if err != nil {
			return protocol.ConfigError(err, "could not query the variable %s, which CDC needs", w.name)
		}
		got := strings.ToUpper(string(v))
		if got == "1" && w.value == "ON" {
			got = "ON"
		}
		if got != w.value {
			return protocol.ConfigError(nil, "CDC needs the server variable %s set to %s, but it is %s", w.name, w.value, string(v))
		}
	}
	err := runAndDiscard(ctx, db, "SHOW MASTER STATUS")
	if err != nil && !isPrivilegeError(err) {
		// MySQL 8.4 renamed the statement.
		err = runAndDiscard(ctx, db, "SHOW BINARY LOG STATUS")
	}
	if err != nil {
		if isPrivilegeError(err) {
			return protocol.ConfigError(err, "please grant REPLICATION CLIENT privilege, so that binary log files are available for CDC mode")
		}
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return err
		}
		return protocol.ConfigError(err, "cannot read the binary log position (SHOW MASTER STATUS), which CDC needs")
	}
	return nil
}

// runAndDiscard runs a statement that returns rows and drops them.
func runAndDiscard(ctx context.Context, db *dbconn.DB, stmt string) error {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

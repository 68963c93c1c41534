package source

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
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
		return checkCDC(ctx, db, env.Log)
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

// checkCDC verifies what reading the binary log needs, as 3.0.0 does
// (initial_waiting_seconds range, log_bin, binlog_format, binlog_row_image,
// REPLICATION CLIENT), and also that the user may stream the binary log
// (REPLICATION SLAVE) and that the server's settings are readable.
func checkCDC(ctx context.Context, db *dbconn.DB, log *slog.Logger) error {
	if err := db.Config.CheckInitialWaiting(); err != nil {
		return err
	}
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
	srv, err := binlog.Inspect(ctx, db)
	if err != nil {
		return classifyQueryError(err, db.Config, "inspect the server's binary log settings")
	}
	if srv.TransactionCompression {
		return protocol.ConfigError(nil, "the server compresses transactions in the binary log (binlog_transaction_compression=ON), which this connector cannot read: set binlog_transaction_compression=OFF")
	}
	if strings.Contains(strings.ToUpper(srv.RowValueOptions), "PARTIAL_JSON") {
		return protocol.ConfigError(nil, "the server writes partial JSON updates to the binary log (binlog_row_value_options=PARTIAL_JSON): set binlog_row_value_options to ''")
	}
	if !srv.RowMetadataFull {
		log.Warn("binlog_row_metadata is not FULL: row events do not carry column names, so the connector follows schema changes through the DDL statements of the binary log only; set binlog_row_metadata=FULL (MariaDB 10.5+, MySQL 8.0.1+) for the safest CDC")
	}
	return checkReplicationStream(ctx, db, srv, log)
}

// checkReplicationStream registers as a replica and starts streaming at
// the current position: that needs REPLICATION SLAVE.
func checkReplicationStream(ctx context.Context, db *dbconn.DB, srv *binlog.Server, log *slog.Logger) error {
	st, err := binlog.CurrentStatus(ctx, db, srv)
	if err != nil {
		return protocol.ConfigError(err, "cannot read the binary log position (SHOW MASTER STATUS), which CDC needs")
	}
	stream, err := binlog.Open(streamConfig(db, srv, log), binlog.Start{Position: st.Position})
	if err == nil {
		defer stream.Close()
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = stream.Next(tctx)
		cancel()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch code, msg := binlog.ServerError(err); code {
	case 1227, 1045, 1044:
		return protocol.ConfigError(err, "please grant REPLICATION SLAVE privilege, so that the binary log can be read for CDC mode (%s)", msg)
	case 0:
		return protocol.TransientError(err, "cannot open a replication stream to read the binary log")
	default:
		return protocol.ConfigError(err, "the server refused to stream its binary log: MySQL error %d: %s", code, msg)
	}
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

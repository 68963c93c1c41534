package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/snapshot"
)

// Read reads the configured streams one after another. Every stream gets
// STARTED, one ESTIMATE, RUNNING and COMPLETE (INCOMPLETE on failure), and
// at least one STATE. The first stream that fails stops the read; it and the
// streams not read yet are reported INCOMPLETE.
func (s *Source) Read(ctx context.Context, env *airbytecli.Env, raw json.RawMessage, cat *protocol.ConfiguredCatalog, st *protocol.InputState) error {
	if os.Getenv("GOGC") == "" {
		// The driver allocates a small header per cell; with a live heap of
		// a few MB, collecting less often saves ~8% CPU for ~12 MB of RSS.
		debug.SetGCPercent(400)
	}
	every, err := progressInterval()
	if err != nil {
		return err
	}
	dc, err := datachannel.FromEnv()
	if err != nil {
		return protocol.ConfigError(err, "the data channel the platform selected is invalid")
	}
	var ls *datachannel.Listeners
	if dc.Socket() {
		// Listen before anything else: the destination starts at the same
		// time and connects as soon as the sockets exist.
		if ls, err = datachannel.Listen(dc.SocketPaths); err != nil {
			return protocol.SystemError(err, "listen on the data channel sockets")
		}
		defer ls.Close()
		env.Log.Info("data channel: " + dc.String())
	}
	db, err := s.open(ctx, env, raw)
	if err != nil {
		return err
	}
	defer db.Close()
	if st != nil && len(st.Legacy) > 0 {
		env.Log.Warn("ignoring a LEGACY state blob: LEGACY states are deprecated; streams start from the beginning")
	}
	tables, err := loadTables(ctx, db, env.Log)
	if err != nil {
		return err
	}
	plans, err := planStreams(db.Config, cat, st, tables, env.Log)
	if err != nil {
		return err
	}
	r := &reader{src: s, db: db, cfg: db.Config, w: env.Out, out: stdioOutput(env.Out), log: env.Log, warned: map[string]bool{}, progressEvery: every}
	if dc.Socket() {
		return r.readSockets(ctx, dc, ls, tables, plans, st)
	}
	if db.Config.IsCDC() {
		return r.readCDC(ctx, tables, plans, st)
	}
	for i, p := range plans {
		if err := r.readStream(ctx, p); err != nil {
			if !isOutputError(err) {
				// The streams that were not read are incomplete too.
				for _, rest := range plans[i+1:] {
					_ = r.out.StreamStatus(rest.desc, protocol.StreamIncomplete)
				}
			}
			return protocol.WithStream(err, p.desc)
		}
	}
	return nil
}

// reader holds what all streams of one read share.
type reader struct {
	src *Source
	db  *dbconn.DB
	cfg *config.Config
	w   *protocol.Writer
	// out carries records, states and stream statuses (see output).
	out *output
	// partition, when set, is the partition id of every record and state
	// of this reader (a socket-mode CDC read: one partition, GLOBAL
	// states); otherwise each stream run makes its own.
	partition string
	log       *slog.Logger
	warned    map[string]bool
	// progressEvery is how often a stream logs its progress (0: never).
	progressEvery time.Duration
	// cdc is set under replication_method CDC.
	cdc *cdcRead
}

// warnOnce logs a warning the first time it is seen in this read.
func (r *reader) warnOnce(msg string) {
	if !r.warned[msg] {
		r.warned[msg] = true
		r.log.Warn(msg)
	}
}

// inSnapshot runs fn on a connection inside a read-only REPEATABLE READ
// transaction and commits. A connection that failed is discarded, never
// returned to the pool with a transaction open.
func (r *reader) inSnapshot(ctx context.Context, fn func(conn *sql.Conn) error) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	var before binlog.Position
	if r.cdc != nil {
		// The snapshot must not be older than the position its table's
		// changes are read from: take the position first.
		st, err := binlog.CurrentStatus(ctx, conn, r.cdc.srv)
		if err != nil {
			discard(conn)
			return err
		}
		before = st.Position
	}
	warnings, err := snapshot.Begin(ctx, conn)
	if err != nil {
		discard(conn)
		return err
	}
	if r.cdc != nil {
		r.cdc.snapshotPos = r.snapshotPosition(ctx, conn, before)
	}
	for _, w := range warnings {
		r.warnOnce(w)
	}
	err = fn(conn)
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		discard(conn)
		return err
	}
	return conn.Close()
}

func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

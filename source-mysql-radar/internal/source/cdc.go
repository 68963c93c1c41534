package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/cdc"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/state"
)

// cdcRead is what a read under replication_method CDC shares across its
// streams: the server, the shared part of the GLOBAL state, the schema
// history and the _ab_cdc_cursor counter.
type cdcRead struct {
	srv     *binlog.Server
	shared  state.Shared
	schemas *cdc.Schemas
	// sameServer: the saved position belongs to this server.
	sameServer bool
	// useGTIDs: the read starts at the saved GTID set.
	useGTIDs bool
	// fileOnServer: the saved position's file is on this server.
	fileOnServer bool
	// cursor is the last _ab_cdc_cursor written.
	cursor int64
	// runs are all streams of the read, for the GLOBAL state.
	runs []*streamRun
	// sinceState counts records of all streams since the last STATE.
	sinceState int64
	// updatedAt is the _ab_cdc_updated_at of snapshot records (the sync's
	// start), quoted.
	updatedAt []byte
	// snapshotPos is the binary log position of the snapshot transaction
	// inSnapshot opened last.
	snapshotPos binlog.Position
	meta        metaWriter
	now         time.Time
	// binlogPhase: the shared state's schemas come from the binary log
	// read's checkpoints.
	binlogPhase bool
	// lastState is the content of the last GLOBAL state written.
	lastState string
}

// staleError is a saved position the server no longer has.
type staleError struct{ reason string }

func (e *staleError) Error() string { return e.reason }

// staleMessage is the config error of a stale position.
func staleMessage(pos binlog.Position, reason string) error {
	return protocol.ConfigError(nil, "the binary log position saved by the last sync (%s) can no longer be read: %s. Reset the connection's data (or set `replication_method.invalid_cdc_cursor_position_behavior` to \"Re-sync data\" to read every stream again), then keep binary logs longer than the time between syncs (binlog_expire_logs_seconds, e.g. 7 days) or sync more often", pos, reason)
}

// readCDC reads the streams under replication_method CDC: the streams that
// need one get a snapshot (resumable, by primary key), taken after the
// binary log position the read starts at; then the binary log is read from
// that position up to the server's position at the end of the snapshots,
// for every CDC stream at once. All progress goes into one GLOBAL state.
func (r *reader) readCDC(ctx context.Context, tables []*schema.Table, plans []*streamPlan, st *protocol.InputState) error {
	cfg := r.cfg
	srv, err := binlog.Inspect(ctx, r.db)
	if err != nil {
		return classifyQueryError(err, cfg, "inspect the server's binary log settings")
	}
	if srv.TransactionCompression {
		return protocol.ConfigError(nil, "the server compresses transactions in the binary log (binlog_transaction_compression=ON), which this connector cannot read: set binlog_transaction_compression=OFF")
	}
	if strings.Contains(strings.ToUpper(srv.RowValueOptions), "PARTIAL_JSON") {
		return protocol.ConfigError(nil, "the server writes partial JSON updates to the binary log (binlog_row_value_options=PARTIAL_JSON), which do not carry full row images: set binlog_row_value_options to ''")
	}
	dbCharset, err := schema.DatabaseCharset(ctx, r.db, cfg.Database)
	if err != nil {
		return classifyQueryError(err, cfg, "read the database's character set")
	}
	c := &cdcRead{srv: srv, now: time.Now()}
	c.updatedAt = appendQuotedTime(nil, c.now)
	r.cdc = c

	var saved *state.Shared
	if g := st.Global(); g != nil {
		saved, err = state.ParseShared(g.SharedState)
		if err != nil {
			return protocol.ConfigError(err, "the saved GLOBAL state is not a binary log position of this connector (%v): reset the connection's data", errors.Unwrap(err))
		}
	} else if st != nil && len(st.Messages) > 0 {
		r.log.Warn("the saved state holds no binary log position (it was written by a sync without CDC): every stream is read from the beginning")
	}
	now, err := r.cdcNow(ctx, tables, plans)
	if err != nil {
		return err
	}
	opts := column.Options{TinyInt1AsInteger: cfg.TinyInt1AsInteger}
	if saved != nil {
		reason := r.validateSaved(ctx, saved)
		if reason == "" {
			c.schemas, err = cdc.LoadSchemas(saved.Schemas, cfg.Database, srv.Flavor, opts)
			if err != nil {
				return protocol.ConfigError(err, "the saved table schemas cannot be read: reset the connection's data")
			}
			c.schemas.FoldCase = srv.FoldCase
			c.shared = *saved
			reason = r.probe(ctx, plans)
		}
		if reason != "" {
			if !cfg.ResyncOnInvalidPosition {
				return staleMessage(saved.Position, reason)
			}
			r.log.Warn("the saved binary log position can no longer be read (" + reason + "): as `invalid_cdc_cursor_position_behavior` is \"Re-sync data\", every stream is read again from the beginning")
			saved = nil
			for _, p := range plans {
				p.saved = nil
			}
		}
	}
	if saved == nil {
		c.shared = state.Shared{Server: srv.Identity(), Position: now.Position, GTIDs: now.GTIDs}
		c.schemas = cdc.NewSchemas(cfg.Database, dbCharset, srv.Flavor, opts)
		c.schemas.FoldCase = srv.FoldCase
		c.sameServer, c.useGTIDs = true, false
	}
	c.cursor = max(c.shared.Cursor, c.now.UnixNano())
	r.prepareCDCStreams(plans, tables, now, saved != nil)
	return r.runCDC(ctx, plans, now)
}

// cdcNow takes the server's binary log position and reloads the schema
// until no captured table changed between the load the plans were made
// from and the reload: the schemas of new streams are then those of the
// position.
func (r *reader) cdcNow(ctx context.Context, tables []*schema.Table, plans []*streamPlan) (binlog.Status, error) {
	before := map[string]*schema.Table{}
	for _, t := range tables {
		before[t.Name] = t
	}
	for attempt := 0; ; attempt++ {
		now, err := binlog.CurrentStatus(ctx, r.db, r.cdc.srv)
		if err != nil {
			if errors.Is(err, binlog.ErrBinlogOff) {
				return now, protocol.ConfigError(err, "CDC needs the binary log: set log_bin on the server")
			}
			return now, classifyQueryError(err, r.cfg, "read the binary log position (SHOW MASTER STATUS); CDC needs the REPLICATION CLIENT privilege")
		}
		after, err := loadTables(ctx, r.db, slog.New(slog.DiscardHandler))
		if err != nil {
			return now, err
		}
		changed := ""
		for _, t := range after {
			if b := before[t.Name]; b != nil && !cdc.SameColumns(b.Columns, t.Columns) {
				changed = t.Name
			}
			before[t.Name] = t
		}
		if changed == "" {
			return now, nil
		}
		if attempt == 3 {
			return now, protocol.TransientError(nil, "the schema of table %s keeps changing while the read starts; try again later", changed)
		}
		r.log.Warn("the schema of table " + changed + " changed while the read started: reading the position and the schema again")
		for _, p := range plans {
			if p.table.Name == changed {
				return now, protocol.TransientError(nil, "the schema of table %s changed while the read started; the next attempt reads it again", changed)
			}
		}
	}
}

// validateSaved checks the saved position against the server; it returns
// why it cannot be read, or "".
func (r *reader) validateSaved(ctx context.Context, saved *state.Shared) string {
	c, srv := r.cdc, r.cdc.srv
	if saved.Server.Flavor != "" && saved.Server.Flavor != srv.Flavor {
		return fmt.Sprintf("it was saved on a %s server, and this server is %s", saved.Server.Flavor, srv.Flavor)
	}
	c.sameServer = saved.Server.ServerID == srv.ServerID && saved.Server.ServerUUID == srv.ServerUUID
	c.fileOnServer = false
	if c.sameServer {
		logs, err := binlog.Logs(ctx, r.db)
		if err != nil {
			return "the server's binary logs cannot be listed (SHOW BINARY LOGS): " + err.Error()
		}
		if len(logs) > 0 {
			last := binlog.Position{File: logs[len(logs)-1].Name}
			if (binlog.Position{File: saved.Position.File}).Compare(last) > 0 {
				return fmt.Sprintf("binary log file %s is newer than the server's newest, %s: the binary logs were reset (RESET MASTER, or a restored server)", saved.Position.File, last.File)
			}
		}
		for _, l := range logs {
			if l.Name == saved.Position.File {
				if uint64(saved.Position.Pos) > l.Size {
					return fmt.Sprintf("binary log file %s is only %d bytes long now, shorter than the saved offset: the binary logs were reset", l.Name, l.Size)
				}
				c.fileOnServer = true
			}
		}
		if !c.fileOnServer && !(srv.GTIDs && saved.GTIDs != "") {
			oldest := "none"
			if len(logs) > 0 {
				oldest = logs[0].Name
			}
			return fmt.Sprintf("binary log file %s is no longer on the server (the oldest is %s): it was purged", saved.Position.File, oldest)
		}
	}
	if srv.GTIDs && saved.GTIDs != "" {
		gs, err := binlog.ReadGTIDState(ctx, r.db, srv)
		if err != nil {
			return "the server's GTID state cannot be read: " + err.Error()
		}
		savedSet, err := binlog.ParseGTIDs(srv.Flavor, saved.GTIDs)
		if err != nil {
			return fmt.Sprintf("the saved GTID set %q cannot be read", saved.GTIDs)
		}
		executed, err := binlog.ParseGTIDs(srv.Flavor, gs.Executed)
		if err != nil {
			return fmt.Sprintf("the server's GTID set %q cannot be read", gs.Executed)
		}
		if !executed.Contain(savedSet) {
			return fmt.Sprintf("the server has not executed all transactions of the saved GTID set %s (it has %s): it is another server, or its binary log was reset", saved.GTIDs, gs.Executed)
		}
		if gs.Purged != "" {
			purged, err := binlog.ParseGTIDs(srv.Flavor, gs.Purged)
			if err == nil && !savedSet.Contain(purged) {
				return fmt.Sprintf("binary logs holding transactions the last sync did not read were purged (gtid_purged %s, saved GTID set %s)", gs.Purged, saved.GTIDs)
			}
		}
		c.useGTIDs = true
		return ""
	}
	if !c.sameServer {
		return fmt.Sprintf("it belongs to another server (server_id %d %s; this one is server_id %d %s), and without GTIDs a file position cannot be carried over", saved.Server.ServerID, saved.Server.ServerUUID, srv.ServerID, srv.ServerUUID)
	}
	return ""
}

// probe opens the binary log at the saved position, so that a purged or
// replaced position is noticed before anything is read.
func (r *reader) probe(ctx context.Context, plans []*streamPlan) string {
	rd, err := cdc.NewReader(r.readerOptions(nil, binlog.Status{}))
	if err != nil {
		return err.Error()
	}
	// On the same server, probe the saved file itself (its creation time
	// tells a reset); elsewhere, the GTID set.
	err = rd.Probe(ctx, 30*time.Second, r.cdc.sameServer && r.cdc.fileOnServer)
	var stale *cdc.StaleError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &stale):
		return stale.Reason
	}
	// Other failures (privileges, network) surface when the stream is read.
	r.log.Warn("could not check the saved binary log position before reading: " + err.Error())
	return ""
}

// prepareCDCStreams decides, for every stream, whether it needs a
// snapshot, and registers the schemas of new CDC streams.
func (r *reader) prepareCDCStreams(plans []*streamPlan, tables []*schema.Table, now binlog.Status, resumed bool) {
	c := r.cdc
	captured := map[string]bool{}
	for _, p := range plans {
		if !p.cdc {
			continue
		}
		captured[p.table.Name] = true
		c.schemas.Capture(p.table.Name)
		known := c.schemas.Table(p.table.Name) != nil
		if p.saved != nil && (p.saved.CDC || p.saved.InProgress()) && !known {
			r.log.Warn("the saved state has no schema for this stream's table: it is read again from the beginning", "stream", p.desc.String())
			p.saved = nil
		}
		if p.saved != nil && !p.saved.CDC && !(p.saved.InProgress() && p.saved.Since != nil) {
			p.saved = nil // not a CDC state: start over
		}
		if !c.sameServer && p.saved != nil && p.saved.Since != nil {
			// A snapshot position of another server cannot be compared with
			// this server's positions: its changes are read again.
			p.saved.Since = nil
		}
		if p.saved == nil || !known {
			since := now.Position
			if !resumed {
				since = binlog.Position{} // the read starts here anyway
			}
			c.schemas.Set(cdc.FromSchema(p.table, c.schemas.Charset), since)
		}
	}
	for _, name := range c.schemas.Names() {
		if !captured[name] {
			c.schemas.Drop(name)
		}
	}
}

// needsSnapshot reports whether a CDC stream is read by a snapshot first.
func (p *streamPlan) needsSnapshot() bool { return p.saved == nil || !p.saved.CDC }

// runCDC reads the streams: snapshots, then the binary log.
func (r *reader) runCDC(ctx context.Context, plans []*streamPlan, now binlog.Status) error {
	c := r.cdc
	var binlogRuns []*streamRun
	done := map[*streamRun]bool{}
	fail := func(err error, p *streamPlan) error {
		if !isOutputError(err) {
			for _, s := range c.runs {
				if !done[s] {
					_ = r.out.StreamStatus(s.p.desc, protocol.StreamIncomplete)
				}
			}
		}
		if p != nil {
			return protocol.WithStream(err, p.desc)
		}
		return err
	}
	for _, p := range plans {
		s := r.newStreamRun(p)
		if p.saved != nil {
			cp := *p.saved
			s.state = &cp
			s.since = p.saved.Since
		}
		c.runs = append(c.runs, s)
	}
	for _, s := range c.runs {
		if err := r.out.StreamStatus(s.p.desc, protocol.StreamStarted); err != nil {
			return &outputError{err}
		}
	}
	for _, s := range c.runs {
		p := s.p
		if p.cdc {
			binlogRuns = append(binlogRuns, s)
		}
		if p.cdc && !p.needsSnapshot() {
			continue
		}
		if err := r.w.Estimate(p.desc, p.table.RowEstimate, p.table.ByteEstimate); err != nil {
			return &outputError{err}
		}
		r.log.Info("reading "+p.desc.String()+": "+p.describe(r.cfg.ChunkSize), "estimated_rows", p.table.RowEstimate)
		start := time.Now()
		s.prog = newProgress(r.progressEvery, start)
		if err := s.snapshot(ctx); err != nil {
			return fail(err, p)
		}
		r.log.Info(summary(p.desc.String(), s.total, time.Since(start)))
		if !p.cdc {
			if err := s.setRunning(); err != nil {
				return err
			}
			if err := r.out.StreamStatus(p.desc, protocol.StreamComplete); err != nil {
				return &outputError{err}
			}
			done[s] = true
		}
	}
	if len(binlogRuns) > 0 {
		if err := r.readBinlog(ctx, binlogRuns); err != nil {
			return fail(err, nil)
		}
	}
	if err := r.globalState(); err != nil {
		return err
	}
	for _, s := range binlogRuns {
		if err := s.setRunning(); err != nil {
			return err
		}
		if err := r.out.StreamStatus(s.p.desc, protocol.StreamComplete); err != nil {
			return &outputError{err}
		}
		done[s] = true
	}
	return nil
}

// snapshot reads a stream's table in full (resuming a saved position) and
// records the state that follows it.
func (s *streamRun) snapshot(ctx context.Context) error {
	p := s.p
	if len(p.key) > 0 {
		s.resumeKey(p.saved)
		if err := s.readByKey(ctx); err != nil {
			return err
		}
	} else if err := s.readOnePass(ctx); err != nil {
		return err
	}
	if p.cdc {
		return s.checkpoint(&state.Stream{CDC: true})
	}
	return s.checkpoint(&state.Stream{Done: true})
}

// globalState writes the GLOBAL state: the shared binary log position and
// every stream's state, with the records of all streams since the last.
func (r *reader) globalState() error {
	c := r.cdc
	c.shared.Cursor = c.cursor
	if !c.binlogPhase {
		c.shared.Schemas = c.schemas.Marshal()
	}
	msg := &protocol.StateMessage{
		Type:        protocol.StateGlobal,
		Global:      &protocol.GlobalState{SharedState: c.shared.Marshal(), StreamStates: []protocol.StreamState{}},
		SourceStats: protocol.NewStateStats(c.sinceState),
	}
	for _, s := range c.runs {
		if s.state == nil {
			continue
		}
		st := *s.state
		st.Name, st.Namespace = s.p.desc.Name, r.cfg.Database
		if s.p.cdc {
			st.Since = s.since
		}
		msg.Global.StreamStates = append(msg.Global.StreamStates, protocol.StreamState{StreamDescriptor: s.p.desc, StreamState: st.Marshal()})
	}
	// A state equal to the last one, with no record since, says nothing.
	sig := string(msg.Global.SharedState)
	for _, ss := range msg.Global.StreamStates {
		sig += "\x00" + string(ss.StreamState)
	}
	if c.sinceState == 0 && sig == c.lastState {
		return nil
	}
	c.lastState = sig
	if err := r.out.State(msg, r.partition); err != nil {
		return &outputError{err}
	}
	c.sinceState = 0
	return nil
}

// snapshotPosition returns the binary log position a snapshot transaction
// sees: MariaDB reports it exactly (binlog_snapshot_position); otherwise
// the position read before the transaction started, which is not later.
func (r *reader) snapshotPosition(ctx context.Context, conn *sql.Conn, before binlog.Position) binlog.Position {
	if r.cdc.srv.Flavor != binlog.MariaDB {
		return before
	}
	rows, err := conn.QueryContext(ctx, "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return before
	}
	defer rows.Close()
	var pos binlog.Position
	for rows.Next() {
		var name, value string
		if rows.Scan(&name, &value) != nil {
			return before
		}
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			pos.File = value
		case "binlog_snapshot_position":
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil {
				return before
			}
			pos.Pos = uint32(n)
		}
	}
	if rows.Err() != nil || pos.IsZero() || pos.Compare(before) < 0 {
		return before
	}
	return pos
}

// readerOptions builds the options of a binary log read from the shared
// state (the start) to target.
func (r *reader) readerOptions(runs []*streamRun, target binlog.Status) cdc.Options {
	c, cfg := r.cdc, r.cfg
	opts := cdc.Options{
		Server: c.srv, Stream: streamConfig(r.db, c.srv, r.log),
		Start: cdc.Checkpoint{Position: c.shared.Position, GTIDs: c.shared.GTIDs, SkipEvents: c.shared.SkipRowEvents,
			FileStarted: c.shared.FileStarted},
		UseGTIDs: c.useGTIDs, SameServer: c.sameServer,
		Target: target.Position, TargetGTIDs: target.GTIDs,
		Schemas:            c.schemas,
		CheckpointRecords:  int64(cfg.CheckpointRecords),
		CheckpointInterval: cfg.CheckpointInterval,
		Wait:               time.Duration(cfg.InitialWaitingSeconds) * time.Second,
		Log:                r.log,
	}
	for _, s := range runs {
		capt := &cdc.Capture{Stream: s.p.desc.String(), Table: s.p.table.Name, Data: s}
		if s.since != nil {
			capt.Since = *s.since
		}
		if !s.p.allColumns {
			capt.Emit = []string{}
			for _, col := range s.p.emit {
				capt.Emit = append(capt.Emit, col.Name)
			}
			capt.Emit = append(capt.Emit, s.p.missing...)
		}
		opts.Captures = append(opts.Captures, capt)
	}
	return opts
}

// streamConfig is how the replication stream connects: as the pool does
// (credentials, TLS, SSH tunnel).
func streamConfig(db *dbconn.DB, srv *binlog.Server, log *slog.Logger) binlog.StreamConfig {
	cfg := db.Config
	stream := binlog.StreamConfig{Host: cfg.Host, Port: uint16(cfg.Port), User: cfg.Username, Password: cfg.Password,
		Dial: db.Dialer(), Flavor: srv.Flavor, Logger: slog.New(debugHandler{log.Handler()}),
		FillZeroLogPos: srv.NeedsZeroLogPosFill()}
	if tlsCfg, fallback := cfg.TLS.ClientConfig(cfg.Host); tlsCfg != nil {
		stream.TLS = tlsCfg
		if fallback {
			if on, err := db.UsesTLS(context.Background()); err == nil && !on {
				stream.TLS = nil // preferred, and the server does not offer TLS
			}
		}
	}
	return stream
}

// readBinlog reads the binary log from the shared position to the
// server's current position, retrying lost connections from the last
// position read.
func (r *reader) readBinlog(ctx context.Context, runs []*streamRun) error {
	c := r.cdc
	target, err := binlog.CurrentStatus(ctx, r.db, c.srv)
	if err != nil {
		return classifyQueryError(err, r.cfg, "read the binary log position (SHOW MASTER STATUS)")
	}
	for _, s := range runs {
		if err := s.setRunning(); err != nil {
			return err
		}
	}
	r.log.Info("reading the binary log", "from", c.shared.Position.String(), "gtids", c.shared.GTIDs, "to", target.Position.String())
	sink := &binlogSink{r: r}
	failures := 0
	for {
		if c.binlogPhase {
			// Restarting after a lost stream: the schemas as of the
			// checkpoint, not as of the last event read.
			schemas, err := cdc.LoadSchemas(c.shared.Schemas, r.cfg.Database, c.srv.Flavor, c.schemas.Opts)
			if err != nil {
				return protocol.SystemError(err, "reload the schema history of a checkpoint")
			}
			schemas.FoldCase = c.srv.FoldCase
			c.schemas = schemas
		}
		opts := r.readerOptions(runs, target)
		rd, err := cdc.NewReader(opts)
		if err != nil {
			return protocol.ConfigError(err, "the saved binary log position cannot be used: reset the connection's data")
		}
		sink.rd = rd
		start := time.Now()
		sink.progress = false
		sink.start()
		err = rd.Run(ctx, sink)
		if werr := sink.stop(); werr != nil {
			return werr // writing failed: the reader's error follows from it
		}
		if err == nil {
			r.log.Info("read the binary log", "records", sink.total, "seconds", time.Since(start).Round(time.Millisecond).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var stale *cdc.StaleError
		var se *cdc.StreamError
		var te *cdc.TimeoutError
		switch {
		case isOutputError(err):
			return err
		case errors.As(err, &stale):
			return staleMessage(c.shared.Position, stale.Reason)
		case errors.As(err, &se) && (se.Code == 1227 || se.Code == 1045 || se.Code == 1044):
			return protocol.ConfigError(err, "user %q may not read the binary log: grant it REPLICATION SLAVE (and REPLICATION CLIENT)", r.cfg.Username)
		case errors.As(err, &te):
			return protocol.TransientError(err, "%s", te.Error())
		case !errors.As(err, &se):
			var pe *protocol.Error
			if errors.As(err, &pe) {
				return err
			}
			return protocol.SystemError(err, "read the binary log")
		}
		// A lost stream: continue from the last event read.
		if sink.progress {
			failures = 0
		}
		failures++
		if failures > r.cfg.MaxRetries {
			return protocol.TransientError(err, "reading the binary log failed %d times in a row", failures)
		}
		sink.start()
		_ = sink.Checkpoint(rd.Snapshot())
		if err := sink.stop(); err != nil {
			return err
		}
		wait := r.src.Backoff(failures)
		r.log.Warn(fmt.Sprintf("the binary log stream was lost; retrying in %s from %s", wait, c.shared.Position), "attempt", failures, "error", err.Error())
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// binlogSink writes the changes of a binary log read as records. Decoding
// (the reader's goroutine) and encoding and writing (the sink's own
// goroutine) run on two cores: Row copies a change's values into a batch,
// batches go to the writer in order, and a checkpoint travels after the
// rows before it, so every STATE follows its records.
type binlogSink struct {
	r *reader
	// protoRows encodes protobuf records per row encoder (socket mode).
	protoRows map[*rowcodec.RowEncoder]*rowcodec.ProtoRow
	rd        *cdc.Reader
	total     int64
	progress  bool

	cur   *sinkBatch
	work  chan *sinkBatch
	free  chan *sinkBatch
	done  chan struct{}
	mu    sync.Mutex
	err   error // the writer's first error
	wrote int64 // records written by the writer
	// since: the captures of this attempt that had a snapshot position
	// (the reader's goroutine tells the writer when each is passed).
	since map[*cdc.Capture]bool
}

// Batches: handed over at sinkBatchRows rows or sinkBatchBytes bytes of
// values; sinkBatches bound the memory in flight.
const (
	sinkBatchRows  = 256
	sinkBatchBytes = 256 << 10
	sinkBatches    = 4
)

type sinkBatch struct {
	data []byte
	ends []int // per value; -1 for SQL NULL
	rows []sinkRow
	// cp is a checkpoint that follows the rows; passed lists the streams
	// whose snapshot position the read went past.
	cp     *cdc.Checkpoint
	passed []*streamRun
	final  bool
}

type sinkRow struct {
	run  *streamRun
	enc  *rowcodec.RowEncoder
	n    int // values
	del  bool
	time uint32
	pos  binlog.Position
}

// start starts the writer goroutine of one read attempt.
func (k *binlogSink) start() {
	k.work = make(chan *sinkBatch, sinkBatches)
	k.free = make(chan *sinkBatch, sinkBatches)
	k.done = make(chan struct{})
	for range sinkBatches {
		k.free <- &sinkBatch{data: make([]byte, 0, sinkBatchBytes+4096)}
	}
	k.cur = nil
	k.since = map[*cdc.Capture]bool{}
	for _, capt := range k.rd.Captures() {
		if !capt.Since.IsZero() {
			k.since[capt] = true
		}
	}
	go k.write()
}

// stop hands over the last batch and waits for the writer.
func (k *binlogSink) stop() error {
	if k.cur != nil && (len(k.cur.rows) > 0 || k.cur.cp != nil) {
		k.work <- k.cur
	}
	k.cur = nil
	close(k.work)
	<-k.done
	return k.writeErr()
}

func (k *binlogSink) writeErr() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

func (k *binlogSink) batch() (*sinkBatch, error) {
	if k.cur == nil {
		b := <-k.free
		b.data, b.ends, b.rows, b.cp, b.passed, b.final = b.data[:0], b.ends[:0], b.rows[:0], nil, nil, false
		k.cur = b
	}
	return k.cur, k.writeErr()
}

func (k *binlogSink) hand() {
	k.work <- k.cur
	k.cur = nil
}

func (k *binlogSink) Row(c *cdc.Capture, ch *cdc.Change) error {
	b, err := k.batch()
	if err != nil {
		return err
	}
	for _, v := range ch.Values {
		if v == nil {
			b.ends = append(b.ends, -1)
			continue
		}
		b.data = append(b.data, v...)
		b.ends = append(b.ends, len(b.data))
	}
	b.rows = append(b.rows, sinkRow{run: c.Data.(*streamRun), enc: ch.Enc, n: len(ch.Values), del: ch.Delete, time: ch.Time, pos: ch.Position})
	k.total++
	k.progress = true
	if len(b.rows) >= sinkBatchRows || len(b.data) >= sinkBatchBytes {
		k.hand()
	}
	return nil
}

func (k *binlogSink) Checkpoint(cp *cdc.Checkpoint) error {
	b, err := k.batch()
	if err != nil {
		return err
	}
	c := *cp
	b.cp = &c
	for capt := range k.since {
		if capt.Since.IsZero() {
			b.passed = append(b.passed, capt.Data.(*streamRun))
			delete(k.since, capt)
		}
	}
	k.hand()
	return nil
}

// write is the writer goroutine: it encodes and writes the rows of every
// batch, then its checkpoint.
func (k *binlogSink) write() {
	defer close(k.done)
	r := k.r
	c := r.cdc
	var buf []byte
	var values [][]byte
	var now time.Time
	failed := false
	for b := range k.work {
		if !failed {
			start, vi := 0, 0
			for _, row := range b.rows {
				values = values[:0]
				for j := 0; j < row.n; j++ {
					end := b.ends[vi]
					vi++
					if end < 0 {
						values = append(values, nil)
						continue
					}
					values = append(values, b.data[start:end:end])
					start = end
				}
				if k.wrote&63 == 0 {
					now = time.Now()
				}
				s := row.run
				c.cursor++
				if s.proto != nil {
					if err := k.writeProto(row, values, now); err != nil {
						k.fail(err)
						failed = true
						break
					}
					k.wrote++
					s.total++
					c.sinceState++
					continue
				}
				buf = append(buf[:0], '{')
				buf = row.enc.AppendFields(buf, values)
				if s.p.meta != 0 {
					buf = appendMeta(buf, s.p.meta, row.enc.Len() == 0, c.meta.quotedTime(row.time), row.del,
						c.meta.quotedFile(row.pos.File), row.pos.Pos, c.cursor)
				}
				buf = append(buf, '}')
				if err := r.out.records().WriteRecord(s.prefix, now.UnixMilli(), buf, row.enc.Changes()); err != nil {
					k.fail(&outputError{err})
					failed = true
					break
				}
				k.wrote++
				s.total++
				c.sinceState++
			}
		}
		if !failed && b.cp != nil {
			if err := k.applyCheckpoint(b.cp, b.passed); err != nil {
				k.fail(err)
				failed = true
			}
		}
		k.free <- b
	}
}

func (k *binlogSink) fail(err error) {
	k.mu.Lock()
	if k.err == nil {
		k.err = err
	}
	k.mu.Unlock()
}

// applyCheckpoint moves the shared state to a checkpoint and writes the
// GLOBAL state.
func (k *binlogSink) applyCheckpoint(cp *cdc.Checkpoint, passed []*streamRun) error {
	r := k.r
	c := r.cdc
	c.shared.Position = cp.Position
	c.shared.GTIDs = cp.GTIDs
	c.shared.SkipRowEvents = cp.SkipEvents
	c.shared.FileStarted = cp.FileStarted
	c.shared.Schemas = cp.Schemas
	c.binlogPhase = true
	if cp.OnServer {
		// The position is now this server's.
		c.shared.Server = c.srv.Identity()
		c.sameServer = true
	}
	c.useGTIDs = c.srv.GTIDs && cp.GTIDs != ""
	for _, s := range passed {
		s.since = nil
	}
	return r.globalState()
}

// debugHandler sends go-mysql's log lines to the debug level.
type debugHandler struct{ h slog.Handler }

func (d debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugHandler) Handle(ctx context.Context, rec slog.Record) error {
	rec.Level = slog.LevelDebug
	return d.h.Handle(ctx, rec)
}

func (d debugHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return debugHandler{d.h.WithAttrs(attrs)}
}

func (d debugHandler) WithGroup(name string) slog.Handler { return debugHandler{d.h.WithGroup(name)} }

package cdc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/ddl"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// Capture is one stream read from the binary log.
type Capture struct {
	// Stream names the stream in messages.
	Stream string
	// Table is the captured table.
	Table string
	// Emit lists the columns written into records (nil: all).
	Emit []string
	// Since: row events of the table in transactions that start before
	// this position are skipped, because the table's snapshot, read later
	// than the position the read starts at, already holds them. Zero: none
	// are skipped. The reader clears it once passed.
	Since binlog.Position
	// Data is the sink's own.
	Data any

	emitSet map[string]bool
}

func (c *Capture) emits(name string) bool {
	if c.Emit == nil {
		return true
	}
	if c.emitSet == nil {
		c.emitSet = make(map[string]bool, len(c.Emit))
		for _, n := range c.Emit {
			c.emitSet[n] = true
		}
	}
	return c.emitSet[name]
}

// Change is one changed row.
type Change struct {
	// Enc encodes Values, the text values of the row's emitted columns
	// (the image after an insert or update, before a delete).
	Enc    *rowcodec.RowEncoder
	Values [][]byte
	Delete bool
	// Time is the event's timestamp (seconds since the epoch).
	Time uint32
	// Position is the row event's position.
	Position binlog.Position
}

// Checkpoint is a position the read can restart from: the start of the
// transaction in progress (with SkipEvents of its row events already
// read), or the position after the last complete transaction.
type Checkpoint struct {
	Position binlog.Position
	// GTIDs is the GTID set of the transactions before Position (empty
	// when GTIDs are off).
	GTIDs string
	// SkipEvents row events of the transaction at Position were read.
	SkipEvents int
	// FileStarted is the creation time of Position's file (the timestamp of
	// its format description event), 0 when unknown. A file of the same
	// name but another creation time is another file (RESET MASTER).
	FileStarted uint32
	// Schemas is the tracked schema history as of Position.
	Schemas []byte
	// Records were emitted since the previous checkpoint.
	Records int64
	// OnServer reports that Position is a position of the server read
	// (the stream has told where it is), not the saved one of another.
	OnServer bool
	// Final marks the checkpoint at the end of the read.
	Final bool
}

// Sink receives the changes and checkpoints of a read.
type Sink interface {
	Row(c *Capture, ch *Change) error
	Checkpoint(cp *Checkpoint) error
}

// Options configure a Reader.
type Options struct {
	Server *binlog.Server
	Stream binlog.StreamConfig
	// Start is where to read from; with UseGTIDs the stream starts at
	// Start.GTIDs, else at Start.Position.
	Start      Checkpoint
	UseGTIDs   bool
	SameServer bool
	// Target is the server's position when the read began: the read ends
	// at the first transaction boundary at or after it, or once the
	// transactions read include TargetGTIDs (the server's GTID set at
	// Target), whichever comes first.
	Target      binlog.Position
	TargetGTIDs string
	// SameServer reports that Start.Position is a position of this server
	// (its identity matches the state's). Otherwise positions are compared
	// only after the stream has told where it is.
	Schemas  *Schemas
	Captures []*Capture
	// A checkpoint is emitted after CheckpointRecords records or
	// CheckpointInterval, whichever comes first.
	CheckpointRecords  int64
	CheckpointInterval time.Duration
	// Wait bounds the wait for an event while the target is not reached
	// (initial_waiting_seconds).
	Wait time.Duration
	Log  *slog.Logger
}

// StaleError reports a start position that the server no longer has.
type StaleError struct{ Reason string }

func (e *StaleError) Error() string { return e.Reason }

// Reader reads changes from the binary log between a start position and a
// target position.
type Reader struct {
	opts     Options
	schemas  *Schemas
	captures map[string]*Capture
	mappings map[uint64]*mapping
	warned   map[string]bool
	log      *slog.Logger

	// Position tracking. cur is the position after the last event.
	cur         binlog.Position
	fileStarted uint32
	eventPos    binlog.Position // start of the event being handled
	open        bool            // a transaction has started and not ended
	inTx        bool            // inside BEGIN ... COMMIT
	txStart     binlog.Position
	txGTID      any // *gomysql.MariadbGTID or mysqlGTID
	txRowEvents int
	committed   Checkpoint // the position after the last complete transaction
	gtids       gomysql.GTIDSet
	skipEvents  int // row events to skip in the first transaction (resuming inside one)
	firstTx     bool

	records     int64 // since the last checkpoint
	lastCP      time.Time
	schemasJSON []byte
	schemasVer  int
	sawEvent    bool
	sawFDE      bool
	located     bool // cur is a position of this server
	target      gomysql.GTIDSet
	gtidsDone   bool // the GTIDs read include the target set
	change      Change
}

type mysqlGTID struct {
	sid uuid.UUID
	gno int64
}

// NewReader prepares a read.
func NewReader(opts Options) (*Reader, error) {
	r := &Reader{opts: opts, schemas: opts.Schemas, captures: map[string]*Capture{}, mappings: map[uint64]*mapping{},
		warned: map[string]bool{}, log: opts.Log}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Captures {
		r.captures[c.Table] = c
		r.schemas.Capture(c.Table)
	}
	r.cur = opts.Start.Position
	r.fileStarted = opts.Start.FileStarted
	r.committed = opts.Start
	r.committed.SkipEvents = 0
	r.skipEvents = opts.Start.SkipEvents
	r.firstTx = true
	if opts.Server.GTIDs {
		set, err := binlog.ParseGTIDs(opts.Server.Flavor, opts.Start.GTIDs)
		if err != nil {
			return nil, fmt.Errorf("the saved GTID set %q cannot be read: %w", opts.Start.GTIDs, err)
		}
		r.gtids = set
	}
	if opts.Server.GTIDs && opts.TargetGTIDs != "" {
		set, err := binlog.ParseGTIDs(opts.Server.Flavor, opts.TargetGTIDs)
		if err != nil {
			return nil, fmt.Errorf("the server's GTID set %q cannot be read: %w", opts.TargetGTIDs, err)
		}
		r.target = set
		r.gtidsDone = r.gtids != nil && r.gtids.Contain(set)
	}
	r.located = opts.SameServer && !opts.Start.Position.IsZero()
	if r.opts.CheckpointRecords <= 0 {
		r.opts.CheckpointRecords = 10_000
	}
	if r.opts.CheckpointInterval <= 0 {
		r.opts.CheckpointInterval = 5 * time.Minute
	}
	if r.opts.Wait <= 0 {
		r.opts.Wait = 5 * time.Minute
	}
	return r, nil
}

func (r *Reader) warnOnce(msg string) {
	if !r.warned[msg] {
		r.warned[msg] = true
		r.log.Warn(msg)
	}
}

// Run reads from the start to the target, calling sink for every change
// and checkpoint; the last call is a final checkpoint. A position the
// server no longer has is a *StaleError.
func (r *Reader) Run(ctx context.Context, sink Sink) error {
	if r.reached() && r.committed.FileStarted != 0 {
		// Nothing to read, and the state already knows its file.
		cp := r.checkpoint()
		cp.Final = true
		return sink.Checkpoint(cp)
	}
	start := binlog.Start{Position: r.opts.Start.Position}
	if r.opts.UseGTIDs {
		start.GTIDs = r.opts.Start.GTIDs
	}
	stream, err := binlog.Open(r.opts.Stream, start)
	if err != nil {
		return r.streamError(err)
	}
	defer stream.Close()
	r.lastCP = time.Now()
	lastCPPos := r.committed.Position
	// One deadline context serves many events (a timer per event would
	// cost more than decoding a small one): it ends 1.5 waits after it was
	// made and is renewed once less than a wait is left, so the stream may
	// stay silent for at least a wait.
	w := &waiter{parent: ctx, wait: r.opts.Wait}
	defer w.stop()
	for {
		// The stream starts with its file's format description event: read
		// it first, so that the state records when the file was created.
		if r.sawFDE && r.reached() {
			cp := r.checkpoint()
			cp.Final = true
			return sink.Checkpoint(cp)
		}
		ev, err := stream.Next(w.ctx())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				what := "a binary log event"
				if !r.sawEvent {
					what = "the first binary log event"
				}
				return &TimeoutError{Wait: r.opts.Wait, What: what, At: r.cur, Target: r.opts.Target}
			}
			return r.streamError(err)
		}
		r.sawEvent = true
		if err := r.handle(ev, sink); err != nil {
			return err
		}
		due := r.records >= r.opts.CheckpointRecords
		if !due && r.records&63 == 0 && time.Since(r.lastCP) >= r.opts.CheckpointInterval {
			// On time, also without records: the position moves on while
			// other tables' events are read.
			due = r.records > 0 || (!r.open && r.committed.Position != lastCPPos)
		}
		if due {
			cp := r.checkpoint()
			lastCPPos = cp.Position
			if err := sink.Checkpoint(cp); err != nil {
				return err
			}
		}
	}
}

// waiter hands out a deadline context for waiting on the next event.
type waiter struct {
	parent   context.Context
	wait     time.Duration
	c        context.Context
	cancel   context.CancelFunc
	deadline time.Time
}

func (w *waiter) ctx() context.Context {
	if now := time.Now(); w.c == nil || w.deadline.Sub(now) < w.wait {
		w.stop()
		w.deadline = now.Add(w.wait * 3 / 2)
		w.c, w.cancel = context.WithDeadline(w.parent, w.deadline)
	}
	return w.c
}

func (w *waiter) stop() {
	if w.cancel != nil {
		w.cancel()
	}
}

// Probe opens the stream at the read's start and reads up to the start
// file's format description event, then closes it: a purged, reset or
// unknown start position fails here (as a *StaleError), before anything is
// read, and so does a user without the REPLICATION SLAVE privilege.
//
// byPosition probes the saved file and offset even when the read will
// start at the GTID set: on the same server, a file that was replaced by a
// reset shows in its creation time.
func (r *Reader) Probe(ctx context.Context, timeout time.Duration, byPosition bool) error {
	start := binlog.Start{Position: r.opts.Start.Position}
	if r.opts.UseGTIDs && !byPosition {
		start.GTIDs = r.opts.Start.GTIDs
	}
	useGTIDs := r.opts.UseGTIDs
	r.opts.UseGTIDs = !byPosition && useGTIDs
	defer func() { r.opts.UseGTIDs = useGTIDs }()
	stream, err := binlog.Open(r.opts.Stream, start)
	if err != nil {
		return r.streamError(err)
	}
	defer stream.Close()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cur := r.cur
	defer func() { r.cur = cur }()
	for {
		ev, err := stream.Next(pctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return &TimeoutError{Wait: timeout, What: "format description event", At: r.cur, Target: r.opts.Target}
			}
			return r.streamError(err)
		}
		switch e := ev.Event.(type) {
		case *replication.RotateEvent:
			r.cur = binlog.Position{File: string(e.NextLogName), Pos: uint32(e.Position)}
		case *replication.FormatDescriptionEvent:
			return r.checkFile(ev.Header.Timestamp)
		}
	}
}

// Snapshot returns the position after the last event read (a checkpoint
// a new read can restart from after the stream was lost).
func (r *Reader) Snapshot() *Checkpoint { return r.checkpoint() }

// Captures returns the read's captures (their Since is cleared once
// passed).
func (r *Reader) Captures() []*Capture { return r.opts.Captures }

// TimeoutError is a stream that sent nothing for longer than the wait.
type TimeoutError struct {
	Wait       time.Duration
	What       string
	At, Target binlog.Position
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no %s arrived within %s (read up to %s, the server's position at the start was %s)", e.What, e.Wait, e.At, e.Target)
}

// streamError classifies an error of the replication stream.
func (r *Reader) streamError(err error) error {
	code, msg := binlog.ServerError(err)
	if code == 1236 { // ER_MASTER_FATAL_ERROR_READING_BINLOG
		return &StaleError{Reason: "the server cannot send the binary log from the saved position: " + msg}
	}
	return &StreamError{Err: err, Code: code}
}

// StreamError is a failure of the replication stream.
type StreamError struct {
	Err  error
	Code uint16
}

func (e *StreamError) Error() string { return "binary log stream: " + e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

// reached reports whether the read is at a transaction boundary at or
// after the target.
func (r *Reader) reached() bool {
	if r.open || r.skipEvents > 0 {
		return false
	}
	return r.gtidsDone || (r.located && r.cur.Compare(r.opts.Target) >= 0)
}

// checkpoint returns the current restart position and resets the record
// count.
func (r *Reader) checkpoint() *Checkpoint {
	cp := r.committed
	if r.open {
		cp.Position = r.txStart
		cp.SkipEvents = r.txRowEvents
		if r.txStart.File != r.committed.Position.File {
			cp.FileStarted = r.fileStarted
		}
	}
	for _, c := range r.captures {
		if !c.Since.IsZero() && cp.Position.Compare(c.Since) >= 0 {
			c.Since = binlog.Position{}
			r.schemas.passed(c.Table)
		}
	}
	if r.schemasJSON == nil || r.schemasVer != r.schemas.version {
		r.schemasJSON = r.schemas.Marshal()
		r.schemasVer = r.schemas.version
	}
	cp.Schemas = r.schemasJSON
	cp.Records = r.records
	cp.OnServer = r.located
	r.records = 0
	r.lastCP = time.Now()
	return &cp
}

// handle follows one event. A transaction is open from its GTID event (or
// BEGIN) to its XID event (or COMMIT, or the end of a DDL statement); the
// restart position moves only between transactions.
func (r *Reader) handle(ev *replication.BinlogEvent, sink Sink) error {
	h := ev.Header
	if h.LogPos > 0 && h.LogPos >= h.EventSize {
		r.eventPos = binlog.Position{File: r.cur.File, Pos: h.LogPos - h.EventSize}
	} else {
		r.eventPos = r.cur
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		r.cur = binlog.Position{File: string(e.NextLogName), Pos: uint32(e.Position)}
		r.located = true
		r.fileStarted = 0
		if !r.open {
			r.committed.Position = r.cur
			r.committed.FileStarted = 0
		}
		return nil // its LogPos belongs to the previous file
	case *replication.FormatDescriptionEvent:
		if err := r.checkFile(h.Timestamp); err != nil {
			return err
		}
		r.fileStarted = h.Timestamp
		r.sawFDE = true
		if r.committed.Position.File == r.cur.File {
			r.committed.FileStarted = h.Timestamp
		}
	case *replication.MariadbGTIDEvent:
		r.beginTx()
		g := e.GTID
		r.txGTID = &g
		r.inTx = !e.IsStandalone() // MariaDB's GTID event stands for BEGIN
	case *replication.GTIDEvent:
		r.beginTx()
		if sid, err := uuid.FromBytes(e.SID); err == nil && sid != uuid.Nil {
			r.txGTID = mysqlGTID{sid: sid, gno: e.GNO}
		}
	case *replication.QueryEvent:
		return r.query(ev, e)
	case *replication.XIDEvent:
		r.advance(h)
		r.commit()
		return nil
	case *replication.TableMapEvent:
		if err := r.tableMap(e); err != nil {
			return err
		}
	case *replication.RowsEvent:
		if err := r.rows(ev, e, sink); err != nil {
			return err
		}
	case *replication.TransactionPayloadEvent:
		return errors.New("the binary log holds compressed transactions (binlog_transaction_compression=ON), which the connector cannot read: set binlog_transaction_compression=OFF")
	}
	r.advance(h)
	return nil
}

// advance moves the position past an event; between transactions the
// restart position follows.
func (r *Reader) advance(h *replication.EventHeader) {
	if h.LogPos == 0 {
		return // an artificial event (the format description sent at the start)
	}
	r.cur.Pos = h.LogPos
	if !r.open {
		r.committed.Position = r.cur
		r.committed.FileStarted = r.fileStarted
	}
}

// checkFile fails when the file the read resumes in was replaced (the
// server's binary logs were reset and renumbered).
func (r *Reader) checkFile(created uint32) error {
	saved := r.opts.Start
	if r.opts.UseGTIDs || saved.FileStarted == 0 || created == 0 || r.cur.File != saved.Position.File {
		return nil
	}
	if created != saved.FileStarted {
		return &StaleError{Reason: fmt.Sprintf("binary log file %s on the server was created at %s, but the saved position is in a file of that name created at %s: the binary logs were reset (RESET MASTER, or a restored or replaced server)",
			saved.Position.File, time.Unix(int64(created), 0).UTC().Format(time.RFC3339), time.Unix(int64(saved.FileStarted), 0).UTC().Format(time.RFC3339))}
	}
	return nil
}

func (r *Reader) beginTx() {
	r.open, r.inTx = true, false
	r.txStart = r.eventPos
	r.txGTID = nil
	r.txRowEvents = 0
}

// commit ends the transaction in progress (after advance).
func (r *Reader) commit() {
	switch g := r.txGTID.(type) {
	case *gomysql.MariadbGTID:
		if set, ok := r.gtids.(*gomysql.MariadbGTIDSet); ok {
			_ = set.AddSet(g)
		}
	case mysqlGTID:
		if set, ok := r.gtids.(*gomysql.MysqlGTIDSet); ok {
			set.AddGTID(g.sid, g.gno)
		}
	}
	r.open, r.inTx = false, false
	r.txGTID = nil
	r.txStart = binlog.Position{}
	r.txRowEvents = 0
	r.firstTx = false
	r.skipEvents = 0
	r.committed.Position = r.cur
	r.committed.FileStarted = r.fileStarted
	r.committed.SkipEvents = 0
	if r.gtids != nil {
		r.committed.GTIDs = r.gtids.String()
		if r.target != nil && !r.gtidsDone {
			r.gtidsDone = r.gtids.Contain(r.target)
		}
	}
}

func (r *Reader) query(ev *replication.BinlogEvent, e *replication.QueryEvent) error {
	q := bytes.TrimSpace(e.Query)
	switch {
	case bytes.EqualFold(q, []byte("BEGIN")):
		if !r.open {
			r.beginTx() // no GTID event (servers without GTIDs before 5.7)
		}
		r.inTx = true
		r.advance(ev.Header)
		return nil
	case bytes.EqualFold(q, []byte("COMMIT")), bytes.EqualFold(q, []byte("ROLLBACK")):
		r.advance(ev.Header)
		r.commit()
		return nil
	case hasPrefixFold(q, "SAVEPOINT"), hasPrefixFold(q, "ROLLBACK TO"), hasPrefixFold(q, "XA "):
		r.advance(ev.Header)
		return nil
	}
	at := r.txStart
	if !r.open {
		at = r.eventPos
	}
	if st := ddl.Parse(string(e.Query)); st != nil {
		for _, w := range r.schemas.Apply(string(e.Schema), st, at) {
			r.log.Warn(w+" (at "+at.String()+")", "statement", truncate(string(q), 300))
		}
	}
	r.advance(ev.Header)
	if !r.inTx {
		// DDL commits implicitly: the statement is its own transaction.
		r.commit()
	}
	return nil
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && bytes.EqualFold(b[:len(p)], []byte(p))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (r *Reader) tableMap(e *replication.TableMapEvent) error {
	if string(e.Schema) != r.schemas.Database && !(r.schemas.FoldCase && strings.EqualFold(string(e.Schema), r.schemas.Database)) {
		delete(r.mappings, e.TableID)
		return nil
	}
	c := r.captures[string(e.Table)]
	if c == nil && r.schemas.FoldCase {
		c = r.captures[r.schemas.resolve(string(e.Table))]
	}
	if c == nil {
		delete(r.mappings, e.TableID)
		return nil
	}
	t := r.schemas.Table(c.Table)
	version := 0
	if t != nil {
		version = t.version
	}
	if m := r.mappings[e.TableID]; m != nil && m.capture == c && m.matches(e, version) {
		return nil
	}
	m, err := r.buildMapping(e, c, t)
	if err != nil {
		return err
	}
	r.mappings[e.TableID] = m
	return nil
}

func (r *Reader) rows(ev *replication.BinlogEvent, e *replication.RowsEvent, sink Sink) error {
	index := r.txRowEvents
	r.txRowEvents++
	if r.firstTx && index < r.skipEvents {
		return nil // read before the checkpoint this read resumes from
	}
	if e.Table == nil {
		return nil
	}
	m := r.mappings[e.TableID]
	if m == nil {
		return nil
	}
	c := m.capture
	at := r.txStart
	if !r.open {
		at = r.eventPos
	}
	if !c.Since.IsZero() && at.Compare(c.Since) < 0 {
		return nil
	}
	if ev.Header.EventType == replication.PARTIAL_UPDATE_ROWS_EVENT {
		return errors.New("the binary log holds partial JSON updates (binlog_row_value_options=PARTIAL_JSON), whose full row images the connector cannot rebuild: set binlog_row_value_options to ''")
	}
	data, err := binlog.RowsData(ev, e)
	if err != nil {
		return fmt.Errorf("read a row event of table %s at %s: %w", c.Table, r.eventPos, err)
	}
	update, del := binlog.IsUpdate(ev), binlog.IsDelete(ev)
	ch := &r.change
	ch.Delete = del
	ch.Time = ev.Header.Timestamp
	ch.Position = r.eventPos
	ch.Enc = m.enc
	bm1, bm2 := e.ColumnBitmap1, e.ColumnBitmap2
	err = binlog.DecodeRows(data, func(b []byte) (int, error) {
		n, err := m.dec.Image(b, bm1, !update)
		if err != nil {
			return 0, r.rowError(c, err)
		}
		if update {
			n2, err := m.dec.Image(b[n:], bm2, true)
			if err != nil {
				return 0, r.rowError(c, err)
			}
			n += n2
		}
		ch.Values = m.values(m.dec.Values())
		if err := sink.Row(c, ch); err != nil {
			return 0, err
		}
		r.records++
		return n, nil
	})
	if err != nil && !isSinkError(err) {
		var pe *protocol.Error
		if !errors.As(err, &pe) && !strings.Contains(err.Error(), c.Table) {
			return r.rowError(c, err)
		}
	}
	return err
}

// isSinkError reports an error of the sink (writing records).
func isSinkError(err error) bool {
	var se interface{ SinkError() }
	return errors.As(err, &se)
}

func (r *Reader) rowError(c *Capture, err error) error {
	if errors.Is(err, binlog.ErrPartialImage) {
		return fmt.Errorf("a row event of table %s at %s lacks columns: set binlog_row_image=FULL on the server", c.Table, r.eventPos)
	}
	return fmt.Errorf("decode a row event of table %s at %s: %w", c.Table, r.eventPos, err)
}

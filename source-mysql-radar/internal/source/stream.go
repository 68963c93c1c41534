package source

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/cursor"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/query"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/snapshot"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/state"
)

// streamRun is the read of one stream. Its row method is the hot path:
// encode the row into a reused buffer, write it, remember its key.
type streamRun struct {
	r      *reader
	p      *streamPlan
	prefix *protocol.RecordPrefix
	enc    *rowcodec.RowEncoder
	buf    []byte
	// partition names the records and states of this run in socket mode.
	partition string
	// proto encodes rows as data-channel values (socket mode, PROTOBUF).
	proto       *rowcodec.ProtoRow
	protoPrefix *datachannel.StreamPrefix
	partBytes   []byte
	pmeta       *protoMeta

	// split is set when the run is range rangeIdx of a table read as key
	// ranges in parallel; lower and upper bound its first key column.
	split        *splitRun
	rangeIdx     int
	lower, upper []byte

	running    bool
	sinceState int64 // records since the last STATE
	total      int64
	progress   bool // a row was emitted in the current attempt

	// pos is the key of the last emitted row (text form, owned).
	pos    [][]byte
	hasPos bool

	// Incremental: tracking is on while reading ordered by the cursor;
	// target is the cursor position a read by key switches to at its end.
	tracking  bool
	boundary  cursor.Boundary
	last      []byte // cursor of the last emitted row
	lastNull  bool
	target    *state.Cursor
	lastState time.Time
	now       time.Time // refreshed every 64 rows
	prog      progress

	// CDC: state is the stream's last state (for the GLOBAL state) and
	// since the binary log position of its snapshot.
	state *state.Stream
	since *binlog.Position
}

func (r *reader) newStreamRun(p *streamPlan) *streamRun {
	s := &streamRun{
		r:   r,
		p:   p,
		enc: rowcodec.NewRowEncoder(p.emit),
		buf: make([]byte, 0, 4096),
		pos: make([][]byte, len(p.key)),
	}
	if r.out.socket() {
		s.partition = r.partition
		if s.partition == "" {
			s.partition = newPartitionID()
		}
		s.partBytes = []byte(s.partition)
	}
	s.prefix = r.out.recordPrefix(p.desc, s.partition)
	if r.out.protobuf() {
		s.proto = rowcodec.NewProtoRow(p.emit, p.meta.names())
		s.protoPrefix = datachannel.NewStreamPrefix(p.desc.Namespace, p.desc.Name)
	}
	for i := range s.pos {
		s.pos[i] = make([]byte, 0, 32)
	}
	return s
}

// readStream reads one stream with its status messages.
func (r *reader) readStream(ctx context.Context, p *streamPlan) error {
	s := r.newStreamRun(p)
	if err := r.out.StreamStatus(p.desc, protocol.StreamStarted); err != nil {
		return &outputError{err}
	}
	if err := r.w.Estimate(p.desc, p.table.RowEstimate, p.table.ByteEstimate); err != nil {
		return &outputError{err}
	}
	r.log.Info("reading "+p.desc.String()+": "+p.describe(r.cfg.ChunkSize), "estimated_rows", p.table.RowEstimate)
	start := time.Now()
	s.prog = newProgress(r.progressEvery, start)
	err := s.read(ctx)
	if err != nil {
		if !isOutputError(err) {
			_ = r.out.StreamStatus(p.desc, protocol.StreamIncomplete)
		}
		return err
	}
	if err := s.setRunning(); err != nil {
		return err
	}
	if err := r.out.StreamStatus(p.desc, protocol.StreamComplete); err != nil {
		return &outputError{err}
	}
	r.log.Info(summary(p.desc.String(), s.total, time.Since(start)))
	return nil
}

// read picks the way the stream is read from its mode, key and state.
func (s *streamRun) read(ctx context.Context) error {
	p, saved := s.p, s.p.saved
	if !p.incremental() {
		if len(p.key) > 0 {
			s.resumeKey(saved)
			if err := s.readByKey(ctx); err != nil {
				return err
			}
		} else if err := s.readOnePass(ctx); err != nil {
			return err
		}
		return s.checkpoint(&state.Stream{Done: true})
	}
	var cur *state.Cursor
	if saved != nil && saved.Cursor != nil {
		cur = saved.Cursor
		if cur.Field != "" && cur.Field != p.cursor.Name {
			s.r.log.Warn("the cursor changed since the saved state: reading the stream from the beginning", "stream", p.desc.String(), "saved_cursor", cur.Field, "cursor", p.cursor.Name)
			cur = nil
		}
	}
	switch {
	case cur != nil && cur.Value != nil && !saved.InProgress():
		if err := s.readByCursor(ctx, cur); err != nil {
			return err
		}
	case len(p.key) > 0:
		// The first sync (or one resumed mid-way): read by key, then hand
		// over to the cursor position taken when the read began.
		if cur != nil && saved.InProgress() {
			s.target = cur
			s.resumeKey(saved)
		}
		if err := s.readByKey(ctx); err != nil {
			return err
		}
	default:
		if err := s.readByCursor(ctx, nil); err != nil {
			return err
		}
	}
	return s.checkpoint(&state.Stream{Cursor: s.cursorState()})
}

// resumeKey restores the key position of a read by key in progress.
func (s *streamRun) resumeKey(saved *state.Stream) {
	if saved == nil || !saved.InProgress() {
		return
	}
	names := make([]string, len(s.p.key))
	for i, c := range s.p.key {
		names[i] = c.Name
	}
	if !slices.Equal(names, saved.KeyNames) {
		s.r.log.Warn("the saved position is for another key: reading the stream from the beginning", "stream", s.p.desc.String())
		return
	}
	for i, c := range s.p.key {
		v, err := rowcodec.ParseStateString(c, saved.KeyValues[i])
		if err != nil {
			s.r.log.Warn("the saved position cannot be read: reading the stream from the beginning", "stream", s.p.desc.String(), "error", err.Error())
			s.hasPos = false
			return
		}
		s.pos[i] = append(s.pos[i][:0], v...)
	}
	s.hasPos = true
	s.r.log.Info("resuming " + s.p.desc.String() + " after the saved key position")
}

// readByKey reads the table in key chunks, with a STATE after each chunk.
func (s *streamRun) readByKey(ctx context.Context) error {
	p := s.p
	plan := &snapshot.Plan{Database: s.r.cfg.Database, Table: p.table.Name, Columns: p.cols, Key: p.key, Lower: s.lower, Upper: s.upper}
	limit := s.r.cfg.ChunkSize
	return s.retry(ctx, func() bool { return true }, func(ctx context.Context) error {
		return s.r.inSnapshot(ctx, func(conn *sql.Conn) error {
			s.noteSnapshot()
			if p.incremental() && s.target == nil {
				t, err := s.takeTarget(ctx, conn)
				if err != nil {
					return err
				}
				s.target = t
			}
			for {
				var after [][]byte
				if s.hasPos {
					after = s.pos
				}
				q, args, err := plan.Query(after, limit)
				if err != nil {
					return err
				}
				n, err := query.Scan(ctx, conn, q, args, len(p.cols), s.row)
				if err != nil {
					return err
				}
				if n > 0 {
					if err := s.checkpoint(s.keyState()); err != nil {
						return err
					}
				}
				if n < int64(limit) {
					return nil
				}
			}
		})
	})
}

// noteSnapshot keeps the binary log position of the first snapshot
// transaction of a CDC stream: changes before it are in the snapshot.
func (s *streamRun) noteSnapshot() {
	if c := s.r.cdc; c != nil && s.p.cdc && s.since == nil && !c.snapshotPos.IsZero() {
		pos := c.snapshotPos
		s.since = &pos
	}
}

// takeTarget reads the cursor position an incremental read by key hands
// over to: the greatest cursor value now, with the count and key
// fingerprint of its rows, in the same snapshot as the chunks.
func (s *streamRun) takeTarget(ctx context.Context, conn *sql.Conn) (*state.Cursor, error) {
	p := s.p
	db := s.r.cfg.Database
	v, err := cursor.Max(ctx, conn, db, p.table.Name, p.cursor)
	if err != nil {
		return nil, err
	}
	t := &state.Cursor{Field: p.cursor.Name}
	if v == nil {
		return t, nil
	}
	n, sum, err := cursor.Stats(ctx, conn, db, p.table.Name, p.cursor, p.key, v)
	if err != nil {
		return nil, err
	}
	str := rowcodec.StateString(p.cursor, v)
	t.Value, t.Count, t.Fingerprint = &str, n, cursor.FormatFingerprint(sum)
	return t, nil
}

// readOnePass reads a table without a key in one query. It cannot resume
// mid-table, so it is retried only before its first row.
func (s *streamRun) readOnePass(ctx context.Context) error {
	plan := &snapshot.Plan{Database: s.r.cfg.Database, Table: s.p.table.Name, Columns: s.p.cols}
	q, _, _ := plan.Query(nil, 0)
	return s.retry(ctx, func() bool { return s.total == 0 }, func(ctx context.Context) error {
		return s.r.inSnapshot(ctx, func(conn *sql.Conn) error {
			s.noteSnapshot()
			_, err := query.Scan(ctx, conn, q, nil, len(s.p.cols), s.row)
			return err
		})
	})
}

// readByCursor reads the rows after a saved cursor position (all rows when
// from is nil), ordered by cursor then key, with a STATE every checkpoint
// interval. See package cursor for how rows at the boundary are kept.
func (s *streamRun) readByCursor(ctx context.Context, from *state.Cursor) error {
	p := s.p
	db := s.r.cfg.Database
	plan := &cursor.Plan{Database: db, Table: p.table.Name, Columns: p.cols, Cursor: p.cursor, Key: p.key}
	var fromText []byte
	inclusive := false
	if from != nil && from.Value != nil {
		v, err := rowcodec.ParseStateString(p.cursor, *from.Value)
		if err != nil {
			return protocol.ConfigError(err, "the saved cursor value cannot be read as column %q (%s): reset the stream", p.cursor.Name, p.cursor.ColumnType)
		}
		fromText = v
	}
	s.tracking = true
	s.lastState = time.Now()
	decided := false
	resumable := func() bool { return len(p.key) > 0 || !s.lastNull || s.total == 0 }
	return s.retry(ctx, resumable, func(ctx context.Context) error {
		return s.r.inSnapshot(ctx, func(conn *sql.Conn) error {
			if fromText != nil && !decided {
				n, sum, err := cursor.Stats(ctx, conn, db, p.table.Name, p.cursor, p.key, fromText)
				if err != nil {
					return err
				}
				same := n == from.Count
				if from.Fingerprint != "" && len(p.key) > 0 {
					same = same && cursor.FormatFingerprint(sum) == from.Fingerprint
				}
				inclusive = !same
				if inclusive {
					s.r.log.Info("rows were added at the saved cursor value since the last sync: re-reading the rows at that value", "stream", p.desc.String())
					s.boundary.Set(fromText, 0, 0) // the rows at the value are counted again as they are read
				} else {
					s.boundary.Set(fromText, n, sum)
				}
				decided = true
			}
			var q string
			var args []any
			var err error
			switch {
			case s.total > 0 && len(p.key) > 0:
				q, args, err = plan.Query(s.last, s.lastNull, false, s.pos)
			case s.total > 0:
				q, args, err = plan.Query(s.last, false, true, nil)
			default:
				q, args, err = plan.Query(fromText, false, inclusive, nil)
			}
			if err != nil {
				return err
			}
			_, err = query.Scan(ctx, conn, q, args, len(p.cols), s.row)
			return err
		})
	})
}

// row emits one record. values holds len(p.cols) text values.
func (s *streamRun) row(values [][]byte) error {
	if !s.running {
		if err := s.setRunning(); err != nil {
			return err
		}
	}
	// The clock is read every 64 rows: emitted_at has millisecond
	// resolution and reading it per row costs more than encoding a number.
	if s.total&63 == 0 {
		s.now = time.Now()
		if s.total > 0 && s.prog.due(s.now) {
			s.r.log.Info(s.prog.line(s.p.desc.String(), s.total, s.p.table.RowEstimate, s.now))
		}
	}
	if s.proto != nil {
		if err := s.protoRecord(values); err != nil {
			return err
		}
	} else if c := s.r.cdc; c == nil || s.p.meta == 0 {
		s.buf = s.enc.AppendObject(s.buf[:0], values)
	} else {
		c.cursor++
		pos := c.shared.Position
		if s.since != nil {
			pos = *s.since
		}
		buf := append(s.buf[:0], '{')
		buf = s.enc.AppendFields(buf, values)
		buf = appendMeta(buf, s.p.meta, s.enc.Len() == 0, c.updatedAt, false, c.meta.quotedFile(pos.File), pos.Pos, c.cursor)
		s.buf = append(buf, '}')
	}
	if c := s.r.cdc; c != nil {
		c.sinceState++
	}
	if s.proto == nil {
		if err := s.r.out.records().WriteRecord(s.prefix, s.now.UnixMilli(), s.buf, s.enc.Changes()); err != nil {
			return &outputError{err}
		}
	}
	s.sinceState++
	s.total++
	s.progress = true
	for i, k := range s.p.keyIdx {
		s.pos[i] = append(s.pos[i][:0], values[k]...)
	}
	s.hasPos = len(s.pos) > 0
	if !s.tracking {
		return nil
	}
	cur := values[s.p.cursorIdx]
	s.last = append(s.last[:0], cur...)
	s.lastNull = cur == nil
	s.boundary.Observe(cur, s.pos)
	if s.total&63 == 0 && s.now.Sub(s.lastState) >= s.r.cfg.CheckpointInterval {
		return s.checkpoint(&state.Stream{Cursor: s.cursorState()})
	}
	return nil
}

func (s *streamRun) setRunning() error {
	if s.running {
		return nil
	}
	s.running = true
	if s.split != nil && !s.split.markRunning() {
		return nil
	}
	if err := s.r.out.StreamStatus(s.p.desc, protocol.StreamRunning); err != nil {
		return &outputError{err}
	}
	return nil
}

// keyState is the state of a read by key after the last emitted row.
func (s *streamRun) keyState() *state.Stream {
	st := &state.Stream{Cursor: s.target}
	for i, c := range s.p.key {
		st.KeyNames = append(st.KeyNames, c.Name)
		st.KeyValues = append(st.KeyValues, rowcodec.StateString(c, s.pos[i]))
	}
	return st
}

// cursorState is the cursor position after the last emitted row: the
// boundary seen while reading by cursor, or the target of a read by key.
func (s *streamRun) cursorState() *state.Cursor {
	if !s.tracking && s.target != nil {
		return s.target
	}
	c := &state.Cursor{Field: s.p.cursor.Name}
	v := s.boundary.Value()
	if v == nil {
		return c
	}
	str := rowcodec.StateString(s.p.cursor, v)
	c.Value, c.Count = &str, s.boundary.Count()
	if len(s.p.key) > 0 {
		c.Fingerprint = s.boundary.Fingerprint()
	}
	return c
}

// checkpoint writes a STATE with the records since the previous one and
// flushes stdout.
func (s *streamRun) checkpoint(st *state.Stream) error {
	if err := s.setRunning(); err != nil {
		return err
	}
	if s.split != nil {
		if err := s.splitCheckpoint(st); err != nil {
			return err
		}
		s.sinceState = 0
		s.lastState = time.Now()
		return nil
	}
	st.Name = s.p.desc.Name
	st.Namespace = s.r.cfg.Database
	if s.r.cdc != nil {
		s.state = st
		if err := s.r.globalState(); err != nil {
			return err
		}
		s.sinceState = 0
		s.lastState = time.Now()
		return nil
	}
	msg := &protocol.StateMessage{
		Type:        protocol.StateStream,
		Stream:      &protocol.StreamState{StreamDescriptor: s.p.desc, StreamState: st.Marshal()},
		SourceStats: protocol.NewStateStats(s.sinceState),
	}
	if err := s.r.out.State(msg, s.partition); err != nil {
		return &outputError{err}
	}
	s.sinceState = 0
	s.lastState = time.Now()
	return nil
}

// retry runs attempt until it succeeds, retrying transient database errors
// with backoff while canResume allows. Attempts that emitted rows reset the
// failure count, so a long table survives occasional blips.
func (s *streamRun) retry(ctx context.Context, canResume func() bool, attempt func(ctx context.Context) error) error {
	failures := 0
	for {
		s.progress = false
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isOutputError(err) {
			return err
		}
		table := s.p.table.Name
		if !dbconn.IsTransient(err) {
			return classifyQueryError(err, s.r.cfg, "read table "+table)
		}
		if s.progress {
			failures = 0
		}
		failures++
		if !canResume() {
			return protocol.TransientError(err, "lost the connection while reading table %s, which has no key to resume from; the next attempt reads it again", table)
		}
		if failures > s.r.cfg.MaxRetries {
			return protocol.TransientError(err, "reading table %s failed %d times in a row with transient errors", table, failures)
		}
		wait := s.r.src.Backoff(failures)
		s.r.log.Warn(fmt.Sprintf("transient error reading table %s; retrying in %s from the last row read", table, wait), "attempt", failures, "error", err.Error())
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

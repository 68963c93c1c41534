package source

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/query"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/state"
)

// splitRun is a full refresh of one table read as key ranges in parallel
// (socket mode): each range is a partition, read by its own worker on its
// own socket, with its own position in the stream's state.
//
// Every STATE of the stream carries the position of every range as of
// that range's last checkpoint, and ids are given under the same lock as
// the content, so the state with id k holds only positions checkpointed
// by states 1..k. The destination releases a stream's states in id order,
// so the last released state never claims rows that are not durable; a
// resumed read restarts each range from its saved position.
type splitRun struct {
	p *streamPlan

	mu      sync.Mutex
	ranges  []state.Range
	left    int // ranges not done
	started bool
	running bool
	ended   bool
	total   int64
	start   time.Time
}

// splittable reports whether a plan can be read as key ranges: a full
// refresh whose key is one integer column.
func (p *streamPlan) splittable() bool {
	if p.incremental() || p.cdc || len(p.key) != 1 {
		return false
	}
	if p.saved != nil && p.saved.InProgress() {
		return false // resume the single read where it stopped
	}
	return p.key[0].Kind == column.KindInt
}

// planSplit returns how the plan's table is read in n parallel ranges, or
// nil when it is read as one partition: a saved split read resumes its
// ranges; otherwise a table whose key spans at least two chunks per range
// is cut into n ranges of equal key span.
func (r *reader) planSplit(ctx context.Context, p *streamPlan, n int) (*splitRun, error) {
	if !p.splittable() {
		return nil, nil
	}
	names := []string{p.key[0].Name}
	if saved := p.saved; saved != nil && saved.Split() {
		if slices.Equal(saved.KeyNames, names) {
			sr := &splitRun{p: p, ranges: slices.Clone(saved.Ranges)}
			for _, rg := range sr.ranges {
				if !rg.Done {
					sr.left++
				}
			}
			if sr.left > 0 {
				r.log.Info(fmt.Sprintf("resuming %s: %d of %d key ranges left", p.desc.String(), sr.left, len(sr.ranges)))
				return sr, nil
			}
		}
		r.log.Warn("the saved key ranges do not match the table's key: reading the stream from the beginning", "stream", p.desc.String())
	}
	if n < 2 {
		return nil, nil
	}
	k := p.key[0]
	col := column.QuoteIdent(k.Name)
	q := "SELECT MIN(" + col + "), MAX(" + col + ") FROM " + column.QuoteIdent(r.cfg.Database) + "." + column.QuoteIdent(p.table.Name)
	var lo, hi []byte
	_, err := query.Scan(ctx, r.db, q, nil, 2, func(v [][]byte) error {
		lo, hi = slices.Clone(v[0]), slices.Clone(v[1])
		return nil
	})
	if err != nil {
		return nil, classifyQueryError(err, r.cfg, "read the key range of table "+p.table.Name)
	}
	if lo == nil || hi == nil {
		return nil, nil
	}
	min, err1 := strconv.ParseInt(string(lo), 10, 64)
	max, err2 := strconv.ParseInt(string(hi), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	span := uint64(max - min) // the difference of two int64 fits in uint64
	if span < uint64(n)*2*uint64(r.cfg.ChunkSize) {
		return nil, nil
	}
	step := span / uint64(n)
	sr := &splitRun{p: p, left: n}
	var prev *string
	for i := 1; i <= n; i++ {
		var upper *string
		if i < n {
			b := strconv.FormatInt(int64(uint64(min)+uint64(i)*step), 10)
			upper = &b
		}
		sr.ranges = append(sr.ranges, state.Range{Lower: prev, Upper: upper})
		prev = upper
	}
	r.log.Info(fmt.Sprintf("reading %s as %d key ranges in parallel (%s from %d to %d)", p.desc.String(), n, k.Name, min, max))
	return sr, nil
}

// readRange reads range i of a split stream with this worker's output.
// The first range to start reports the stream STARTED; the last to finish
// writes the stream's final state and reports it COMPLETE.
func (r *reader) readRange(ctx context.Context, sr *splitRun, i int) error {
	p := sr.p
	sr.mu.Lock()
	first := !sr.started
	sr.started = true
	if first {
		sr.start = time.Now()
	}
	rg := sr.ranges[i]
	sr.mu.Unlock()
	if first {
		if err := r.out.StreamStatus(p.desc, protocol.StreamStarted); err != nil {
			return &outputError{err}
		}
		if err := r.w.Estimate(p.desc, p.table.RowEstimate, p.table.ByteEstimate); err != nil {
			return &outputError{err}
		}
		r.log.Info("reading "+p.desc.String()+": "+p.describe(r.cfg.ChunkSize)+fmt.Sprintf(", %d key ranges in parallel", len(sr.ranges)), "estimated_rows", p.table.RowEstimate)
	}
	s := r.newStreamRun(p)
	s.split, s.rangeIdx = sr, i
	if rg.Lower != nil {
		s.lower = []byte(*rg.Lower)
	}
	if rg.Upper != nil {
		s.upper = []byte(*rg.Upper)
	}
	if rg.KeyValues != nil {
		v, err := parseKeyValues(p, rg.KeyValues)
		if err != nil {
			r.log.Warn("a saved key range position cannot be read: reading the range from its start", "stream", p.desc.String(), "error", err.Error())
		} else {
			s.pos, s.hasPos = v, true
		}
	}
	s.prog = newProgress(r.progressEvery, time.Now())
	err := s.readByKey(ctx)
	if err == nil {
		err = s.checkpoint(&state.Stream{Done: true})
	}
	if err != nil {
		sr.mu.Lock()
		report := !sr.ended && !isOutputError(err)
		sr.ended = true
		sr.mu.Unlock()
		if report {
			_ = r.out.StreamStatus(p.desc, protocol.StreamIncomplete)
		}
		return err
	}
	sr.mu.Lock()
	sr.total += s.total
	last := sr.left == 0 && !sr.ended
	if last {
		sr.ended = true
	}
	total, start := sr.total, sr.start
	sr.mu.Unlock()
	if last {
		if err := s.setRunning(); err != nil {
			return err
		}
		if err := r.out.StreamStatus(p.desc, protocol.StreamComplete); err != nil {
			return &outputError{err}
		}
		r.log.Info(summary(p.desc.String(), total, time.Since(start)))
	}
	return nil
}

// parseKeyValues reads a saved key position in state form.
func parseKeyValues(p *streamPlan, vals []string) ([][]byte, error) {
	out := make([][]byte, len(p.key))
	for i, c := range p.key {
		v, err := rowcodec.ParseStateString(c, vals[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// splitCheckpoint writes the state of a range's progress: st is the
// range's own state (a key position, or Done at its end). Under the
// split's lock it records the position, builds the stream state from
// every range's last position and numbers it, so that state ids follow
// the order of their content; it writes it after the lock. The range that
// finishes last writes the final state of the full refresh instead.
func (s *streamRun) splitCheckpoint(st *state.Stream) error {
	msg := s.splitState(st)
	// Written outside the lock: a range whose socket is slow to drain must
	// not hold up the checkpoints of the other ranges (the destination
	// orders states by id, whatever socket they come on).
	if err := s.r.out.State(msg, s.partition); err != nil {
		return &outputError{err}
	}
	return nil
}

// splitState records st as the range's position and returns the stream's
// state, numbered under the same lock as its content was built.
func (s *streamRun) splitState(st *state.Stream) *protocol.StateMessage {
	sr := s.split
	sr.mu.Lock()
	defer sr.mu.Unlock()
	rg := &sr.ranges[s.rangeIdx]
	full := &state.Stream{Name: s.p.desc.Name, Namespace: s.r.cfg.Database, KeyNames: []string{s.p.key[0].Name}}
	if st.Done {
		if !rg.Done {
			rg.Done = true
			sr.left--
		}
		rg.KeyValues = nil
		if sr.left == 0 {
			full = &state.Stream{Name: s.p.desc.Name, Namespace: s.r.cfg.Database, Done: true}
		}
	} else {
		rg.KeyValues = st.KeyValues
	}
	if !full.Done {
		full.Ranges = slices.Clone(sr.ranges)
	}
	msg := &protocol.StateMessage{
		Type:        protocol.StateStream,
		Stream:      &protocol.StreamState{StreamDescriptor: s.p.desc, StreamState: full.Marshal()},
		SourceStats: protocol.NewStateStats(s.sinceState),
	}
	if s.r.out.socket() {
		id := s.r.out.ids.next(msg)
		msg.ID = &id
	}
	return msg
}

// markRunning reports whether the caller is the first range to report the
// stream RUNNING.
func (sr *splitRun) markRunning() bool {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	first := !sr.running
	sr.running = true
	return first
}

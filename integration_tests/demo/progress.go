package demo

import (
	"bytes"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
)

// Stream statuses as the progress display shows them.
const (
	StatusWaiting    = "waiting"
	StatusStarted    = "started"
	StatusRunning    = "running"
	StatusComplete   = "complete"
	StatusIncomplete = "incomplete"
)

// StreamStats is the progress of one stream, built from the messages that
// flow through the pipe: STREAM_STATUS and ESTIMATE traces, RECORDs
// (counted, not decoded), the source's STATEs and the destination's acks.
type StreamStats struct {
	Name      string
	Namespace string
	Status    string
	// Estimate is the source's row estimate (0 if none was sent).
	Estimate int64
	// Rows and Bytes count the RECORD lines read from the source.
	Rows, Bytes int64
	// SourceStateRows sums sourceStats.recordCount of the stream's states.
	SourceStateRows int64
	// CommittedRows and CommittedBytes count the records covered by states
	// the destination acknowledged (durably in S3).
	CommittedRows, CommittedBytes int64
	// DestinationRows sums destinationStats.recordCount of the acks.
	DestinationRows int64
	States, Acks    int
	// Started is when STARTED arrived; Completed when COMPLETE or
	// INCOMPLETE arrived; Committed when the last state the source sent
	// for the stream was acknowledged.
	Started, Completed, Committed time.Time
}

// Seconds is the time the source spent on the stream, from STARTED to
// COMPLETE (or until now while it runs). The destination writes while the
// source reads; its acks for all streams can come as late as the end of
// the input, when it completes its open files.
func (s *StreamStats) Seconds(now time.Time) float64 {
	if s.Started.IsZero() {
		return 0
	}
	end := now
	if !s.Completed.IsZero() {
		end = s.Completed
	}
	return end.Sub(s.Started).Seconds()
}

// RowsPerSecond is the stream's read rate.
func (s *StreamStats) RowsPerSecond(now time.Time) float64 {
	end := now
	if !s.Completed.IsZero() {
		end = s.Completed
	}
	d := end.Sub(s.Started).Seconds()
	if s.Started.IsZero() || d <= 0 {
		return 0
	}
	return float64(s.Rows) / d
}

type stream struct {
	StreamStats
	// rows and bytes read since the stream's previous state.
	pendingRows, pendingBytes int64
	lastStateID               int64
}

// sentState is a state the platform forwarded, with what it covers.
type sentState struct {
	covers []coverage
}

type coverage struct {
	s           *stream
	rows, bytes int64
}

// Progress follows a sync from the lines passing through the platform's
// pipe. Feed it with SourceLine and DestinationLine (safe to call from
// different goroutines); read it with Snapshot.
type Progress struct {
	mu      sync.Mutex
	now     func() time.Time
	start   time.Time
	streams map[string]*stream
	order   []*stream
	// sent[i] is the state with platform id i+1: the harness numbers the
	// source's states 1, 2, ... in the order it forwards them.
	sent []sentState
	// errors are the TRACE ERROR messages of both connectors.
	errors     []string
	lineBytes  int64
	lastPrefix []byte
	lastStream *stream
}

// NewProgress returns a tracker that knows the configured streams up front
// (so waiting streams show too).
func NewProgress(streams []protocol.StreamDescriptor) *Progress {
	p := &Progress{now: time.Now, streams: map[string]*stream{}}
	p.start = p.now()
	for _, d := range streams {
		p.stream(d)
	}
	return p
}

func (p *Progress) stream(d protocol.StreamDescriptor) *stream {
	key := d.String()
	s := p.streams[key]
	if s == nil {
		s = &stream{StreamStats: StreamStats{Name: d.Name, Namespace: d.Namespace, Status: StatusWaiting}}
		p.streams[key] = s
		p.order = append(p.order, s)
	}
	return s
}

var emittedAtKey = []byte(`,"emitted_at":`)

// SourceLine accounts for one line the source printed.
func (p *Progress) SourceLine(line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lineBytes += int64(len(line)) + 1
	if bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) {
		s := p.recordStream(line)
		if s != nil {
			s.Rows++
			s.Bytes += int64(len(line)) + 1
			s.pendingRows++
			s.pendingBytes += int64(len(line)) + 1
		}
		return
	}
	var m protocol.Message
	if err := json.Unmarshal(line, &m); err != nil {
		return
	}
	switch {
	case m.Type == protocol.TypeRecord && m.Record != nil:
		// A RECORD in an unexpected key order: slow path.
		s := p.stream(protocol.StreamDescriptor{Name: m.Record.Stream, Namespace: m.Record.Namespace})
		s.Rows++
		s.Bytes += int64(len(line)) + 1
		s.pendingRows++
		s.pendingBytes += int64(len(line)) + 1
	case m.Type == protocol.TypeState && m.State != nil:
		p.sourceState(m.State)
	case m.Type == protocol.TypeTrace && m.Trace != nil:
		p.trace(m.Trace)
	}
}

// recordStream finds a RECORD's stream from the constant envelope start
// the connectors write ({"type":"RECORD","record":{"namespace":..,"stream":..,"emitted_at":),
// decoding it only when it differs from the previous record's.
func (p *Progress) recordStream(line []byte) *stream {
	head := line[:min(len(line), 1024)]
	i := bytes.Index(head, emittedAtKey)
	if i < 0 {
		return p.decodeRecordStream(line)
	}
	prefix := head[:i]
	if p.lastStream != nil && bytes.Equal(prefix, p.lastPrefix) {
		return p.lastStream
	}
	var env struct {
		Record struct {
			Stream    string `json:"stream"`
			Namespace string `json:"namespace"`
		} `json:"record"`
	}
	if err := json.Unmarshal(append(append([]byte(nil), prefix...), "}}"...), &env); err != nil || env.Record.Stream == "" {
		return p.decodeRecordStream(line)
	}
	p.lastPrefix = append(p.lastPrefix[:0], prefix...)
	p.lastStream = p.stream(protocol.StreamDescriptor{Name: env.Record.Stream, Namespace: env.Record.Namespace})
	return p.lastStream
}

func (p *Progress) decodeRecordStream(line []byte) *stream {
	var m protocol.Message
	if err := json.Unmarshal(line, &m); err != nil || m.Record == nil {
		return nil
	}
	return p.stream(protocol.StreamDescriptor{Name: m.Record.Stream, Namespace: m.Record.Namespace})
}

func (p *Progress) sourceState(st *protocol.StateMessage) {
	var covered []*stream
	switch {
	case st.Type == protocol.StateGlobal && st.Global != nil:
		// A global state covers every stream's records since the previous one.
		covered = p.order
	case st.Stream != nil:
		covered = []*stream{p.stream(st.Stream.StreamDescriptor)}
	}
	id := int64(len(p.sent) + 1)
	var sent sentState
	for _, s := range covered {
		sent.covers = append(sent.covers, coverage{s: s, rows: s.pendingRows, bytes: s.pendingBytes})
		s.pendingRows, s.pendingBytes = 0, 0
		s.States++
		s.lastStateID = id
	}
	if st.Stream != nil && st.SourceStats != nil && st.SourceStats.RecordCount != nil {
		covered[0].SourceStateRows += st.SourceStats.RecordCount.Int()
	}
	p.sent = append(p.sent, sent)
}

func (p *Progress) trace(t *protocol.TraceMessage) {
	now := p.now()
	switch t.Type {
	case protocol.TraceStreamStatus:
		if t.StreamStatus == nil {
			return
		}
		s := p.stream(t.StreamStatus.StreamDescriptor)
		switch t.StreamStatus.Status {
		case protocol.StreamStarted:
			s.Status, s.Started = StatusStarted, now
		case protocol.StreamRunning:
			if s.Started.IsZero() {
				s.Started = now
			}
			s.Status = StatusRunning
		case protocol.StreamComplete:
			s.Status, s.Completed = StatusComplete, now
		case protocol.StreamIncomplete:
			s.Status, s.Completed = StatusIncomplete, now
		}
	case protocol.TraceEstimate:
		if e := t.Estimate; e != nil && e.Type == protocol.EstimateStream && e.RowEstimate != nil {
			p.stream(protocol.StreamDescriptor{Name: e.Name, Namespace: e.Namespace}).Estimate = *e.RowEstimate
		}
	case protocol.TraceError:
		if t.Error != nil {
			msg := t.Error.Message
			if d := t.Error.StreamDescriptor; d != nil {
				msg = d.String() + ": " + msg
			}
			p.errors = append(p.errors, msg)
		}
	}
}

// DestinationLine accounts for one line the destination printed.
func (p *Progress) DestinationLine(line []byte) {
	var m struct {
		protocol.Message
		ID *int64 `json:"id"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return
	}
	if m.ID == nil && m.Type == protocol.TypeState {
		// The runner puts the platform's id inside the state object, as
		// the platform does (StateWithId.attachIdToStateMessageFromSource).
		var in struct {
			State struct {
				ID *int64 `json:"id"`
			} `json:"state"`
		}
		if json.Unmarshal(line, &in) == nil {
			m.ID = in.State.ID
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case m.Type == protocol.TypeState && m.State != nil && m.ID != nil:
		id := *m.ID
		if id < 1 || id > int64(len(p.sent)) {
			return
		}
		now := p.now()
		for _, c := range p.sent[id-1].covers {
			c.s.CommittedRows += c.rows
			c.s.CommittedBytes += c.bytes
			c.s.Acks++
			if c.s.lastStateID == id {
				c.s.Committed = now
			}
		}
		if st := m.State; st.Stream != nil && st.DestinationStats != nil && st.DestinationStats.RecordCount != nil {
			p.stream(st.Stream.StreamDescriptor).DestinationRows += st.DestinationStats.RecordCount.Int()
		}
	case m.Type == protocol.TypeTrace && m.Trace != nil && m.Trace.Type == protocol.TraceError:
		p.trace(m.Trace)
	}
}

// Snapshot is a consistent copy of the progress.
type Snapshot struct {
	Now     time.Time
	Elapsed time.Duration
	Streams []StreamStats
	// PipedBytes counts every line the source printed.
	PipedBytes int64
	Errors     []string
}

// Snapshot copies the current progress, streams in the order they were
// configured (or first seen).
func (p *Progress) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	s := Snapshot{Now: now, Elapsed: now.Sub(p.start), PipedBytes: p.lineBytes, Errors: append([]string(nil), p.errors...)}
	for _, st := range p.order {
		s.Streams = append(s.Streams, st.StreamStats)
	}
	return s
}

// Totals sums the streams of a snapshot.
func (s Snapshot) Totals() (t StreamStats, complete int) {
	for _, st := range s.Streams {
		t.Rows += st.Rows
		t.Bytes += st.Bytes
		t.CommittedRows += st.CommittedRows
		t.CommittedBytes += st.CommittedBytes
		t.States += st.States
		t.Acks += st.Acks
		if st.Status == StatusComplete {
			complete++
		}
		if !st.Started.IsZero() && (t.Started.IsZero() || st.Started.Before(t.Started)) {
			t.Started = st.Started
		}
	}
	return t, complete
}

// sortedByName returns the streams sorted by name (for summaries).
func sortedByName(ss []StreamStats) []StreamStats {
	out := append([]StreamStats(nil), ss...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

package demo

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// lines returns what a source prints for a stream: STARTED, RUNNING,
// records in chunks with a STATE after each, COMPLETE.
func sourceLines(t *testing.T, ns, name string, chunks ...int) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	d := protocol.StreamDescriptor{Name: name, Namespace: ns}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.StreamStatus(d, protocol.StreamStarted))
	must(w.StreamStatus(d, protocol.StreamRunning))
	p := protocol.NewRecordPrefix(ns, name)
	id := 0
	for _, n := range chunks {
		for range n {
			id++
			must(w.WriteRecord(p, 1, []byte(`{"id":`+strings.Repeat("1", id%5+1)+`}`), nil))
		}
		must(w.State(&protocol.StateMessage{Type: protocol.StateStream,
			Stream:      &protocol.StreamState{StreamDescriptor: d, StreamState: []byte(`{"pk":1}`)},
			SourceStats: protocol.NewStateStats(int64(n))}))
	}
	must(w.StreamStatus(d, protocol.StreamComplete))
	must(w.Flush())
	return bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
}

func TestProgressFromPipe(t *testing.T) {
	store := protocol.StreamDescriptor{Name: "store", Namespace: "radar"}
	product := protocol.StreamDescriptor{Name: "product", Namespace: "radar"}
	p := NewProgress([]protocol.StreamDescriptor{store, product})
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }

	var recordBytes int64
	for _, l := range sourceLines(t, "radar", "store", 3, 2) {
		if bytes.Contains(l, []byte(`"RECORD"`)) {
			recordBytes += int64(len(l)) + 1
		}
		p.SourceLine(l)
		clock = clock.Add(100 * time.Millisecond)
	}
	s := p.Snapshot()
	st := s.Streams[0]
	if st.Name != "store" || st.Status != StatusComplete || st.Rows != 5 || st.SourceStateRows != 5 || st.States != 2 || st.Bytes != recordBytes {
		t.Fatalf("store after the source: %+v (record bytes %d)", st, recordBytes)
	}
	if s.Streams[1].Status != StatusWaiting || s.Streams[1].Rows != 0 {
		t.Errorf("product should still wait: %+v", s.Streams[1])
	}
	if st.CommittedRows != 0 {
		t.Errorf("nothing acknowledged yet, committed %d", st.CommittedRows)
	}

	// The destination acknowledges the first state (platform id 1) only.
	p.DestinationLine([]byte(`{"id":1,"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store","namespace":"radar"},"stream_state":{"pk":1}},"sourceStats":{"recordCount":3.0},"destinationStats":{"recordCount":3.0}}}`))
	st = p.Snapshot().Streams[0]
	if st.CommittedRows != 3 || st.DestinationRows != 3 || st.Acks != 1 || !st.Committed.IsZero() {
		t.Fatalf("after ack 1: %+v", st)
	}
	p.DestinationLine([]byte(`{"id":2,"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store","namespace":"radar"},"stream_state":{"pk":1}},"destinationStats":{"recordCount":2.0}}}`))
	st = p.Snapshot().Streams[0]
	if st.CommittedRows != 5 || st.CommittedBytes != recordBytes || st.Acks != 2 || st.Committed.IsZero() {
		t.Fatalf("after ack 2: %+v", st)
	}
	// An id the platform never sent changes nothing.
	p.DestinationLine([]byte(`{"id":9,"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store","namespace":"radar"}}}}`))
	if got := p.Snapshot().Streams[0].CommittedRows; got != 5 {
		t.Errorf("unknown ack id counted: %d", got)
	}
	if got := st.Seconds(clock); got <= 0 || got > 2 {
		t.Errorf("seconds %v", got)
	}

	// Errors from both sides are collected.
	p.SourceLine([]byte(`{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1.0,"error":{"message":"cannot read","failure_type":"transient_error","stream_descriptor":{"name":"product","namespace":"radar"}}}}`))
	p.DestinationLine([]byte(`{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1.0,"error":{"message":"cannot upload"}}}`))
	if errs := p.Snapshot().Errors; len(errs) != 2 || errs[0] != "radar.product: cannot read" || errs[1] != "cannot upload" {
		t.Errorf("errors: %q", errs)
	}
}

func TestProgressGlobalState(t *testing.T) {
	a := protocol.StreamDescriptor{Name: "a"}
	b := protocol.StreamDescriptor{Name: "b"}
	p := NewProgress([]protocol.StreamDescriptor{a, b})
	for _, l := range [][]byte{
		[]byte(`{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"x":1}}}`),
		[]byte(`{"type":"RECORD","record":{"stream":"b","emitted_at":1,"data":{"x":1}}}`),
		// Another key order takes the slow path.
		[]byte(`{"record":{"data":{"x":2},"stream":"b","emitted_at":1},"type":"RECORD"}`),
		[]byte(`{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{},"stream_states":[]},"sourceStats":{"recordCount":3.0}}}`),
	} {
		p.SourceLine(l)
	}
	p.DestinationLine([]byte(`{"type":"STATE","id":1,"state":{"type":"GLOBAL","global":{"shared_state":{},"stream_states":[]},"destinationStats":{"recordCount":3.0}}}`))
	s := p.Snapshot()
	if s.Streams[0].Rows != 1 || s.Streams[1].Rows != 2 || s.Streams[0].CommittedRows != 1 || s.Streams[1].CommittedRows != 2 {
		t.Errorf("global state: %+v", s.Streams)
	}
	if tot, _ := s.Totals(); tot.Rows != 3 || tot.CommittedRows != 3 {
		t.Errorf("totals %+v", tot)
	}
}

func TestRendererPlain(t *testing.T) {
	p := NewProgress([]protocol.StreamDescriptor{{Name: "store"}, {Name: "product"}})
	var out bytes.Buffer
	r := &Renderer{W: &out}
	for _, l := range sourceLines(t, "", "store", 2) {
		p.SourceLine(l)
	}
	r.Draw(p.Snapshot(), false)
	r.Draw(p.Snapshot(), true)
	got := out.String()
	for _, want := range []string{"store                  started", "store                  complete: 2 rows", "progress: 1/2 streams complete, 2 rows read"} {
		if !strings.Contains(got, want) {
			t.Errorf("plain output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "started") != 1 || strings.Contains(got, "product") || strings.Contains(got, "\x1b") {
		t.Errorf("plain output repeats events, shows waiting streams or has escapes:\n%s", got)
	}
}

func TestRendererTerminal(t *testing.T) {
	p := NewProgress([]protocol.StreamDescriptor{{Name: "store"}, {Name: "product"}})
	var out bytes.Buffer
	r := &Renderer{W: &out, TTY: true}
	r.Draw(p.Snapshot(), false)
	first := out.Len()
	for _, l := range sourceLines(t, "", "store", 2) {
		p.SourceLine(l)
	}
	r.Draw(p.Snapshot(), false)
	second := out.String()[first:]
	// The second frame moves up over the first (header, 2 streams, total).
	if !strings.HasPrefix(second, "\x1b[4A") {
		t.Errorf("second frame does not redraw in place: %q", second[:min(20, len(second))])
	}
	if !strings.Contains(second, "✓ done") || !strings.Contains(second, "· waiting") {
		t.Errorf("frame lacks statuses:\n%s", second)
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 45390: "45,390", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{12: "12 B", 2048: "2.0 KiB", 3 << 20: "3.0 MiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Truncate("brand_metrics_average_x", 10); got != "brand_met…" {
		t.Errorf("Truncate: %q", got)
	}
}

func TestSyncFailure(t *testing.T) {
	done := Snapshot{Streams: []StreamStats{{Name: "store", Status: StatusComplete, States: 2, Acks: 2}}}
	if err := syncFailure(&runner.Result{}, nil, "", done); err != nil {
		t.Errorf("a clean sync failed: %v", err)
	}
	for name, c := range map[string]struct {
		res  runner.Result
		err  error
		logs string
		snap Snapshot
		want []string
	}{
		"runner error with logs": {err: errors.New("the source exited with status 1"), logs: "source      stderr panic: boom\n", snap: done,
			want: []string{"the source exited with status 1", "connector logs:", "panic: boom"}},
		"protocol problem": {res: runner.Result{Problems: []string{"state id 3: the destination counted 2 records"}}, snap: done,
			want: []string{"protocol problem: state id 3"}},
		"incomplete stream": {snap: Snapshot{Streams: []StreamStats{{Name: "vouchers", Status: StatusRunning}}},
			want: []string{"stream vouchers ended running"}},
		"unacknowledged states": {snap: Snapshot{Streams: []StreamStats{{Name: "store", Status: StatusComplete, States: 3, Acks: 2}}},
			want: []string{"store: 2 of 3 states acknowledged"}},
	} {
		err := syncFailure(&c.res, c.err, c.logs, c.snap)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", name, err, w)
			}
		}
	}
	s := StreamResult{Name: "store", TableRows: 10, PipeRows: 10, ParquetRows: 9}
	if got := s.mismatch(); got != "store: 10 rows in MySQL, 10 records through the pipe, 9 rows in Parquet" {
		t.Errorf("mismatch: %q", got)
	}
	s.ParquetRows = 10
	if got := s.mismatch(); got != "" {
		t.Errorf("equal counts reported: %q", got)
	}
}

func TestRendererCutsLinesToTheTerminal(t *testing.T) {
	p := NewProgress([]protocol.StreamDescriptor{{Name: "brand_metrics_average"}})
	var out bytes.Buffer
	r := &Renderer{W: &out, TTY: true, Width: 40}
	r.Draw(p.Snapshot(), false)
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		l = strings.TrimPrefix(strings.TrimPrefix(l, "\x1b[2K"), "\x1b[2K")
		if n := len([]rune(l)); n > 39 {
			t.Errorf("line of %d columns on a 40-column terminal: %q", n, l)
		}
	}
}

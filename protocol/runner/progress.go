package runner

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
)

// streamStats are one stream's counters over the whole run (all
// attempts). Counters the forwarding loop updates per record are atomic so
// that the progress display reads them without a lock.
type streamStats struct {
	desc  protocol.StreamDescriptor
	key   string
	rows  atomic.Int64 // records forwarded
	bytes atomic.Int64 // bytes of the RECORD lines forwarded

	mu          sync.Mutex
	status      string // last STREAM_STATUS (STARTED, RUNNING, COMPLETE, INCOMPLETE)
	estimate    int64
	acked       int64 // records the destination committed (destinationStats)
	objects     int64
	objectBytes int64
	first, last time.Time
}

// tracker holds every stream's stats, in catalog order.
type tracker struct {
	start   time.Time
	mu      sync.Mutex
	streams []*streamStats
	byKey   map[string]*streamStats
}

func newTracker(cat *protocol.ConfiguredCatalog) *tracker {
	t := &tracker{start: time.Now(), byKey: map[string]*streamStats{}}
	for i := range cat.Streams {
		t.stream(cat.Streams[i].Descriptor())
	}
	return t
}

// stream returns the stats of d, adding them on first sight.
func (t *tracker) stream(d protocol.StreamDescriptor) *streamStats {
	key := d.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byKey[key]
	if !ok {
		s = &streamStats{desc: d, key: key}
		t.byKey[key] = s
		t.streams = append(t.streams, s)
	}
	return s
}

// byName finds a stream by its "namespace.name" key, or by its name alone.
func (t *tracker) byName(key string) *streamStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.byKey[key]; ok {
		return s
	}
	for _, s := range t.streams {
		if s.desc.Name == key {
			return s
		}
	}
	return nil
}

func (s *streamStats) touch(now time.Time) {
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = now
	}
	s.last = now
	s.mu.Unlock()
}

// StreamSummary is one stream's line of the run summary.
type StreamSummary struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	// Rows are the records forwarded from the source (over all attempts).
	Rows int64 `json:"rows"`
	// CommittedRows are the records the destination acknowledged.
	CommittedRows int64 `json:"committed_rows"`
	// Bytes are the bytes of the RECORD messages forwarded.
	Bytes int64 `json:"bytes"`
	// Objects and ObjectBytes are what the destination logged as written.
	Objects     int64   `json:"objects"`
	ObjectBytes int64   `json:"object_bytes"`
	Seconds     float64 `json:"seconds"`
}

func (t *tracker) summaries() []StreamSummary {
	t.mu.Lock()
	streams := append([]*streamStats(nil), t.streams...)
	t.mu.Unlock()
	out := make([]StreamSummary, 0, len(streams))
	for _, s := range streams {
		s.mu.Lock()
		ss := StreamSummary{
			Namespace: s.desc.Namespace, Name: s.desc.Name, Status: s.status,
			Rows: s.rows.Load(), CommittedRows: s.acked, Bytes: s.bytes.Load(),
			Objects: s.objects, ObjectBytes: s.objectBytes,
		}
		if !s.first.IsZero() {
			ss.Seconds = s.last.Sub(s.first).Seconds()
		}
		s.mu.Unlock()
		if ss.Status == "" {
			ss.Status = "NOT STARTED"
		}
		out = append(out, ss)
	}
	return out
}

// console serialises what the runner prints on stderr: log lines and the
// progress, which on a terminal is a table redrawn in place.
type console struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	drawn int // lines of the table currently on screen
}

// line prints one log line; on a terminal the table is removed first and
// drawn again at the next tick.
func (c *console) line(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
	io.WriteString(c.w, s+"\n")
}

func (c *console) clear() {
	if c.tty && c.drawn > 0 {
		fmt.Fprintf(c.w, "\x1b[%dA\x1b[J", c.drawn)
		c.drawn = 0
	}
}

// table redraws the progress table (terminal only).
func (c *console) table(lines []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
	for _, l := range lines {
		io.WriteString(c.w, l+"\n")
	}
	c.drawn = len(lines)
}

// keep leaves the last table on screen (the next line prints below it).
func (c *console) keep() {
	c.mu.Lock()
	c.drawn = 0
	c.mu.Unlock()
}

// progressTable renders the live table.
func (t *tracker) progressTable(now time.Time) []string {
	sum := t.summaries()
	lines := []string{fmt.Sprintf("  %-28s %-11s %12s %10s %9s %12s %7s", "stream", "status", "rows", "rows/s", "MiB", "committed", "objects")}
	var rows, committed, objects int64
	var bytes int64
	done := 0
	for _, s := range sum {
		rate := 0.0
		if s.Seconds > 0 {
			rate = float64(s.Rows) / s.Seconds
		}
		lines = append(lines, fmt.Sprintf("  %-28s %-11s %12d %10.0f %9.1f %12d %7d",
			trim(streamLabel(s), 28), strings.ToLower(s.Status), s.Rows, rate, float64(s.Bytes)/(1<<20), s.CommittedRows, s.Objects))
		rows += s.Rows
		committed += s.CommittedRows
		objects += s.Objects
		bytes += s.Bytes
		if s.Status == string(protocol.StreamComplete) {
			done++
		}
	}
	el := now.Sub(t.start).Seconds()
	lines = append(lines, fmt.Sprintf("  %-28s %-11s %12d %10.0f %9.1f %12d %7d",
		fmt.Sprintf("total %d/%d done", done, len(sum)), fmt.Sprintf("%.0fs", el), rows, float64(rows)/max(el, 1e-9), float64(bytes)/(1<<20), committed, objects))
	return lines
}

// progressLine renders the one-line progress for logs.
func (t *tracker) progressLine(now time.Time, prevRows int64, every time.Duration) (string, int64) {
	sum := t.summaries()
	var rows, committed, objects int64
	done := 0
	var active []string
	for _, s := range sum {
		rows += s.Rows
		committed += s.CommittedRows
		objects += s.Objects
		switch s.Status {
		case string(protocol.StreamComplete):
			done++
		case string(protocol.StreamStarted), string(protocol.StreamRunning):
			active = append(active, fmt.Sprintf("%s %d", streamLabel(s), s.Rows))
		}
	}
	sort.Strings(active)
	line := fmt.Sprintf("progress: %d rows (%.0f rows/s), %d committed, %d objects, %d/%d streams complete",
		rows, float64(rows-prevRows)/every.Seconds(), committed, objects, done, len(sum))
	if len(active) > 0 {
		line += "; reading " + strings.Join(active, ", ")
	}
	return line, rows
}

func streamLabel(s StreamSummary) string {
	if s.Namespace == "" {
		return s.Name
	}
	return s.Namespace + "." + s.Name
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// WriteSummary prints the per-stream summary table.
func WriteSummary(w io.Writer, r *Result) {
	fmt.Fprintf(w, "%-32s %-12s %12s %12s %10s %8s %12s %9s\n", "stream", "status", "rows", "committed", "MiB", "objects", "object MiB", "seconds")
	var t StreamSummary
	for _, s := range r.Streams {
		fmt.Fprintf(w, "%-32s %-12s %12d %12d %10.1f %8d %12.1f %9.2f\n", trim(streamLabel(s), 32), strings.ToLower(s.Status),
			s.Rows, s.CommittedRows, float64(s.Bytes)/(1<<20), s.Objects, float64(s.ObjectBytes)/(1<<20), s.Seconds)
		t.Rows += s.Rows
		t.CommittedRows += s.CommittedRows
		t.Bytes += s.Bytes
		t.Objects += s.Objects
		t.ObjectBytes += s.ObjectBytes
	}
	fmt.Fprintf(w, "%-32s %-12s %12d %12d %10.1f %8d %12.1f %9.2f\n", "total", r.Outcome, t.Rows, t.CommittedRows,
		float64(t.Bytes)/(1<<20), t.Objects, float64(t.ObjectBytes)/(1<<20), r.Seconds)
}

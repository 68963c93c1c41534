package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Renderer shows a Progress on a writer: on a terminal a compact table
// redrawn in place, otherwise one line per stream event plus a periodic
// total line.
type Renderer struct {
	W   io.Writer
	TTY bool
	// Interval between redraws (terminal) or total lines (otherwise).
	Interval time.Duration
	// Width is the terminal's width in columns (0 if unknown). Table lines
	// are cut to fit, since a wrapped line would break the redraw.
	Width int

	drawn    int               // lines of the last table drawn
	reported map[string]string // stream -> last status printed (plain mode)
	lastLine time.Time
}

// Run redraws until ctx ends, then draws once more.
func (r *Renderer) Run(ctx context.Context, p *Progress) {
	tick := r.Interval
	if tick <= 0 {
		tick = 200 * time.Millisecond
		if !r.TTY {
			tick = 250 * time.Millisecond
		}
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Draw(p.Snapshot(), true)
			return
		case <-t.C:
			r.Draw(p.Snapshot(), false)
		}
	}
}

// Draw renders one snapshot; final forces the plain mode's total line.
func (r *Renderer) Draw(s Snapshot, final bool) {
	if r.TTY {
		r.drawTable(s)
		return
	}
	r.drawPlain(s, final)
}

func (r *Renderer) drawTable(s Snapshot) {
	var b strings.Builder
	if r.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", r.drawn) // back to the table's first line
	}
	lines := TableLines(s)
	for _, l := range lines {
		if r.Width > 1 {
			l = Truncate(l, r.Width-1)
		}
		b.WriteString("\x1b[2K") // clear the line
		b.WriteString(l)
		b.WriteByte('\n')
	}
	r.drawn = len(lines)
	io.WriteString(r.W, b.String())
}

// TableLines is the live progress table.
func TableLines(s Snapshot) []string {
	// 78 columns: acked counts what the destination committed to S3
	// (the records before each state it acknowledged).
	const head = "  %-21s %-9s %8s %8s %7s %8s %9s"
	lines := []string{fmt.Sprintf(head, "stream", "status", "rows", "rows/s", "MiB", "acked", "acked MiB")}
	for _, st := range s.Streams {
		rows := Thousands(st.Rows)
		if st.Estimate > 0 && st.Status != StatusComplete && st.Status != StatusWaiting {
			rows = fmt.Sprintf("%d%%", min(100, st.Rows*100/st.Estimate))
		}
		lines = append(lines, fmt.Sprintf(head, Truncate(st.Name, 21), statusMark(st.Status), rows,
			rate(st.RowsPerSecond(s.Now)), MiB(st.Bytes), Thousands(st.CommittedRows), MiB(st.CommittedBytes)))
	}
	t, complete := s.Totals()
	rps := 0.0
	if !t.Started.IsZero() {
		if d := s.Now.Sub(t.Started).Seconds(); d > 0 {
			rps = float64(t.Rows) / d
		}
	}
	lines = append(lines, fmt.Sprintf(head, fmt.Sprintf("total %d/%d done", complete, len(s.Streams)),
		fmt.Sprintf("%.1fs", s.Elapsed.Seconds()), Thousands(t.Rows), rate(rps), MiB(t.Bytes), Thousands(t.CommittedRows), MiB(t.CommittedBytes)))
	return lines
}

func statusMark(status string) string {
	switch status {
	case StatusComplete:
		return "✓ done"
	case StatusIncomplete:
		return "✗ failed"
	case StatusRunning, StatusStarted:
		return "▸ " + status
	}
	return "· " + status
}

func (r *Renderer) drawPlain(s Snapshot, final bool) {
	if r.reported == nil {
		r.reported = map[string]string{}
	}
	at := fmt.Sprintf("  %7.1fs  ", s.Elapsed.Seconds())
	for _, st := range s.Streams {
		last := r.reported[st.Name]
		if st.Status == StatusWaiting || st.Status == last {
			continue
		}
		if last == "" {
			fmt.Fprintf(r.W, "%s%-22s started\n", at, st.Name)
		}
		switch st.Status {
		case StatusComplete:
			fmt.Fprintf(r.W, "%s%-22s complete: %s rows, %s MiB read\n", at, st.Name, Thousands(st.Rows), MiB(st.Bytes))
		case StatusIncomplete:
			fmt.Fprintf(r.W, "%s%-22s INCOMPLETE after %s rows\n", at, st.Name, Thousands(st.Rows))
		}
		r.reported[st.Name] = st.Status
		if st.Status == StatusRunning {
			r.reported[st.Name] = StatusStarted // RUNNING after STARTED is no news
		}
	}
	if !final && s.Now.Sub(r.lastLine) < 2*time.Second {
		return
	}
	r.lastLine = s.Now
	t, complete := s.Totals()
	fmt.Fprintf(r.W, "%sprogress: %d/%d streams complete, %s rows read, %s MiB piped, %s rows committed to S3\n",
		at, complete, len(s.Streams), Thousands(t.Rows), MiB(s.PipedBytes), Thousands(t.CommittedRows))
}

// Thousands formats n with thousands separators.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// MiB formats a byte count in MiB with one decimal.
func MiB(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) }

// HumanBytes formats a byte count as B, KiB or MiB.
func HumanBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func rate(r float64) string {
	if r <= 0 {
		return "-"
	}
	return Thousands(int64(r + 0.5))
}

// Truncate shortens s to n runes with an ellipsis.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

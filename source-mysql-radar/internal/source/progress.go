package source

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
)

// ProgressEnv names the environment variable that sets how often a stream
// being read logs its progress: a Go duration ("30s", "1m") or a number of
// seconds; 0 turns the progress lines off.
const ProgressEnv = "RADAR_PROGRESS_INTERVAL"

// DefaultProgressInterval is the interval when ProgressEnv is not set.
const DefaultProgressInterval = 10 * time.Second

// progressInterval reads ProgressEnv.
func progressInterval() (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(ProgressEnv))
	if v == "" {
		return DefaultProgressInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			return 0, protocol.ConfigError(nil, "%s=%q is not a duration (such as 10s or 1m) or a number of seconds", ProgressEnv, v)
		}
		d = time.Duration(n * float64(time.Second))
	}
	if d < 0 {
		return 0, protocol.ConfigError(nil, "%s=%q is negative; use 0 to turn the progress lines off", ProgressEnv, v)
	}
	return d, nil
}

// progress is the progress log of one stream. Its check is called from the
// row hot path only every 64 rows, with the clock read there, so that it
// costs one comparison per 64 rows.
type progress struct {
	every    time.Duration // 0: off
	start    time.Time
	next     time.Time
	lastAt   time.Time
	lastRows int64
}

func newProgress(every time.Duration, now time.Time) progress {
	return progress{every: every, start: now, next: now.Add(every), lastAt: now}
}

// due reports whether a progress line is due at now.
func (p *progress) due(now time.Time) bool {
	return p.every > 0 && !now.Before(p.next)
}

// line returns the progress line after rows rows at now and starts the
// next interval: rows so far, the rate over the last interval and, when
// the table's row count estimate (information_schema TABLE_ROWS) is known,
// the share of it read.
func (p *progress) line(stream string, rows, estimate int64, now time.Time) string {
	rate := perSecond(rows-p.lastRows, now.Sub(p.lastAt))
	p.lastRows, p.lastAt, p.next = rows, now, now.Add(p.every)
	took := now.Sub(p.start)
	if took >= 10*time.Second {
		took = took.Round(time.Second)
	} else {
		took = took.Round(100 * time.Millisecond)
	}
	s := fmt.Sprintf("reading %s: %s rows in %s, %s rows/s", stream, group(rows), took, group(rate))
	switch {
	case estimate <= 0:
	case rows <= estimate:
		s += fmt.Sprintf(", ≈%d%% of ~%s rows", rows*100/estimate, group(estimate))
	default:
		s += fmt.Sprintf(", past the estimate of ~%s rows", group(estimate))
	}
	return s
}

// summary is the one line logged when a stream has been read.
func summary(stream string, rows int64, took time.Duration) string {
	return fmt.Sprintf("read %s: %s rows in %.1fs, %s rows/s", stream, group(rows), took.Seconds(), group(perSecond(rows, took)))
}

func perSecond(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

// group formats n with thousands separators: 1234567 → "1,234,567".
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

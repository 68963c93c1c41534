package source

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

func TestProgressLine(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		rows     int64
		estimate int64
		after    time.Duration
		want     string
	}{
		{"share of the estimate", 1_234_567, 3_000_000, 10 * time.Second, "reading db.t: 1,234,567 rows in 10s, 123,456 rows/s, ≈41% of ~3,000,000 rows"},
		{"no estimate", 640, 0, 20 * time.Second, "reading db.t: 640 rows in 20s, 32 rows/s"},
		{"past the estimate", 5_000, 4_000, 10 * time.Second, "reading db.t: 5,000 rows in 10s, 500 rows/s, past the estimate of ~4,000 rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProgress(10*time.Second, t0)
			now := t0.Add(tc.after)
			if !p.due(now) {
				t.Fatalf("not due after %s", tc.after)
			}
			if got := p.line("db.t", tc.rows, tc.estimate, now); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if p.due(now.Add(9 * time.Second)) {
				t.Error("due again before the next interval")
			}
		})
	}
	// The rate is over the last interval, not since the start.
	p := newProgress(10*time.Second, t0)
	p.line("db.t", 1000, 0, t0.Add(10*time.Second))
	if got, want := p.line("db.t", 1100, 0, t0.Add(20*time.Second)), "reading db.t: 1,100 rows in 20s, 10 rows/s"; got != want {
		t.Errorf("second line %q, want %q", got, want)
	}
	if off := newProgress(0, t0); off.due(t0.Add(time.Hour)) {
		t.Error("interval 0 is due")
	}
}

func TestProgressInterval(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{"", DefaultProgressInterval, false},
		{"30s", 30 * time.Second, false},
		{"2.5", 2500 * time.Millisecond, false},
		{"0", 0, false},
		{"soon", 0, true},
		{"-1s", 0, true},
	} {
		t.Setenv(ProgressEnv, tc.env)
		got, err := progressInterval()
		if tc.bad {
			if protocol.FailureTypeOf(err) != protocol.FailureConfig || !strings.Contains(err.Error(), ProgressEnv) {
				t.Errorf("%q: error %v, want a config error naming %s", tc.env, err, ProgressEnv)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.env, got, err, tc.want)
		}
	}
}

var progressRE = regexp.MustCompile(`^reading (\S+): ([\d,]+) rows in \S+, ([\d,]+) rows/s, ≈(\d+)% of ~([\d,]+) rows$`)

// TestProgressLogs reads a real table with a short progress interval: the
// LOG lines at INFO count up, quote the table's TABLE_ROWS, and the stream
// ends with its one-line summary.
func TestProgressLogs(t *testing.T) {
	const rows = 100_000
	dbName, db := testdb.Database(t, "opslogs_progress",
		"CREATE TABLE big (id int PRIMARY KEY, v varchar(40) NOT NULL)",
		"INSERT INTO big SELECT seq, CONCAT('value number ', seq) FROM seq_1_to_"+strconv.Itoa(rows),
		"ANALYZE TABLE big")
	var estimate int64
	if err := db.QueryRowContext(context.Background(), "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'big'", dbName).Scan(&estimate); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ProgressEnv, "1ms")
	t.Setenv("LOG_LEVEL", "INFO")
	cfg := testdb.Config(dbName, nil)
	cat := catalogFor(t, runInProcess(t, "discover", cfg, nil, nil), nil, nil)
	read := runInProcess(t, "read", cfg, cat, nil)
	checkReadProtocol(t, read, "big")
	if n := len(read.records("big")); n != rows {
		t.Fatalf("%d records, want %d", n, rows)
	}
	var last int64
	var lines int
	var summary string
	for _, m := range read.msgs {
		if m.Type != protocol.TypeLog || m.Log.Level != protocol.LogInfo {
			continue
		}
		if strings.HasPrefix(m.Log.Message, "read "+dbName+".big:") {
			summary = m.Log.Message
		}
		g := progressRE.FindStringSubmatch(m.Log.Message)
		if g == nil {
			continue
		}
		lines++
		n := parseGrouped(t, g[2])
		if g[1] != dbName+".big" || n <= last || n > rows {
			t.Errorf("progress line %q after %d rows", m.Log.Message, last)
		}
		if est := parseGrouped(t, g[5]); est != estimate {
			t.Errorf("progress line %q: estimate %d, want TABLE_ROWS %d", m.Log.Message, est, estimate)
		}
		if pct, _ := strconv.ParseInt(g[4], 10, 64); n <= estimate && pct != n*100/estimate {
			t.Errorf("progress line %q: %d%%, want %d%%", m.Log.Message, pct, n*100/estimate)
		}
		last = n
	}
	if lines < 2 {
		t.Errorf("%d progress lines, want several", lines)
	}
	if !regexp.MustCompile(`^read \S+: 100,000 rows in \d+\.\ds, [\d,]+ rows/s$`).MatchString(summary) {
		t.Errorf("summary line %q", summary)
	}

	// Interval 0: no progress line, the summary stays.
	t.Setenv(ProgressEnv, "0")
	quiet := runInProcess(t, "read", cfg, cat, nil)
	for _, m := range quiet.msgs {
		if m.Type == protocol.TypeLog && progressRE.MatchString(m.Log.Message) {
			t.Errorf("progress line with the interval 0: %q", m.Log.Message)
		}
	}
}

func parseGrouped(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

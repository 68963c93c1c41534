package bench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Summary aggregates the repetitions of one stage on one table: medians of
// times and rates, the largest peak RSS.
type Summary struct {
	Table  string
	Stage  Stage
	Runs   int
	Failed int
	Errors []string
	Rows   int64
	// Wall is the median wall time; RowsPerSec is Rows over it.
	Wall       time.Duration
	RowsPerSec float64
	// MBPerSecData and MBPerSecTSV are source bytes (InnoDB data_length,
	// TSV dump size) over the median wall time, in MB (10^6) per second.
	MBPerSecData float64
	MBPerSecTSV  float64
	// CPUPerMRows is each process's median CPU seconds per million rows.
	CPUPerMRows map[string]float64
	// ServerCPUPerMRows and S3CPUPerMRows are mariadbd's and the S3
	// server's (NaN when unknown).
	ServerCPUPerMRows float64
	S3CPUPerMRows     float64
	// MaxRSS is each process's largest peak RSS over the repetitions.
	MaxRSS map[string]int64
	// Output (median over the repetitions).
	OutputBytes int64
	Objects     int
	RowGroups   int
	// Walls lists every repetition's wall time, in run order.
	Walls []time.Duration
	// Disturbed counts the runs left out because the rest of the machine
	// disturbed them (they were repeated).
	Disturbed int
	// OthersCores is the median CPU the rest of the machine used during a
	// repetition, over its wall time (NaN when unknown).
	OthersCores float64
}

// Summarize groups measurements by table and stage, in the order of
// tables and Stages.
func Summarize(ms []Measurement, tables []TableInfo) []Summary {
	type key struct {
		table string
		stage Stage
	}
	groups := map[key][]Measurement{}
	for _, m := range ms {
		k := key{m.Table, m.Stage}
		groups[k] = append(groups[k], m)
	}
	var out []Summary
	for _, t := range tables {
		for _, st := range Stages {
			g := groups[key{t.Name, st}]
			if len(g) == 0 {
				continue
			}
			out = append(out, summarize(t, st, g))
		}
	}
	return out
}

func summarize(t TableInfo, st Stage, g []Measurement) Summary {
	s := Summary{Table: t.Name, Stage: st, Rows: t.Rows, CPUPerMRows: map[string]float64{}, MaxRSS: map[string]int64{},
		ServerCPUPerMRows: math.NaN(), S3CPUPerMRows: math.NaN(), OthersCores: math.NaN()}
	var others []float64
	undisturbed := 0
	for _, m := range g {
		if m.Err == "" && !m.Disturbed {
			undisturbed++
		}
	}
	var walls []float64
	cpu := map[string][]float64{}
	var server, s3, outBytes, objects, groups []float64
	for _, m := range g {
		s.Runs++
		if m.Err != "" {
			s.Failed++
			s.Errors = append(s.Errors, m.Err)
			continue
		}
		if m.Disturbed && undisturbed > 0 {
			s.Disturbed++
			continue
		}
		s.Walls = append(s.Walls, m.Wall)
		walls = append(walls, m.Wall.Seconds())
		perM := 1e6 / float64(max(m.Rows, 1))
		for _, p := range m.Procs {
			cpu[p.Name] = append(cpu[p.Name], p.CPU.Seconds()*perM)
			s.MaxRSS[p.Name] = max(s.MaxRSS[p.Name], p.MaxRSS)
		}
		if m.ServerCPU >= 0 {
			server = append(server, m.ServerCPU.Seconds()*perM)
		}
		if c := m.OthersCores(); c >= 0 {
			others = append(others, c)
		}
		writes := st == StageDestination || st == StagePipe || SocketStages[st] > 0
		if m.S3CPU >= 0 && writes {
			s3 = append(s3, m.S3CPU.Seconds()*perM)
		}
		if writes {
			outBytes = append(outBytes, float64(m.OutputBytes))
			objects = append(objects, float64(m.Objects))
			groups = append(groups, float64(m.RowGroups))
		}
	}
	if len(walls) == 0 {
		return s
	}
	w := Median(walls)
	s.Wall = time.Duration(w * float64(time.Second))
	s.RowsPerSec = float64(t.Rows) / w
	s.MBPerSecData = float64(t.Size.DataLength) / w / 1e6
	s.MBPerSecTSV = float64(t.TSVBytes) / w / 1e6
	for name, v := range cpu {
		s.CPUPerMRows[name] = Median(v)
	}
	if len(server) > 0 {
		s.ServerCPUPerMRows = Median(server)
	}
	if len(others) > 0 {
		s.OthersCores = Median(others)
	}
	if len(s3) > 0 {
		s.S3CPUPerMRows = Median(s3)
	}
	if len(outBytes) > 0 {
		s.OutputBytes = int64(Median(outBytes))
		s.Objects = int(Median(objects))
		s.RowGroups = int(Median(groups))
	}
	return s
}

// BusyCores is the median CPU of every process the stage involved (ours,
// mariadbd, the S3 server) over the median wall time.
func (s *Summary) BusyCores() float64 {
	if s.Wall <= 0 {
		return 0
	}
	cpu := 0.0
	for _, v := range s.CPUPerMRows {
		cpu += v
	}
	for _, v := range []float64{s.ServerCPUPerMRows, s.S3CPUPerMRows} {
		if !math.IsNaN(v) {
			cpu += v
		}
	}
	return cpu * float64(s.Rows) / 1e6 / s.Wall.Seconds()
}

// Median returns the median of v (the mean of the middle two for an even
// count); NaN for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Find returns the summary of a table and stage (nil if none).
func Find(ss []Summary, table string, st Stage) *Summary {
	for i := range ss {
		if ss[i].Table == table && ss[i].Stage == st {
			return &ss[i]
		}
	}
	return nil
}

// Target is one of the goals, evaluated.
type Target struct {
	Name     string
	Want     string
	Got      string
	Pass     bool
	Measured bool
	rate     float64 // the best value seen, while choosing among stages
}

// RSSLimit is the peak RSS target per connector process.
const RSSLimit = 150 << 20

// Targets evaluates the targets on the summaries.
func Targets(ss []Summary, tables []TableInfo) []Target {
	var out []Target
	ratio := func(name, table string, num, den Stage, min float64) {
		t := Target{Name: name, Want: fmt.Sprintf("≥ %.0f %%", min*100)}
		a, b := Find(ss, table, num), Find(ss, table, den)
		if a != nil && b != nil && a.RowsPerSec > 0 && b.RowsPerSec > 0 {
			r := a.RowsPerSec / b.RowsPerSec
			t.Measured, t.Pass = true, r >= min
			t.Got = fmt.Sprintf("%.1f %% (%s / %s rows/s)", r*100, fmtRate(a.RowsPerSec), fmtRate(b.RowsPerSec))
		} else {
			t.Got = "not measured"
		}
		out = append(out, t)
	}
	ratio("pipe vs mysql --quick, store", "store", StagePipe, StageMySQL, 0.5)
	ratio("pipe vs mysql --quick, narrow", "narrow", StagePipe, StageMySQL, 0.4)
	// Speed mode (issue 15): the fastest way of the pair, STDIO or sockets.
	best := func(table string) *Summary {
		var b *Summary
		for _, st := range []Stage{StagePipe, StageSocket1, StageSocket2, StageSocket4} {
			if s := Find(ss, table, st); s != nil && s.RowsPerSec > 0 && (b == nil || s.RowsPerSec > b.RowsPerSec) {
				b = s
			}
		}
		return b
	}
	fastest := func(name, table string, min float64) {
		t := Target{Name: name, Want: fmt.Sprintf("≥ %.0f %%", min*100)}
		a, q := best(table), Find(ss, table, StageMySQL)
		if a != nil && q != nil && q.RowsPerSec > 0 {
			r := a.RowsPerSec / q.RowsPerSec
			t.Measured, t.Pass = true, r >= min
			t.Got = fmt.Sprintf("%.1f %% (%s: %s / %s rows/s)", r*100, a.Stage, fmtRate(a.RowsPerSec), fmtRate(q.RowsPerSec))
		} else {
			t.Got = "not measured"
		}
		out = append(out, t)
	}
	fastest("fastest pipe (STDIO or socket) vs mysql --quick, store", "store", 0.7)
	fastest("fastest pipe (STDIO or socket) vs mysql --quick, narrow", "narrow", 0.5)
	perCPU := Target{Name: "store rows per CPU-second, source + destination", Want: "≥ 320 k"}
	for _, st := range []Stage{StagePipe, StageSocket1, StageSocket2, StageSocket4} {
		s := Find(ss, "store", st)
		if s == nil {
			continue
		}
		cpu := s.CPUPerMRows[ProcSource] + s.CPUPerMRows[ProcDestination]
		if cpu <= 0 {
			continue
		}
		rate := 1e6 / cpu
		if !perCPU.Measured || rate > perCPU.rate {
			perCPU.Measured, perCPU.rate = true, rate
			perCPU.Pass = rate >= 320e3
			perCPU.Got = fmt.Sprintf("%s rows/CPU-s (%s: %.2f CPU-s per M rows)", fmtRate(rate), st, cpu)
		}
	}
	if !perCPU.Measured {
		perCPU.Got = "not measured"
	}
	out = append(out, perCPU)
	for _, ti := range tables {
		if ti.Streams > 1 {
			continue
		}
		ratio("source alone vs driver scan, "+ti.Name, ti.Name, StageSource, StageScan, 0.8)
	}
	rss := func(name string, pred func(s *Summary) bool) {
		t := Target{Name: name, Want: "< 150 MiB"}
		var worst int64
		where := ""
		for i := range ss {
			s := &ss[i]
			if !pred(s) {
				continue
			}
			for _, p := range []string{ProcSource, ProcDestination} {
				if v, ok := s.MaxRSS[p]; ok {
					t.Measured = true
					if v > worst {
						worst, where = v, fmt.Sprintf("%s in %s %s", p, s.Table, s.Stage)
					}
				}
			}
		}
		if t.Measured {
			t.Pass = worst < RSSLimit
			t.Got = fmt.Sprintf("%s (%s)", fmtMiB(worst), where)
		} else {
			t.Got = "not measured"
		}
		out = append(out, t)
	}
	rss("peak RSS per connector process, single streams", func(s *Summary) bool { return s.Table != ManyStreamsTable })
	many := "many streams"
	for _, ti := range tables {
		if ti.Name == ManyStreamsTable {
			many = fmt.Sprintf("%d streams", ti.Streams)
		}
	}
	rss("peak RSS per connector process, "+many, func(s *Summary) bool { return s.Table == ManyStreamsTable })
	return out
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f k", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fmtMiB(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func fmtBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	default:
		return fmt.Sprintf("%d B", b)
	}
}

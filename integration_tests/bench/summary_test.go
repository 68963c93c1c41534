package bench

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

// fakeResult is a run of two tables and the many-streams case with
// made-up but consistent numbers.
func fakeResult() *Result {
	tables := []TableInfo{
		{Name: "narrow", Streams: 1, Rows: 1_000_000, Columns: 4, Size: TableSize{DataLength: 50e6}, TSVBytes: 40e6},
		{Name: "store", Streams: 1, Rows: 1_000_000, Columns: 24, Size: TableSize{DataLength: 300e6}, TSVBytes: 380e6},
		{Name: ManyStreamsTable, Streams: 80, Rows: 1_000_000, Columns: 24, Size: TableSize{DataLength: 300e6}, TSVBytes: 380e6},
	}
	res := &Result{Opts: Options{Rows: 1_000_000, Reps: 3, Streams: 80, Seed: 1}, Machine: Machine{CPUModel: "AMD EPYC", Cores: 2, MemBytes: 24 << 30},
		Tables: tables, Started: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Versions: map[string]string{"x": "1"}}
	res.MeasureStart = res.Started
	res.Finished = res.Started.Add(10 * time.Minute)
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	add := func(table string, st Stage, walls []float64, procs ...ProcStats) {
		for i, w := range walls {
			res.Measurements = append(res.Measurements, Measurement{Table: table, Stage: st, Rep: i, Rows: 1_000_000, Wall: sec(w),
				Procs: procs, ServerCPU: sec(1), S3CPU: -1, OutputBytes: 20 << 20, Objects: 1, RowGroups: 8, ParquetRows: 1_000_000})
		}
	}
	p := func(name string, cpu float64, rss int64) ProcStats {
		return ProcStats{Name: name, CPU: sec(cpu), MaxRSS: rss << 20}
	}
	add("narrow", StageMySQL, []float64{1, 0.9, 1.2}, p(ProcMySQL, 0.8, 5))
	add("narrow", StageScan, []float64{0.8, 0.8, 0.9}, p(ProcScan, 0.9, 10))
	add("narrow", StageSource, []float64{1, 1.1, 1}, p(ProcSource, 1.2, 20))
	add("narrow", StageDestination, []float64{2, 2, 2}, p(ProcDestination, 2, 60))
	add("narrow", StagePipe, []float64{2, 2.5, 3}, p(ProcSource, 1.2, 20), p(ProcDestination, 2, 70))
	add("store", StageMySQL, []float64{4, 4, 4}, p(ProcMySQL, 3, 5))
	add("store", StageScan, []float64{3, 3, 3}, p(ProcScan, 3, 10))
	add("store", StageSource, []float64{4, 4, 4}, p(ProcSource, 4, 20))
	add("store", StageDestination, []float64{6, 6, 6}, p(ProcDestination, 8, 100))
	add("store", StagePipe, []float64{7, 8, 9}, p(ProcSource, 4, 20), p(ProcDestination, 8, 120))
	add(ManyStreamsTable, StagePipe, []float64{10}, p(ProcSource, 5, 30), p(ProcDestination, 12, 160))
	add(ManyStreamsTable, StageDestination, []float64{9}, p(ProcDestination, 12, 140))
	res.Measurements = append(res.Measurements, Measurement{Table: "store", Stage: StagePipe, Rep: 3, Rows: 1_000_000, Err: "destination exited with 1: boom"})
	// A run disturbed by other work, repeated: left out of the medians.
	res.Measurements = append(res.Measurements, Measurement{Table: "narrow", Stage: StageMySQL, Rep: 0, Rows: 1_000_000, Wall: 9 * time.Second,
		Procs: []ProcStats{p(ProcMySQL, 5, 5)}, ServerCPU: sec(1), OthersCPU: sec(8), Disturbed: true})
	return res
}

func TestSummarizeAndTargets(t *testing.T) {
	res := fakeResult()
	ss := Summarize(res.Measurements, res.Tables)
	pipe := Find(ss, "store", StagePipe)
	if pipe == nil {
		t.Fatal("no store pipe summary")
	}
	if pipe.Runs != 4 || pipe.Failed != 1 || pipe.Wall != 8*time.Second || pipe.RowsPerSec != 125_000 {
		t.Errorf("store pipe: runs %d failed %d wall %v rows/s %v; want 4, 1, 8s, 125000", pipe.Runs, pipe.Failed, pipe.Wall, pipe.RowsPerSec)
	}
	if got := pipe.CPUPerMRows[ProcDestination]; got != 8 {
		t.Errorf("destination CPU per M rows = %v, want 8", got)
	}
	if got := pipe.MaxRSS[ProcDestination]; got != 120<<20 {
		t.Errorf("destination peak RSS = %d, want 120 MiB", got)
	}
	if my := Find(ss, "narrow", StageMySQL); my.Disturbed != 1 || my.Wall != time.Second || my.CPUPerMRows[ProcMySQL] != 0.8 {
		t.Errorf("narrow mysql: disturbed %d, wall %v, CPU %v; want the disturbed run left out", my.Disturbed, my.Wall, my.CPUPerMRows[ProcMySQL])
	}
	if got := pipe.MBPerSecTSV; got != 47.5 {
		t.Errorf("MB/s of TSV = %v, want 47.5", got)
	}
	want := map[string]bool{
		"pipe vs mysql --quick, store":                   true,  // 125k / 250k = 50 %
		"pipe vs mysql --quick, narrow":                  true,  // 400k / 1M
		"source alone vs driver scan, narrow":            false, // 1M / 1.25M = 80 %... see below
		"source alone vs driver scan, store":             false, // 250k / 333k = 75 %
		"peak RSS per connector process, single streams": true,
		"peak RSS per connector process, 80 streams":     false, // 160 MiB
	}
	want["source alone vs driver scan, narrow"] = true // exactly 80 %
	got := map[string]bool{}
	for _, tg := range Targets(ss, res.Tables) {
		if !tg.Measured {
			t.Errorf("%s: not measured", tg.Name)
		}
		got[tg.Name] = tg.Pass
	}
	for name, pass := range want {
		if g, ok := got[name]; !ok || g != pass {
			t.Errorf("target %q: pass %v (present %v), want %v", name, g, ok, pass)
		}
	}
}

func TestReportAndChart(t *testing.T) {
	res := fakeResult()
	var md bytes.Buffer
	if err := WriteMarkdown(&md, res, ReportOptions{Chart: "x.png", Notes: "## Closing\n\nnotes here", Command: "make bench"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## Targets", "| pipe vs mysql --quick, store | ≥ 50 % | 50.0 % (125 k / 250 k rows/s) | pass |",
		"![rows/s per table and stage](x.png)", "store80 (80 streams)", "destination exited with 1: boom", "## Closing", "2cpu-amd-epyc-24g"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	var tbl bytes.Buffer
	WriteTable(&tbl, res)
	if !strings.Contains(tbl.String(), "[FAIL] peak RSS per connector process, 80 streams") {
		t.Errorf("short table lacks the failed RSS target:\n%s", tbl.String())
	}
	var img bytes.Buffer
	if err := WriteChart(&img, res); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&img)
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if cfg.Width < 800 || cfg.Height < 300 {
		t.Errorf("chart is %dx%d", cfg.Width, cfg.Height)
	}
}

func TestMachineKind(t *testing.T) {
	for _, c := range []struct {
		m    Machine
		want string
	}{
		{Machine{CPUModel: "AMD EPYC", Cores: 2, MemBytes: 24<<30 - 400<<20}, "2cpu-amd-epyc-24g"},
		{Machine{CPUModel: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", Cores: 8, MemBytes: 32 << 30}, "8cpu-intel-xeon-32g"},
		{Machine{CPUModel: "", Cores: 4, MemBytes: 8 << 30}, "4cpu-cpu-8g"},
	} {
		if got := c.m.Kind(); got != c.want {
			t.Errorf("Kind(%q) = %q, want %q", c.m.CPUModel, got, c.want)
		}
	}
}

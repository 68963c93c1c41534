package bench

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// stageProcs are the processes whose CPU a stage's row reports, in order.
func stageProcs(st Stage) (first, second string) {
	switch st {
	case StageMySQL:
		return ProcMySQL, ""
	case StageScan:
		return ProcScan, ""
	case StageSource:
		return ProcSource, ""
	case StageDestination:
		return "", ProcDestination
	default:
		return ProcSource, ProcDestination
	}
}

func fmtCPU(s *Summary, proc string) string {
	if proc == "" {
		return "–"
	}
	v, ok := s.CPUPerMRows[proc]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRSS(s *Summary, proc string) string {
	if proc == "" {
		return "–"
	}
	v, ok := s.MaxRSS[proc]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(v)/(1<<20))
}

func fmtNaN(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// WriteTable prints the short table: one line per table and stage.
func WriteTable(w io.Writer, res *Result) {
	ss := Summarize(res.Measurements, res.Tables)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tstage\trows/s\tvs mysql\tMB/s TSV\twall s\tCPU-s/Mrow src|client\tdst\tmariadbd\tRSS MiB src|client\tdst\toutput\t")
	for i := range ss {
		s := &ss[i]
		if s.Runs == s.Failed {
			fmt.Fprintf(tw, "%s\t%s\tFAILED\t\t\t\t\t\t\t\t\t\t\n", s.Table, s.Stage)
			continue
		}
		p1, p2 := stageProcs(s.Stage)
		rel := "–"
		if b := Find(ss, s.Table, StageMySQL); b != nil && b.RowsPerSec > 0 {
			rel = fmt.Sprintf("%.0f%%", 100*s.RowsPerSec/b.RowsPerSec)
		}
		out := "–"
		if s.OutputBytes > 0 {
			out = fmtBytes(s.OutputBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Table, s.Stage, fmtRate(s.RowsPerSec), rel, s.MBPerSecTSV,
			s.Wall.Seconds(), fmtCPU(s, p1), fmtCPU(s, p2), fmtNaN(s.ServerCPUPerMRows), fmtRSS(s, p1), fmtRSS(s, p2), out)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range Targets(ss, res.Tables) {
		mark := "FAIL"
		switch {
		case !t.Measured:
			mark = "n/a "
		case t.Pass:
			mark = "pass"
		}
		fmt.Fprintf(w, "  [%s] %-52s want %-9s got %s\n", mark, t.Name, t.Want, t.Got)
	}
}

// ReportOptions add hand-written parts to the Markdown report.
type ReportOptions struct {
	// Chart is the chart's file name, relative to the report.
	Chart string
	// Notes is Markdown appended as the closing section.
	Notes string
	// Command is how the report was produced.
	Command string
}

// WriteMarkdown writes the report.
func WriteMarkdown(w io.Writer, res *Result, ro ReportOptions) error {
	ss := Summarize(res.Measurements, res.Tables)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	m := res.Machine
	p("# Benchmark: source-mysql-radar | destination-s3-parquet against the physical limit\n\n")
	p("Machine kind `%s` (%s, %d cores, %s RAM), %s UTC. Produced by `%s`.\n\n", m.Kind(), m.CPUModel, m.Cores, fmtBytes(m.MemBytes),
		res.Started.UTC().Format("2006-01-02 15:04"), ro.Command)
	p("%d rows per table, %d repetitions per stage (medians; the stages of a table run interleaved, in a rotated order each repetition), "+
		"load average %.2f / %.2f / %.2f at the start and %.2f / %.2f / %.2f at the end (1/5/15 min). Measuring took %s, the whole run %s.\n\n",
		res.Opts.Rows, res.Opts.Reps, res.LoadStart[0], res.LoadStart[1], res.LoadStart[2], res.LoadEnd[0], res.LoadEnd[1], res.LoadEnd[2],
		res.Finished.Sub(res.MeasureStart).Round(time.Second), res.Finished.Sub(res.Started).Round(time.Second))

	p("## Targets\n\n| target | want | got | |\n|---|---|---|---|\n")
	for _, t := range Targets(ss, res.Tables) {
		mark := "**FAIL**"
		switch {
		case !t.Measured:
			mark = "not measured"
		case t.Pass:
			mark = "pass"
		}
		p("| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, mark)
	}
	p("\n")

	p("## Results\n\n")
	if ro.Chart != "" {
		p("![rows/s per table and stage](%s)\n\n", ro.Chart)
	}
	p("Rows/s and MB/s use the median wall time. MB/s is source bytes per second, once with InnoDB's `data_length` as the byte base and once with the size of the TSV dump (`mariadb --quick -N`). " +
		"CPU is user+system seconds per million rows (from wait4's rusage for our processes, from /proc/<pid>/stat for mariadbd and the S3 server — mariadbd's figure is the whole server's, other clients included). " +
		"Busy cores is all that CPU (ours, mariadbd's, the S3 server's) over the wall time: on this machine 2.0 means both cores were ours. " +
		"Peak RSS is the largest over the repetitions. Output is the sum of the Parquet objects (SNAPPY).\n\n")
	p("| table | stage | rows/s | %% of mysql | MB/s (data) | MB/s (TSV) | wall s (median) | CPU-s/M rows: client or source | destination | mariadbd | S3 server | busy cores | others' cores | peak RSS MiB: client or source | destination | output | output / TSV |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	tsv := map[string]int64{}
	for _, t := range res.Tables {
		tsv[t.Name] = t.TSVBytes
	}
	for i := range ss {
		s := &ss[i]
		if s.Runs == s.Failed {
			p("| %s | %s | failed | | | | | | | | | | | | | | |\n", s.Table, s.Stage)
			continue
		}
		p1, p2 := stageProcs(s.Stage)
		rel := "–"
		if b := Find(ss, s.Table, StageMySQL); b != nil && b.RowsPerSec > 0 {
			rel = fmt.Sprintf("%.0f %%", 100*s.RowsPerSec/b.RowsPerSec)
		}
		out, ratio := "–", "–"
		if s.OutputBytes > 0 {
			out = fmtBytes(s.OutputBytes)
			if tsv[s.Table] > 0 {
				ratio = fmt.Sprintf("%.2f", float64(s.OutputBytes)/float64(tsv[s.Table]))
			}
		}
		walls := make([]string, len(s.Walls))
		for j, w := range s.Walls {
			walls[j] = fmt.Sprintf("%.2f", w.Seconds())
		}
		failed := ""
		if s.Failed > 0 {
			failed = fmt.Sprintf(" (%d of %d runs failed)", s.Failed, s.Runs)
		}
		if s.Disturbed > 0 {
			failed += fmt.Sprintf(" (%d disturbed run(s) left out)", s.Disturbed)
		}
		p("| %s | %s%s | %s | %s | %.1f | %.1f | %.2f (%s) | %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s |\n", displayTable(res, s.Table), s.Stage, failed,
			fmtRate(s.RowsPerSec), rel, s.MBPerSecData, s.MBPerSecTSV, s.Wall.Seconds(), strings.Join(walls, ", "),
			fmtCPU(s, p1), fmtCPU(s, p2), fmtNaN(s.ServerCPUPerMRows), fmtNaN(s.S3CPUPerMRows), s.BusyCores(), fmtNaN(s.OthersCores),
			fmtRSS(s, p1), fmtRSS(s, p2), out, ratio)
	}
	p("\n")
	if res.Opts.Streams > 0 {
		p("`%s` is the many-streams case: %d tables shaped like `store` (%d rows each, copied from `store`) in one catalog. "+
			"Its `pipe` row is the source reading them one after another into the destination; its `destination` row feeds the destination "+
			"the recorded output of all %d streams interleaved line by line (round robin), the worst case for per-stream buffers.\n\n",
			ManyStreamsTable, res.Opts.Streams, res.Opts.Rows/int64(res.Opts.Streams), res.Opts.Streams)
	}
	var errs []string
	for i := range ss {
		for _, e := range ss[i].Errors {
			errs = append(errs, fmt.Sprintf("- %s %s: %s", ss[i].Table, ss[i].Stage, e))
		}
	}
	if len(errs) > 0 {
		p("### Failures\n\n%s\n\n", strings.Join(errs, "\n"))
	}

	writeScaling(p, ss, res.Tables)

	p("## Tables\n\n| table | rows | columns | InnoDB data | index | TSV dump | bytes/row (TSV) | source JSONL | JSONL / TSV |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, t := range res.Tables {
		p("| %s | %d | %d | %s | %s | %s | %.0f | %s | %.2f |\n", displayTable(res, t.Name), t.Rows, t.Columns, fmtBytes(t.Size.DataLength), fmtBytes(t.Size.IndexLength),
			fmtBytes(t.TSVBytes), float64(t.TSVBytes)/float64(max(t.Rows, 1)), fmtBytes(t.RecordingBytes), float64(t.RecordingBytes)/float64(max(t.TSVBytes, 1)))
	}
	p("\nShapes (`integration_tests/bench/tables.go`, deterministic PCG data, seed %d): `narrow` id BIGINT key + 3 integers; "+
		"`store` the team's 24-column store table (INT key, CNPJ, names, e-mail and phone with 5 %% NULLs, DECIMAL(15,2), DATETIME(6), TIMESTAMP, TINYINT(1), DOUBLE, DATE, CHAR(36), TEXT notes 80 %% NULL); "+
		"`text_heavy` a product catalogue (names, brand, category, DECIMAL price, descriptions of 60–1000 characters, and a 64–256 KiB MEDIUMTEXT every %d rows); "+
		"`decimal_time_heavy` DECIMAL(5,2), (10,0), (18,2), (18,6), (38,10), (65,30), DATETIME(6), TIMESTAMP(6), TIME, DATE, TINYINT(1), BIGINT UNSIGNED within 2^40 of 2^64, JSON.\n\n",
		res.Opts.Seed, LongTextEvery)
	var gen []string
	for _, l := range res.Loads {
		if l.Generated {
			gen = append(gen, fmt.Sprintf("%s in %s", l.Table, l.Duration.Round(100*time.Millisecond)))
		}
	}
	if len(gen) > 0 {
		p("Generated in this run (multi-row INSERTs of up to %d rows / %d MiB on two connections, `sql_log_bin=0`): %s.\n\n", insertBatchRows, insertBatchBytes>>20, strings.Join(gen, ", "))
	} else {
		p("All tables came from the cache (database `%s`, marker table `%s`).\n\n", res.Database, markerTable)
	}

	p("## Machine and versions\n\n")
	p("- CPU: %s, %d cores; memory %s; kernel %s; %s\n", m.CPUModel, m.Cores, fmtBytes(m.MemBytes), m.Kernel, m.GoVersion)
	p("- Load average (1/5/15 min): start %.2f / %.2f / %.2f, end %.2f / %.2f / %.2f. The machine is shared with other engineers' builds and tests; every stage's 1-minute load at its start is in the run log below.\n",
		res.LoadStart[0], res.LoadStart[1], res.LoadStart[2], res.LoadEnd[0], res.LoadEnd[1], res.LoadEnd[2])
	p("- MariaDB %s at %s (TLS: %s, so every client reads plain text over loopback TCP), database `%s`.\n", res.Server.Version, res.Server.Addr, res.Server.TLS, res.Database)
	if res.Server.BufferPoolNote != "" {
		p("- innodb_buffer_pool_size %s.\n", res.Server.BufferPoolNote)
	} else {
		p("- innodb_buffer_pool_size %s (unchanged).\n", fmtBytes(res.Server.BufferPoolDuring))
	}
	keys := make([]string, 0, len(res.Versions))
	for k := range res.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p("- %s: %s\n", k, res.Versions[k])
	}
	p("- Connectors at their default settings; the source config is the team's production config (STANDARD, ssl preferred), the destination the team's Parquet SNAPPY config with the `%s` layout, both against this machine's servers; full refresh, overwrite.\n\n", PathFormat)

	var waited time.Duration
	for _, me := range res.Measurements {
		waited += me.QuietWait
	}
	p("## Method\n\n")
	if res.Opts.QuietCores > 0 {
		p("Before each stage the benchmark waits until the rest of the machine keeps fewer than %.2f cores busy (from /proc/stat; at most %s per stage and %s in all; it waited %s in this run), so that other engineers' builds and tests disturb as few stages as possible; what they still used is the others' cores column. ",
			res.Opts.QuietCores, res.Opts.QuietWait, res.Opts.QuietBudget, waited.Round(time.Second))
	}
	if res.Opts.DisturbedCores > 0 {
		disturbed := 0
		for _, me := range res.Measurements {
			if me.Disturbed {
				disturbed++
			}
		}
		p("A run during which the rest of the machine kept more than %.2f cores busy is repeated (at most %d more times) and left out of the medians; %d run(s) were left out this way (all are in the run log below). ",
			res.Opts.DisturbedCores, res.Opts.Retries, disturbed)
	}
	p("Before measuring, each table is dumped once as TSV (its size is the byte base; this also loads the buffer pool) and the source's output is recorded once into a JSONL file (checked to hold one RECORD per row) for the destination-alone stage. Every destination and pipe run writes to a fresh prefix of the S3 server (versitygw, posix backend, on this machine); the Parquet footers are read to check the row count, then the objects are deleted. The driver scan runs as a child process (`bench rawscan`) so that its CPU and memory are measured like the others'. Every measured process is started through a small helper (`cmd/bench/rusage`, about 2.5 MiB, the floor of every RSS figure) that reports the child's wait4 rusage: started directly by the benchmark, a child would inherit the benchmark's own peak RSS at execve (Go forks with CLONE_VM).\n\nThe commands (for `%s`; the others alike):\n\n```\n%s\n```\n\n", "store", strings.Join(res.Commands, "\n"))

	p("<details><summary>Every run</summary>\n\n| # | table | stage | rep | load 1m | waited s | others' cores | used | wall s | rows/s | CPU-s per process | peak RSS MiB per process | mariadbd CPU-s | error |\n|--:|---|---|--:|--:|--:|--:|---|--:|--:|---|---|--:|---|\n")
	for i, me := range res.Measurements {
		var cpu, rss []string
		for _, pr := range me.Procs {
			cpu = append(cpu, fmt.Sprintf("%s %.2f", pr.Name, pr.CPU.Seconds()))
			rss = append(rss, fmt.Sprintf("%s %d", pr.Name, pr.MaxRSS>>20))
		}
		srv := "–"
		if me.ServerCPU >= 0 {
			srv = fmt.Sprintf("%.2f", me.ServerCPU.Seconds())
		}
		e := strings.ReplaceAll(me.Err, "|", "\\|")
		e = strings.ReplaceAll(e, "\n", " ")
		others := "–"
		if c := me.OthersCores(); c >= 0 {
			others = fmt.Sprintf("%.2f", c)
		}
		used := "yes"
		switch {
		case me.Err != "":
			used = "failed"
		case me.Disturbed:
			used = "disturbed, repeated"
		}
		p("| %d | %s | %s | %d | %.2f | %.1f | %s | %s | %.2f | %s | %s | %s | %s | %s |\n", i+1, me.Table, me.Stage, me.Rep+1, me.LoadAvgStart, me.QuietWait.Seconds(), others, used, me.Wall.Seconds(),
			fmtRate(me.RowsPerSec()), strings.Join(cpu, ", "), strings.Join(rss, ", "), srv, e)
	}
	p("\n</details>\n\n")
	if len(res.Warnings) > 0 {
		p("Warnings: %s\n\n", strings.Join(res.Warnings, "; "))
	}
	if len(res.Profiles) > 0 {
		p("## CPU profiles of the pipe\n\nOne more pipe run per table with profiling builds of both connectors (`go build -overlay` adds a `runtime/pprof` hook to their `main`; nothing else changes). `go tool pprof -top`, flat and cumulative:\n\n")
		for _, pr := range res.Profiles {
			p("<details><summary>%s — %s (%.2f CPU-s in a %.2f s pipe)</summary>\n\n```\n%s\n```\n\n```\n%s\n```\n\n</details>\n\n", pr.Table, pr.Process, pr.CPU.Seconds(), pr.Wall.Seconds(), pr.Top, pr.Cum)
		}
	}
	if ro.Notes != "" {
		p("%s\n", strings.TrimSpace(ro.Notes))
	}
	return nil
}

func displayTable(res *Result, name string) string {
	if name == ManyStreamsTable {
		return fmt.Sprintf("%s (%d streams)", name, res.Opts.Streams)
	}
	return name
}

// writeScaling prints the speed-mode table: for each socket stage, the CPU
// the sync costs per million rows, a machine-independent basis, and what
// N partitions would move on N free cores if the work stays CPU-bound and
// spreads evenly (mariadbd's CPU included: it serves every partition).
func writeScaling(p func(string, ...any), ss []Summary, tables []TableInfo) {
	var rows []string
	for _, ti := range tables {
		if ti.Streams > 1 {
			continue
		}
		for _, st := range []Stage{StagePipe, StageSocket1, StageSocket2, StageSocket4} {
			s := Find(ss, ti.Name, st)
			if s == nil || s.RowsPerSec <= 0 {
				continue
			}
			src, dst := s.CPUPerMRows[ProcSource], s.CPUPerMRows[ProcDestination]
			total := src + dst
			if !math.IsNaN(s.ServerCPUPerMRows) {
				total += s.ServerCPUPerMRows
			}
			label := fmt.Sprint(SocketStages[st])
			if st == StagePipe {
				label = "STDIO"
			}
			perCore, on8 := "–", "–"
			if total > 0 {
				perCore, on8 = fmtRate(1e6/total), fmtRate(8*1e6/total)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %.2f | %.2f | %s | %.2f | %s | %s | %s |", ti.Name, label, src, dst, fmtNaN(s.ServerCPUPerMRows), total, fmtRate(s.RowsPerSec), perCore, on8))
		}
	}
	if len(rows) == 0 {
		return
	}
	p("## Speed mode: scaling\n\n")
	p("CPU-seconds per million rows (source, destination and mariadbd together) is a machine-independent basis: it is what each million rows costs, whatever the core count. " +
		"\"Per core\" is 1,000,000 / that total: the rows/s each fully busy core adds. A sync reaches about N × that on N free cores when it keeps them busy: " +
		"in STDIO mode one table is one source goroutine pair, one destination loop and one server thread (about 2–3 cores at most); in socket mode each partition adds a source worker and a server thread, " +
		"while the destination's write loop stays one goroutine (its Parquet encoding runs on a pool), so the destination's share of the total bounds what many partitions can reach. " +
		"On this machine all processes share 2 cores, so the measured rows/s cannot grow with partitions.\n\n")
	p("| table | partitions | source CPU-s/M | destination CPU-s/M | mariadbd CPU-s/M | total CPU-s/M | rows/s here | rows/s per core | rows/s on 8 busy cores |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		p("%s\n", r)
	}
	p("\n")
}

// Command bench measures the connectors against the physical limit of this
// machine and writes a report:
//
//	make bench                                   # from the repository root
//	make bench BENCH_ARGS='-rows 100000 -reps 1 -tables narrow,store'
//	make bench BENCH_ARGS='-rows 10000000'
//
// It generates (once, cached in MariaDB database radar_bench) the tables
// narrow, store, text_heavy and decimal_time_heavy, then measures, several
// times and interleaved: `mariadb --quick -N -e 'SELECT * FROM t' >
// /dev/null`, a bare go-sql-driver scan, `source-mysql-radar read >
// /dev/null`, `destination-s3-parquet write` fed a recorded stream, and
// `source read | destination write` into a standalone S3 server
// (versitygw), plus an 80-stream case. It prints a short table and writes
// bench/results/<machine-kind>-<date>.md with a PNG chart.
//
// `bench rawscan -dsn DSN -table T` is the driver scan itself (run as a
// child process so that its CPU and memory are measured).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/bench"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "rawscan" {
		if err := bench.RawScanMain(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "rawscan:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run())
}

func run() int {
	root, err := harness.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rows := fs.Int64("rows", bench.DefaultRows, "rows per table (tables of another size than 1000000 live in database radar_bench_<rows>)")
	reps := fs.Int("reps", 3, "repetitions of each stage per table (the report gives medians); 0 with -profile only profiles")
	tables := fs.String("tables", "", "comma-separated tables to measure (default all: narrow,store,text_heavy,decimal_time_heavy)")
	streams := fs.Int("streams", 80, "tables of the many-streams case (rows/streams store rows each); 0 skips it")
	streamsReps := fs.Int("streams-reps", 1, "repetitions of the many-streams stages")
	seed := fs.Uint64("seed", 1, "seed of the generated data")
	bin := fs.String("bin", "bin", "folder holding the built connectors (relative to the repository root)")
	out := fs.String("out", "bench/results", "folder for the report and chart (relative to the repository root); empty: no files")
	name := fs.String("name", "", "report file name without extension (default <machine-kind>-<date>)")
	notes := fs.String("notes", "", "a Markdown file appended to the report as its closing section")
	pool := fs.Int64("buffer-pool-mb", 2048, "raise innodb_buffer_pool_size to this many MiB for the run if it is smaller (0: leave it)")
	keepPool := fs.Bool("keep-buffer-pool", false, "do not restore innodb_buffer_pool_size at the end")
	profile := fs.Bool("profile", false, "after measuring, run each table's pipe once more with CPU profiles of both connectors and add `go tool pprof -top` to the report")
	workDir := fs.String("workdir", "", "folder for recordings and configs (default the system temp folder; needs about 3 GB for 1M-row tables)")
	timeout := fs.Duration("timeout", 2*time.Hour, "give up after this long")
	quiet := fs.Float64("quiet-cores", 0.5, "before each stage, wait until the rest of the machine keeps fewer than this many cores busy (0: never wait)")
	quietWait := fs.Duration("quiet-wait", 30*time.Second, "longest wait for quiet before one stage")
	quietBudget := fs.Duration("quiet-budget", 3*time.Minute, "longest wait for quiet in all")
	disturbed := fs.Float64("disturbed-cores", 0.35, "repeat a run (and leave it out of the medians) when the rest of the machine kept more than this many cores busy during it (0: never)")
	retries := fs.Int("retries", 2, "most repetitions of a disturbed run")
	render := fs.String("render", "", "measure nothing: render the report and chart again from a saved <name>.json (with -notes, -out, -name)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	if *render != "" {
		res, err := loadResult(*render)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if *name == "" {
			*name = strings.TrimSuffix(filepath.Base(*render), ".json")
		}
		bench.WriteTable(os.Stdout, res)
		return writeReport(res, abs(*out), *name, *notes, res.Command, false)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	opts := bench.Options{
		Rows: *rows, Reps: *reps, Streams: *streams, StreamsReps: *streamsReps, Seed: *seed,
		SourceBin:      filepath.Join(abs(*bin), harness.SourceName),
		DestinationBin: filepath.Join(abs(*bin), harness.DestinationName),
		Self:           self,
		WorkDir:        *workDir,
		BufferPool:     *pool << 20, KeepBufferPool: *keepPool,
		QuietCores: *quiet, QuietWait: *quietWait, QuietBudget: *quietBudget,
		DisturbedCores: *disturbed, Retries: *retries,
		Log: os.Stderr,
	}
	if *tables != "" {
		opts.Tables = strings.Split(*tables, ",")
	}
	if *reps < 0 || (*reps == 0 && !*profile) || *rows < 1 || *streams < 0 || (*streams > 0 && *rows < int64(*streams)) {
		fmt.Fprintln(os.Stderr, "bench: -reps (0 only with -profile) and -rows must be positive, and -rows at least -streams")
		return 2
	}
	for _, b := range []string{opts.SourceBin, opts.DestinationBin} {
		if _, err := os.Stat(b); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s is missing: run `make build` first (or use make bench)\n", b)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	helperDir, err := os.MkdirTemp(*workDir, "radar-bench-rusage-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(helperDir)
	if opts.Rusage, err = buildRusage(ctx, root, helperDir); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v; processes run directly, so small peak RSS figures are this program's RSS\n", err)
	}

	var profDir string
	if *profile {
		profDir, err = os.MkdirTemp(*workDir, "radar-bench-profile-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "building profiling variants of the connectors into %s\n", profDir)
		opts.ProfileSourceBin, opts.ProfileDestinationBin, err = bench.BuildProfiling(ctx, root, profDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		opts.Profile = filepath.Join(profDir, "profiles")
	}

	res, err := bench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if res == nil || len(res.Measurements) == 0 {
			return 1
		}
	}
	fmt.Println()
	bench.WriteTable(os.Stdout, res)
	res.Command = "make bench" + argsSuffix(os.Args[1:])
	if *out == "" {
		return exitCode(res)
	}
	if code := writeReport(res, abs(*out), *name, *notes, res.Command, true); code != 0 {
		return code
	}
	if profDir != "" {
		fmt.Printf("profiles: %s (go tool pprof -http=: <binary> <profile>)\n", opts.Profile)
	}
	return exitCode(res)
}

// writeReport writes <name>.md, <name>.png and (with saveJSON) the raw
// result as <name>.json into dir.
func writeReport(res *bench.Result, dir, base, notes, command string, saveJSON bool) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if base == "" {
		base = res.Machine.Kind() + "-" + res.Started.UTC().Format("2006-01-02")
	}
	ro := bench.ReportOptions{Chart: base + ".png", Command: command}
	if notes != "" {
		b, err := os.ReadFile(notes)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		ro.Notes = string(b)
	}
	if saveJSON {
		b, err := json.MarshalIndent(res, "", " ")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, base+".json"), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: save result:", err)
		}
	}
	if err := writeFile(filepath.Join(dir, base+".png"), func(f *os.File) error { return bench.WriteChart(f, res) }); err != nil {
		fmt.Fprintln(os.Stderr, "bench: chart:", err)
		ro.Chart = ""
	}
	if err := writeFile(filepath.Join(dir, base+".md"), func(f *os.File) error { return bench.WriteMarkdown(f, res, ro) }); err != nil {
		fmt.Fprintln(os.Stderr, "bench: report:", err)
		return 1
	}
	fmt.Printf("\nreport: %s\n", filepath.Join(dir, base+".md"))
	return 0
}

func loadResult(path string) (*bench.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res bench.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &res, nil
}

func argsSuffix(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return " BENCH_ARGS='" + strings.Join(args, " ") + "'"
}

// exitCode is 1 when any stage failed (targets missed are not failures:
// the report says so).
func exitCode(res *bench.Result) int {
	for _, m := range res.Measurements {
		if m.Err != "" {
			return 1
		}
	}
	return 0
}

func writeFile(path string, fill func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// buildRusage builds the rusage helper (a few MiB, standard library only)
// into dir.
func buildRusage(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "rusage")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/bench/rusage")
	cmd.Dir = filepath.Join(root, "integration_tests")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the rusage helper: %w\n%s", err, b)
	}
	return out, nil
}

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ProfileEnv names the file a profiling build writes its CPU profile to.
const ProfileEnv = "RADAR_BENCH_CPUPROFILE"

// profMain is added to a connector's main package by BuildProfiling: it
// starts a CPU profile when ProfileEnv is set and stops it before exit.
const profMain = `package main

import (
	"os"
	"runtime/pprof"
)

var benchProfFile *os.File

func init() {
	if p := os.Getenv("` + ProfileEnv + `"); p != "" {
		f, err := os.Create(p)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			benchProfFile = f
		}
	}
}

func benchProfExit(code int) {
	if benchProfFile != nil {
		pprof.StopCPUProfile()
		benchProfFile.Close()
	}
	os.Exit(code)
}
`

// BuildProfiling builds both connectors from repoRoot into dir with a CPU
// profile hook, without touching their folders: `go build -overlay`
// replaces main.go by a copy whose os.Exit calls first stop the profile,
// and adds the hook's file. Symbols are kept for pprof.
func BuildProfiling(ctx context.Context, repoRoot, dir string) (source, destination string, err error) {
	var out [2]string
	for i, name := range []string{"source-mysql-radar", "destination-s3-parquet"} {
		pkg := filepath.Join(repoRoot, name)
		main, err := os.ReadFile(filepath.Join(pkg, "main.go"))
		if err != nil {
			return "", "", err
		}
		if !strings.Contains(string(main), "os.Exit(") {
			return "", "", fmt.Errorf("%s/main.go does not call os.Exit; the profiling hook cannot be added", name)
		}
		work := filepath.Join(dir, name+"-overlay")
		if err := os.MkdirAll(work, 0o755); err != nil {
			return "", "", err
		}
		mainCopy, hook := filepath.Join(work, "main.go"), filepath.Join(work, "zz_benchprof.go")
		if err := os.WriteFile(mainCopy, []byte(strings.ReplaceAll(string(main), "os.Exit(", "benchProfExit(")), 0o644); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(hook, []byte(profMain), 0o644); err != nil {
			return "", "", err
		}
		ov, _ := json.Marshal(map[string]any{"Replace": map[string]string{
			filepath.Join(pkg, "main.go"):         mainCopy,
			filepath.Join(pkg, "zz_benchprof.go"): hook,
		}})
		ovPath := filepath.Join(work, "overlay.json")
		if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
			return "", "", err
		}
		out[i] = filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-overlay", ovPath, "-ldflags", "-X main.version=bench-profile", "-o", out[i], ".")
		cmd.Dir = pkg
		cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("build profiling %s: %w\n%s", name, err, b)
		}
	}
	return out[0], out[1], nil
}

// ProfileSummary is the top of one connector's CPU profile in a pipe run.
type ProfileSummary struct {
	Table   string
	Process string
	Path    string
	Wall    time.Duration
	CPU     time.Duration
	// Top is `go tool pprof -top` output (flat), trimmed.
	Top string
	// Cum is `go tool pprof -top -cum` output, trimmed.
	Cum string
}

// profile runs each table's pipe once more with the profiling builds.
func (e *env) profile(ctx context.Context, tables []Table, res *Result) ([]ProfileSummary, error) {
	if e.opts.ProfileSourceBin == "" || e.opts.ProfileDestinationBin == "" {
		return nil, fmt.Errorf("no profiling builds")
	}
	if err := os.MkdirAll(e.opts.Profile, 0o755); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tables)+1)
	for _, t := range tables {
		names = append(names, t.Name)
	}
	if e.opts.Streams > 0 {
		names = append(names, ManyStreamsTable)
	}
	rows := map[string]int64{}
	for _, ti := range res.Tables {
		rows[ti.Name] = ti.Rows
	}
	var out []ProfileSummary
	orig := e.opts
	defer func() { e.opts = orig }()
	type run struct {
		table string
		stage Stage
	}
	var runs []run
	for _, t := range names {
		runs = append(runs, run{t, StagePipe})
		if t != ManyStreamsTable {
			// Speed mode: the same table over 2 sockets (PROTOBUF).
			runs = append(runs, run{t, StageSocket2})
		}
	}
	for _, rn := range runs {
		t, label := rn.table, rn.table
		if rn.stage != StagePipe {
			label = fmt.Sprintf("%s (%s)", t, rn.stage)
		}
		file := strings.NewReplacer(" ", "-", "×", "x", "(", "", ")", "").Replace(label)
		srcProf := filepath.Join(e.opts.Profile, file+"-source.pprof")
		dstProf := filepath.Join(e.opts.Profile, file+"-destination.pprof")
		e.opts.SourceBin, e.opts.DestinationBin = orig.ProfileSourceBin, orig.ProfileDestinationBin
		e.opts.SourceEnv = append(append([]string(nil), orig.SourceEnv...), ProfileEnv+"="+srcProf)
		e.opts.DestinationEnv = append(append([]string(nil), orig.DestinationEnv...), ProfileEnv+"="+dstProf)
		m := e.measure(ctx, t, rn.stage, 0, rows[t])
		e.logf("profile %-18s %s", label, m.line())
		if m.Err != "" {
			return out, fmt.Errorf("profiled %s of %s: %s", rn.stage, t, m.Err)
		}
		for _, p := range []struct{ proc, bin, path string }{{ProcSource, orig.ProfileSourceBin, srcProf}, {ProcDestination, orig.ProfileDestinationBin, dstProf}} {
			ps := ProfileSummary{Table: label, Process: p.proc, Path: p.path, Wall: m.Wall}
			if st := m.Proc(p.proc); st != nil {
				ps.CPU = st.CPU
			}
			ps.Top = pprofTop(ctx, p.bin, p.path, false)
			ps.Cum = pprofTop(ctx, p.bin, p.path, true)
			out = append(out, ps)
		}
	}
	return out, nil
}

func pprofTop(ctx context.Context, bin, prof string, cum bool) string {
	args := []string{"tool", "pprof", "-top", "-nodecount=22"}
	if cum {
		args = append(args, "-cum")
	}
	b, err := exec.CommandContext(ctx, "go", append(args, bin, prof)...).Output()
	if err != nil {
		return "pprof failed: " + err.Error()
	}
	// Drop the header lines pprof prints before the table (file, type,
	// time) but keep the "Showing nodes" and column lines.
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Duration:") || strings.HasPrefix(l, "Showing nodes") {
			return strings.Join(lines[i:], "\n")
		}
	}
	return strings.Join(lines, "\n")
}

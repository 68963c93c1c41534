// Package demo runs a complete sync on a machine with nothing but Go: an
// embedded MySQL-protocol server (go-mysql-server) seeded with a Radar-like
// database, an S3 endpoint (gofakes3) that keeps objects as plain files,
// and the real connector binaries piped together the way the Airbyte
// platform runs them, with live progress, a summary and the Parquet files
// read back. It is pure Go (no cgo), so `make demo` needs no C compiler.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// Options configure a demo run.
type Options struct {
	// Source and Destination are the connector binaries.
	Source, Destination string
	// OutDir receives the configs (OutDir/config) and the bucket's objects
	// (OutDir/<bucket>/<key>).
	OutDir string
	// Bucket is the S3 bucket name (default "radar-bronze").
	Bucket string
	// Rows is the number of rows of each big table; Seed makes them
	// reproducible.
	Rows int
	Seed uint64
	// External, if set, is a real MySQL server to use instead of the
	// embedded one.
	External *External
	// Out receives the progress and the summary; TTY redraws the progress
	// table in place.
	Out io.Writer
	TTY bool
	// Width is the terminal's width in columns (0 if unknown).
	Width int
	// RepoRoot, if set, makes printed paths relative to it.
	RepoRoot string
}

// External is a real MySQL or MariaDB server.
type External struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
}

// Embedded server credentials (it accepts any).
const (
	embeddedDatabase = "radar"
	embeddedUser     = "radar"
	embeddedPassword = "radar-demo"
)

// StreamResult is one stream of the summary.
type StreamResult struct {
	Name string
	// TableRows is SELECT COUNT(*) on the source table; PipeRows counts
	// the RECORDs the platform forwarded; ParquetRows is the sum of the
	// Parquet footers' row counts.
	TableRows, PipeRows, ParquetRows int64
	Files                            int
	Bytes                            int64
	Seconds                          float64
	Codec                            string
	Sample                           []Field
	// Dir is the stream's folder; FirstFile its first Parquet file.
	Dir, FirstFile string
}

// mismatch describes a stream whose row counts differ ("" if they agree).
func (s *StreamResult) mismatch() string {
	if s.TableRows == s.PipeRows && s.PipeRows == s.ParquetRows {
		return ""
	}
	return fmt.Sprintf("%s: %d rows in MySQL, %d records through the pipe, %d rows in Parquet", s.Name, s.TableRows, s.PipeRows, s.ParquetRows)
}

// Result is what a demo run produced.
type Result struct {
	Streams   []StreamResult
	Files     Files
	BucketDir string
	// StreamsDir is the folder holding one subfolder per stream.
	StreamsDir string
	MySQL      string // "embedded go-mysql-server" or host:port
	Phases     []Phase
	Total      time.Duration
	SyncWall   time.Duration
}

// Phase is one timed step.
type Phase struct {
	Name string
	Took time.Duration
}

// Run runs the demo. Servers it starts are stopped and processes it starts
// are waited for before it returns, also on error.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if o.Bucket == "" {
		o.Bucket = "radar-bronze"
	}
	if o.Rows <= 0 {
		o.Rows = 3000
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	for _, bin := range []string{o.Source, o.Destination} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("connector binary %s is missing (run `make build` first): %w", bin, err)
		}
	}
	start := time.Now()
	res = &Result{}
	phase := func(name string, t0 time.Time) time.Duration {
		d := time.Since(t0)
		res.Phases = append(res.Phases, Phase{name, d})
		return d
	}
	w := o.Out
	fmt.Fprintf(w, "\nRadar connectors demo: MySQL → source-mysql-radar → destination-s3-parquet → Parquet files on S3\n\n")

	// 1. MySQL.
	t0 := time.Now()
	var m *MySQL
	if o.External == nil {
		m, err = StartEmbedded(embeddedDatabase, embeddedUser, embeddedPassword)
		if err != nil {
			return nil, err
		}
		res.MySQL = "embedded go-mysql-server"
	} else {
		e := o.External
		m = &MySQL{Host: e.Host, Port: e.Port, User: e.User, Password: e.Password, Database: e.Database}
		res.MySQL = m.Addr()
	}
	defer m.Stop()
	o.pending(fmt.Sprintf("seeding the sample database on %s (%d rows per big table)", m.Addr(), o.Rows))
	counts, err := m.Seed(ctx, o.Rows, o.Seed)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	d := phase("seed MySQL", t0)
	kind := "embedded MySQL server (go-mysql-server, in this process)"
	if !m.Embedded {
		kind = "MySQL server"
	}
	o.done("%s on %s, database %q: %d tables, %s rows (seed %d) in %.1fs",
		kind, m.Addr(), m.Database, len(counts), Thousands(total), o.Seed, d.Seconds())

	// 2. S3.
	outDir, err := filepath.Abs(o.OutDir)
	if err != nil {
		return nil, err
	}
	s3, err := StartS3(outDir, o.Bucket)
	if err != nil {
		return nil, err
	}
	defer s3.Stop()
	res.BucketDir = s3.BucketDir
	res.StreamsDir = filepath.Join(s3.BucketDir, filepath.FromSlash(BucketPath))
	o.done("S3 endpoint %s, bucket %q, objects kept as files under %s", s3.Endpoint, o.Bucket, o.rel(s3.BucketDir))

	// 3. Configs, check, discover.
	files := NewFiles(filepath.Join(outDir, "config"))
	res.Files = files
	if err := writeJSON(files.SourceConfig, SourceConfig(m)); err != nil {
		return nil, err
	}
	if err := writeJSON(files.DestinationConfig, DestinationConfig(s3.Endpoint, o.Bucket)); err != nil {
		return nil, err
	}
	t0 = time.Now()
	o.pending("check and discover")
	for _, c := range []struct{ bin, config string }{{o.Source, files.SourceConfig}, {o.Destination, files.DestinationConfig}} {
		if err := check(ctx, c.bin, c.config); err != nil {
			return nil, err
		}
	}
	catalog, err := discover(ctx, o.Source, files.SourceConfig)
	if err != nil {
		return nil, err
	}
	syncID := start.Unix()
	configured := ConfiguredCatalog(catalog, syncID)
	if err := writeJSON(files.Catalog, catalog); err != nil {
		return nil, err
	}
	if err := writeJSON(files.ConfiguredCatalog, configured); err != nil {
		return nil, err
	}
	d = phase("check + discover", t0)
	o.done("check (source, destination) and discover: %d streams, configs in %s (%.1fs)\n",
		len(catalog.Streams), o.rel(files.Dir), d.Seconds())

	// 4. The sync, with live progress.
	fmt.Fprintf(w, "Sync: %s read | %s write (full refresh, overwrite)\n\n", filepath.Base(o.Source), filepath.Base(o.Destination))
	var descs []protocol.StreamDescriptor
	for _, s := range catalog.Streams {
		descs = append(descs, s.Descriptor())
	}
	prog := NewProgress(descs)
	rctx, stopRender := context.WithCancel(ctx)
	rdone := make(chan struct{})
	r := &Renderer{W: w, TTY: o.TTY, Width: o.Width}
	go func() {
		defer close(rdone)
		r.Run(rctx, prog)
	}()
	t0 = time.Now()
	// The sync runs through protocol/runner, the library behind
	// bin/airbyte-sync: the demo's own display replaces the runner's
	// progress, and the connectors' LOG lines are kept for a failure.
	statePath := filepath.Join(files.Dir, "state.json")
	os.Remove(statePath) // each demo run is a fresh full refresh
	var logs bytes.Buffer
	sr, err := runner.Run(ctx, runner.Options{
		Source:      runner.Connector{Path: o.Source, Config: files.SourceConfig},
		Destination: runner.Connector{Path: o.Destination, Config: files.DestinationConfig},
		Catalog:     files.ConfiguredCatalog, State: runner.FileStore(statePath),
		MaxAttempts: 1, SkipCheck: true, ProgressInterval: -1, Log: &lockedBuffer{b: &logs},
		OnSourceLine: prog.SourceLine, OnDestinationLine: prog.DestinationLine,
		// The progress display counts the records on the pipe: STDIO, even
		// though bin/'s connectors declare socket mode (auto would pick it).
		DataChannel: runner.Stdio,
	})
	res.SyncWall = phase("sync", t0)
	stopRender()
	<-rdone
	if err := syncFailure(sr, err, logs.String(), prog.Snapshot()); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\n")
	o.done("sync finished in %.1fs: both connectors exited 0, %d states sent, %d acknowledged, no protocol problem",
		res.SyncWall.Seconds(), sr.StatesSent, sr.StatesCommitted)
	pipeRows := map[string]int64{}
	for _, st := range sr.Streams {
		pipeRows[protocol.StreamDescriptor{Name: st.Name, Namespace: st.Namespace}.String()] = st.Rows
	}

	// 5. Read the Parquet files back and compare the counts.
	t0 = time.Now()
	snap := prog.Snapshot()
	var mismatches []string
	for _, st := range snap.Streams {
		key := protocol.StreamDescriptor{Name: st.Name, Namespace: st.Namespace}.String()
		sres := StreamResult{Name: st.Name, TableRows: counts[st.Name], PipeRows: pipeRows[key], Seconds: st.Seconds(snap.Now),
			Dir: filepath.Join(res.StreamsDir, st.Name)}
		ps, err := ReadStream(ctx, sres.Dir)
		if err != nil {
			return nil, fmt.Errorf("read back stream %s: %w", st.Name, err)
		}
		sres.ParquetRows, sres.Files, sres.Bytes, sres.Sample = ps.Rows, len(ps.Files), ps.Bytes, ps.Sample
		if len(ps.Files) > 0 {
			sres.Codec, sres.FirstFile = ps.Files[0].Codec, ps.Files[0].Path
		}
		if msg := sres.mismatch(); msg != "" {
			mismatches = append(mismatches, msg)
		}
		res.Streams = append(res.Streams, sres)
	}
	phase("read back Parquet", t0)
	res.Total = time.Since(start)
	o.printSummary(res)
	if len(mismatches) > 0 {
		return res, fmt.Errorf("row counts differ:\n  %s", strings.Join(mismatches, "\n  "))
	}
	o.printRerun(res, m)
	return res, nil
}

// pending shows a step in progress (on a terminal only; done replaces it).
func (o *Options) pending(msg string) {
	if o.TTY {
		line := "  … " + msg
		if o.Width > 1 {
			line = Truncate(line, o.Width-1) // a wrapped line could not be replaced
		}
		io.WriteString(o.Out, line)
	}
}

// done reports a finished step.
func (o *Options) done(format string, args ...any) {
	if o.TTY {
		io.WriteString(o.Out, "\r\x1b[2K")
	}
	fmt.Fprintf(o.Out, "  ✓ "+format+"\n", args...)
}

// check runs `check` and fails unless it printed CONNECTION_STATUS SUCCEEDED.
func check(ctx context.Context, bin, config string) error {
	r, err := harness.Command(ctx, bin, nil, nil, "check", "--config", config)
	if err != nil {
		return err
	}
	name := filepath.Base(bin)
	if err := commandFailure(name+" check", r); err != nil {
		return err
	}
	for _, m := range r.OfType(protocol.TypeConnectionStatus) {
		if m.ConnectionStatus.Status == protocol.StatusSucceeded {
			return nil
		}
		return fmt.Errorf("%s check: connection FAILED: %s", name, m.ConnectionStatus.Message)
	}
	return fmt.Errorf("%s check printed no CONNECTION_STATUS", name)
}

// discover runs `discover` and returns its catalog.
func discover(ctx context.Context, bin, config string) (*protocol.Catalog, error) {
	r, err := harness.Command(ctx, bin, nil, nil, "discover", "--config", config)
	if err != nil {
		return nil, err
	}
	if err := commandFailure(filepath.Base(bin)+" discover", r); err != nil {
		return nil, err
	}
	cats := r.OfType(protocol.TypeCatalog)
	if len(cats) != 1 {
		return nil, fmt.Errorf("%s discover printed %d CATALOG messages, want 1", filepath.Base(bin), len(cats))
	}
	if len(cats[0].Catalog.Streams) == 0 {
		return nil, fmt.Errorf("%s discover found no table", filepath.Base(bin))
	}
	return cats[0].Catalog, nil
}

// commandFailure describes a failed connector command: non-zero exit,
// TRACE ERRORs, or lines that are not protocol messages.
func commandFailure(what string, r *harness.Result) error {
	var msgs []string
	for _, e := range r.Errors() {
		msgs = append(msgs, "TRACE ERROR ("+string(e.FailureType)+"): "+e.Message+internal(e))
	}
	for _, inv := range r.Invalid {
		msgs = append(msgs, "invalid protocol line: "+inv)
	}
	if r.Code == 0 && len(msgs) == 0 {
		return nil
	}
	if tail := tailLines(string(r.Stderr), 10); tail != "" {
		msgs = append(msgs, "stderr:\n    "+strings.ReplaceAll(tail, "\n", "\n    "))
	}
	return fmt.Errorf("%s exited with code %d:\n  %s", what, r.Code, strings.Join(msgs, "\n  "))
}

func internal(e *protocol.ErrorTrace) string {
	if e.InternalMessage == "" || e.InternalMessage == e.Message {
		return ""
	}
	return " [" + e.InternalMessage + "]"
}

// syncFailure describes a failed sync: the runner's error (a connector's
// exit status or TRACE ERROR), a protocol problem the platform would see,
// or a stream that did not complete. logs are the connectors' LOG lines.
func syncFailure(sr *runner.Result, runErr error, logs string, s Snapshot) error {
	var msgs []string
	if runErr != nil {
		msgs = append(msgs, runErr.Error())
	}
	if sr != nil {
		for _, p := range sr.Problems {
			msgs = append(msgs, "protocol problem: "+p)
		}
	}
	for _, st := range s.Streams {
		if st.Status != StatusComplete {
			msgs = append(msgs, fmt.Sprintf("stream %s ended %s (no COMPLETE status)", st.Name, st.Status))
		} else if st.States > 0 && st.Acks < st.States {
			msgs = append(msgs, fmt.Sprintf("stream %s: %d of %d states acknowledged by the destination", st.Name, st.Acks, st.States))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if tail := tailLines(logs, 10); tail != "" && runErr != nil {
		msgs = append(msgs, "connector logs:\n    "+strings.ReplaceAll(tail, "\n", "\n    "))
	}
	return errors.New("the sync failed:\n  " + strings.Join(msgs, "\n  "))
}

// lockedBuffer is a bytes.Buffer safe for the runner's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// rel shortens path for printing: relative to the repository root when
// it lies inside it.
func (o *Options) rel(path string) string {
	if o.RepoRoot == "" {
		return path
	}
	r, err := filepath.Rel(o.RepoRoot, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return path
	}
	return r
}

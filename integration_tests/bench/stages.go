package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stage is one way of moving a table.
type Stage string

// The stages, in the order the report lists them.
const (
	// StageMySQL is `mariadb --quick -N -e 'SELECT * FROM t' > /dev/null`.
	StageMySQL Stage = "mysql --quick"
	// StageScan is a bare go-sql-driver scan into sql.RawBytes.
	StageScan Stage = "driver scan"
	// StageSource is `source-mysql-radar read > /dev/null`.
	StageSource Stage = "source"
	// StageDestination is `destination-s3-parquet write < recorded.jsonl`.
	StageDestination Stage = "destination"
	// StagePipe is `source read | destination write` into the S3 server.
	StagePipe Stage = "pipe"
	// StageSocket1, 2 and 4 are the same sync in socket mode (Airbyte's
	// data channel, PROTOBUF) over 1, 2 and 4 sockets: records go from the
	// source to the destination over Unix sockets, read as that many
	// partitions in parallel (key ranges of the table).
	StageSocket1 Stage = "socket ×1"
	StageSocket2 Stage = "socket ×2"
	StageSocket4 Stage = "socket ×4"
)

// Stages lists every stage measured per table.
var Stages = []Stage{StageMySQL, StageScan, StageSource, StageDestination, StagePipe, StageSocket1, StageSocket2, StageSocket4}

// SocketStages are the socket-mode stages, with their socket counts.
var SocketStages = map[Stage]int{StageSocket1: 1, StageSocket2: 2, StageSocket4: 4}

// Process names in Measurement.Procs.
const (
	ProcMySQL       = "mariadb client"
	ProcScan        = "driver scan"
	ProcSource      = "source"
	ProcDestination = "destination"
)

// Measurement is one run of one stage on one table.
type Measurement struct {
	Table string
	Stage Stage
	Rep   int
	Rows  int64
	Wall  time.Duration
	// Procs are the processes the stage ran, with their rusage.
	Procs []ProcStats
	// ServerCPU is mariadbd's CPU time during the stage (whole server, -1
	// if it could not be read); S3CPU is the S3 server's.
	ServerCPU time.Duration
	S3CPU     time.Duration
	// Parquet output (destination and pipe stages).
	OutputBytes  int64
	Objects      int
	ParquetRows  int64
	RowGroups    int
	Err          string
	LoadAvgStart float64
	// QuietWait is how long the stage waited for the machine to be quiet,
	// BusyBefore the busy cores at its start (whole machine).
	QuietWait  time.Duration
	BusyBefore float64
	// OthersCPU is the CPU time the rest of the machine (other engineers'
	// work, the kernel) used during the stage: /proc/stat's busy time less
	// the stage's processes, mariadbd and the S3 server (-1 if unknown).
	OthersCPU time.Duration
	// Disturbed marks a run during which the rest of the machine kept more
	// than Options.DisturbedCores busy; it was repeated, and the summaries
	// leave it out while undisturbed runs exist.
	Disturbed bool
}

// OthersCores is OthersCPU over the wall time (-1 if unknown).
func (m *Measurement) OthersCores() float64 {
	if m.OthersCPU < 0 || m.Wall <= 0 {
		return -1
	}
	return m.OthersCPU.Seconds() / m.Wall.Seconds()
}

// Proc returns the stats of the named process (nil if the stage has none).
func (m *Measurement) Proc(name string) *ProcStats {
	for i := range m.Procs {
		if m.Procs[i].Name == name {
			return &m.Procs[i]
		}
	}
	return nil
}

// RowsPerSec is rows over wall time.
func (m *Measurement) RowsPerSec() float64 {
	if m.Wall <= 0 {
		return 0
	}
	return float64(m.Rows) / m.Wall.Seconds()
}

const procTimeout = 15 * time.Minute

// stageMySQL runs the MariaDB client with its output discarded by the
// kernel.
func (e *env) stageMySQL(ctx context.Context, m *Measurement, table string) error {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	p := e.mysqlProc(table)
	p.Stdout = devnull
	st, wall, err := p.run(procTimeout)
	m.Procs, m.Wall = append(m.Procs, st), wall
	return err
}

// mysqlArgs are the client's arguments for a full scan of table.
func (e *env) mysqlArgs(table string) []string {
	return []string{"-h", e.my.Host, "-P", strconv.Itoa(e.my.Port), "-u", e.my.User, "--default-character-set=utf8mb4",
		"--quick", "-N", "-e", "SELECT * FROM `" + e.database + "`.`" + table + "`"}
}

func (e *env) mysqlProc(table string) *proc {
	var env []string
	if e.my.Password != "" {
		env = append(env, "MYSQL_PWD="+e.my.Password)
	}
	return newProc(e.opts.Rusage, ProcMySQL, e.mysqlBin, e.mysqlArgs(table), env)
}

// dumpTSV runs the client once into a byte counter: the TSV size of the
// table (and a warm-up that loads the buffer pool).
func (e *env) dumpTSV(ctx context.Context, table string) (int64, time.Duration, error) {
	p := e.mysqlProc(table)
	out, err := p.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := p.Start(); err != nil {
		return 0, 0, err
	}
	n, cerr := io.Copy(io.Discard, out)
	if _, err := p.Wait(); err != nil {
		return 0, 0, fmt.Errorf("dump %s as TSV: %w", table, err)
	}
	return n, time.Since(start), cerr
}

// stageScan runs the bare driver scan as a child process (this program's
// rawscan mode), so that its CPU and memory are measured like the others'.
func (e *env) stageScan(ctx context.Context, m *Measurement, table string) error {
	p := newProc(e.opts.Rusage, ProcScan, e.opts.Self, []string{"rawscan", "-dsn", e.my.DSN(e.database), "-table", table}, nil)
	var out bytes.Buffer
	p.Stdout = &out
	st, wall, err := p.run(procTimeout)
	m.Procs, m.Wall = append(m.Procs, st), wall
	if err != nil {
		return err
	}
	var res ScanResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("read the scan's result %q: %w", out.String(), err)
	}
	if res.Rows != m.Rows {
		return fmt.Errorf("the driver scan read %d rows, the table has %d", res.Rows, m.Rows)
	}
	return nil
}

// stageSource runs `source read` with stdout discarded by the kernel.
func (e *env) stageSource(ctx context.Context, m *Measurement, table string) error {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	p := newProc(e.opts.Rusage, ProcSource, e.opts.SourceBin, e.sourceArgs(table), e.opts.SourceEnv)
	p.Stdout = devnull
	st, wall, err := p.run(procTimeout)
	m.Procs, m.Wall = append(m.Procs, st), wall
	return err
}

func (e *env) sourceArgs(table string) []string {
	return []string{"read", "--config", e.sourceConfig, "--catalog", e.catalogs[table]}
}

// stageDestination feeds the recorded source output of table to
// `destination write` (stdin is the file itself).
func (e *env) stageDestination(ctx context.Context, m *Measurement, table string) error {
	in, err := os.Open(e.recordings[table])
	if err != nil {
		return fmt.Errorf("open recording of %s: %w", table, err)
	}
	defer in.Close()
	prefix, cfg, err := e.destinationConfigFor(m)
	if err != nil {
		return err
	}
	p := newProc(e.opts.Rusage, ProcDestination, e.opts.DestinationBin, []string{"write", "--config", cfg, "--catalog", e.catalogs[table]}, e.opts.DestinationEnv)
	p.Stdin = in
	p.Stdout = &lineCounter{}
	st, wall, err := p.run(procTimeout)
	m.Procs, m.Wall = append(m.Procs, st), wall
	if err != nil {
		return err
	}
	return e.collectOutput(ctx, m, prefix)
}

// stagePipe runs `source read | destination write` through one kernel
// pipe, as a shell would.
func (e *env) stagePipe(ctx context.Context, m *Measurement, table string) error {
	prefix, cfg, err := e.destinationConfigFor(m)
	if err != nil {
		return err
	}
	src := newProc(e.opts.Rusage, ProcSource, e.opts.SourceBin, e.sourceArgs(table), e.opts.SourceEnv)
	dst := newProc(e.opts.Rusage, ProcDestination, e.opts.DestinationBin, []string{"write", "--config", cfg, "--catalog", e.catalogs[table]}, e.opts.DestinationEnv)
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	src.Stdout, dst.Stdin = w, r
	dst.Stdout = &lineCounter{}
	start := time.Now()
	if err := dst.Start(); err != nil {
		r.Close()
		w.Close()
		return err
	}
	if err := src.Start(); err != nil {
		r.Close()
		w.Close()
		dst.kill()
		dst.Wait()
		return err
	}
	r.Close()
	w.Close()
	return e.waitSync(ctx, m, src, dst, start, prefix)
}

// waitSync waits for a started source and destination (both killed after
// procTimeout), records the wall time since start and both processes'
// stats, and collects the Parquet output under prefix.
func (e *env) waitSync(ctx context.Context, m *Measurement, src, dst *proc, start time.Time, prefix string) error {
	kill := time.AfterFunc(procTimeout, func() {
		src.kill()
		dst.kill()
	})
	defer kill.Stop()
	type done struct {
		st  ProcStats
		err error
	}
	srcDone := make(chan done, 1)
	go func() {
		st, err := src.Wait()
		srcDone <- done{st, err}
	}()
	dstStats, derr := dst.Wait()
	m.Wall = time.Since(start)
	sd := <-srcDone
	m.Procs = append(m.Procs, sd.st, dstStats)
	if sd.err != nil {
		return sd.err
	}
	if derr != nil {
		return derr
	}
	return e.collectOutput(ctx, m, prefix)
}

// stageSocket runs the sync in socket mode over n sockets, as the platform
// does: both processes get the DATA_CHANNEL_* environment, the source's
// stdout carries states (copies) and control messages, the destination's
// stdin is empty and closed.
func (e *env) stageSocket(ctx context.Context, m *Measurement, table string, n int) error {
	prefix, cfg, err := e.destinationConfigFor(m)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bsk")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var paths []string
	for i := 1; i <= n; i++ {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("airbyte_socket_%d.sock", i)))
	}
	env := []string{"DATA_CHANNEL_MEDIUM=SOCKET", "DATA_CHANNEL_FORMAT=PROTOBUF", "DATA_CHANNEL_SOCKET_PATHS=" + strings.Join(paths, ",")}
	src := newProc(e.opts.Rusage, ProcSource, e.opts.SourceBin, e.sourceArgs(table), append(slices.Clone(e.opts.SourceEnv), env...))
	dst := newProc(e.opts.Rusage, ProcDestination, e.opts.DestinationBin, []string{"write", "--config", cfg, "--catalog", e.catalogs[table]}, append(slices.Clone(e.opts.DestinationEnv), env...))
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	src.Stdout, dst.Stdin = &lineCounter{}, devnull
	dst.Stdout = &lineCounter{}
	start := time.Now()
	if err := src.Start(); err != nil {
		return err
	}
	if err := dst.Start(); err != nil {
		src.kill()
		src.Wait()
		return err
	}
	return e.waitSync(ctx, m, src, dst, start, prefix)
}

// record writes the source's output for the named streams to path and
// returns the number of RECORD lines.
func (e *env) record(ctx context.Context, catalog, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	p := newProc(e.opts.Rusage, ProcSource, e.opts.SourceBin, []string{"read", "--config", e.sourceConfig, "--catalog", catalog}, e.opts.SourceEnv)
	p.Stdout = f
	_, _, err = p.run(procTimeout)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("record source output into %s: %w", filepath.Base(path), err)
	}
	return countRecords(path)
}

var recordPrefix = []byte(`{"type":"RECORD"`)

// countRecords counts the RECORD lines of a JSONL file.
func countRecords(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var n int64
	atStart := true
	for {
		line, err := r.ReadSlice('\n')
		if atStart && bytes.HasPrefix(line, recordPrefix) {
			n++
		}
		atStart = err == nil
		if err == io.EOF {
			return n, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return n, err
		}
	}
}

// lineCounter counts lines written to it (the destination's echoed states).
type lineCounter struct{ lines int }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// destinationConfigFor writes a destination config whose bucket path is
// unique to the measurement.
func (e *env) destinationConfigFor(m *Measurement) (prefix, path string, err error) {
	e.runSeq++
	prefix = fmt.Sprintf("bench/run%04d-%s-%s", e.runSeq, strings.ReplaceAll(m.Table, "_", "-"), m.Stage)
	prefix = strings.ReplaceAll(prefix, " ", "-")
	cfg := map[string]any{
		"s3_bucket_name": Bucket, "s3_bucket_path": prefix, "s3_bucket_region": e.s3.Region,
		"s3_endpoint": e.s3.Endpoint, "access_key_id": e.s3.AccessKey, "secret_access_key": e.s3.SecretKey,
		"s3_path_format": PathFormat,
		"format":         map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY"},
	}
	path = filepath.Join(e.dir, "destination.json")
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", "", err
	}
	return prefix, path, os.WriteFile(path, b, 0o600)
}

// Bucket and PathFormat are the team's bucket name and object layout.
const (
	Bucket     = "cognitivo-datalake"
	PathFormat = "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}"
)

// collectOutput sums the Parquet objects written under prefix (read from
// the S3 server's posix directory), checks their row count, and removes
// them so the disk does not fill up.
func (e *env) collectOutput(ctx context.Context, m *Measurement, prefix string) error {
	dir := filepath.Join(e.s3.Dir, Bucket, filepath.FromSlash(prefix))
	defer os.RemoveAll(dir)
	info, err := ParquetSummary(dir)
	if err != nil {
		return fmt.Errorf("read the Parquet output of %s: %w", m.Table, err)
	}
	m.OutputBytes, m.Objects, m.ParquetRows, m.RowGroups = info.Bytes, info.Files, info.Rows, info.RowGroups
	if info.Rows != m.Rows {
		return fmt.Errorf("the Parquet files under %s hold %d rows, the table has %d", prefix, info.Rows, m.Rows)
	}
	return nil
}

package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// Options configure a run.
type Options struct {
	// Rows per table (the many-streams case splits this many store rows
	// over Streams tables).
	Rows int64
	// Reps is how many times each stage runs per table.
	Reps int
	// Tables to measure (names of Tables()); empty means all.
	Tables []string
	// Streams is the number of tables of the many-streams case (0: skip).
	Streams int
	// StreamsReps is how many times the many-streams stages run.
	StreamsReps int
	// Seed of the generated data.
	Seed uint64
	// SourceBin and DestinationBin are the connector binaries.
	SourceBin, DestinationBin string
	// SourceEnv and DestinationEnv are added to the connectors' environment.
	SourceEnv, DestinationEnv []string
	// Self is this program (cmd/bench): its rawscan mode is the driver
	// scan.
	Self string
	// Rusage is the rusage helper (cmd/bench/rusage) every measured process
	// runs under; empty runs them directly (peak RSS then has this
	// program's RSS as a floor).
	Rusage string
	// WorkDir holds recordings and configs (removed at the end).
	WorkDir string
	// BufferPool is the innodb_buffer_pool_size to set at run time when the
	// server's is smaller (0: leave it); the old size is restored at the end
	// unless KeepBufferPool.
	BufferPool     int64
	KeepBufferPool bool
	// Profile, when set, is a folder: after the measurements, each table's
	// pipe runs once more with CPU profiles of both connectors written there.
	Profile string
	// ProfileSourceBin and ProfileDestinationBin are profiling builds
	// (BuildProfiling); they write a CPU profile to $RADAR_BENCH_CPUPROFILE.
	ProfileSourceBin, ProfileDestinationBin string
	// QuietCores: before each stage, wait until the machine keeps fewer
	// than this many cores busy (other engineers' builds and tests), at most
	// QuietWait per stage and QuietBudget in all. 0 does not wait.
	QuietCores  float64
	QuietWait   time.Duration
	QuietBudget time.Duration
	// DisturbedCores: a run during which the rest of the machine kept more
	// than this many cores busy is repeated, up to Retries times per stage,
	// and left out of the medians (0: never).
	DisturbedCores float64
	Retries        int
	// Log receives progress lines.
	Log io.Writer `json:"-"`
}

// Result is everything a run measured.
type Result struct {
	Opts     Options
	Machine  Machine
	Database string
	Server   ServerInfo
	// Loads says which tables were generated in this run and how long it took.
	Loads []LoadResult
	// Tables are the measured tables, with the many-streams case last.
	Tables []TableInfo
	// Measurements of every stage run, in the order they ran.
	Measurements []Measurement
	Profiles     []ProfileSummary
	Started      time.Time
	Finished     time.Time
	// MeasureStart is when the first measured stage started (after setup).
	MeasureStart time.Time
	LoadStart    [3]float64
	LoadEnd      [3]float64
	Versions     map[string]string
	// Commands are the exact commands of one run of each stage.
	Commands []string
	// Command is how the benchmark was started.
	Command  string
	Warnings []string
}

// ServerInfo is what the run found out about MariaDB.
type ServerInfo struct {
	Version          string
	Addr             string
	PID              int
	TLS              string
	BufferPoolBefore int64
	BufferPoolDuring int64
	BufferPoolNote   string
}

// TableInfo describes one measured table.
type TableInfo struct {
	Name    string
	Streams int
	Rows    int64
	Columns int
	Size    TableSize
	// TSVBytes is the size of `mariadb --quick -N` output.
	TSVBytes int64
	// RecordingBytes is the size of the source's JSONL output.
	RecordingBytes int64
}

// ManyStreamsTable is the name the many-streams case has in the report.
const ManyStreamsTable = "store80"

type env struct {
	opts         Options
	tb           *tb
	my           *harness.MySQL
	database     string
	s3           *harness.S3Server
	mysqlBin     string
	dir          string
	sourceConfig string
	catalogs     map[string]string
	recordings   map[string]string
	serverPID    int
	s3PID        int
	runSeq       int
	quietUsed    time.Duration
}

func (e *env) logf(format string, args ...any) {
	if e.opts.Log != nil {
		fmt.Fprintf(e.opts.Log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

// Run sets up everything (MariaDB tables, an S3 server, catalogs,
// recordings), measures every stage, and returns the result. It cleans
// up what it started.
func Run(ctx context.Context, opts Options) (*Result, error) {
	res := &Result{Opts: opts, Machine: ReadMachine(), Started: time.Now(), LoadStart: LoadAvg(), Versions: map[string]string{}}
	e := &env{opts: opts, tb: &tb{}, catalogs: map[string]string{}, recordings: map[string]string{}}
	defer e.tb.Close()
	tables, err := selectTables(opts.Tables)
	if err != nil {
		return nil, err
	}
	if e.mysqlBin, err = lookClient(); err != nil {
		return nil, err
	}
	if err := e.tb.withTB(func(t testing.TB) { e.my = harness.SharedMySQL(t) }); err != nil {
		return nil, err
	}
	defer e.my.Stop() // stops only a server SharedMySQL started itself
	res.Server.Addr = fmt.Sprintf("%s:%d", e.my.Host, e.my.Port)
	if err := e.serverInfo(ctx, res); err != nil {
		return nil, err
	}
	if !opts.KeepBufferPool && res.Server.BufferPoolDuring != res.Server.BufferPoolBefore {
		defer func() {
			if err := setBufferPool(context.Background(), e.my.Root, res.Server.BufferPoolBefore); err != nil {
				res.Warnings = append(res.Warnings, "restore innodb_buffer_pool_size: "+err.Error())
			}
		}()
	}
	e.database = DatabaseFor(opts.Rows)
	res.Database = e.database
	if err := EnsureDatabase(ctx, e.my.Root, e.database); err != nil {
		return nil, err
	}
	needStore := opts.Streams > 0
	for _, t := range tables {
		needStore = needStore && t.Name != "store"
	}
	gen := tables
	if needStore {
		gen = append(append([]Table(nil), tables...), store)
	}
	for _, t := range gen {
		e.logf("table %s: checking %s (%d rows)", t.Name, e.database, opts.Rows)
		lr, err := EnsureTable(ctx, e.my.Root, e.database, t, opts.Rows, opts.Seed)
		if err != nil {
			return nil, err
		}
		if lr.Generated {
			e.logf("table %s: generated in %s", t.Name, lr.Duration.Round(time.Millisecond))
		}
		res.Loads = append(res.Loads, lr)
	}
	if opts.Streams > 0 {
		e.logf("%d copies of store for the many-streams case", opts.Streams)
		lr, err := EnsureManyTables(ctx, e.my.Root, e.database, opts.Streams, opts.Rows, opts.Seed)
		if err != nil {
			return nil, err
		}
		res.Loads = append(res.Loads, lr)
	}

	if e.dir, err = os.MkdirTemp(opts.WorkDir, "radar-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(e.dir)
	e.logf("starting the S3 server (versitygw %s)", harness.VersityGWVersion)
	if err := e.tb.withTB(func(t testing.TB) { e.s3 = harness.StartS3(t, Bucket) }); err != nil {
		return nil, err
	}
	e.s3PID = ChildPID("versitygw")
	if err := e.writeSourceConfig(); err != nil {
		return nil, err
	}
	cat, err := e.discover(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tables))
	for _, t := range tables {
		names = append(names, t.Name)
	}
	sizes, err := Sizes(ctx, e.my.Root, e.database, names)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		ti := TableInfo{Name: t.Name, Streams: 1, Rows: opts.Rows, Columns: len(t.Columns), Size: sizes[t.Name]}
		if e.catalogs[t.Name], err = e.writeCatalog(cat, t.Name, []string{t.Name}); err != nil {
			return nil, err
		}
		e.logf("table %s: TSV dump (buffer pool warm-up)", t.Name)
		if ti.TSVBytes, _, err = e.dumpTSV(ctx, t.Name); err != nil {
			return nil, err
		}
		e.logf("table %s: recording the source's output", t.Name)
		e.recordings[t.Name] = filepath.Join(e.dir, t.Name+".jsonl")
		n, err := e.record(ctx, e.catalogs[t.Name], e.recordings[t.Name])
		if err != nil {
			return nil, err
		}
		if n != ti.Rows {
			return nil, fmt.Errorf("the source emitted %d records of %s, the table has %d rows", n, t.Name, ti.Rows)
		}
		if st, err := os.Stat(e.recordings[t.Name]); err == nil {
			ti.RecordingBytes = st.Size()
		}
		res.Tables = append(res.Tables, ti)
	}
	if opts.Streams > 0 {
		ti, err := e.prepareManyStreams(ctx, cat)
		if err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, ti)
	}
	res.Commands = e.commands(tables)

	res.MeasureStart = time.Now()
	rows := map[string]int64{}
	for _, ti := range res.Tables {
		rows[ti.Name] = ti.Rows
	}
	total := opts.Reps * len(tables) * len(Stages)
	done := 0
	for rep := 0; rep < opts.Reps; rep++ {
		for ti, t := range tables {
			// Rotate the stage order per repetition and table, so no stage
			// always runs first or after the same neighbour.
			for k := range Stages {
				stage := Stages[(k+rep+ti)%len(Stages)]
				done++
				res.Measurements = append(res.Measurements, e.measureUndisturbed(ctx, t.Name, stage, rep, rows[t.Name], fmt.Sprintf("[%d/%d]", done, total))...)
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
			}
		}
	}
	if opts.Streams > 0 {
		for rep := 0; rep < opts.StreamsReps; rep++ {
			for _, stage := range []Stage{StagePipe, StageSocket4, StageDestination} {
				res.Measurements = append(res.Measurements, e.measureUndisturbed(ctx, ManyStreamsTable, stage, rep, rows[ManyStreamsTable], fmt.Sprintf("%d streams", opts.Streams))...)
			}
		}
	}
	if opts.Profile != "" {
		res.Profiles, err = e.profile(ctx, tables, res)
		if err != nil {
			res.Warnings = append(res.Warnings, "profiles: "+err.Error())
		}
	}
	res.Versions["source-mysql-radar"] = commandVersion(opts.SourceBin, "--version")
	res.Versions["destination-s3-parquet"] = commandVersion(opts.DestinationBin, "--version")
	res.Versions["mariadb client"] = commandVersion(e.mysqlBin, "--version")
	res.Versions["versitygw"] = harness.VersityGWVersion
	res.Versions["repository"] = repoVersion()
	res.Finished = time.Now()
	res.LoadEnd = LoadAvg()
	return res, nil
}

// measureUndisturbed measures a stage, and again (at most Retries more
// times) while the rest of the machine disturbed it; the runs it repeated
// are returned too, marked Disturbed.
func (e *env) measureUndisturbed(ctx context.Context, table string, stage Stage, rep int, rows int64, label string) []Measurement {
	var out []Measurement
	for try := 0; ; try++ {
		m := e.measure(ctx, table, stage, rep, rows)
		disturbed := e.opts.DisturbedCores > 0 && m.Err == "" && m.OthersCores() > e.opts.DisturbedCores
		if disturbed && try < e.opts.Retries && ctx.Err() == nil {
			m.Disturbed = true
			e.logf("%s %-18s %-13s %s — disturbed, again", label, table, stage, m.line())
			out = append(out, m)
			continue
		}
		e.logf("%s %-18s %-13s %s", label, table, stage, m.line())
		return append(out, m)
	}
}

func (e *env) measure(ctx context.Context, table string, stage Stage, rep int, rows int64) Measurement {
	m := Measurement{Table: table, Stage: stage, Rep: rep, Rows: rows, OthersCPU: -1}
	if budget := e.opts.QuietBudget - e.quietUsed; budget > 0 {
		m.QuietWait, m.BusyBefore = waitQuiet(ctx, e.opts.QuietCores, min(e.opts.QuietWait, budget))
		e.quietUsed += m.QuietWait
	}
	m.LoadAvgStart = LoadAvg()[0]
	machine, machineErr := MachineBusy()
	server, s3 := startMeter(e.serverPID), startMeter(e.s3PID)
	var err error
	switch stage {
	case StageMySQL:
		err = e.stageMySQL(ctx, &m, table)
	case StageScan:
		err = e.stageScan(ctx, &m, table)
	case StageSource:
		err = e.stageSource(ctx, &m, table)
	case StageDestination:
		err = e.stageDestination(ctx, &m, table)
	case StagePipe:
		err = e.stagePipe(ctx, &m, table)
	case StageSocket1, StageSocket2, StageSocket4:
		err = e.stageSocket(ctx, &m, table, SocketStages[stage])
	}
	m.ServerCPU, m.S3CPU = server.stop(), s3.stop()
	if after, err := MachineBusy(); err == nil && machineErr == nil && m.ServerCPU >= 0 {
		others := after - machine - m.ServerCPU - max(m.S3CPU, 0)
		for _, p := range m.Procs {
			others -= p.CPU
		}
		m.OthersCPU = max(others, 0)
	}
	if err != nil {
		m.Err = err.Error()
	}
	return m
}

func (m *Measurement) line() string {
	if m.Err != "" {
		return "FAILED: " + m.Err
	}
	s := fmt.Sprintf("%7.2fs %9.0f rows/s", m.Wall.Seconds(), m.RowsPerSec())
	if m.OthersCPU >= 0 && m.Wall > 0 {
		s += fmt.Sprintf("  others %.2f cores", m.OthersCPU.Seconds()/m.Wall.Seconds())
	}
	if m.QuietWait > time.Second {
		s += fmt.Sprintf(" (waited %s for quiet)", m.QuietWait.Round(time.Second))
	}
	for _, p := range m.Procs {
		s += fmt.Sprintf("  %s %.2f CPU-s %d MB", p.Name, p.CPU.Seconds(), p.MaxRSS>>20)
	}
	if m.ServerCPU >= 0 {
		s += fmt.Sprintf("  mariadbd %.2f CPU-s", m.ServerCPU.Seconds())
	}
	return s
}

func selectTables(names []string) ([]Table, error) {
	if len(names) == 0 {
		return Tables(), nil
	}
	var out []Table
	for _, n := range names {
		t, ok := TableByName(n)
		if !ok {
			return nil, fmt.Errorf("unknown table %q (have narrow, store, text_heavy, decimal_time_heavy)", n)
		}
		out = append(out, t)
	}
	return out, nil
}

// repoVersion is the repository's HEAD commit, and whether the connectors'
// folders had uncommitted changes (the binaries are built from the working
// tree).
func repoVersion() string {
	head := commandVersion("git", "rev-parse", "--short", "HEAD")
	if head == "" {
		return "unknown (not a git checkout)"
	}
	root := commandVersion("git", "rev-parse", "--show-toplevel")
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", "protocol", "source-mysql-radar", "destination-s3-parquet").Output()
	if err == nil && len(strings.TrimSpace(string(out))) > 0 {
		return "HEAD " + head + ", with uncommitted changes in the connectors' folders (binaries are built from the working tree)"
	}
	return "HEAD " + head
}

// lookClient finds the MariaDB (or MySQL) command-line client.
func lookClient() (string, error) {
	for _, n := range []string{"mariadb", "mysql"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("neither the mariadb nor the mysql command-line client is installed (apt-get install mariadb-client)")
}

func (e *env) serverInfo(ctx context.Context, res *Result) error {
	db := e.my.Root
	var pidFile, ssl string
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@pid_file, @@innodb_buffer_pool_size").Scan(&res.Server.Version, &pidFile, &res.Server.BufferPoolBefore); err != nil {
		return fmt.Errorf("read server settings: %w", err)
	}
	var name string
	if err := db.QueryRowContext(ctx, "SHOW VARIABLES LIKE 'have_ssl'").Scan(&name, &ssl); err == nil {
		res.Server.TLS = ssl
	}
	if b, err := os.ReadFile(pidFile); err == nil {
		e.serverPID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if e.serverPID > 0 {
		if _, err := ProcCPU(e.serverPID); err != nil {
			e.serverPID = 0
		}
	}
	res.Server.PID = e.serverPID
	res.Server.BufferPoolDuring = res.Server.BufferPoolBefore
	if e.opts.BufferPool > res.Server.BufferPoolBefore {
		if err := setBufferPool(ctx, db, e.opts.BufferPool); err != nil {
			res.Server.BufferPoolNote = "could not be raised at run time: " + err.Error()
			return nil
		}
		db.QueryRowContext(ctx, "SELECT @@innodb_buffer_pool_size").Scan(&res.Server.BufferPoolDuring)
		res.Server.BufferPoolNote = fmt.Sprintf("raised at run time from %d MiB to %d MiB (SET GLOBAL innodb_buffer_pool_size)",
			res.Server.BufferPoolBefore>>20, res.Server.BufferPoolDuring>>20)
		if !e.opts.KeepBufferPool {
			res.Server.BufferPoolNote += ", restored at the end"
		}
	}
	return nil
}

// setBufferPool resizes the InnoDB buffer pool and waits for the resize.
func setBufferPool(ctx context.Context, db *sql.DB, size int64) error {
	if _, err := db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL innodb_buffer_pool_size = %d", size)); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var name, status string
		err := db.QueryRowContext(ctx, "SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'").Scan(&name, &status)
		if err != nil || status == "" || strings.Contains(strings.ToLower(status), "complete") {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

func (e *env) writeSourceConfig() error {
	// The team's production config, pointed at the benchmark database.
	cfg := map[string]any{
		"host": e.my.Host, "port": e.my.Port, "database": e.database, "username": e.my.User, "password": e.my.Password,
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD", "initial_waiting_seconds": 300},
		"jdbc_url_params":    "allowPublicKeyRetrieval=true&useSSL=false",
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	e.sourceConfig = filepath.Join(e.dir, "source.json")
	return os.WriteFile(e.sourceConfig, b, 0o600)
}

func (e *env) discover(ctx context.Context) (*protocol.Catalog, error) {
	r, err := harness.Command(ctx, e.opts.SourceBin, nil, e.opts.SourceEnv, "discover", "--config", e.sourceConfig)
	if err != nil {
		return nil, err
	}
	for _, m := range r.Messages {
		if m.Type == protocol.TypeCatalog && m.Catalog != nil {
			return m.Catalog, nil
		}
	}
	return nil, fmt.Errorf("discover printed no catalog (exit %d): %s", r.Code, lastLine(string(r.Stderr)+string(r.Stdout), 800))
}

// writeCatalog writes a configured catalog of the named streams (full
// refresh, overwrite, as the team's nightly syncs run).
func (e *env) writeCatalog(cat *protocol.Catalog, file string, streams []string) (string, error) {
	var cc protocol.ConfiguredCatalog
	gen, minGen, syncID := int64(1), int64(1), int64(1)
	for _, name := range streams {
		found := false
		for _, s := range cat.Streams {
			if s.Name != name {
				continue
			}
			found = true
			cc.Streams = append(cc.Streams, protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeFullRefresh,
				DestinationSyncMode: protocol.DestinationOverwrite, PrimaryKey: s.SourceDefinedPrimaryKey,
				GenerationID: &gen, MinimumGenerationID: &minGen, SyncID: &syncID})
		}
		if !found {
			return "", fmt.Errorf("discover found no stream %s", name)
		}
	}
	b, err := json.Marshal(cc)
	if err != nil {
		return "", err
	}
	path := filepath.Join(e.dir, file+".catalog.json")
	return path, os.WriteFile(path, b, 0o600)
}

func (e *env) prepareManyStreams(ctx context.Context, cat *protocol.Catalog) (TableInfo, error) {
	n := e.opts.Streams
	per := e.opts.Rows / int64(n)
	ti := TableInfo{Name: ManyStreamsTable, Streams: n, Rows: per * int64(n), Columns: len(store.Columns)}
	names := make([]string, n)
	for i := range names {
		names[i] = ManyTablesName(i)
	}
	sizes, err := Sizes(ctx, e.my.Root, e.database, names)
	if err != nil {
		return ti, err
	}
	for _, s := range sizes {
		ti.Size.DataLength += s.DataLength
		ti.Size.IndexLength += s.IndexLength
	}
	if e.catalogs[ManyStreamsTable], err = e.writeCatalog(cat, ManyStreamsTable, names); err != nil {
		return ti, err
	}
	for _, name := range names {
		n, _, err := e.dumpTSV(ctx, name)
		if err != nil {
			return ti, err
		}
		ti.TSVBytes += n
	}
	e.logf("%d streams: recording the source's output", n)
	seq := filepath.Join(e.dir, ManyStreamsTable+".sequential.jsonl")
	got, err := e.record(ctx, e.catalogs[ManyStreamsTable], seq)
	if err != nil {
		return ti, err
	}
	if got != ti.Rows {
		return ti, fmt.Errorf("the source emitted %d records of the %d streams, the tables have %d rows", got, n, ti.Rows)
	}
	e.recordings[ManyStreamsTable] = filepath.Join(e.dir, ManyStreamsTable+".jsonl")
	if err := Interleave(seq, e.recordings[ManyStreamsTable], e.dir); err != nil {
		return ti, fmt.Errorf("interleave the %d streams: %w", n, err)
	}
	os.Remove(seq)
	if st, err := os.Stat(e.recordings[ManyStreamsTable]); err == nil {
		ti.RecordingBytes = st.Size()
	}
	return ti, nil
}

// commands lists the exact commands of one repetition of each stage.
func (e *env) commands(tables []Table) []string {
	t := "store"
	if len(tables) > 0 {
		t = tables[0].Name
		for _, x := range tables {
			if x.Name == "store" {
				t = "store"
			}
		}
	}
	q := func(args []string) string {
		out := make([]string, len(args))
		for i, a := range args {
			if strings.ContainsAny(a, " '`*$&?;<>|()") {
				a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
			}
			out[i] = a
		}
		return strings.Join(out, " ")
	}
	src := e.opts.SourceBin
	dst := e.opts.DestinationBin
	return []string{
		q(append([]string{e.mysqlBin}, e.mysqlArgs(t)...)) + " > /dev/null",
		q([]string{"bench", "rawscan", "-dsn", e.my.DSN(e.database), "-table", t}) +
			"   # go-sql-driver, rows.Scan into []sql.RawBytes",
		q([]string{src, "read", "--config", "source.json", "--catalog", t + ".catalog.json"}) + " > /dev/null",
		q([]string{src, "read", "--config", "source.json", "--catalog", t + ".catalog.json"}) + " > " + t + ".jsonl   # once per table, not timed",
		q([]string{dst, "write", "--config", "destination.json", "--catalog", t + ".catalog.json"}) + " < " + t + ".jsonl",
		q([]string{src, "read", "--config", "source.json", "--catalog", t + ".catalog.json"}) + " | " +
			q([]string{dst, "write", "--config", "destination.json", "--catalog", t + ".catalog.json"}),
	}
}

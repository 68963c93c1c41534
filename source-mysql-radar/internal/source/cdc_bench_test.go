package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/cognitivo/radar-connectors/protocol/airbytecli"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// The CDC benchmark reads 1,000,000 changes of the 24-column store table
// (500,000 inserts in multi-row INSERTs of 1,000 rows, then 500,000
// updates of 1,000 rows per statement) from the binary log of a dedicated
// mariadbd. The server's data directory, the changes and the state that
// starts the read before them are generated once and kept in
// $TMPDIR/srcradar-cdc-bench-v1 between runs (about 1 GB; delete it to
// start over).
const (
	cdcBenchDir     = "srcradar-cdc-bench-v1"
	cdcBenchDB      = "cdcbench"
	cdcBenchChanges = 1_000_000
)

// BenchmarkCDCRead1M compares `source-mysql-radar read > /dev/null` from a
// state before the 1M changes with a bare go-mysql replication stream that
// receives the same events without decoding rows, in the same run, and
// reports changes per second of both, their ratio, and the source's peak
// RSS.
//
//	go test ./internal/source -run '^$' -bench CDCRead1M -benchtime 3x -timeout 30m
func BenchmarkCDCRead1M(b *testing.B) {
	dir := filepath.Join(os.TempDir(), cdcBenchDir)
	srv, err := testdb.Launch(dir, testdb.BinlogArgs...)
	if errors.Is(err, testdb.ErrNoMariaDB) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	statePath := filepath.Join(dir, "state.json")
	if _, err := os.Stat(statePath); err != nil {
		generateCDCBench(b, srv, statePath)
	}
	cfg := srv.Config(cdcBenchDB, map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 1200}})
	work := b.TempDir()
	cfgPath := filepath.Join(work, "config.json")
	catPath := filepath.Join(work, "catalog.json")
	os.WriteFile(cfgPath, mustJSON(cfg), 0o600)
	os.WriteFile(catPath, mustJSON(allColumnsCatalog(cdcBenchDB, "store")), 0o600)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	start, err := startOfBench(statePath)
	if err != nil {
		b.Fatal(err)
	}

	var rawBest, srcBest time.Duration
	var maxRSS int64
	runSource := func() {
		d, rss := runSourceRead(b, binary, devnull, "read", "--config", cfgPath, "--catalog", catPath, "--state", statePath)
		if srcBest == 0 || d < srcBest {
			srcBest = d
		}
		maxRSS = max(maxRSS, rss)
	}
	i := 0
	for b.Loop() {
		if i%2 == 1 {
			runSource()
		}
		if d := rawStream(b, srv, start); rawBest == 0 || d < rawBest {
			rawBest = d
		}
		if i%2 == 0 {
			runSource()
		}
		i++
	}
	rawRate := cdcBenchChanges / rawBest.Seconds()
	srcRate := cdcBenchChanges / srcBest.Seconds()
	b.ReportMetric(rawRate, "raw_stream_changes/s")
	b.ReportMetric(srcRate, "source_changes/s")
	b.ReportMetric(srcRate/rawRate, "ratio")
	b.ReportMetric(float64(maxRSS)/1024, "source_peak_rss_MB")
}

// startOfBench reads the binary log position of the saved state.
func startOfBench(statePath string) (binlog.Position, error) {
	b, err := os.ReadFile(statePath)
	if err != nil {
		return binlog.Position{}, err
	}
	var states []struct {
		Global struct {
			SharedState struct {
				Binlog binlog.Position `json:"binlog"`
			} `json:"shared_state"`
		} `json:"global"`
	}
	if err := json.Unmarshal(b, &states); err != nil || len(states) != 1 {
		return binlog.Position{}, fmt.Errorf("state %s: %v", statePath, err)
	}
	return states[0].Global.SharedState.Binlog, nil
}

// rawStream receives the binary log from start to the server's current
// position with go-mysql and nothing else: the floor of a CDC read.
func rawStream(b *testing.B, srv *testdb.Server, start binlog.Position) time.Duration {
	db := srv.Open(b, "")
	var file string
	var pos uint32
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, new(any), new(any)); err != nil {
		b.Fatal(err)
	}
	end := binlog.Position{File: file, Pos: pos}
	t0 := time.Now()
	s, err := binlog.Open(binlog.StreamConfig{Host: "127.0.0.1", Port: uint16(srv.Port), User: "root", Flavor: binlog.MariaDB}, binlog.Start{Position: start})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cur := start
	rows := 0
	for cur.Compare(end) < 0 {
		ev, err := s.Next(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if r, ok := ev.Event.(*replication.RotateEvent); ok {
			cur = binlog.Position{File: string(r.NextLogName), Pos: uint32(r.Position)}
			continue
		}
		if _, ok := ev.Event.(*replication.RowsEvent); ok {
			rows++
		}
		if ev.Header.LogPos > 0 {
			cur.Pos = ev.Header.LogPos
		}
	}
	if rows == 0 {
		b.Fatal("the raw stream saw no row event")
	}
	return time.Since(t0)
}

// generateCDCBench creates the store table, takes the state of a first
// (empty) sync, and then makes the 1M changes.
func generateCDCBench(b *testing.B, srv *testdb.Server, statePath string) {
	b.Logf("generating %d changes on a dedicated mariadbd in %s (once)", cdcBenchChanges, srv.Dir)
	t0 := time.Now()
	root := srv.Open(b, "")
	testdb.Exec(b, root, "DROP DATABASE IF EXISTS "+cdcBenchDB, "CREATE DATABASE "+cdcBenchDB, "USE "+cdcBenchDB)
	db := srv.Open(b, cdcBenchDB)
	testdb.Exec(b, db, storeDDL)
	cfg := srv.Config(cdcBenchDB, map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 300}})
	dir := b.TempDir()
	cfgPath, catPath := filepath.Join(dir, "config.json"), filepath.Join(dir, "catalog.json")
	os.WriteFile(cfgPath, mustJSON(cfg), 0o600)
	os.WriteFile(catPath, mustJSON(allColumnsCatalog(cdcBenchDB, "store")), 0o600)
	out, err := exec.Command(binary, "read", "--config", cfgPath, "--catalog", catPath).Output()
	if err != nil {
		b.Fatalf("first sync: %v", err)
	}
	var last string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, `"type":"STATE"`) {
			last = line
		}
	}
	if last == "" {
		b.Fatal("the first sync wrote no state")
	}
	var msg struct {
		State json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal([]byte(last), &msg); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	run := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%.100s: %v", q, err)
		}
	}
	run("SET SESSION unique_checks = 0")
	rng := rand.New(rand.NewPCG(20261126, 5))
	var sb strings.Builder
	const inserts = cdcBenchChanges / 2
	for i := 1; i <= inserts; {
		sb.Reset()
		sb.WriteString("INSERT INTO store VALUES ")
		for j := 0; j < 1000 && i <= inserts; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteByte(',')
			}
			writeStoreRow(&sb, rng, i)
		}
		run(sb.String())
	}
	for i := 0; i < inserts; i += 1000 {
		run(fmt.Sprintf("UPDATE store SET Status = Status + 1, Modified_At = '2026-01-02 03:04:05.123456', Revenue = Revenue + 0.01 WHERE Id > %d AND Id <= %d", i, i+1000))
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM store").Scan(&n); err != nil || n != inserts {
		b.Fatalf("store has %d rows: %v", n, err)
	}
	if err := os.WriteFile(statePath, []byte("["+string(msg.State)+"]"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(t0).Round(time.Second))
}

// BenchmarkCDCReadInProcess runs the same read as BenchmarkCDCRead1M in
// this process, with records written to io.Discard, for profiles:
//
//	go test ./internal/source -run '^$' -bench CDCReadInProcess -benchtime 1x -cpuprofile cpu.out
func BenchmarkCDCReadInProcess(b *testing.B) {
	dir := filepath.Join(os.TempDir(), cdcBenchDir)
	statePath := filepath.Join(dir, "state.json")
	if _, err := os.Stat(statePath); err != nil {
		b.Skip("run BenchmarkCDCRead1M first: it generates the changes")
	}
	srv, err := testdb.Launch(dir, testdb.BinlogArgs...)
	if err != nil {
		b.Skip(err)
	}
	defer srv.Stop()
	cfg := srv.Config(cdcBenchDB, map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 1200}})
	work := b.TempDir()
	args := []string{"source-mysql-radar", "read", "--config", filepath.Join(work, "config.json"), "--catalog", filepath.Join(work, "catalog.json"), "--state", statePath}
	os.WriteFile(args[3], mustJSON(cfg), 0o600)
	os.WriteFile(args[5], mustJSON(allColumnsCatalog(cdcBenchDB, "store")), 0o600)
	for b.Loop() {
		t0 := time.Now()
		var errb strings.Builder
		if code := airbytecli.RunSource(context.Background(), New(), airbytecli.Options{Name: "source-mysql-radar", Version: "bench"}, args, strings.NewReader(""), io.Discard, &errb); code != 0 {
			b.Fatalf("read exited %d: %s", code, errb.String())
		}
		b.ReportMetric(cdcBenchChanges/time.Since(t0).Seconds(), "changes/s")
	}
}

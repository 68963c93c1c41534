package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/demo"
	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// TestKilledMidTableResumes: the run is stopped (as by SIGTERM to
// airbyte-sync: both connectors are terminated) after the source's fourth
// checkpoint of a 500-row table read in chunks of 50. The next run resumes
// from the saved state, and the table's Parquet objects together hold every
// id from 1 to 500.
func TestKilledMidTableResumes(t *testing.T) {
	e := setup(t)
	var cfg map[string]any
	b, _ := os.ReadFile(e.srcCfg)
	json.Unmarshal(b, &cfg)
	cfg["chunk_size"] = 50
	e.srcCfg = harness.WriteJSON(t, "source-chunked.json", cfg)
	// Acknowledge within a second: the destination completes an object to
	// commit a state.
	dcfg := map[string]any{}
	b, _ = os.ReadFile(e.dstCfg)
	json.Unmarshal(b, &dcfg)
	dcfg["max_ack_delay_seconds"] = 1
	e.dstCfg = harness.WriteJSON(t, "destination-fast-ack.json", dcfg)
	store := runner.FileStore(e.statePath)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var states atomic.Int32
	o := e.options(store)
	rctx, stop := context.WithCancel(ctx)
	o.OnSourceLine = func(line []byte) {
		// The hook runs in the forwarding loop: holding it holds the
		// source back while the first three states are acknowledged.
		if bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) && bytes.Contains(line, []byte(`"full_t"`)) && states.Add(1) == 4 {
			time.Sleep(2500 * time.Millisecond)
			stop()
		}
	}
	res, err := runner.Run(rctx, o)
	stop()
	if err == nil || res.Outcome != "cancelled" {
		t.Fatalf("stopped run: outcome %s, err %v; want cancelled", res.Outcome, err)
	}
	committed := committedOf(res)["full_t"]
	if committed >= 500 || res.StatesCommitted == 0 {
		t.Fatalf("the run was stopped with %d rows of full_t committed in %d states: want mid-table", committed, res.StatesCommitted)
	}
	saved, _ := os.ReadFile(e.statePath)
	t.Logf("stopped with %d full_t rows committed; saved state %s", committed, saved)

	expectResumed(t, e, e.options(store), committed, 500)
}

// expectResumed runs o from the saved state and checks that it read
// exactly the rows not committed before (the committed states cover the
// rows they counted), and that full_t's objects together
// hold every id from 1 to rows.
func expectResumed(t *testing.T, e *env, o runner.Options, committed, rows int64) {
	t.Helper()
	res2, err := e.run(o)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if got := rowsOf(res2)["full_t"]; got != rows-committed {
		t.Errorf("the resumed run read %d rows of full_t, %d were committed of %d: it did not resume from the saved state", got, committed, rows)
	} else {
		t.Logf("the resumed run read %d rows of full_t (%d were committed of %d)", got, committed, rows)
	}
	var files []string
	filepath.WalkDir(e.s3.BucketDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && strings.Contains(p, "/full_t/") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no Parquet object for full_t")
	}
	db, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var distinct, lo, hi int64
	if err := db.DB.QueryRow("SELECT count(DISTINCT id), min(id), max(id) FROM "+duck.ParquetSource(files)).Scan(&distinct, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if distinct != rows || lo != 1 || hi != rows {
		t.Errorf("full_t objects hold %d distinct ids from %d to %d, want all %d (1..%d)", distinct, lo, hi, rows, rows)
	}
}

// TestKilledMidTableResumesSocket is TestKilledMidTableResumes in socket
// mode (socket/protobuf over 2 sockets; full_t is read as two key ranges).
// The source's stdout carries only copies of its states there, so holding
// it does not hold the records: instead S3 answers every write after
// 700 ms (a proxy) and the destination's buffer is the smallest allowed, so
// the destination, and through the full sockets the source, advance over
// seconds. The run is stopped once the destination has committed a state
// of full_t; the next run resumes each range from the saved state.
func TestKilledMidTableResumesSocket(t *testing.T) {
	e := setup(t)
	const rows = 40000
	e.exec(
		"ALTER TABLE full_t ADD pad VARCHAR(600) NOT NULL DEFAULT ''",
		"UPDATE full_t SET pad = REPEAT(SHA2(id, 512), 4)",
		"INSERT INTO full_t SELECT seq, CONCAT('v', seq), REPEAT(SHA2(seq, 512), 4) FROM seq_501_to_40000",
	)
	e.catalog = harness.WriteJSON(t, "catalog-padded.json", e.configuredCatalog())
	var cfg map[string]any
	b, _ := os.ReadFile(e.srcCfg)
	json.Unmarshal(b, &cfg)
	cfg["chunk_size"] = 1000
	e.srcCfg = harness.WriteJSON(t, "source-chunked.json", cfg)
	proxy := harness.StartS3Proxy(t, e.s3.Endpoint, false)
	proxy.SetRule(func(op string, n int, r *http.Request) harness.S3Fault {
		if op == "PutObject" || op == "UploadPart" || op == "CompleteMultipartUpload" {
			time.Sleep(700 * time.Millisecond)
		}
		return harness.S3Fault{}
	})
	dcfg := demo.DestinationConfig(proxy.Endpoint, bucket)
	dcfg["buffer_memory_mb"] = 16
	dcfg["file_size_mb"] = 1
	dcfg["max_ack_delay_seconds"] = 1
	e.dstCfg = harness.WriteJSON(t, "destination-slow.json", dcfg)
	store := runner.FileStore(e.statePath)
	options := func() runner.Options {
		o := e.options(store)
		o.DataChannel, _ = runner.ParseDataChannelMode("socket/protobuf")
		o.Sockets = 2
		return o
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := options()
	rctx, stop := context.WithCancel(ctx)
	o.OnDestinationLine = func(line []byte) {
		if bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) && bytes.Contains(line, []byte(`"full_t"`)) {
			stop()
		}
	}
	start := time.Now()
	res, err := runner.Run(rctx, o)
	stop()
	if err == nil || res.Outcome != "cancelled" {
		t.Fatalf("stopped run: outcome %s, err %v; want cancelled", res.Outcome, err)
	}
	if res.DataChannel != "socket/protobuf" {
		t.Errorf("data channel %s, want socket/protobuf", res.DataChannel)
	}
	committed := committedOf(res)["full_t"]
	if committed >= rows || res.StatesCommitted == 0 {
		t.Fatalf("the run was stopped with %d rows of full_t committed in %d states: want mid-table", committed, res.StatesCommitted)
	}
	saved, _ := os.ReadFile(e.statePath)
	if !bytes.Contains(saved, []byte(`"ranges"`)) {
		t.Errorf("the saved state of a split read has no key ranges: %.500s", saved)
	}
	t.Logf("stopped after %v with %d full_t rows committed in %d states", time.Since(start).Round(time.Millisecond), committed, res.StatesCommitted)
	proxy.SetRule(nil)
	expectResumed(t, e, options(), committed, rows)
}

func committedOf(r *runner.Result) map[string]int64 {
	out := map[string]int64{}
	for _, s := range r.Streams {
		out[s.Name] = s.CommittedRows
	}
	return out
}

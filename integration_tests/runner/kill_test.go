package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

	res2, err := e.run(e.options(store))
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if rows := rowsOf(res2)["full_t"]; rows > 500-committed {
		t.Errorf("the resumed run read %d rows of full_t: it did not resume from the saved state", rows)
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
	if distinct != 500 || lo != 1 || hi != 500 {
		t.Errorf("full_t objects hold %d distinct ids from %d to %d, want all 500 (1..500)", distinct, lo, hi)
	}
}

func committedOf(r *runner.Result) map[string]int64 {
	out := map[string]int64{}
	for _, s := range r.Streams {
		out[s.Name] = s.CommittedRows
	}
	return out
}

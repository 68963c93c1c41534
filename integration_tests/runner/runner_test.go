// Package runner tests protocol/runner with the real connector binaries:
// MariaDB as the source database, gofakes3 (the demo's S3, objects as
// files) as the bucket and as the S3 state store.
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/demo"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

const bucket = "runner-bronze"

// env is one test's database, bucket and config files.
type env struct {
	t                       *testing.T
	my                      *harness.MySQL
	db                      string
	s3                      *demo.S3
	src, dst                string // binaries
	srcCfg, dstCfg, catalog string
	statePath               string
}

func setup(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the built connectors against MariaDB")
	}
	src, dst, err := harness.Binaries()
	if err != nil {
		t.Fatalf("build connectors: %v", err)
	}
	my := harness.SharedMySQL(t)
	e := &env{t: t, my: my, src: src, dst: dst, db: my.CreateDatabase(t, "runner")}
	e.exec(
		"CREATE TABLE full_t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL)",
		"INSERT INTO full_t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i, CONCAT('v', i) FROM n",
		"CREATE TABLE inc_t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, updated_at DATETIME NOT NULL)",
		"INSERT INTO inc_t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i, CONCAT('v', i), '2024-01-01 00:00:00' + INTERVAL i MINUTE FROM n",
	)
	e.s3, err = demo.StartS3(t.TempDir(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.s3.Stop() })
	dir := t.TempDir()
	e.srcCfg = harness.WriteJSON(t, "source.json", map[string]any{
		"host": my.Host, "port": my.Port, "database": e.db, "username": my.User, "password": my.Password,
		"ssl_mode": map[string]any{"mode": "preferred"}, "tunnel_method": map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD"},
	})
	e.dstCfg = harness.WriteJSON(t, "destination.json", demo.DestinationConfig(e.s3.Endpoint, bucket))
	e.catalog = harness.WriteJSON(t, "catalog.json", e.configuredCatalog())
	e.statePath = filepath.Join(dir, "state.json")
	return e
}

func (e *env) exec(stmts ...string) {
	e.t.Helper()
	conn, err := e.my.Root.Conn(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	defer conn.ExecContext(context.Background(), "USE information_schema")
	if _, err := conn.ExecContext(context.Background(), "USE `"+e.db+"`"); err != nil {
		e.t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			e.t.Fatalf("%.200s: %v", s, err)
		}
	}
}

// configuredCatalog: full_t full refresh (overwrite), inc_t incremental by
// updated_at (append).
func (e *env) configuredCatalog() *protocol.ConfiguredCatalog {
	e.t.Helper()
	res := harness.Run(e.t, e.src, "discover", "--config", e.srcCfg)
	cats := res.OfType(protocol.TypeCatalog)
	if res.Code != 0 || len(cats) != 1 {
		e.t.Fatalf("discover: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	out := &protocol.ConfiguredCatalog{}
	gen, syncID := int64(1), int64(7)
	for _, s := range cats[0].Catalog.Streams {
		cs := protocol.ConfiguredStream{Stream: s, PrimaryKey: s.SourceDefinedPrimaryKey, GenerationID: &gen, MinimumGenerationID: &gen, SyncID: &syncID}
		switch s.Name {
		case "full_t":
			cs.SyncMode, cs.DestinationSyncMode = protocol.SyncModeFullRefresh, protocol.DestinationOverwrite
		case "inc_t":
			zero := int64(0)
			cs.SyncMode, cs.DestinationSyncMode, cs.CursorField, cs.MinimumGenerationID = protocol.SyncModeIncremental, protocol.DestinationAppend, []string{"updated_at"}, &zero
		default:
			continue
		}
		out.Streams = append(out.Streams, cs)
	}
	if len(out.Streams) != 2 {
		e.t.Fatalf("discover found %d of the 2 tables", len(out.Streams))
	}
	return out
}

func (e *env) options(store runner.StateStore) runner.Options {
	return runner.Options{
		Source:      runner.Connector{Path: e.src, Config: e.srcCfg},
		Destination: runner.Connector{Path: e.dst, Config: e.dstCfg},
		Catalog:     e.catalog, State: store, MaxAttempts: 2, RetryDelay: 10 * time.Millisecond,
		ProgressInterval: -1, Log: testLog{e.t},
	}
}

func (e *env) run(o runner.Options) (*runner.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return runner.Run(ctx, o)
}

func rowsOf(r *runner.Result) map[string]int64 {
	out := map[string]int64{}
	for _, s := range r.Streams {
		out[s.Name] = s.Rows
	}
	return out
}

// TestIncrementalRunsTwice: the first run reads both tables and saves the
// committed state; after 10 rows change and 5 are added, the second run
// reads the full-refresh table again and only the 15 changed rows of the
// incremental one.
func TestIncrementalRunsTwice(t *testing.T) {
	incrementalRunsTwice(t, nil, "stdio/jsonl")
}

// TestIncrementalRunsTwiceSocket is TestIncrementalRunsTwice in socket mode:
// chosen by auto from the connectors' metadata.yaml (PROTOBUF), and with
// --data-channel socket/jsonl.
func TestIncrementalRunsTwiceSocket(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("auto", func(t *testing.T) {
		incrementalRunsTwice(t, func(o *runner.Options) {
			o.Source.Metadata = filepath.Join(root, harness.SourceName, "metadata.yaml")
			o.Destination.Metadata = filepath.Join(root, harness.DestinationName, "metadata.yaml")
			o.Sockets = 3
		}, "socket/protobuf")
	})
	t.Run("socket-jsonl", func(t *testing.T) {
		incrementalRunsTwice(t, func(o *runner.Options) {
			o.DataChannel, _ = runner.ParseDataChannelMode("socket/jsonl")
		}, "socket/jsonl")
	})
}

func incrementalRunsTwice(t *testing.T, mod func(*runner.Options), mode string) {
	e := setup(t)
	store := runner.FileStore(e.statePath)
	options := func() runner.Options {
		o := e.options(store)
		if mod != nil {
			mod(&o)
		}
		return o
	}
	res, err := e.run(options())
	if err != nil {
		t.Fatalf("first run: %v (%+v)", err, res.Attempts)
	}
	if res.DataChannel != mode {
		t.Errorf("data channel %s (%s), want %s", res.DataChannel, res.DataChannelReason, mode)
	}
	if len(res.Problems) > 0 || res.StatesCommitted != res.StatesSent {
		t.Errorf("first run: %d of %d states committed; problems %v", res.StatesCommitted, res.StatesSent, res.Problems)
	}
	if got := rowsOf(res); got["full_t"] != 500 || got["inc_t"] != 500 {
		t.Fatalf("first run rows = %v, want 500 and 500", got)
	}
	for _, s := range res.Streams {
		if s.CommittedRows != s.Rows || s.Objects < 1 || s.Status != "COMPLETE" {
			t.Errorf("first run %s: %+v, want every row committed, an object, COMPLETE", s.Name, s)
		}
	}
	saved, err := os.ReadFile(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	in, err := protocol.ParseInputState(saved)
	if err != nil || in.StreamState(protocol.StreamDescriptor{Name: "inc_t", Namespace: e.db}) == nil {
		t.Fatalf("saved state %s: %v, want a state for inc_t", saved, err)
	}
	if bytes.Contains(saved, []byte(`"id"`)) || bytes.Contains(saved, []byte("Stats")) {
		t.Errorf("saved state carries the platform's id or stats: %s", saved)
	}

	e.exec("UPDATE inc_t SET v = CONCAT(v, '-changed'), updated_at = '2030-01-01 00:00:00' WHERE id <= 10",
		"INSERT INTO inc_t VALUES (501,'n','2030-01-02 00:00:00'),(502,'n','2030-01-02 00:00:00'),(503,'n','2030-01-02 00:00:00'),(504,'n','2030-01-02 00:00:00'),(505,'n','2030-01-02 00:00:00')")
	res2, err := e.run(options())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(res2.Problems) > 0 {
		t.Errorf("second run problems: %v", res2.Problems)
	}
	// The cursor is compared with >=, so the row at the saved cursor may be
	// read again; nothing else of the old rows is.
	if got := rowsOf(res2); got["full_t"] != 500 || got["inc_t"] < 15 || got["inc_t"] > 16 {
		t.Fatalf("second run rows = %v, want 500 and 15 (16 with the row at the saved cursor)", got)
	}
}

// TestDestinationFailureKeepsState: with the bucket gone, the run fails
// (after its retries) and the saved state is the one of the last good run.
func TestDestinationFailureKeepsState(t *testing.T) {
	e := setup(t)
	store := runner.FileStore(e.statePath)
	if res, err := e.run(e.options(store)); err != nil {
		t.Fatalf("first run: %v (%+v)", err, res.Attempts)
	}
	before, _ := os.ReadFile(e.statePath)
	e.exec("INSERT INTO inc_t VALUES (600,'n','2031-01-01 00:00:00')")
	e.s3.Stop()
	o := e.options(store)
	o.SkipCheck = true // reach write: check would report the endpoint as a config error
	res, err := e.run(o)
	if runner.ExitCode(err) != 1 {
		t.Fatalf("run without S3: err %v (exit %d), want a failed sync (exit 1)", err, runner.ExitCode(err))
	}
	if len(res.Attempts) != 2 {
		t.Errorf("%d attempts, want 2 (--max-attempts)", len(res.Attempts))
	}
	after, _ := os.ReadFile(e.statePath)
	if !bytes.Equal(before, after) {
		t.Errorf("state changed by a failed run:\nbefore %s\nafter  %s", before, after)
	}
}

// TestConfigErrorNotRetried: a wrong password fails check: exit 2, one
// attempt, no state written.
func TestConfigErrorNotRetried(t *testing.T) {
	e := setup(t)
	var cfg map[string]any
	b, _ := os.ReadFile(e.srcCfg)
	json.Unmarshal(b, &cfg)
	cfg["username"], cfg["password"] = "runner_nobody", "wrong-password-77"
	o := e.options(runner.FileStore(e.statePath))
	o.Source.Config = harness.WriteJSON(t, "bad.json", cfg)
	o.MaxAttempts = 3
	res, err := e.run(o)
	if runner.ExitCode(err) != 2 || len(res.Attempts) != 1 || res.Outcome != "config_error" {
		t.Fatalf("err %v (exit %d), %d attempts, outcome %s; want exit 2 after 1 attempt", err, runner.ExitCode(err), len(res.Attempts), res.Outcome)
	}
	if _, err := os.Stat(e.statePath); err == nil {
		t.Errorf("a state file was written by a run that never started")
	}
}

// TestS3StateStore: the state lives in an S3 object beside the data; a
// second store opened on the same key resumes from it.
func TestS3StateStore(t *testing.T) {
	e := setup(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", e.s3.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", demo.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", demo.SecretKey)
	t.Setenv("AWS_REGION", demo.Region)
	ctx := context.Background()
	store, err := runner.OpenStateStore(ctx, "s3://"+bucket+"/state/runner-test.json")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := store.Load(ctx); err != nil || b != nil {
		t.Fatalf("Load before any run = %q, %v; want nothing", b, err)
	}
	if _, err := e.run(e.options(store)); err != nil {
		t.Fatalf("first run: %v", err)
	}
	again, err := runner.OpenStateStore(ctx, "s3://"+bucket+"/state/runner-test.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.run(e.options(again))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if got := rowsOf(res); got["inc_t"] > 1 {
		t.Errorf("second run read %d rows of inc_t from the S3 state, want at most 1 (the row at the cursor)", got["inc_t"])
	}
}

// testLog sends the runner's lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

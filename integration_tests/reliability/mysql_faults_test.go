package reliability

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// The MySQL fault tests read one table of faultRows rows in chunks of
// faultChunk: 20 chunks, each followed by a STATE. The test stops reading
// the source's stdout after a few states, so the source blocks on the full
// pipe in the middle of the table, injects the fault, and reads on.
const (
	faultRows  = 6000
	faultChunk = 300
	faultPad   = 200
)

// faultRead sets up the table and a source config on server my (through
// host:port, which may be a proxy in front of it).
type faultRead struct {
	mode string
	db   *testDB
	cfg  string
	cat  *protocol.ConfiguredCatalog
	want map[int64]string
}

func newFaultRead(t *testing.T, mode string, my *harness.MySQL, host string, port int, extra map[string]any) *faultRead {
	t.Helper()
	db := newTestDB(t, my, "relmy")
	pad := faultPad
	if mode != "stdio" {
		// Two key ranges, one per socket, and socket buffers larger than
		// a pipe's: longer rows keep both ranges mid-table at the fault.
		pad = 5 * faultPad
	}
	db.fillTable(t, "t", faultRows, pad)
	opts := map[string]any{"chunk_size": faultChunk}
	for k, v := range extra {
		opts[k] = v
	}
	cfg := sourceConfig(t, host, port, db.name, opts)
	// Discover straight from the server: the proxy may be faulty later.
	direct := sourceConfig(t, my.Host, my.Port, db.name, nil)
	return &faultRead{mode: mode, db: db, cfg: cfg, cat: fullRefresh(discover(t, direct), "t"), want: db.rowsOf(t, "t")}
}

// expectRecovered checks a read that met a fault: exit 0, a retry logged
// with the cause, every row exactly once, states in key order.
func (f *faultRead) expectRecovered(t *testing.T, r *sourceRun, cause string) *readOutput {
	t.Helper()
	code := r.finish()
	o := parseOutput(t, r.out.Bytes())
	if code != 0 {
		t.Fatalf("source exit %d, errors %+v\n%s\nstderr: %s", code, o.errors, tail(r.out.String()), r.stderr.String())
	}
	if !o.logContains("transient error reading table t; retrying", cause) {
		t.Errorf("no retry warning naming %q; logs:\n%s", cause, strings.Join(o.logs, "\n"))
	}
	exactlyOnce(t, "t", o.ids["t"], o.data["t"], f.want)
	var last []int64 // the key position, or each key range's
	// In socket mode the states are numbered in the order of their
	// content; two ranges' workers may copy theirs to stdout in the other
	// order (the platform matches them by id).
	states := slices.Clone(o.states)
	slices.SortStableFunc(states, func(a, b protocol.StateMessage) int {
		if a.ID == nil || b.ID == nil {
			return 0
		}
		return cmp.Compare(*a.ID, *b.ID)
	})
	for _, s := range states {
		var pos []int64
		if ranges, ok := rangePositions(t, s); ok {
			for _, r := range ranges {
				p := r.pos
				if r.done {
					p = math.MaxInt64
				}
				pos = append(pos, p)
			}
		} else if p, ok := keyPosition(t, s); ok {
			pos = []int64{p}
		} else {
			continue
		}
		if len(last) == len(pos) {
			for i := range pos {
				if pos[i] < last[i] || (len(pos) == 1 && pos[i] == last[i]) {
					t.Errorf("state position %v after %v", pos, last)
				}
			}
		}
		last = pos
	}
	if n := len(o.states); n < faultRows/faultChunk {
		t.Errorf("%d states, want at least one per chunk", n)
	}
	return o
}

// TestSourceKilledConnection: the source's connection is KILLed from a
// second connection mid-table.
func TestSourceKilledConnection(t *testing.T) {
	harness.ForEachDataChannel(t, sourceKilledConnection)
}

func sourceKilledConnection(t *testing.T, mode string) {
	my := harness.SharedMySQL(t)
	f := newFaultRead(t, mode, my, my.Host, my.Port, nil)
	r := startSourceIn(t, f.mode, f.cfg, f.cat, nil)
	r.readStates(3)
	ids := sourceConnections(t, my.Root, f.db.name)
	if len(ids) == 0 {
		t.Fatal("the source has no connection on the server")
	}
	for _, id := range ids {
		if _, err := my.Root.Exec("KILL CONNECTION " + strconv.FormatInt(id, 10)); err != nil {
			t.Fatalf("kill %d: %v", id, err)
		}
	}
	t.Logf("killed connections %v after 3 states", ids)
	f.expectRecovered(t, r, "")
}

// startToxiproxy starts an in-process toxiproxy in front of upstream.
func startToxiproxy(t *testing.T, upstream string) (*toxiproxy.Proxy, string, int) {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	px := toxiproxy.NewProxy(srv, "mariadb", "127.0.0.1:0", upstream)
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	host, port, _ := net.SplitHostPort(px.Listen)
	p, _ := strconv.Atoi(port)
	return px, host, p
}

// TestSourceProxyReset: a proxy between the source and MySQL resets the
// connection (TCP RST) mid-table; new connections are reset too until the
// source has logged its retry.
func TestSourceProxyReset(t *testing.T) {
	harness.ForEachDataChannel(t, sourceProxyReset)
}

func sourceProxyReset(t *testing.T, mode string) {
	my := harness.SharedMySQL(t)
	px, host, port := startToxiproxy(t, net.JoinHostPort(my.Host, strconv.Itoa(my.Port)))
	f := newFaultRead(t, mode, my, host, port, nil)
	r := startSourceIn(t, f.mode, f.cfg, f.cat, nil)
	r.readStates(3)
	if _, err := px.Toxics.AddToxicJson(strings.NewReader(`{"name":"reset","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`)); err != nil {
		t.Fatal(err)
	}
	// Reading on unblocks the source: the next bytes MySQL sends it are
	// answered with a reset. Once the source has logged its retry (a WARN
	// is flushed at once), the toxic goes, before the retry after 1 s.
	if !r.readUntil(func(line []byte) bool {
		return bytes.Contains(line, []byte(`transient error reading table t; retrying in 1s`))
	}) {
		t.Fatalf("the read ended without a retry:\n%s", tail(r.out.String()))
	}
	if err := px.Toxics.RemoveToxic(context.Background(), "reset"); err != nil {
		t.Fatal(err)
	}
	f.expectRecovered(t, r, "invalid connection")
}

// TestSourceServerRestart: the private MySQL server crashes (SIGKILL) mid-
// table and comes back a second later.
func TestSourceServerRestart(t *testing.T) {
	harness.ForEachDataChannel(t, sourceServerRestart)
}

func sourceServerRestart(t *testing.T, mode string) {
	my := harness.StartMariaDB(t, harness.ServerOptions{})
	f := newFaultRead(t, mode, my, my.Host, my.Port, nil)
	r := startSourceIn(t, f.mode, f.cfg, f.cat, nil)
	r.readStates(3)
	if err := my.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(500 * time.Millisecond)
	if err := my.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server down for %s", time.Since(start).Round(time.Millisecond))
	f.expectRecovered(t, r, "")
}

// TestSourceLockWaitTimeout: a second connection takes LOCK TABLES t WRITE
// mid-table with the session's lock_wait_timeout at 1 s. The source's
// snapshot transaction holds the table's metadata lock for the whole
// table, so a lock can only make it wait when it starts a table or
// resumes: the test kills the source's connection so that the lock is
// granted, and the source's resumed query waits for it, times out with
// error 1205, backs off and retries until the test unlocks.
func TestSourceLockWaitTimeout(t *testing.T) {
	harness.ForEachDataChannel(t, sourceLockWaitTimeout)
}

func sourceLockWaitTimeout(t *testing.T, mode string) {
	my := harness.SharedMySQL(t)
	f := newFaultRead(t, mode, my, my.Host, my.Port, map[string]any{
		"jdbc_url_params": "useSSL=false&sessionVariables=lock_wait_timeout=1,innodb_lock_wait_timeout=1",
	})
	r := startSourceIn(t, f.mode, f.cfg, f.cat, nil)
	r.readStates(3)
	locker, err := my.Root.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.ExecContext(context.Background(), "SET SESSION lock_wait_timeout = 30"); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() {
		_, err := locker.ExecContext(context.Background(), "LOCK TABLES `"+f.db.name+"`.t WRITE")
		locked <- err
	}()
	// The LOCK waits for the source's transaction; end it.
	if !waitFor(5*time.Second, func() bool { return len(lockWaiters(t, my.Root)) > 0 }) {
		t.Fatal("LOCK TABLES is not waiting for the source's metadata lock")
	}
	for _, id := range sourceConnections(t, my.Root, f.db.name) {
		if _, err := my.Root.Exec("KILL CONNECTION " + strconv.FormatInt(id, 10)); err != nil {
			t.Fatalf("kill %d: %v", id, err)
		}
	}
	select {
	case err := <-locked:
		if err != nil {
			t.Fatalf("LOCK TABLES: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LOCK TABLES was not granted")
	}
	if !r.readUntil(func(line []byte) bool { return bytes.Contains(line, []byte("Lock wait timeout exceeded")) }) {
		t.Fatalf("the read ended without a lock wait timeout:\n%s", tail(r.out.String()))
	}
	if _, err := locker.ExecContext(context.Background(), "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	f.expectRecovered(t, r, "Lock wait timeout exceeded")
}

// lockWaiters lists the connections waiting for a table metadata lock.
func lockWaiters(t *testing.T, root *sql.DB) []int64 {
	t.Helper()
	rows, err := root.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table metadata lock%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestSourceGivesUpThenResumes: the private server goes down for good
// mid-table. The source retries max_retries times with backoff, then ends
// with exactly one TRACE ERROR transient_error and exit 1; once the server
// is back, a read from the last state it emitted produces every remaining
// row, and the two outputs together are the table.
func TestSourceGivesUpThenResumes(t *testing.T) {
	harness.ForEachDataChannel(t, sourceGivesUpThenResumes)
}

func sourceGivesUpThenResumes(t *testing.T, mode string) {
	my := harness.StartMariaDB(t, harness.ServerOptions{})
	f := newFaultRead(t, mode, my, my.Host, my.Port, map[string]any{"max_retries": 2})
	r := startSourceIn(t, f.mode, f.cfg, f.cat, nil)
	r.readStates(4)
	if err := my.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code := r.finish()
	took := time.Since(start)
	first := parseOutput(t, r.out.Bytes())
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, tail(r.out.String()))
	}
	if len(first.errors) != 1 || first.errors[0].FailureType != protocol.FailureTransient {
		t.Fatalf("trace errors %+v, want one transient_error", first.errors)
	}
	if te := first.errors[0]; !strings.Contains(te.Message, "failed 3 times") || te.StreamDescriptor == nil || te.StreamDescriptor.Name != "t" {
		t.Errorf("trace error %+v: want the stream and the attempts", te)
	}
	if !first.logContains("retrying in 1s") || !first.logContains("retrying in 2s") {
		t.Errorf("no backoff of 1 s then 2 s in the logs:\n%s", strings.Join(first.logs, "\n"))
	}
	t.Logf("gave up %s after the server went down", took.Round(time.Millisecond))
	if len(first.states) == 0 {
		t.Fatal("no state before the failure")
	}
	last := first.states[len(first.states)-1]
	var pos ackedPosition // what the last state covers
	if ranges, ok := rangePositions(t, last); ok {
		pos.ranges = ranges
	} else if pos.pos, ok = keyPosition(t, last); !ok {
		t.Fatalf("last state is not a key position: %s", last.Stream.StreamState)
	}
	if mode != "stdio" && pos.ranges == nil {
		t.Errorf("in socket mode the table is read as key ranges; the last state is %s", last.Stream.StreamState)
	}

	if err := my.Restart(); err != nil {
		t.Fatal(err)
	}
	r2 := startSourceIn(t, f.mode, f.cfg, f.cat, stateFile(t, last))
	if code := r2.finish(); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, tail(r2.out.String()))
	}
	second := parseOutput(t, r2.out.Bytes())
	for _, id := range second.ids["t"] {
		if pos.covers(id) {
			t.Fatalf("rerun from %s emitted id %d again", pos, id)
		}
	}
	// The union is the table; rows emitted twice are only those after the
	// last state of the failed read (emitted, then not covered by a state).
	union := map[int64]string{}
	var ids []int64
	for _, o := range []*readOutput{first, second} {
		for _, id := range o.ids["t"] {
			if _, dup := union[id]; dup && pos.covers(id) {
				t.Errorf("id %d (covered by the last state, %s) emitted twice", id, pos)
			}
			union[id] = o.data["t"][id]
			ids = append(ids, id)
		}
	}
	distinct := make([]int64, 0, len(union))
	for id := range union {
		distinct = append(distinct, id)
	}
	exactlyOnce(t, "t", distinct, union, f.want)
	t.Logf("first read: %d records up to %s; rerun: %d records; %d emitted twice",
		len(first.ids["t"]), pos, len(second.ids["t"]), len(ids)-len(distinct))
}

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// testDB is a database of its own on a MySQL server.
type testDB struct {
	my   *harness.MySQL
	name string
}

func newTestDB(t *testing.T, my *harness.MySQL, prefix string) *testDB {
	t.Helper()
	return &testDB{my: my, name: my.CreateDatabase(t, prefix)}
}

// exec runs statements as root, with the database as default.
func (d *testDB) exec(t *testing.T, stmts ...string) {
	t.Helper()
	conn, err := d.my.Root.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Leave the pooled connection without the database as default, so
	// that the connections using it are the connector's.
	defer conn.ExecContext(context.Background(), "USE information_schema")
	if _, err := conn.ExecContext(context.Background(), "USE `"+d.name+"`"); err != nil {
		t.Fatal(err)
	}
	// Recursive CTEs generate the rows (MariaDB and MySQL cap them at 1000).
	_, _ = conn.ExecContext(context.Background(), "SET SESSION max_recursive_iterations = 10000000")
	_, _ = conn.ExecContext(context.Background(), "SET SESSION cte_max_recursion_depth = 10000000")
	for _, s := range stmts {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%.200s: %v", s, err)
		}
	}
}

// fillTable creates table (id INT PRIMARY KEY, grp INT, pad VARCHAR) with
// ids 1..rows and a pad of padLen characters that differs on every row (so
// neither dictionaries nor compression shrink it much).
func (d *testDB) fillTable(t *testing.T, table string, rows, padLen int) {
	t.Helper()
	d.exec(t,
		fmt.Sprintf("CREATE TABLE `%s` (id INT PRIMARY KEY, grp INT NOT NULL, pad VARCHAR(%d) NOT NULL)", table, padLen),
		fmt.Sprintf("INSERT INTO `%s` WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "+
			"SELECT i, i MOD 7, LEFT(REPEAT(SHA2(CONCAT('row', i), 512), %d), %d) FROM n", table, rows, padLen/128+1, padLen))
}

// rowsOf returns id -> "grp|pad" of a table.
func (d *testDB) rowsOf(t *testing.T, table string) map[int64]string {
	t.Helper()
	rows, err := d.my.Root.Query(fmt.Sprintf("SELECT id, grp, pad FROM `%s`.`%s`", d.name, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var grp int
		var pad string
		if err := rows.Scan(&id, &grp, &pad); err != nil {
			t.Fatal(err)
		}
		out[id] = fmt.Sprintf("%d|%s", grp, pad)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sourceConfig writes the team's source config pointed at host:port.
func sourceConfig(t *testing.T, host string, port int, db string, extra map[string]any) string {
	t.Helper()
	cfg := map[string]any{
		"host": host, "port": port, "database": db, "username": "root", "password": "",
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD", "initial_waiting_seconds": 300},
		"jdbc_url_params":    "allowPublicKeyRetrieval=true&useSSL=false",
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return harness.WriteJSON(t, "source.json", cfg)
}

// s3Target is where a destination writes.
type s3Target struct {
	endpoint, accessKey, secretKey string
}

const bucket = "radar-reliability"
const bucketPath = "bronze"

// destinationConfig writes a destination config for the target: the
// team's path layout, uncompressed Parquet (so sizes are predictable), the
// smallest part size and row groups of 1 MB.
func destinationConfig(t *testing.T, to s3Target, extra map[string]any) string {
	t.Helper()
	cfg := map[string]any{
		"s3_bucket_name": bucket, "s3_bucket_path": bucketPath, "s3_bucket_region": "us-east-1",
		"s3_endpoint": to.endpoint, "access_key_id": to.accessKey, "secret_access_key": to.secretKey,
		"s3_path_format":      "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
		"format":              map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1},
		"upload_part_size_mb": 5,
	}
	for k, v := range extra {
		if v == nil {
			delete(cfg, k)
			continue
		}
		cfg[k] = v
	}
	return harness.WriteJSON(t, "destination.json", cfg)
}

func targetOf(s *harness.S3Server) s3Target {
	return s3Target{endpoint: s.Endpoint, accessKey: s.AccessKey, secretKey: s.SecretKey}
}

// discover runs discover and returns the catalog.
func discover(t *testing.T, cfg string) *protocol.Catalog {
	t.Helper()
	res := harness.Run(t, srcBin, "discover", "--config", cfg)
	cats := res.OfType(protocol.TypeCatalog)
	if res.Code != 0 || len(cats) != 1 {
		t.Fatalf("discover: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	return cats[0].Catalog
}

// fullRefresh configures the named streams (all if none), in that order,
// as full refresh + append.
func fullRefresh(cat *protocol.Catalog, names ...string) *protocol.ConfiguredCatalog {
	out := &protocol.ConfiguredCatalog{}
	add := func(s protocol.Stream) {
		gen, minGen, syncID := int64(1), int64(0), int64(77)
		out.Streams = append(out.Streams, protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeFullRefresh,
			DestinationSyncMode: protocol.DestinationAppend, PrimaryKey: s.SourceDefinedPrimaryKey,
			GenerationID: &gen, MinimumGenerationID: &minGen, SyncID: &syncID})
	}
	if len(names) == 0 {
		for _, s := range cat.Streams {
			add(s)
		}
		return out
	}
	for _, n := range names {
		for _, s := range cat.Streams {
			if s.Name == n {
				add(s)
			}
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sourceRun is a source read whose output the test reads line by line:
// while the test does not read, the source blocks on the full pipe (or, in
// socket mode, the full sockets) in the middle of its table, which is when
// the faults are injected.
type sourceRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	br     *bufio.Reader
	out    bytes.Buffer
	stderr *syncBuffer
	cancel context.CancelFunc
	eof    bool
	// lines, in socket mode, carries the source's stdout lines (states,
	// stream statuses, logs, traces) and the records read from its
	// sockets, rendered as RECORD lines; it is closed when both end.
	lines chan []byte
}

func startSource(t *testing.T, cfg string, cat *protocol.ConfiguredCatalog, state []byte) *sourceRun {
	t.Helper()
	return startSourceIn(t, "stdio", cfg, cat, state)
}

// startSourceIn starts a read in a data channel mode (harness.DataChannelModes).
// In socket mode the test plays the destination on two sockets: it reads
// the records there, and everything else from stdout, where the source
// copies its states.
func startSourceIn(t *testing.T, mode string, cfg string, cat *protocol.ConfiguredCatalog, state []byte) *sourceRun {
	t.Helper()
	args := []string{"read", "--config", cfg, "--catalog", harness.WriteJSON(t, "catalog.json", cat)}
	if state != nil {
		args = append(args, "--state", harness.WriteJSON(t, "state.json", state))
	}
	m, err := runner.ParseDataChannelMode(mode)
	if err != nil {
		t.Fatal(err)
	}
	var dc datachannel.Config
	if m.Medium == datachannel.MediumSocket {
		dir, err := runner.SocketDir()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		paths, err := runner.SocketPaths(dir, runner.SocketFilePrefix, 2)
		if err != nil {
			t.Fatal(err)
		}
		dc = datachannel.Config{Medium: m.Medium, Format: m.Format, SocketPaths: paths}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, srcBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if dc.Socket() {
		cmd.Env = append(os.Environ(), dc.Environ()...)
	}
	r := &sourceRun{t: t, cmd: cmd, stderr: &syncBuffer{}, cancel: cancel}
	cmd.Stderr = r.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.br = bufio.NewReaderSize(stdout, 64<<10)
	if dc.Socket() {
		r.lines = make(chan []byte)
		r.feed(ctx, dc, cat)
	}
	t.Cleanup(func() {
		cancel()
		if !r.eof {
			if r.lines != nil {
				for range r.lines {
				}
			} else {
				_, _ = io.Copy(io.Discard, r.br)
			}
			_ = cmd.Wait()
		}
	})
	return r
}

// feed starts the goroutines of socket mode: stdout's lines and each
// socket's records go to r.lines.
func (r *sourceRun) feed(ctx context.Context, dc datachannel.Config, cat *protocol.ConfiguredCatalog) {
	names := map[string][]string{} // stream → property names, sorted
	for _, cs := range cat.Streams {
		var schema struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		_ = json.Unmarshal(cs.Stream.JSONSchema, &schema)
		for k := range schema.Properties {
			names[cs.Stream.Name] = append(names[cs.Stream.Name], k)
		}
		sort.Strings(names[cs.Stream.Name])
	}
	send := func(line []byte) bool {
		select {
		case r.lines <- line:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	wg.Add(1 + len(dc.SocketPaths))
	go func() {
		defer wg.Done()
		for {
			line, err := r.br.ReadBytes('\n')
			if len(line) > 0 && !send(line) {
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for _, path := range dc.SocketPaths {
		go func() {
			defer wg.Done()
			c, err := datachannel.Dial(ctx, path)
			if err != nil {
				return // the source failed before listening
			}
			defer c.Close()
			if !dc.Protobuf() {
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					line, err := br.ReadBytes('\n')
					// Records only: the source copies the rest to stdout.
					if bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) && !send(line) {
						return
					}
					if err != nil {
						return
					}
				}
			}
			fr := datachannel.NewFrameReader(c, 1<<20)
			for {
				f, err := fr.Next()
				if err != nil {
					return
				}
				m, err := datachannel.Parse(f)
				if err != nil {
					r.t.Errorf("socket %s: %v", path, err)
					return
				}
				if m.Kind != datachannel.KindRecord {
					continue
				}
				line := fmt.Appendf(nil, `{"type":"RECORD","record":{"stream":%q,"emitted_at":%d,"data":`, m.Record.Stream, m.Record.EmittedAtMs)
				if line, err = datachannel.AppendDataJSON(line, &m.Record, names[string(m.Record.Stream)]); err != nil {
					r.t.Errorf("socket %s: %v", path, err)
					return
				}
				if !send(append(line, "}}\n"...)) {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(r.lines)
	}()
}

// readUntil reads lines until one satisfies pred (true) or the output ends
// (false).
func (r *sourceRun) readUntil(pred func(line []byte) bool) bool {
	for !r.eof {
		var line []byte
		var err error
		if r.lines != nil {
			var ok bool
			if line, ok = <-r.lines; !ok {
				err = io.EOF
			}
		} else {
			line, err = r.br.ReadBytes('\n')
		}
		r.out.Write(line)
		if len(line) > 0 && pred(bytes.TrimRight(line, "\n")) {
			return true
		}
		if err != nil {
			r.eof = true
		}
	}
	return false
}

// readStates reads until n more STATE messages have been printed.
func (r *sourceRun) readStates(n int) {
	r.t.Helper()
	seen := 0
	if !r.readUntil(func(line []byte) bool {
		if bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) {
			seen++
		}
		return seen == n
	}) {
		r.t.Fatalf("the read ended before %d states:\n%s\nstderr: %s", n, tail(r.out.String()), r.stderr.String())
	}
}

// finish reads the rest of the output and returns the exit code.
func (r *sourceRun) finish() int {
	r.readUntil(func([]byte) bool { return false })
	err := r.cmd.Wait()
	r.cancel()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	r.t.Fatalf("source: %v", err)
	return -1
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}

// readOutput is a source's output, validated and sorted out.
type readOutput struct {
	msgs []protocol.Message
	// ids lists the records' ids per stream name, in output order.
	ids map[string][]int64
	// data maps stream -> id -> "grp|pad".
	data   map[string]map[int64]string
	states []protocol.StateMessage
	errors []*protocol.ErrorTrace
	logs   []string
}

// parseOutput validates every line against the protocol schema (failing
// the test on an invalid one) and sorts the messages out.
func parseOutput(t *testing.T, stdout []byte) *readOutput {
	t.Helper()
	msgs, invalid := harness.ValidateLines(stdout)
	for _, inv := range invalid {
		t.Errorf("invalid protocol line: %s", inv)
	}
	o := &readOutput{msgs: msgs, ids: map[string][]int64{}, data: map[string]map[int64]string{}}
	for _, m := range msgs {
		switch m.Type {
		case protocol.TypeRecord:
			var row struct {
				ID  int64  `json:"id"`
				Grp int    `json:"grp"`
				Pad string `json:"pad"`
			}
			if err := json.Unmarshal(m.Record.Data, &row); err != nil {
				t.Fatalf("record data: %v", err)
			}
			s := m.Record.Stream
			o.ids[s] = append(o.ids[s], row.ID)
			if o.data[s] == nil {
				o.data[s] = map[int64]string{}
			}
			o.data[s][row.ID] = fmt.Sprintf("%d|%s", row.Grp, row.Pad)
		case protocol.TypeState:
			o.states = append(o.states, *m.State)
		case protocol.TypeTrace:
			if m.Trace.Type == protocol.TraceError {
				o.errors = append(o.errors, m.Trace.Error)
			}
		case protocol.TypeLog:
			o.logs = append(o.logs, m.Log.Message)
		}
	}
	return o
}

// logContains reports whether a LOG message contains all of parts.
func (o *readOutput) logContains(parts ...string) bool {
	for _, l := range o.logs {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// exactlyOnce checks that the records of stream are exactly the rows of
// want, each once, with the same values.
func exactlyOnce(t *testing.T, stream string, got []int64, data map[int64]string, want map[int64]string) {
	t.Helper()
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	var dup, missing []int64
	for id, n := range seen {
		if n > 1 {
			dup = append(dup, id)
		}
	}
	for id, v := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		} else if data[id] != v {
			t.Errorf("stream %s, id %d: record differs from MySQL", stream, id)
		}
	}
	sortInts(dup)
	sortInts(missing)
	if len(dup) > 0 || len(missing) > 0 || len(seen) != len(want) {
		t.Errorf("stream %s: %d records, %d distinct, %d rows in MySQL; duplicated %v; missing %v",
			stream, len(got), len(seen), len(want), head(dup), head(missing))
	}
}

func sortInts(v []int64) { sort.Slice(v, func(i, j int) bool { return v[i] < v[j] }) }

func head(v []int64) []int64 {
	if len(v) > 10 {
		return v[:10]
	}
	return v
}

// keyPosition returns the primary-key position ("pk_val") of a source
// STREAM state of a read by key, and false for a finished stream.
func keyPosition(t *testing.T, s protocol.StateMessage) (int64, bool) {
	t.Helper()
	if s.Stream == nil {
		t.Fatalf("not a STREAM state: %+v", s)
	}
	var blob struct {
		PKVal *string `json:"pk_val"`
	}
	if err := json.Unmarshal(s.Stream.StreamState, &blob); err != nil {
		t.Fatalf("stream_state: %v", err)
	}
	if blob.PKVal == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(*blob.PKVal, 10, 64)
	if err != nil {
		t.Fatalf("pk_val %q: %v", *blob.PKVal, err)
	}
	return v, true
}

// rangePositions returns the key ranges of a split read's state
// ("ranges"), false for any other state.
func rangePositions(t *testing.T, s protocol.StateMessage) ([]rangePosition, bool) {
	t.Helper()
	var blob struct {
		Ranges []struct {
			Lower, Upper *string
			PKVals       []string `json:"pk_vals"`
			Done         bool
		} `json:"ranges"`
	}
	if err := json.Unmarshal(s.Stream.StreamState, &blob); err != nil {
		t.Fatalf("stream_state: %v", err)
	}
	if len(blob.Ranges) == 0 {
		return nil, false
	}
	num := func(p *string) int64 {
		if p == nil {
			return 0
		}
		v, err := strconv.ParseInt(*p, 10, 64)
		if err != nil {
			t.Fatalf("key range bound %q: %v", *p, err)
		}
		return v
	}
	out := make([]rangePosition, len(blob.Ranges))
	for i, r := range blob.Ranges {
		out[i] = rangePosition{lower: num(r.Lower), upper: num(r.Upper), done: r.Done}
		if len(r.PKVals) == 1 {
			out[i].pos = num(&r.PKVals[0])
		}
	}
	return out, true
}

// stateFile renders states as a --state file (what the platform passes).
func stateFile(t *testing.T, states ...protocol.StateMessage) []byte {
	t.Helper()
	var out []protocol.StateMessage
	for _, s := range states {
		out = append(out, protocol.StateMessage{Type: s.Type, Stream: s.Stream, Global: s.Global})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sourceConnections returns the ids of the server connections using db.
func sourceConnections(t *testing.T, root *sql.DB, db string) []int64 {
	t.Helper()
	rows, err := root.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", db)
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

// waitFor polls cond every 20 ms until it holds or the time is up.
func waitFor(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

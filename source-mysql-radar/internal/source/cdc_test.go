package source

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/cdc"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// TestCDCSnapshotThenChanges: the first sync snapshots every stream; later
// syncs read inserts, updates and deletes from the binary log, each change
// exactly once, with the CDC metadata; a sync without changes reads none;
// _ab_cdc_cursor grows across syncs; streams without a key stay full
// refresh.
func TestCDCSnapshotThenChanges(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_basic",
		"CREATE TABLE orders (id int PRIMARY KEY, customer varchar(20) NOT NULL, amount decimal(10,2), paid tinyint(1) NOT NULL DEFAULT 0)",
		"CREATE TABLE tags (k varchar(10) PRIMARY KEY, v int)",
		"CREATE TABLE log_nokey (msg varchar(20))",
		"INSERT INTO orders VALUES (1,'ana',10.50,1),(2,'bia',20.00,0),(3,'caio',NULL,0)",
		"INSERT INTO tags VALUES ('a',1)",
		"INSERT INTO log_nokey VALUES ('x')")
	cfg := cdcConfig(srv, "cdc_basic", nil)

	disc := runBinary(t, "discover", cfg, nil, nil)
	streams := map[string]protocol.Stream{}
	for _, m := range disc.msgs {
		if m.Type == protocol.TypeCatalog {
			for _, s := range m.Catalog.Streams {
				streams[s.Name] = s
			}
		}
	}
	o := streams["orders"]
	if !o.SourceDefinedCursor || !reflect.DeepEqual(o.DefaultCursorField, []string{"_ab_cdc_cursor"}) || !o.SupportsSyncMode(protocol.SyncModeIncremental) {
		t.Errorf("orders: %+v", o)
	}
	for _, want := range []string{`"_ab_cdc_updated_at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}`,
		`"_ab_cdc_deleted_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"}`,
		`"_ab_cdc_log_file":{"type":"string"}`, `"_ab_cdc_log_pos":{"type":"number","airbyte_type":"integer"}`,
		`"_ab_cdc_cursor":{"type":"number","airbyte_type":"integer"}`} {
		if !bytes.Contains(o.JSONSchema, []byte(want)) {
			t.Errorf("orders schema lacks %s: %s", want, o.JSONSchema)
		}
	}
	if n := streams["log_nokey"]; n.SourceDefinedCursor || len(n.SupportedSyncModes) != 1 || bytes.Contains(n.JSONSchema, []byte("_ab_cdc")) {
		t.Errorf("a stream without a key: %+v %s", n, n.JSONSchema)
	}
	cat := cdcCatalog(t, disc)

	r1 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r1, "orders", "tags", "log_nokey")
	if got, want := strings.Join(dataLines(r1.records("orders")), "\n"),
		`amount=10.50 customer="ana" id=1 paid=true
amount=20.00 customer="bia" id=2 paid=false
amount=null customer="caio" id=3 paid=false`; got != want {
		t.Errorf("snapshot of orders:\n%s\nwant\n%s", got, want)
	}
	for _, rec := range r1.records("orders") {
		if rec["_ab_cdc_deleted_at"] != nil || rec["_ab_cdc_log_file"] == "" || rec["_ab_cdc_updated_at"] == nil || rec["_ab_cdc_log_pos"] == nil {
			t.Errorf("snapshot record metadata: %v", rec)
		}
	}

	testdb.Exec(t, db,
		"INSERT INTO orders VALUES (4,'duda',5.25,0)",
		"UPDATE orders SET paid=1, amount=21.00 WHERE id=2",
		"DELETE FROM orders WHERE id=3",
		"INSERT INTO tags VALUES ('b',2)",
		"UPDATE tags SET v=v+10",
		"START TRANSACTION; INSERT INTO orders VALUES (5,'edu',1.00,0); UPDATE orders SET customer='eduardo' WHERE id=5; COMMIT",
		"INSERT INTO log_nokey VALUES ('y')")
	r2 := runBinary(t, "read", cfg, cat, r1.lastGlobal(t))
	checkCDCProtocol(t, r2, "orders", "tags", "log_nokey")
	if got, want := strings.Join(dataLines(r2.records("orders")), "\n"),
		`amount=5.25 customer="duda" id=4 paid=false
amount=21.00 customer="bia" id=2 paid=true
amount=null customer="caio" id=3 paid=false DELETED
amount=1.00 customer="edu" id=5 paid=false
amount=1.00 customer="eduardo" id=5 paid=false`; got != want {
		t.Errorf("changes of orders:\n%s\nwant\n%s", got, want)
	}
	if got, want := strings.Join(dataLines(r2.records("tags")), "\n"), "k=\"b\" v=2\nk=\"a\" v=11\nk=\"b\" v=12"; got != want {
		t.Errorf("changes of tags:\n%s\nwant\n%s", got, want)
	}
	if got := dataLines(r2.records("log_nokey")); len(got) != 2 {
		t.Errorf("the full refresh stream: %v", got)
	}
	del := r2.records("orders")[2]
	if del["_ab_cdc_deleted_at"] == nil || del["_ab_cdc_deleted_at"] != del["_ab_cdc_updated_at"] {
		t.Errorf("delete metadata: %v", del)
	}
	var lastPos int64
	for _, rec := range r2.records("orders") {
		p, _ := rec["_ab_cdc_log_pos"].(json.Number).Int64()
		if p <= lastPos || !strings.HasPrefix(rec["_ab_cdc_log_file"].(string), "mysql-bin.") {
			t.Errorf("log position %v %v after %d", rec["_ab_cdc_log_file"], p, lastPos)
		}
		lastPos = p
	}

	r3 := runBinary(t, "read", cfg, cat, r2.lastGlobal(t))
	checkCDCProtocol(t, r3, "orders", "tags", "log_nokey")
	if n := len(r3.records("orders")) + len(r3.records("tags")); n != 0 {
		t.Errorf("a sync without changes read %d records", n)
	}
	cursorsIncrease(t, r1, r2, r3)
}

// startBlocked runs the built connector with stdout on a pipe and returns
// once it printed a line matching until: the connector then blocks on the
// full pipe while the test changes the database (or kills it). finish
// drains the rest and returns everything printed, validated; finishRaw
// returns it as printed (a killed connector may cut its last line).
func startBlocked(t *testing.T, args []string, until func(line []byte) bool) (cmd *exec.Cmd, finish func() *result, finishRaw func() []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd = exec.CommandContext(ctx, binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed := &bytes.Buffer{}
	br := bufio.NewReader(stdout)
	for {
		line, err := br.ReadBytes('\n')
		printed.Write(line)
		if err != nil {
			cancel()
			t.Fatalf("output ended before the expected line: %v\n%s\nstderr:\n%s", err, tail(printed.Bytes(), 3000), errb.String())
		}
		if until(line) {
			break
		}
	}
	var code int
	finishRaw = func() []byte {
		defer cancel()
		rest, _ := io.ReadAll(br)
		printed.Write(rest)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return printed.Bytes()
	}
	finish = func() *result {
		out := finishRaw()
		return &result{stdout: out, stderr: errb.Bytes(), code: code, msgs: protocoltest.ValidateOutput(t, out)}
	}
	return cmd, finish, finishRaw
}

// TestCDCChangeDuringSnapshot: changes made while the first sync's
// snapshot runs (to rows read already, rows not read yet, new rows) come
// from the binary log, exactly once each, and the records add up to the
// table as it is at the end.
func TestCDCChangeDuringSnapshot(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_during",
		"CREATE TABLE t (id int PRIMARY KEY, v varchar(200) NOT NULL)",
		"SET SESSION max_recursive_iterations = 100000; INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) SELECT i, CONCAT('v0-', i, REPEAT('.', 150)) FROM n",
		"CREATE TABLE u (id int PRIMARY KEY, v varchar(20) NOT NULL)",
		"INSERT INTO u VALUES (1, 'u0'), (2, 'u0')")
	cfg := cdcConfig(srv, "cdc_during", map[string]any{"chunk_size": 200})
	disc := runBinary(t, "discover", cfg, nil, nil)
	_, finish, _ := startBlocked(t, cmdArgs(t, "read", cfg, cdcCatalog(t, disc), nil), func(line []byte) bool {
		return bytes.Contains(line, []byte(`"type":"RECORD"`))
	})
	// The connector is in the middle of the snapshot, blocked on stdout.
	testdb.Exec(t, db,
		"UPDATE t SET v = 'v1-1' WHERE id = 1",       // read already
		"UPDATE t SET v = 'v1-5999' WHERE id = 5999", // not read yet
		"DELETE FROM t WHERE id = 6000",
		"INSERT INTO t VALUES (7000, 'v1-7000')",
		// Table u is read after t: its snapshot holds this change, which the
		// binary log read must then skip.
		"UPDATE u SET v = 'u1' WHERE id = 1")
	r := finish()
	checkCDCProtocol(t, r, "t", "u")
	if got := strings.Join(dataLines(r.records("u")), "\n"); got != "id=1 v=\"u1\"\nid=2 v=\"u0\"" {
		t.Errorf("table u changed during the snapshot of t: records\n%s\nwant its snapshot only, with the change", got)
	}
	recs := r.records("t")
	final := map[string]string{}
	changes := map[string]int{}
	for _, rec := range recs {
		id := rec["id"].(json.Number).String()
		v := rec["v"].(string)
		if rec["_ab_cdc_deleted_at"] != nil {
			delete(final, id)
			changes["delete "+id]++
			continue
		}
		final[id] = v
		if strings.HasPrefix(v, "v1-") {
			changes["write "+v]++
		}
	}
	want := map[string]int{"write v1-1": 1, "write v1-5999": 1, "delete 6000": 1, "write v1-7000": 1}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes made during the snapshot: %v, want each once: %v", changes, want)
	}
	rows, err := db.Query("SELECT id, v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		n++
		if final[id] != v {
			t.Errorf("row %s: records end at %q, the table has %q", id, final[id], v)
		}
	}
	if len(final) != n {
		t.Errorf("records leave %d rows, the table has %d", len(final), n)
	}
	if len(recs) != 6000+4 {
		t.Errorf("%d records, want the 6000 snapshot rows and the 4 changes", len(recs))
	}
}

// TestCDCSchemaChanges: ADD, DROP, MODIFY (with a charset and a move),
// CHANGE (type and name) and RENAME COLUMN between syncs and inside the
// range one sync reads: every row event is decoded with the columns the
// table had when it was written, whether the binary log carries column
// names (binlog_row_metadata=FULL) or not (NO_LOG: the schema is followed
// through the DDL statements and the state).
func TestCDCSchemaChanges(t *testing.T) {
	srv := cdcServer(t)
	root := srv.Open(t, "")
	for _, meta := range []string{"FULL", "NO_LOG"} {
		t.Run(meta, func(t *testing.T) {
			testdb.Exec(t, root, "SET GLOBAL binlog_row_metadata = '"+meta+"'")
			defer testdb.Exec(t, root, "SET GLOBAL binlog_row_metadata = 'FULL'")
			name := "cdc_ddl_" + strings.ToLower(meta)
			db := srv.Database(t, name,
				"CREATE TABLE s (id int PRIMARY KEY, a int, b varchar(10))",
				"INSERT INTO s VALUES (1, 10, 'x')")
			cfg := cdcConfig(srv, name, nil)
			cat := allColumnsCatalog(name, "s")
			r1 := runBinary(t, "read", cfg, cat, nil)
			checkCDCProtocol(t, r1, "s")
			if got := strings.Join(dataLines(r1.records("s")), "\n"); got != `a=10 b="x" id=1` {
				t.Fatalf("snapshot: %s", got)
			}

			// Between syncs: the next sync reads these with the schema of
			// the state, then follows each change.
			testdb.Exec(t, db,
				"INSERT INTO s VALUES (2, 20, 'y')",
				"ALTER TABLE s ADD COLUMN c decimal(5,2) AFTER a",
				"INSERT INTO s VALUES (3, 30, 3.50, 'z')",
				"ALTER TABLE s DROP COLUMN a",
				"UPDATE s SET c = 1.25 WHERE id = 2",
				"ALTER TABLE s MODIFY b varchar(10) CHARACTER SET latin1 FIRST",
				"INSERT INTO s VALUES ('café', 4, 4.00)",
				"ALTER TABLE s CHANGE c cc int",
				"INSERT INTO s VALUES ('w', 5, 5)")
			r2 := runBinary(t, "read", cfg, cat, r1.lastGlobal(t))
			checkCDCProtocol(t, r2, "s")
			want := `a=20 b="y" id=2
a=30 b="z" c=3.50 id=3
b="y" c=1.25 id=2
b="café" c=4.00 id=4
b="w" cc=5 id=5`
			if got := strings.Join(dataLines(r2.records("s")), "\n"); got != want {
				t.Errorf("sync 2:\n%s\nwant\n%s", got, want)
			}

			// The state carries the schema as of its position: the next
			// sync continues with it.
			testdb.Exec(t, db,
				"ALTER TABLE s RENAME COLUMN cc TO dd, ADD COLUMN e enum('p','q') NOT NULL DEFAULT 'q'",
				"DELETE FROM s WHERE id = 1",
				"UPDATE s SET dd = 9, e = 'p' WHERE id = 5")
			r3 := runBinary(t, "read", cfg, cat, r2.lastGlobal(t))
			checkCDCProtocol(t, r3, "s")
			want = `b="x" dd=null e="q" id=1 DELETED
b="w" dd=9 e="p" id=5`
			if got := strings.Join(dataLines(r3.records("s")), "\n"); got != want {
				t.Errorf("sync 3:\n%s\nwant\n%s", got, want)
			}

			// A change while a sync reads the binary log: the sync ends at
			// the position it started with, the next one reads the change
			// with the new columns.
			testdb.Exec(t, db, "SET SESSION max_recursive_iterations = 100000; INSERT INTO s (b, id, dd) WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 5100) SELECT 'bulk', i, i FROM n")
			_, finish, _ := startBlocked(t, cmdArgs(t, "read", cfg, cat, r3.lastGlobal(t)), func(line []byte) bool {
				return bytes.Contains(line, []byte(`"type":"RECORD"`))
			})
			testdb.Exec(t, db, "ALTER TABLE s DROP COLUMN dd, ADD COLUMN f datetime(3) AFTER id", "INSERT INTO s VALUES ('late', 9000, '2024-01-02 03:04:05.5', 'q')")
			r4 := finish()
			checkCDCProtocol(t, r4, "s")
			if n := len(r4.records("s")); n != 5001 {
				t.Errorf("sync 4 read %d records, want the 5001 inserted before it started", n)
			}
			r5 := runBinary(t, "read", cfg, cat, r4.lastGlobal(t))
			checkCDCProtocol(t, r5, "s")
			if got := strings.Join(dataLines(r5.records("s")), "\n"); got != `b="late" e="q" f="2024-01-02T03:04:05.500000" id=9000` {
				t.Errorf("sync 5: %s", got)
			}
		})
	}
}

// TestCDCWrongTrackedSchema: when the schema tracked for a table does not
// match its row events (here: a state edited to lack a column), values are
// never shifted into other columns: with column names in the binary log
// they are decoded by name, without them the read fails with a config
// error that says what to do.
func TestCDCWrongTrackedSchema(t *testing.T) {
	srv := cdcServer(t)
	root := srv.Open(t, "")
	db := srv.Database(t, "cdc_wrong", "CREATE TABLE s (id int PRIMARY KEY, a int, b int)", "INSERT INTO s VALUES (1, 10, 100)")
	cfg := cdcConfig(srv, "cdc_wrong", nil)
	cat := allColumnsCatalog("cdc_wrong", "s")
	r1 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r1, "s")
	// Drop column a from the saved schema: the tracker now believes s is (id, b).
	edited := dropSavedColumn(t, r1.lastGlobal(t), "s", 1)

	testdb.Exec(t, root, "SET GLOBAL binlog_row_metadata = 'NO_LOG'")
	testdb.Exec(t, db, "INSERT INTO s VALUES (2, 20, 200)")
	testdb.Exec(t, root, "SET GLOBAL binlog_row_metadata = 'FULL'")
	r := runBinary(t, "read", cfg, cat, edited)
	te := r.traceError()
	if r.code != 1 || te == nil || te.FailureType != protocol.FailureConfig || !strings.Contains(te.Message, "binlog_row_metadata=FULL") ||
		!strings.Contains(te.Message, "3 columns (int, int, int)") {
		t.Errorf("without column names: exit %d, trace %+v; want a config error", r.code, te)
	}
	if n := len(r.records("s")); n != 0 {
		t.Errorf("%d records written from events that cannot be decoded", n)
	}
	if st := lastStatus(r, "s"); st != protocol.StreamIncomplete {
		t.Errorf("the failed stream ends %s, want INCOMPLETE", st)
	}

	// With column names (and a fresh state, as the event above cannot be
	// decoded), a wrong schema is corrected by the names.
	r2 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r2, "s")
	testdb.Exec(t, db, "INSERT INTO s VALUES (4, 40, 400)")
	edited3 := dropSavedColumn(t, r2.lastGlobal(t), "s", 1)
	r3 := runBinary(t, "read", cfg, cat, edited3)
	checkCDCProtocol(t, r3, "s")
	if got := strings.Join(dataLines(r3.records("s")), "\n"); got != "a=40 b=400 id=4" {
		t.Errorf("decoded by name: %s", got)
	}
	if !bytes.Contains(r3.stdout, []byte("decoded as int from the binary log's metadata")) {
		t.Errorf("no warning about the schema difference:\n%s", tail(r3.stdout, 2000))
	}
}

// dropSavedColumn removes column i of table from the schemas of a saved
// GLOBAL state.
func dropSavedColumn(t *testing.T, stateJSON []byte, table string, i int) []byte {
	t.Helper()
	var states []map[string]any
	if err := json.Unmarshal(stateJSON, &states); err != nil {
		t.Fatal(err)
	}
	shared := states[0]["global"].(map[string]any)["shared_state"].(map[string]any)
	tbl := shared["schemas"].(map[string]any)["tables"].(map[string]any)[table].(map[string]any)
	cols := tbl["columns"].([]any)
	tbl["columns"] = append(cols[:i:i], cols[i+1:]...)
	b, err := json.Marshal(states)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withoutGTIDs removes the GTID set from a saved GLOBAL state, so that the
// next sync resumes by file and position (as on a MySQL server without
// GTIDs).
func withoutGTIDs(t *testing.T, stateJSON []byte) []byte {
	t.Helper()
	var states []map[string]any
	if err := json.Unmarshal(stateJSON, &states); err != nil {
		t.Fatal(err)
	}
	delete(states[0]["global"].(map[string]any)["shared_state"].(map[string]any), "gtids")
	b, _ := json.Marshal(states)
	return b
}

// expectStale checks a read that must fail because the saved position is
// gone: exit 1, one config_error naming the cause (one of causes) and the
// way out, and not a single record (never a successful sync with zero
// records).
func expectStale(t *testing.T, r *result, causes ...string) {
	t.Helper()
	te := r.traceError()
	if r.code != 1 || te == nil || te.FailureType != protocol.FailureConfig {
		t.Fatalf("exit %d, trace %+v; want a config error; stdout:\n%s", r.code, te, tail(r.stdout, 2000))
	}
	for _, want := range []string{"can no longer be read", "Reset the connection's data", "Re-sync data", "binlog_expire_logs_seconds"} {
		if !strings.Contains(te.Message, want) {
			t.Errorf("the error %q does not say %q", te.Message, want)
		}
	}
	found := false
	for _, c := range causes {
		found = found || strings.Contains(te.Message, c)
	}
	if !found {
		t.Errorf("the error %q names none of the causes %q", te.Message, causes)
	}
	for _, m := range r.msgs {
		if m.Type == protocol.TypeRecord {
			t.Fatalf("a record was read from a stale position: %s", m.Record.Data)
		}
		if m.Type == protocol.TypeState {
			t.Errorf("a state was written: %s", m.State.Global.SharedState)
		}
	}
}

// TestCDCStalePosition: a saved position the server no longer has (purged
// binary logs, a reset server whose renumbered files reuse the saved
// file's name) is detected before anything is read: a config error, or
// with "Re-sync data" a new snapshot of every stream.
func TestCDCStalePosition(t *testing.T) {
	srv := cdcServer(t)
	root := srv.Open(t, "")
	db := srv.Database(t, "cdc_stale", "CREATE TABLE t (id int PRIMARY KEY, v varchar(10))", "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	cfg := cdcConfig(srv, "cdc_stale", nil)
	cat := allColumnsCatalog("cdc_stale", "t")

	t.Run("purged", func(t *testing.T) {
		r1 := runBinary(t, "read", cfg, cat, nil)
		checkCDCProtocol(t, r1, "t")
		saved := r1.lastGlobal(t)
		testdb.Exec(t, db, "INSERT INTO t VALUES (3, 'c')")
		testdb.Exec(t, root, "FLUSH BINARY LOGS", "FLUSH BINARY LOGS")
		var file string
		if err := root.QueryRow("SHOW MASTER STATUS").Scan(&file, new(any), new(any), new(any)); err != nil {
			t.Fatal(err)
		}
		purgeTo(t, root, file)

		expectStale(t, runBinary(t, "read", cfg, cat, saved), "purged")
		expectStale(t, runBinary(t, "read", cfg, cat, withoutGTIDs(t, saved)), "is no longer on the server")

		resync := cdcConfig(srv, "cdc_stale", map[string]any{"replication_method": map[string]any{"method": "CDC",
			"initial_waiting_seconds": 120, "invalid_cdc_cursor_position_behavior": "Re-sync data"}})
		r := runBinary(t, "read", resync, cat, saved)
		checkCDCProtocol(t, r, "t")
		if got := strings.Join(dataLines(r.records("t")), "\n"); got != "id=1 v=\"a\"\nid=2 v=\"b\"\nid=3 v=\"c\"" {
			t.Errorf("Re-sync data: records\n%s\nwant a new snapshot of the table", got)
		}
		if !bytes.Contains(r.stdout, []byte("read again from the beginning")) {
			t.Error("no warning about the re-sync")
		}
	})

	t.Run("reset and renumbered", func(t *testing.T) {
		testdb.Exec(t, root, "RESET MASTER")
		testdb.Exec(t, db, "INSERT INTO t VALUES (10, 'j')")
		r1 := runBinary(t, "read", cfg, cat, nil)
		checkCDCProtocol(t, r1, "t")
		saved := r1.lastGlobal(t)
		if !bytes.Contains(saved, []byte(`"file":"mysql-bin.000001"`)) || !bytes.Contains(saved, []byte(`"gtids":"0-7-1"`)) {
			t.Fatalf("state not at the first transaction of mysql-bin.000001: %s", saved)
		}
		// A second reset creates a new mysql-bin.000001 and GTIDs that
		// start over: the same file name and a GTID set that seems to
		// contain the saved one (Airbyte #85783 read nothing there).
		time.Sleep(1100 * time.Millisecond)
		testdb.Exec(t, root, "RESET MASTER")
		testdb.Exec(t, db, "INSERT INTO t VALUES (4, 'd'), (5, 'e')", "UPDATE t SET v = 'z'", "DELETE FROM t WHERE id > 3")
		// The saved offset lands on an event of the new file (its creation
		// time tells) or inside one (the server refuses to read there).
		expectStale(t, runBinary(t, "read", cfg, cat, saved), "the binary logs were reset", "cannot send the binary log from the saved position")
		expectStale(t, runBinary(t, "read", cfg, cat, withoutGTIDs(t, saved)), "the binary logs were reset", "cannot send the binary log from the saved position")
		ahead := bytes.Replace(saved, []byte(`"gtids":"0-7-1"`), []byte(`"gtids":"0-7-99"`), 1)
		expectStale(t, runBinary(t, "read", cfg, cat, ahead), "has not executed all transactions of the saved GTID set")
		later := bytes.Replace(saved, []byte(`"file":"mysql-bin.000001"`), []byte(`"file":"mysql-bin.000042"`), 1)
		expectStale(t, runBinary(t, "read", cfg, cat, withoutGTIDs(t, later)), "newer than the server's newest")
	})
}

// purgeTo purges the binary logs before file, waiting for the dump threads
// of earlier syncs to let go of them (MariaDB keeps a file a replica reads).
func purgeTo(t *testing.T, root *sql.DB, file string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		testdb.Exec(t, root, "PURGE BINARY LOGS TO '"+file+"'")
		var first string
		if err := root.QueryRow("SHOW BINARY LOGS").Scan(&first, new(any)); err != nil {
			t.Fatal(err)
		}
		if first == file {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("binary logs before %s were not purged (the oldest is %s)", file, first)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCDCKillResume: a sync killed (SIGKILL) in the middle of a binary log
// read, some of its states inside large transactions, resumes from its
// last GLOBAL state; the records before that state plus the next sync's
// hold every change exactly once.
func TestCDCKillResume(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_kill", "CREATE TABLE k (id int PRIMARY KEY, v varchar(60) NOT NULL)")
	cfg := cdcConfig(srv, "cdc_kill", map[string]any{"checkpoint_interval_records": 700})
	cat := allColumnsCatalog("cdc_kill", "k")
	r1 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r1, "k")

	// 8 transactions of 1500 inserted rows (many row events each), 4
	// updates of 1500 rows, 500 deletes: 18,500 changes.
	setup := []string{"SET SESSION max_recursive_iterations = 100000"}
	for b := 0; b < 8; b++ {
		setup = append(setup, fmt.Sprintf("INSERT INTO k WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT i, CONCAT('i', i, REPEAT('-', 40)) FROM n", b*1500+1, (b+1)*1500))
	}
	for b := 0; b < 4; b++ {
		setup = append(setup, fmt.Sprintf("UPDATE k SET v = CONCAT('u', id) WHERE id > %d AND id <= %d", b*1500, (b+1)*1500))
	}
	setup = append(setup, "DELETE FROM k WHERE id > 11500")
	testdb.Exec(t, db, strings.Join(setup, "; "))
	const changes = 18500

	// Sync 2 is killed after its fourth state.
	states := 0
	cmd, _, finishRaw := startBlocked(t, cmdArgs(t, "read", cfg, cat, r1.lastGlobal(t)), func(line []byte) bool {
		if bytes.Contains(line, []byte(`"type":"STATE"`)) {
			states++
		}
		return states == 4
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out := finishRaw()
	// The kill may cut the last line: keep complete lines, as the platform
	// does, and validate them.
	out = out[:bytes.LastIndexByte(out, '\n')+1]
	r2 := &result{stdout: out, msgs: protocoltest.ValidateOutput(t, out)}
	// What the platform keeps of the killed sync: the records before its
	// last state, and that state.
	var kept []map[string]any
	var pending []map[string]any
	var last *protocol.StateMessage
	midTx := false
	for _, m := range r2.msgs {
		switch m.Type {
		case protocol.TypeRecord:
			pending = append(pending, decodeNumbers(m.Record.Data))
		case protocol.TypeState:
			kept = append(kept, pending...)
			pending = nil
			last = m.State
			if bytes.Contains(m.State.Global.SharedState, []byte(`"skip_row_events"`)) {
				midTx = true
			}
		}
	}
	if last == nil || len(kept) == 0 || len(kept) >= changes {
		t.Fatalf("the killed sync kept %d records (last state %v): the kill did not land mid-read", len(kept), last != nil)
	}
	if !midTx {
		t.Errorf("no state of the killed sync was inside a transaction (skip_row_events): the test does not cover resuming one")
	}
	saved, _ := json.Marshal([]*protocol.StateMessage{last})
	r3 := runBinary(t, "read", cfg, cat, saved)
	checkCDCProtocol(t, r3, "k")
	seen := map[string]int{}
	for _, rec := range append(kept, r3.records("k")...) {
		id := rec["id"].(json.Number).String()
		v := rec["v"].(string)
		key := "write " + id + " " + v[:1]
		if rec["_ab_cdc_deleted_at"] != nil {
			key = "delete " + id
		}
		seen[key]++
	}
	dup, n := 0, 0
	for k, c := range seen {
		n++
		if c != 1 {
			dup++
			if dup < 5 {
				t.Errorf("change %q read %d times", k, c)
			}
		}
	}
	if n != changes || dup != 0 {
		t.Errorf("%d distinct changes (want %d), %d not read exactly once", n, changes, dup)
	}
}

// TestCDCLostStream: when the replication connection is killed in the
// middle of a read, the read reconnects and continues after the last
// event it handled: every change exactly once.
func TestCDCLostStream(t *testing.T) {
	srv := cdcServer(t)
	root := srv.Open(t, "")
	db := srv.Database(t, "cdc_lost", "CREATE TABLE l (id int PRIMARY KEY, v text NOT NULL)")
	cfg := cdcConfig(srv, "cdc_lost", nil)
	cat := allColumnsCatalog("cdc_lost", "l")
	r1 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r1, "l")
	// Many events, more than the connector buffers: one transaction each.
	const n = 5000
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "INSERT INTO l VALUES (%d, REPEAT('x', 2000));", i)
	}
	testdb.Exec(t, db, sb.String())
	_, finish, _ := startBlocked(t, cmdArgs(t, "read", cfg, cat, r1.lastGlobal(t)), func(line []byte) bool {
		return bytes.Contains(line, []byte(`"type":"RECORD"`))
	})
	rows, err := root.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("no binlog dump thread to kill")
	}
	for _, id := range ids {
		_, _ = root.Exec(fmt.Sprintf("KILL CONNECTION %d", id))
	}
	r := finish()
	checkCDCProtocol(t, r, "l")
	if !bytes.Contains(r.stdout, []byte("the binary log stream was lost")) {
		t.Fatalf("the stream was not lost (all events were buffered before the kill?):\n%s", tail(r.stdout, 1500))
	}
	seen := map[string]int{}
	for _, rec := range r.records("l") {
		seen[rec["id"].(json.Number).String()]++
	}
	bad := 0
	for _, c := range seen {
		if c != 1 {
			bad++
		}
	}
	if len(seen) != n || bad != 0 {
		t.Errorf("%d distinct rows (want %d), %d not read exactly once", len(seen), n, bad)
	}
}

// lastStatus returns the last STREAM_STATUS of a stream.
func lastStatus(r *result, stream string) protocol.StreamStatus {
	var last protocol.StreamStatus
	for _, m := range r.msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus && m.Trace.StreamStatus.StreamDescriptor.Name == stream {
			last = m.Trace.StreamStatus.Status
		}
	}
	return last
}

// TestCDCWaitBound: the wait for binary log events (initial_waiting_seconds)
// bounds how long the stream may stay silent before the read reaches its
// end position; then the read fails, it never ends as if complete.
func TestCDCWaitBound(t *testing.T) {
	srv := cdcServer(t)
	root := srv.Open(t, "")
	var file string
	var pos uint32
	if err := root.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, new(any), new(any)); err != nil {
		t.Fatal(err)
	}
	info := &binlog.Server{Flavor: binlog.MariaDB, ServerID: 7}
	rd, err := cdc.NewReader(cdc.Options{
		Server: info, Stream: binlog.StreamConfig{Host: "127.0.0.1", Port: uint16(srv.Port), User: "root", Flavor: binlog.MariaDB},
		Start: cdc.Checkpoint{Position: binlog.Position{File: file, Pos: pos}}, SameServer: true,
		// A target the server has not reached: no event will come.
		Target:  binlog.Position{File: file, Pos: pos + 100000},
		Schemas: cdc.NewSchemas("x", "utf8mb4", binlog.MariaDB, column.Options{}), Wait: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = rd.Run(context.Background(), discardSink{})
	var te *cdc.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Run = %v, want a timeout", err)
	}
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("gave up after %s, want about 1-1.5 s", d)
	}
}

type discardSink struct{}

func (discardSink) Row(*cdc.Capture, *cdc.Change) error { return nil }
func (discardSink) Checkpoint(*cdc.Checkpoint) error    { return nil }

// TestCDCOtherServer: a state saved on another server (a failover) resumes
// by its GTID set, and the next state belongs to this server; without
// GTIDs a position of another server cannot be used.
func TestCDCOtherServer(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_other", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	cfg := cdcConfig(srv, "cdc_other", nil)
	cat := allColumnsCatalog("cdc_other", "t")
	r1 := runBinary(t, "read", cfg, cat, nil)
	checkCDCProtocol(t, r1, "t")
	var states []map[string]any
	if err := json.Unmarshal(r1.lastGlobal(t), &states); err != nil {
		t.Fatal(err)
	}
	shared := states[0]["global"].(map[string]any)["shared_state"].(map[string]any)
	shared["server"] = map[string]any{"flavor": "mariadb", "server_id": 99}
	shared["binlog"] = map[string]any{"file": "other-bin.000123", "pos": 4567}
	delete(shared, "file_started_at")
	moved, _ := json.Marshal(states)
	testdb.Exec(t, db, "INSERT INTO t VALUES (2)", "DELETE FROM t WHERE id = 1")

	expectStale(t, runBinary(t, "read", cfg, cat, withoutGTIDs(t, moved)), "belongs to another server")
	r2 := runBinary(t, "read", cfg, cat, moved)
	checkCDCProtocol(t, r2, "t")
	if got := strings.Join(dataLines(r2.records("t")), "\n"); got != "id=2\nid=1 DELETED" {
		t.Errorf("read from another server's GTID set:\n%s", got)
	}
	last := r2.globals()[len(r2.globals())-1]
	if !bytes.Contains(last.Global.SharedState, []byte(`"server":{"flavor":"mariadb","server_id":7}`)) || !bytes.Contains(last.Global.SharedState, []byte(`"file":"mysql-bin.`)) {
		t.Errorf("the new state does not belong to this server: %s", last.Global.SharedState)
	}
	r3 := runBinary(t, "read", cfg, cat, r2.lastGlobal(t))
	checkCDCProtocol(t, r3, "t")
	if n := len(r3.records("t")); n != 0 {
		t.Errorf("%d records after the move", n)
	}
}

// TestCDCCatalogUnderStandard: a catalog discovered under CDC (with the
// metadata columns) read with replication_method STANDARD in full refresh:
// the metadata columns are ignored with a warning.
func TestCDCCatalogUnderStandard(t *testing.T) {
	srv := cdcServer(t)
	srv.Database(t, "cdc_std", "CREATE TABLE t (id int PRIMARY KEY, v int)", "INSERT INTO t VALUES (1, 2)")
	disc := runBinary(t, "discover", cdcConfig(srv, "cdc_std", nil), nil, nil)
	std := srv.Config("cdc_std", nil)
	r := runBinary(t, "read", std, catalogFor(t, disc, map[string]string{"t": "full_refresh"}, nil), nil)
	checkReadProtocol(t, r, "t")
	if got := strings.Join(r.rawRecords("t"), "\n"); got != `{"id":1,"v":2}` {
		t.Errorf("records %s", got)
	}
	if !bytes.Contains(r.stdout, []byte("the catalog lists CDC metadata columns")) {
		t.Error("no warning about the metadata columns")
	}
}

// TestCDCSIGTERM: a binary log read stopped by SIGTERM ends with its
// streams INCOMPLETE, a TRACE ERROR and exit code 143, every printed line
// valid, and its last state still a place to resume from.
func TestCDCSIGTERM(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_term", "CREATE TABLE t (id int PRIMARY KEY, pad varchar(300))")
	cfg := cdcConfig(srv, "cdc_term", map[string]any{"checkpoint_interval_records": 1000})
	cat := allColumnsCatalog("cdc_term", "t")
	r1 := runBinary(t, "read", cfg, cat, nil)
	testdb.Exec(t, db, "SET SESSION max_recursive_iterations = 100000; INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, REPEAT('x', 300) FROM n")
	cmd, finish, _ := startBlocked(t, cmdArgs(t, "read", cfg, cat, r1.lastGlobal(t)), func(line []byte) bool {
		return bytes.Contains(line, []byte(`"type":"RECORD"`))
	})
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := finish()
	if r.code != 143 {
		t.Errorf("exit code %d, want 143", r.code)
	}
	if st := lastStatus(r, "t"); st != protocol.StreamIncomplete {
		t.Errorf("last status %s, want INCOMPLETE", st)
	}
	if te := r.traceError(); te == nil || !strings.Contains(te.Message, "interrupted") {
		t.Errorf("trace error %+v", te)
	}
	// Resuming from the last state reads the rest: the records before that
	// state and the next sync's add up to every row once.
	before, count := 0, 0
	for _, m := range r.msgs {
		switch m.Type {
		case protocol.TypeRecord:
			count++
		case protocol.TypeState:
			before = count
		}
	}
	r2 := runBinary(t, "read", cfg, cat, r.lastGlobal(t))
	checkCDCProtocol(t, r2, "t")
	if got := before + len(r2.records("t")); got != 20000 {
		t.Errorf("%d records up to the last state + %d after = %d, want 20000", before, len(r2.records("t")), got)
	}
}

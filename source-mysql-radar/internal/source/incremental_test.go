package source

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

func streamStateOf(t *testing.T, r *result, stream string) map[string]any {
	t.Helper()
	states := r.states(stream)
	if len(states) == 0 {
		t.Fatalf("no state for %s", stream)
	}
	var m map[string]any
	if err := json.Unmarshal(states[len(states)-1].Stream.StreamState, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestIncrementalBoundaryTies: rows that arrive later with the boundary
// cursor value are never missed, and an unchanged table reads nothing.
func TestIncrementalBoundaryTies(t *testing.T) {
	dbName, db := testdb.Database(t, "ties",
		"CREATE TABLE ev (id int PRIMARY KEY, updated_at datetime NOT NULL, v varchar(10))",
		"INSERT INTO ev VALUES (1, '2024-01-01 10:00:00', 'a'), (2, '2024-01-01 10:00:00', 'b'), (3, '2024-01-01 09:00:00', 'c')")
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 2})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, map[string]string{"ev": "incremental"}, map[string]string{"ev": "updated_at"})

	first := runInProcess(t, "read", cfg, cat, nil)
	checkReadProtocol(t, first, "ev")
	if got := ids(first.records("ev"), "id"); got != "1,2,3" {
		t.Fatalf("first sync: %s, want 1,2,3 (read by key)", got)
	}
	st := streamStateOf(t, first, "ev")
	if st["state_type"] != "cursor_based" || st["cursor"] != "2024-01-01T10:00:00.000000" || st["cursor_record_count"] != 2.0 {
		t.Fatalf("state after the first sync: %v", st)
	}

	// Nothing changed: nothing is read.
	second := runInProcess(t, "read", cfg, cat, first.lastStateInput())
	checkReadProtocol(t, second, "ev")
	if n := len(second.records("ev")); n != 0 {
		t.Errorf("unchanged table: %d records, want 0", n)
	}

	// A late row at the boundary value, and a row updated past it.
	testdb.Exec(t, db, "INSERT INTO ev VALUES (4, '2024-01-01 10:00:00', 'late')",
		"UPDATE ev SET updated_at = '2024-01-02 00:00:00', v = 'upd' WHERE id = 3")
	third := runInProcess(t, "read", cfg, cat, second.lastStateInput())
	checkReadProtocol(t, third, "ev")
	if got := ids(third.records("ev"), "id"); got != "1,2,4,3" {
		t.Errorf("after a late boundary row: %s, want 1,2,4,3 (boundary rows again, then newer)", got)
	}
	st = streamStateOf(t, third, "ev")
	if st["cursor"] != "2024-01-02T00:00:00.000000" || st["cursor_record_count"] != 1.0 {
		t.Errorf("state: %v", st)
	}

	// A row that moves away from the boundary while another arrives at it
	// keeps the count but changes the fingerprint: the new row is read.
	testdb.Exec(t, db, "INSERT INTO ev VALUES (5, '2024-01-02 00:00:00', 'x')")
	fourth := runInProcess(t, "read", cfg, cat, third.lastStateInput())
	testdb.Exec(t, db, "UPDATE ev SET updated_at = '2024-01-03 00:00:00' WHERE id = 3",
		"INSERT INTO ev VALUES (6, '2024-01-02 00:00:00', 'swap')",
		"DELETE FROM ev WHERE id = 3")
	// State after fourth: cursor 2024-01-02 with rows {3,5}; now rows at it are {5,6}.
	fifth := runInProcess(t, "read", cfg, cat, fourth.lastStateInput())
	if got := ids(fifth.records("ev"), "id"); got != "5,6" {
		t.Errorf("same count, different rows at the boundary: %s, want 5,6", got)
	}
}

// TestIncrementalStateShapes accepts the states Airbyte's connectors wrote.
func TestIncrementalStateShapes(t *testing.T) {
	dbName, _ := testdb.Database(t, "shapes",
		"CREATE TABLE t (id int PRIMARY KEY, ts timestamp(6) NOT NULL, n decimal(30,10) NOT NULL)",
		"INSERT INTO t VALUES (1, '2024-01-01 00:00:00', 1.5), (2, '2024-01-02 00:00:00', 2.5), (3, '2024-01-03 00:00:00', 12345678901234567890.0000000001)")
	cfg := testdb.Config(dbName, nil)
	disc := runInProcess(t, "discover", cfg, nil, nil)
	byTS := catalogFor(t, disc, map[string]string{"t": "incremental"}, map[string]string{"t": "ts"})
	byN := catalogFor(t, disc, map[string]string{"t": "incremental"}, map[string]string{"t": "n"})
	state := func(blob string) json.RawMessage {
		return json.RawMessage(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"t","namespace":"` + dbName + `"},"stream_state":` + blob + `},"sourceStats":{"recordCount":3.0}}]`)
	}
	cases := []struct {
		name    string
		catalog any
		state   json.RawMessage
		want    string
	}{
		{"3.0.0 shape, count matches", byTS, state(`{"stream_name":"t","stream_namespace":"` + dbName + `","cursor_field":["ts"],"cursor":"2024-01-02T00:00:00.000000Z","cursor_record_count":1}`), "3"},
		{"3.0.0 shape, count differs", byTS, state(`{"stream_name":"t","stream_namespace":"` + dbName + `","cursor_field":["ts"],"cursor":"2024-01-02T00:00:00Z","cursor_record_count":0}`), "2,3"},
		{"offset in the cursor", byTS, state(`{"cursor_field":["ts"],"cursor":"2024-01-02T02:00:00+02:00","cursor_record_count":1}`), "3"},
		{"v2 cursor_based", byTS, state(`{"state_type":"cursor_based","version":2,"cursor_field":["ts"],"cursor":"2024-01-01T00:00:00.000000Z","cursor_record_count":1}`), "2,3"},
		{"v2 primary_key in progress", byTS, state(`{"state_type":"primary_key","version":2,"pk_name":"id","pk_val":"1","incremental_state":{"state_type":"cursor_based","version":2,"cursor_field":["ts"],"cursor":"2024-01-03T00:00:00.000000Z","cursor_record_count":1}}`), "2,3"},
		{"decimal cursor", byN, state(`{"cursor_field":["n"],"cursor":"2.5000000000","cursor_record_count":1}`), "3"},
		{"decimal cursor beyond float64", byN, state(`{"cursor_field":["n"],"cursor":"12345678901234567890.0000000000","cursor_record_count":0}`), "3"},
		{"abnormally large (acceptance tests)", byTS, state(`{"cursor":"9999-12-31T23:59:59"}`), ""},
		{"cursor changed", byN, state(`{"cursor_field":["ts"],"cursor":"2024-01-03T00:00:00Z","cursor_record_count":1}`), "1,2,3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, "read", cfg, tc.catalog, tc.state)
			checkReadProtocol(t, r, "t")
			if got := ids(r.records("t"), "id"); got != tc.want {
				t.Errorf("records %q, want %q", got, tc.want)
			}
		})
	}
	// The v2 in-progress state finishes with the cursor it carried.
	r := runInProcess(t, "read", cfg, byTS, cases[4].state)
	if st := streamStateOf(t, r, "t"); st["cursor"] != "2024-01-03T00:00:00.000000Z" || st["state_type"] != "cursor_based" {
		t.Errorf("final state after a resumed initial load: %v", st)
	}
}

// TestIncrementalWithoutKey reads a keyless table ordered by its cursor,
// with intermediate states, and compares by count alone.
func TestIncrementalWithoutKey(t *testing.T) {
	dbName, db := testdb.Database(t, "inckeyless",
		"CREATE TABLE log (seq int NULL, msg varchar(10))",
		"INSERT INTO log VALUES (NULL, 'n'), (2, 'b'), (1, 'a'), (2, 'c')")
	cfg := testdb.Config(dbName, map[string]any{"checkpoint_target_interval_seconds": 1})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, map[string]string{"log": "incremental"}, map[string]string{"log": "seq"})
	first := runInProcess(t, "read", cfg, cat, nil)
	checkReadProtocol(t, first, "log")
	if got := ids(first.records("log"), "msg"); !strings.HasPrefix(got, "n,a,") || len(first.records("log")) != 4 {
		t.Errorf("first sync: %s, want n,a then b,c", got)
	}
	if st := streamStateOf(t, first, "log"); st["cursor"] != "2" || st["cursor_record_count"] != 2.0 {
		t.Errorf("state: %v", st)
	}
	testdb.Exec(t, db, "INSERT INTO log VALUES (2, 'd'), (3, 'e'), (NULL, 'm')")
	second := runInProcess(t, "read", cfg, cat, first.lastStateInput())
	checkReadProtocol(t, second, "log")
	if got := len(second.records("log")); got != 4 {
		t.Errorf("second sync: %d records (%s), want the 3 rows at 2 again and e", got, ids(second.records("log"), "msg"))
	}
}

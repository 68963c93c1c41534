package source

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// ids returns the id field of records as strings.
func ids(recs []map[string]any, field string) string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprint(r[field]))
	}
	return strings.Join(out, ",")
}

// TestProductionConfig runs the team's production config, unchanged but
// for host and database, through the built binary: check, discover, read.
func TestProductionConfig(t *testing.T) {
	dbName, _ := testdb.Database(t, "prod",
		"CREATE TABLE store (Id int PRIMARY KEY, Name varchar(255) NOT NULL, Active tinyint(1) NOT NULL, Modified_At datetime(6) NOT NULL)",
		"INSERT INTO store VALUES (1, 'Nissei Moema - Loja 1', 1, '2024-01-02 03:04:05.123456'), (2, 'Farmácia Souza', 0, '2024-01-03 00:00:00')",
		"CREATE TABLE empty_table (id int PRIMARY KEY)")
	cfg := testdb.Config(dbName, nil)
	chk := runBinary(t, "check", cfg, nil, nil)
	if cs := chk.connectionStatus(t); cs.Status != protocol.StatusSucceeded {
		t.Fatalf("check: %+v", cs)
	}
	disc := runBinary(t, "discover", cfg, nil, nil)
	read := runBinary(t, "read", cfg, catalogFor(t, disc, nil, nil), nil)
	checkReadProtocol(t, read, "store", "empty_table")
	got := strings.Join(read.rawRecords("store"), "\n")
	want := `{"Id":1,"Name":"Nissei Moema - Loja 1","Active":true,"Modified_At":"2024-01-02T03:04:05.123456"}` + "\n" +
		`{"Id":2,"Name":"Farmácia Souza","Active":false,"Modified_At":"2024-01-03T00:00:00.000000"}`
	if got != want {
		t.Errorf("records:\n%s\nwant:\n%s", got, want)
	}
	if n := len(read.records("empty_table")); n != 0 {
		t.Errorf("empty_table: %d records", n)
	}
	for _, m := range read.msgs {
		if m.Type == protocol.TypeRecord && m.Record.Namespace != dbName {
			t.Errorf("record namespace %q, want %q", m.Record.Namespace, dbName)
		}
	}
}

// TestResumeFromChunkState reads a table in chunks, then resumes from the
// state after the second chunk: the second read emits exactly the rest.
func TestResumeFromChunkState(t *testing.T) {
	setup := []string{
		"CREATE TABLE single (id bigint unsigned PRIMARY KEY, v varchar(10))",
		"CREATE TABLE composite (a varchar(10) NOT NULL, b int NOT NULL, v int, PRIMARY KEY (a, b))",
		"CREATE TABLE uniq (code binary(2) NOT NULL, v int, UNIQUE KEY (code))",
	}
	var single, comp, uniq []string
	for i := 1; i <= 10; i++ {
		single = append(single, fmt.Sprintf("(%d, 'v%d')", uint64(1)<<63+uint64(i), i))
		comp = append(comp, fmt.Sprintf("('k%d', %d, %d)", i%3, i, i))
		uniq = append(uniq, fmt.Sprintf("(X'%04X', %d)", 0xFF00+i*3, i))
	}
	setup = append(setup,
		"INSERT INTO single VALUES "+strings.Join(single, ","),
		"INSERT INTO composite VALUES "+strings.Join(comp, ","),
		"INSERT INTO uniq VALUES "+strings.Join(uniq, ","))
	dbName, _ := testdb.Database(t, "resume", setup...)
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 3})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, nil, nil)
	full := runInProcess(t, "read", cfg, cat, nil)
	checkReadProtocol(t, full, "single", "composite", "uniq")

	for _, tc := range []struct{ stream, field string }{{"single", "id"}, {"composite", "v"}, {"uniq", "v"}} {
		t.Run(tc.stream, func(t *testing.T) {
			all := full.records(tc.stream)
			if len(all) != 10 {
				t.Fatalf("full read: %d records, want 10", len(all))
			}
			states := full.states(tc.stream)
			// 10 rows in chunks of 3: states after 3, 6, 9, 10 rows, then the final one.
			if len(states) != 5 {
				t.Fatalf("%d states, want 5", len(states))
			}
			mid := states[1] // after 6 rows
			input, _ := json.Marshal([]any{mid})
			resumed := runInProcess(t, "read", cfg, cat, json.RawMessage(input))
			checkReadProtocol(t, resumed, "single", "composite", "uniq")
			if got, want := ids(resumed.records(tc.stream), tc.field), ids(all[6:], tc.field); got != want {
				t.Errorf("resumed read: %s, want %s", got, want)
			}
			// The final state restarts a full refresh from the beginning.
			again := runInProcess(t, "read", cfg, cat, full.lastStateInput())
			if n := len(again.records(tc.stream)); n != 10 {
				t.Errorf("read after the final state: %d records, want 10", n)
			}
		})
	}
	var st map[string]any
	_ = json.Unmarshal(full.states("single")[0].Stream.StreamState, &st)
	if st["pk_val"] != "9223372036854775811" || st["state_type"] != "primary_key" {
		t.Errorf("state after the first chunk: %v", st)
	}
}

// TestAwkwardIdentifiers reads tables and columns whose names need quoting,
// and resumes in them: nothing from a name may reach SQL unquoted.
func TestAwkwardIdentifiers(t *testing.T) {
	table := "we`ird tab'le \"ç表 -- ?"
	quoted := "`" + strings.ReplaceAll(table, "`", "``") + "`"
	dbName, _ := testdb.Database(t, "idents",
		"CREATE TABLE "+quoted+" (`i``d` int NOT NULL, `sp ace` varchar(10) NOT NULL, `q'uo\"te` int, `ção?` text, `#c` int, PRIMARY KEY (`i``d`, `sp ace`))",
		"INSERT INTO "+quoted+" VALUES (1, 'a', 1, 'x', 1), (1, 'b', 2, NULL, 2), (2, 'a', 3, 'z', 3), (3, '', 4, '?', 4)",
		"CREATE VIEW `v iew` AS SELECT `i``d`, `ção?` FROM "+quoted)
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 1})
	disc := runBinary(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, nil, nil)
	read := runBinary(t, "read", cfg, cat, nil)
	checkReadProtocol(t, read, table, "v iew")
	got := strings.Join(read.rawRecords(table), "\n")
	want := strings.Join([]string{
		`{"i` + "`" + `d":1,"sp ace":"a","q'uo\"te":1,"ção?":"x","#c":1}`,
		`{"i` + "`" + `d":1,"sp ace":"b","q'uo\"te":2,"ção?":null,"#c":2}`,
		`{"i` + "`" + `d":2,"sp ace":"a","q'uo\"te":3,"ção?":"z","#c":3}`,
		`{"i` + "`" + `d":3,"sp ace":"","q'uo\"te":4,"ção?":"?","#c":4}`,
	}, "\n")
	if got != want {
		t.Errorf("records:\n%s\nwant:\n%s", got, want)
	}
	if n := len(read.records("v iew")); n != 4 {
		t.Errorf("view: %d records, want 4", n)
	}
	states := read.states(table)
	resumed := runBinary(t, "read", cfg, cat, mustJSON([]any{states[1]}))
	if got := len(resumed.records(table)); got != 2 {
		t.Errorf("resumed after 2 rows: %d records, want 2", got)
	}
	// Selecting a subset of columns reads only those (and the key).
	var c map[string]any
	_ = json.Unmarshal(mustJSON(cat), &c)
	for _, s := range c["streams"].([]any) {
		st := s.(map[string]any)["stream"].(map[string]any)
		props := st["json_schema"].(map[string]any)["properties"].(map[string]any)
		if st["name"] == table {
			for k := range props {
				if k != "#c" {
					delete(props, k)
				}
			}
		}
	}
	sub := runBinary(t, "read", cfg, c, nil)
	checkReadProtocol(t, sub, table, "v iew")
	if got := strings.Join(sub.rawRecords(table), ","); got != `{"#c":1},{"#c":2},{"#c":3},{"#c":4}` {
		t.Errorf("subset read: %s", got)
	}
}

// TestBogusCatalog checks that a catalog naming something that does not
// exist fails with a config error before anything is read.
func TestBogusCatalog(t *testing.T) {
	dbName, _ := testdb.Database(t, "bogus",
		"CREATE TABLE t (id int PRIMARY KEY, flag tinyint(1), doc blob, note varchar(5))",
		"INSERT INTO t VALUES (1, 1, '{}', 'x')")
	cfg := testdb.Config(dbName, nil)
	schema := json.RawMessage(`{"type":"object","properties":{"id":{"type":"number"}}}`)
	stream := func(name string, extra map[string]any) map[string]any {
		s := map[string]any{"stream": map[string]any{"name": name, "namespace": dbName, "json_schema": schema, "supported_sync_modes": []string{"full_refresh", "incremental"}},
			"sync_mode": "full_refresh", "destination_sync_mode": "append"}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	cases := []struct {
		name    string
		catalog any
		want    string
	}{
		{"unknown table", map[string]any{"streams": []any{stream("nope", nil)}}, `table "nope" does not exist`},
		{"acceptance test stream", map[string]any{"streams": []any{stream("__AIRBYTE__stream_that_does_not_exist", map[string]any{"sync_mode": "INVALID"})}}, "sync_mode"},
		{"invalid sync mode", map[string]any{"streams": []any{stream("t", map[string]any{"sync_mode": "sometimes"})}}, "sync_mode"},
		{"unknown column", map[string]any{"streams": []any{map[string]any{"stream": map[string]any{"name": "t", "namespace": dbName,
			"json_schema": json.RawMessage(`{"type":"object","properties":{"id":{},"gone":{}}}`), "supported_sync_modes": []string{"full_refresh"}},
			"sync_mode": "full_refresh", "destination_sync_mode": "append"}}}, `column "gone"`},
		{"unknown cursor", map[string]any{"streams": []any{stream("t", map[string]any{"sync_mode": "incremental", "cursor_field": []string{"updated_at"}})}}, `cursor column "updated_at" does not exist`},
		{"boolean cursor", map[string]any{"streams": []any{stream("t", map[string]any{"sync_mode": "incremental", "cursor_field": []string{"flag"}})}}, "cannot be an incremental cursor"},
		{"blob cursor", map[string]any{"streams": []any{stream("t", map[string]any{"sync_mode": "incremental", "cursor_field": []string{"doc"}})}}, "cannot be an incremental cursor"},
		{"nested cursor", map[string]any{"streams": []any{stream("t", map[string]any{"sync_mode": "incremental", "cursor_field": []string{"doc", "a"}})}}, "nested"},
		{"other namespace", map[string]any{"streams": []any{map[string]any{"stream": map[string]any{"name": "t", "namespace": "otherdb", "json_schema": schema, "supported_sync_modes": []string{"full_refresh"}},
			"sync_mode": "full_refresh", "destination_sync_mode": "append"}}}, "namespace"},
		{"unusable state", map[string]any{"streams": []any{stream("t", nil)}}, "reset the stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var state any
			if tc.name == "unusable state" {
				state = json.RawMessage(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"t"},"stream_state":{"state_type":"cdc_offset","x":1}}}]`)
			}
			r := runBinary(t, "read", cfg, tc.catalog, state)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
			te := r.traceError()
			if te == nil {
				t.Fatalf("no TRACE ERROR; stdout:\n%s", r.stdout)
			}
			if te.FailureType != protocol.FailureConfig || !strings.Contains(te.Message, tc.want) {
				t.Errorf("trace error %s %q, want config_error containing %q", te.FailureType, te.Message, tc.want)
			}
			for _, m := range r.msgs {
				if m.Type == protocol.TypeRecord {
					t.Errorf("a record was emitted: %s", m.Record.Data)
				}
			}
		})
	}
}

// TestIncrementalWithoutCursorFallsBack: PyAirbyte asks for incremental on
// every stream; without a cursor the stream is read in full refresh.
func TestIncrementalWithoutCursorFallsBack(t *testing.T) {
	dbName, _ := testdb.Database(t, "nocursor",
		"CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
	cfg := testdb.Config(dbName, nil)
	disc := runInProcess(t, "discover", cfg, nil, nil)
	read := runInProcess(t, "read", cfg, catalogFor(t, disc, map[string]string{"t": "incremental"}, nil), nil)
	checkReadProtocol(t, read, "t")
	if n := len(read.records("t")); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	if !strings.Contains(string(read.stdout), "without a cursor field") {
		t.Errorf("no warning about the missing cursor:\n%s", read.stdout)
	}
}

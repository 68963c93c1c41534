package destination

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
)

const usersSchema = `{"type":"object","properties":{
 "id":{"type":"number","airbyte_type":"integer","x-mysql-type":"bigint"},
 "name":{"type":["null","string"],"maxLength":50,"x-mysql-type":"varchar(50)"},
 "price":{"type":["null","number"],"precision":12,"scale":2,"x-mysql-type":"decimal(12,2)"},
 "created_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone","x-mysql-type":"datetime(6)"}
}}`

func TestWriteSmoke(t *testing.T) {
	srv := s3test.Start(t)
	input := recordLine("radar", "users", `{"id":1,"name":"Ana","price":12.50,"created_at":"2024-01-02T03:04:05.123456"}`, 1700000000000) +
		recordLine("radar", "users", `{"id":2,"name":null,"price":"99999999.99","created_at":"bad"}`, 1700000000001) +
		streamState("radar", "users", 7, "2")
	r := write(t, srv.Config(nil), catalog(catalogStream{name: "users", namespace: "radar", schema: usersSchema}), input)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	states := stateLines(r)
	if len(states) != 1 || !strings.Contains(states[0], `"id":7`) || !strings.Contains(states[0], `"destinationStats":{"recordCount":2.0}`) {
		t.Fatalf("states = %v\n%s", states, r.stdout)
	}
	keys := parquetKeys(t, srv, "airbyte/raw/")
	if len(keys) != 1 {
		t.Fatalf("keys = %v", srv.Keys(t, ""))
	}
	db := s3test.DuckDB(t)
	rows := s3test.Query(t, db, `SELECT id, name, CAST(price AS VARCHAR), CAST(created_at AS VARCHAR), CAST(_airbyte_meta.changes AS VARCHAR) FROM `+readSource(t, srv, keys)+` ORDER BY id`)
	t.Logf("%v", rows)
}

// TestRecordShapes: keys in any order, escaped keys, duplicate keys (the
// first wins), undeclared keys, a record without namespace for a catalog
// stream with one, and a 2 MB value.
func TestRecordShapes(t *testing.T) {
	srv := s3test.Start(t)
	schema := `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":["null","string"]},"big":{"type":["null","string"]}}}`
	big := strings.Repeat("x", 2<<20)
	input := recordLine("radar", "users", `{"name":"a","id":1}`, 1) +
		recordLine("radar", "users", `{"na\u006de":"b","id":2,"extra":{"z":1}}`, 1) +
		recordLine("radar", "users", `{"id":3,"id":4,"name":"c"}`, 1) +
		recordLine("", "users", `{"id":5,"name":"d","big":"`+big+`"}`, 1)
	r := write(t, srv.Config(nil), catalog(catalogStream{name: "users", namespace: "radar", schema: schema}), input)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	db := s3test.DuckDB(t)
	rows := s3test.Query(t, db, `SELECT id, name, coalesce(length(big), 0) FROM `+readSource(t, srv, parquetKeys(t, srv, ""))+` ORDER BY id`)
	want := [][]string{{"1", "a", "0"}, {"2", "b", "0"}, {"3", "c", "0"}, {"5", "d", fmt.Sprint(2 << 20)}}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

// TestSourceErrorIsRepeated: in a local pipe the source's TRACE ERROR
// reaches the destination's stdin; the destination repeats it as an ERROR
// log line (the platform keeps source traces to itself), and still commits
// and acknowledges what came before.
func TestSourceErrorIsRepeated(t *testing.T) {
	srv := s3test.Start(t)
	input := recordLine("radar", "users", `{"id":1,"name":"Ana","price":1,"created_at":null}`, 1700000000000) +
		streamState("radar", "users", 1, "1") +
		`{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1.0,"error":{"message":"stream radar.users: Lost the connection to MySQL","failure_type":"transient_error"}}}` + "\n"
	r := write(t, srv.Config(nil), catalog(catalogStream{name: "users", namespace: "radar", schema: usersSchema}), input)
	if r.code != 0 || len(stateLines(r)) != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	found := false
	for _, m := range r.msgs {
		if m.Type == protocol.TypeLog && m.Log.Level == protocol.LogError && strings.Contains(m.Log.Message, "the source reported an error (transient_error): stream radar.users: Lost the connection to MySQL") {
			found = true
		}
	}
	if !found {
		t.Errorf("the source's error was not repeated:\n%s", r.stdout)
	}
	if traceError(r) != nil {
		t.Errorf("the destination itself must not fail: %s", r.stdout)
	}
}

package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// typeRow is one row of the mapping table in TYPES.md.
type typeRow struct {
	definition string // column definition, e.g. "int unsigned NOT NULL"
	schema     string // JSON schema without x-mysql-type
	sqlValue   string // the value inserted
	record     string // the JSON value in the record
	nulled     bool   // the record reports the field NULLED
}

// parseTypesMD reads the mapping table of TYPES.md.
func parseTypesMD(t *testing.T) []typeRow {
	t.Helper()
	b, err := os.ReadFile("../../TYPES.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []typeRow
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| column definition |") {
			inTable = true
			continue
		}
		if !inTable || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("TYPES.md row has %d cells: %s", len(cells), line)
		}
		r := typeRow{
			definition: unquoteCell(cells[0]),
			schema:     unquoteCell(cells[1]),
			sqlValue:   unquoteCell(cells[2]),
		}
		rec := strings.TrimSpace(cells[3])
		if strings.HasSuffix(rec, " NULLED") {
			r.nulled = true
			rec = strings.TrimSuffix(rec, " NULLED")
		}
		r.record = unquoteCell(rec)
		rows = append(rows, r)
	}
	if len(rows) < 40 {
		t.Fatalf("found %d rows in the TYPES.md table", len(rows))
	}
	return rows
}

func unquoteCell(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "`") && strings.HasSuffix(s, "`") {
		s = s[1 : len(s)-1]
	}
	return s
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestTypesContract checks TYPES.md against a real server: every row is a
// column whose discovered schema and read value must match the table.
func TestTypesContract(t *testing.T) {
	rows := parseTypesMD(t)
	var defs, values []string
	for i, r := range rows {
		defs = append(defs, fmt.Sprintf("`c%d` %s", i+1, r.definition))
		values = append(values, r.sqlValue)
	}
	dbName, db := testdb.Database(t, "types",
		"CREATE TABLE types (id int PRIMARY KEY, "+strings.Join(defs, ", ")+")",
		"INSERT INTO types VALUES (1, "+strings.Join(values, ", ")+")")
	cfg := testdb.Config(dbName, nil)

	disc := runInProcess(t, "discover", cfg, nil, nil)
	var stream *protocol.Stream
	for _, m := range disc.msgs {
		if m.Type == protocol.TypeCatalog {
			for i := range m.Catalog.Streams {
				if m.Catalog.Streams[i].Name == "types" {
					stream = &m.Catalog.Streams[i]
				}
			}
		}
	}
	if stream == nil {
		t.Fatalf("discover did not list table types:\n%s", disc.stdout)
	}
	var js struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(stream.JSONSchema))
	dec.UseNumber()
	if err := dec.Decode(&js); err != nil {
		t.Fatal(err)
	}
	columnTypes := map[string]string{}
	rs, err := db.Query("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'types'", dbName)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var n, ct string
		if err := rs.Scan(&n, &ct); err != nil {
			t.Fatal(err)
		}
		columnTypes[n] = ct
	}
	rs.Close()

	read := runInProcess(t, "read", cfg, catalogFor(t, disc, map[string]string{"types": "full_refresh"}, nil), nil)
	checkReadProtocol(t, read, "types")
	var rec *protocol.RecordMessage
	for _, m := range read.msgs {
		if m.Type == protocol.TypeRecord {
			rec = m.Record
		}
	}
	if rec == nil {
		t.Fatalf("read emitted no record:\n%s", read.stdout)
	}
	got := map[string][]byte{}
	var it jsonx.ObjectIter
	it.Reset(rec.Data)
	for it.Next() {
		got[string(it.Key())] = append([]byte(nil), it.Value()...)
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	var nulled []string
	if rec.Meta != nil {
		for _, c := range rec.Meta.Changes {
			if c.Change != protocol.ChangeNulled || c.Reason != protocol.ReasonSourceSerializationError {
				t.Errorf("change %+v, want NULLED / SOURCE_SERIALIZATION_ERROR", c)
			}
			nulled = append(nulled, c.Field)
		}
	}

	var wantNulled []string
	for i, r := range rows {
		name := fmt.Sprintf("c%d", i+1)
		t.Run(fmt.Sprintf("%s_%s", name, strings.Fields(r.definition)[0]), func(t *testing.T) {
			prop := js.Properties[name]
			if prop == nil {
				t.Fatalf("no schema for %s", name)
			}
			if prop["x-mysql-type"] != columnTypes[name] {
				t.Errorf("x-mysql-type = %v, want COLUMN_TYPE %q", prop["x-mysql-type"], columnTypes[name])
			}
			delete(prop, "x-mysql-type")
			want := decodeJSON(t, []byte(r.schema))
			gotSchema := decodeJSON(t, mustJSON(prop))
			if !reflect.DeepEqual(gotSchema, want) {
				t.Errorf("%s: schema %s, want %s", r.definition, mustJSON(prop), r.schema)
			}
			if v := got[name]; string(v) != r.record {
				t.Errorf("%s with %s: value %s, want %s", r.definition, r.sqlValue, v, r.record)
			}
		})
		if r.nulled {
			wantNulled = append(wantNulled, name)
		}
	}
	sort.Strings(nulled)
	sort.Strings(wantNulled)
	if !reflect.DeepEqual(nulled, wantNulled) {
		t.Errorf("meta.changes fields %v, want %v", nulled, wantNulled)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestTinyInt1AsInteger checks the option and its JDBC spelling.
func TestTinyInt1AsInteger(t *testing.T) {
	dbName, _ := testdb.Database(t, "tinyint",
		"CREATE TABLE t (id int PRIMARY KEY, flag tinyint(1) NOT NULL, b bit(1) NOT NULL)",
		"INSERT INTO t VALUES (1, 2, b'1'), (2, -1, b'0')")
	for name, extra := range map[string]map[string]any{
		"option": {"treat_tinyint1_as_integer": true},
		"jdbc":   {"jdbc_url_params": "tinyInt1isBit=false"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testdb.Config(dbName, extra)
			disc := runInProcess(t, "discover", cfg, nil, nil)
			if !bytes.Contains(disc.stdout, []byte(`"flag":{"type":"number","airbyte_type":"integer","x-mysql-type":"tinyint(1)"}`)) {
				t.Errorf("flag is not an integer in the catalog:\n%s", disc.stdout)
			}
			read := runInProcess(t, "read", cfg, catalogFor(t, disc, nil, nil), nil)
			checkReadProtocol(t, read, "t")
			got := strings.Join(read.rawRecords("t"), "\n")
			want := `{"id":1,"flag":2,"b":true}` + "\n" + `{"id":2,"flag":-1,"b":false}`
			if got != want {
				t.Errorf("records\n%s\nwant\n%s", got, want)
			}
		})
	}
}

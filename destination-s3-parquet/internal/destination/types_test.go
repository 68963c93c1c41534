package destination

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

// typeRow is one row of TYPES.md's type mapping table.
type typeRow struct {
	schema, current, legacy string
}

var typeRowRe = regexp.MustCompile("^\\| `(\\{.*\\})` \\| `(.*)` \\| `(.*)` \\|$")

func readTypeTable(t *testing.T) []typeRow {
	t.Helper()
	b, err := os.ReadFile("../../TYPES.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []typeRow
	for _, l := range strings.Split(string(b), "\n") {
		if m := typeRowRe.FindStringSubmatch(l); m != nil {
			rows = append(rows, typeRow{m[1], m[2], m[3]})
		}
	}
	if len(rows) < 30 {
		t.Fatalf("TYPES.md has %d type rows; the table was not found", len(rows))
	}
	return rows
}

// TestTypesMDMapping writes one file per layout with a column per row of
// TYPES.md and checks the column types DuckDB reads back.
func TestTypesMDMapping(t *testing.T) {
	rows := readTypeTable(t)
	var props []string
	for i, r := range rows {
		props = append(props, fmt.Sprintf(`"c%02d":%s`, i, r.schema))
	}
	schema := `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) {
			srv := s3test.Start(t)
			cfg := srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "column_layout": layout}})
			r := write(t, cfg, catalog(catalogStream{name: "types", schema: schema}), recordLine("", "types", `{}`, 1))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stdout)
			}
			db := s3test.DuckDB(t)
			src := readSource(t, srv, parquetKeys(t, srv, ""))
			got := map[string]string{}
			for _, row := range s3test.Query(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+src+")") {
				got[row[0]] = row[1]
			}
			for i, r := range rows {
				want := r.current
				if layout == "legacy_0_3" {
					want = r.legacy
				}
				if g := got[fmt.Sprintf("c%02d", i)]; g != want {
					t.Errorf("%s: column type = %s, TYPES.md says %s", r.schema, g, want)
				}
			}
			var wantMeta []string
			if layout == "current" {
				wantMeta = []string{"_airbyte_raw_id VARCHAR", "_airbyte_extracted_at TIMESTAMP WITH TIME ZONE", "_airbyte_generation_id BIGINT",
					"_airbyte_meta STRUCT(sync_id BIGINT, changes STRUCT(field VARCHAR, change VARCHAR, reason VARCHAR)[])"}
			} else {
				wantMeta = []string{"_airbyte_ab_id VARCHAR", "_airbyte_emitted_at TIMESTAMP WITH TIME ZONE"}
			}
			desc := s3test.Query(t, db, "SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM "+src+")")
			for i, w := range wantMeta {
				if desc[i][0] != w {
					t.Errorf("column %d = %s, want %s", i, desc[i][0], w)
				}
			}
			if layout == "legacy_0_3" {
				if last := desc[len(desc)-1][0]; last != "_airbyte_additional_properties MAP(VARCHAR, VARCHAR)" {
					t.Errorf("last column = %s", last)
				}
			}
			// Physical details DuckDB's types do not show.
			phys := s3test.Query(t, db, "SELECT name, repetition_type, coalesce(logical_type, ''), coalesce(converted_type, '') FROM parquet_schema("+strings.TrimPrefix(strings.TrimSuffix(src, ")"), "read_parquet(")+") WHERE name LIKE '_airbyte%'")
			for _, p := range phys {
				if p[0] == "_airbyte_additional_properties" || p[0] == "_airbyte_meta" {
					continue
				}
				if p[1] != "REQUIRED" {
					t.Errorf("%s is %s, want REQUIRED", p[0], p[1])
				}
				if strings.HasSuffix(p[0], "_at") && !strings.Contains(p[2], "MILLIS") {
					t.Errorf("%s logical type %s, want TIMESTAMP(MILLIS)", p[0], p[2])
				}
			}
		})
	}
}

// valueCase is one value written into a column of a given schema.
type valueCase struct {
	name    string
	schema  string
	value   string // raw JSON; "" means the field is absent
	current string // DuckDB text of the current layout's cell
	legacy  string // DuckDB text of the 0.3.x cell ("-" skips)
	change  string // expected _airbyte_meta.changes reason (current), "" for none
}

var valueCases = []valueCase{
	{"int", `{"type":"integer"}`, `42`, "42", "42", ""},
	{"int negative", `{"type":"integer"}`, `-9223372036854775808`, "-9223372036854775808", "-9223372036854775808", ""},
	{"int 2^53+1", `{"type":"number","airbyte_type":"integer"}`, `9007199254740993`, "9007199254740993", "9007199254740993", ""},
	{"int from string", `{"type":"integer"}`, `"17"`, "17", "17", ""},
	{"int 5.0", `{"type":"integer"}`, `5.0`, "5", "5", ""},
	{"int 1e3", `{"type":"integer"}`, `1e3`, "1000", "1000", ""},
	{"int fraction", `{"type":"integer"}`, `5.5`, "NULL", "NULL", "DESTINATION_TYPECAST_ERROR"},
	{"int overflow", `{"type":"integer"}`, `18446744073709551615`, "NULL", "NULL", "DESTINATION_TYPECAST_ERROR"},
	{"int wrong kind", `{"type":"integer"}`, `{"a":1}`, "NULL", "NULL", "DESTINATION_SERIALIZATION_ERROR"},
	{"int absent", `{"type":"integer"}`, ``, "NULL", "NULL", ""},
	{"int null", `{"type":["null","integer"]}`, `null`, "NULL", "NULL", ""},
	{"bigint unsigned max", `{"type":"number","airbyte_type":"integer","precision":20,"scale":0}`, `18446744073709551615`, "18446744073709551615", "NULL", ""},
	{"decimal", `{"type":"number","precision":12,"scale":2}`, `1234567890.12`, "1234567890.12", "1234567890.12", ""},
	{"decimal pad", `{"type":"number","precision":12,"scale":2}`, `-0.5`, "-0.50", "-0.5", ""},
	{"decimal string", `{"type":"number","precision":12,"scale":2}`, `"7.10"`, "7.10", "7.1", ""},
	{"decimal 38,10", `{"type":"number","precision":38,"scale":10}`, `1234567890123456789012345678.0123456789`, "1234567890123456789012345678.0123456789", "-", ""},
	{"decimal 38,10 max", `{"type":["null","number"],"precision":38,"scale":10,"x-mysql-type":"decimal(38,10)"}`, `9999999999999999999999999999.9999999999`, "9999999999999999999999999999.9999999999", "1e+28", ""},
	{"decimal 38,10 min", `{"type":["null","number"],"precision":38,"scale":10,"x-mysql-type":"decimal(38,10)"}`, `-9999999999999999999999999999.9999999999`, "-9999999999999999999999999999.9999999999", "-1e+28", ""},
	{"decimal too many digits", `{"type":"number","precision":5,"scale":2}`, `1234.5`, "NULL", "1234.5", "DESTINATION_TYPECAST_ERROR"},
	{"decimal beyond scale", `{"type":"number","precision":12,"scale":2}`, `1.234`, "NULL", "1.234", "DESTINATION_TYPECAST_ERROR"},
	{"decimal trailing zeros", `{"type":"number","precision":12,"scale":2}`, `1.2300`, "1.23", "1.23", ""},
	{"number", `{"type":"number"}`, `3.25`, "3.25", "3.25", ""},
	{"number exp", `{"type":"number"}`, `-1.5E-3`, "-0.0015", "-0.0015", ""},
	{"number 17 digits", `{"type":"number"}`, `0.30000000000000004`, "0.30000000000000004", "0.30000000000000004", ""},
	{"number beyond double", `{"type":"number"}`, `0.1000000000000000055511151231257827`, "0.1", "0.1", ""},
	{"number 1e400", `{"type":"number"}`, `1e400`, "NULL", "NULL", "DESTINATION_SERIALIZATION_ERROR"},
	{"number bad", `{"type":"number"}`, `"abc"`, "NULL", "NULL", "DESTINATION_SERIALIZATION_ERROR"},
	{"float", `{"type":"number","airbyte_type":"float"}`, `0.5`, "0.5", "0.5", ""},
	{"bool", `{"type":"boolean"}`, `true`, "true", "true", ""},
	{"bool string", `{"type":"boolean"}`, `"false"`, "false", "false", ""},
	{"bool bad", `{"type":"boolean"}`, `3`, "NULL", "NULL", "DESTINATION_SERIALIZATION_ERROR"},
	{"string", `{"type":"string"}`, `"ção \"q\" \u00e9 \ud83d\ude00"`, `ção "q" é 😀`, `ção "q" é 😀`, ""},
	{"string from number", `{"type":"string"}`, `12.0`, "12.0", "12.0", ""},
	{"string empty", `{"type":"string"}`, `""`, "", "", ""},
	{"json column", `{"type":["null","string"],"x-mysql-type":"json"}`, `"{\"a\": [1, 2]}"`, `{"a": [1, 2]}`, `{"a": [1, 2]}`, ""},
	{"ts ntz", `{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"}`, `"2024-01-02T03:04:05.123456"`, "2024-01-02 03:04:05.123456", "{'member0': '2024-01-02 03:04:05.123456', 'member1': NULL}", ""},
	{"ts ntz space", `{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"}`, `"2024-01-02 03:04:05"`, "2024-01-02 03:04:05", "{'member0': '2024-01-02 03:04:05', 'member1': NULL}", ""},
	{"ts tz Z", `{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}`, `"2024-01-02T03:04:05.5Z"`, "2024-01-02 03:04:05.5+00", "{'member0': '2024-01-02 03:04:05.5+00', 'member1': NULL}", ""},
	{"ts tz offset", `{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}`, `"2024-01-02T03:04:05-03:00"`, "2024-01-02 06:04:05+00", "{'member0': '2024-01-02 06:04:05+00', 'member1': NULL}", ""},
	{"ts tz date only", `{"type":"string","format":"date-time"}`, `"1969-12-31"`, "1969-12-31 00:00:00+00", "{'member0': '1969-12-31 00:00:00+00', 'member1': NULL}", ""},
	{"ts bad", `{"type":"string","format":"date-time"}`, `"0000-00-00 00:00:00"`, "NULL", "{'member0': NULL, 'member1': '0000-00-00 00:00:00'}", "DESTINATION_SERIALIZATION_ERROR"},
	{"ts wrong kind", `{"type":"string","format":"date-time"}`, `123`, "NULL", "{'member0': NULL, 'member1': 123}", "DESTINATION_SERIALIZATION_ERROR"},
	{"date", `{"type":"string","format":"date"}`, `"2024-02-29"`, "2024-02-29", "{'member0': 2024-02-29, 'member1': NULL}", ""},
	{"date invalid", `{"type":"string","format":"date"}`, `"2023-02-29"`, "NULL", "{'member0': NULL, 'member1': 2023-02-29}", "DESTINATION_SERIALIZATION_ERROR"},
	{"time", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"13:14:15.000123"`, "13:14:15.000123", "{'member0': '13:14:15.000123', 'member1': NULL}", ""},
	{"time negative", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"-838:59:59.000000"`, "-838:59:59.000000", "{'member0': '-838:59:59.000000', 'member1': NULL}", ""},
	{"time max", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"838:59:59"`, "838:59:59.000000", "{'member0': '838:59:59.000000', 'member1': NULL}", ""},
	{"time over 24h", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"25:00:00"`, "25:00:00.000000", "{'member0': '25:00:00.000000', 'member1': NULL}", ""},
	{"time minus 1.5s", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"-00:00:01.5"`, "-00:00:01.500000", "{'member0': '-00:00:01.500000', 'member1': NULL}", ""},
	{"time bad", `{"type":"string","format":"time","airbyte_type":"time_without_timezone"}`, `"12:00:00+02:00"`, "NULL", "{'member0': NULL, 'member1': '12:00:00+02:00'}", "DESTINATION_SERIALIZATION_ERROR"},
	{"time tz", `{"type":"string","format":"time","airbyte_type":"time_with_timezone"}`, `"10:00:00+02:00"`, "10:00:00+02:00", "10:00:00+02:00", ""},
	{"binary", `{"type":"string","contentEncoding":"base64"}`, `"AAEC/w=="`, `\x00\x01\x02\xFF`, "AAEC/w==", ""},
	{"binary bad", `{"type":"string","contentEncoding":"base64"}`, `"not base64!"`, "NULL", "not base64!", "DESTINATION_SERIALIZATION_ERROR"},
	{"big_integer", `{"type":"string","airbyte_type":"big_integer"}`, `"123456789012345678901234567890"`, "123456789012345678901234567890", "123456789012345678901234567890", ""},
	{"object", `{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"}}}`, `{"zip":"12a","city":"Río","extra":{"x":1}}`, "{'city': Río, 'zip': NULL}", "{'city': Río, 'zip': NULL, '_airbyte_additional_properties': {zip=12a, extra='{\"x\":1}'}}", "DESTINATION_SERIALIZATION_ERROR"},
	{"object schemaless", `{"type":"object"}`, `{"a": 1,"b":"x"}`, `{"a": 1,"b":"x"}`, "{'_airbyte_additional_properties': {a=1, b=x}}", ""},
	{"object not object", `{"type":"object","properties":{"a":{"type":"integer"}}}`, `[1]`, "NULL", "NULL", "DESTINATION_SERIALIZATION_ERROR"},
	{"array", `{"type":"array","items":{"type":"integer"}}`, `[1,null,"x",3]`, "[1, NULL, NULL, 3]", "[1, NULL, NULL, 3]", "DESTINATION_SERIALIZATION_ERROR"},
	{"array empty", `{"type":"array","items":{"type":"integer"}}`, `[]`, "[]", "[]", ""},
	{"array schemaless", `{"type":"array"}`, `[1,"a",{"b":2}]`, `[1,"a",{"b":2}]`, `[1, a, '{"b":2}']`, ""},
	{"union int", `{"type":["null","string","integer"]}`, `5`, "{'type': integer, 'string': NULL, 'integer': 5}", "{'member0': NULL, 'member1': 5}", ""},
	{"union string", `{"type":["null","string","integer"]}`, `"x"`, "{'type': string, 'string': x, 'integer': NULL}", "{'member0': x, 'member1': NULL}", ""},
	{"union bad", `{"type":["null","string","integer"]}`, `true`, "NULL", "{'member0': true, 'member1': NULL}", "DESTINATION_SERIALIZATION_ERROR"},
	{"unknown", `{}`, `{"z":[1]}`, `{"z":[1]}`, `{"z":[1]}`, ""},
}

// legacyExact holds, per value case, the exact text the 0.3.x layout keeps
// in _airbyte_additional_properties because its typed column does not hold
// the value (TYPES.md, "Exact values in the 0.3.x layout").
var legacyExact = map[string]string{
	"int fraction":         "5.5",
	"int overflow":         "18446744073709551615",
	"int wrong kind":       `{"a":1}`,
	"bigint unsigned max":  "18446744073709551615",
	"decimal 38,10":        "1234567890123456789012345678.0123456789",
	"decimal 38,10 max":    "9999999999999999999999999999.9999999999",
	"decimal 38,10 min":    "-9999999999999999999999999999.9999999999",
	"number beyond double": "0.1000000000000000055511151231257827",
	"number 1e400":         "1e400",
	"number bad":           "abc",
	"bool bad":             "3",
	"object not object":    "[1]",
	"array":                `[1,null,"x",3]`,
}

// TestValues writes every value case into its own column, in both layouts,
// and compares each cell DuckDB reads back, and the changes recorded.
func TestValues(t *testing.T) {
	var props, fields []string
	for i, c := range valueCases {
		props = append(props, fmt.Sprintf(`"v%02d":%s`, i, c.schema))
		if c.value != "" {
			fields = append(fields, fmt.Sprintf(`"v%02d":%s`, i, c.value))
		}
	}
	schema := `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
	data := "{" + strings.Join(fields, ",") + `,"undeclared":"kept in 0.3"}`
	if !json.Valid([]byte(data)) {
		t.Fatalf("test data is not JSON: %s", data)
	}
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) {
			srv := s3test.Start(t)
			cfg := srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "column_layout": layout}})
			meta := `{"changes":[{"field":"src_col","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}`
			line := `{"type":"RECORD","record":{"stream":"v","data":` + data + `,"emitted_at":1700000000123,"meta":` + meta + "}}\n"
			r := write(t, cfg, catalog(catalogStream{name: "v", schema: schema, generation: i64(3), syncID: i64(99)}), line)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stdout)
			}
			if strings.Contains(string(r.stdout), "838:59") || strings.Contains(string(r.stdout), "not base64") {
				t.Errorf("a record value appears in the output:\n%s", r.stdout)
			}
			db := s3test.DuckDB(t)
			if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
				t.Fatal(err)
			}
			src := readSource(t, srv, parquetKeys(t, srv, ""))
			var sel []string
			for i := range valueCases {
				sel = append(sel, fmt.Sprintf(`CAST(v%02d AS VARCHAR)`, i))
			}
			got := s3test.Query(t, db, "SELECT "+strings.Join(sel, ",")+" FROM "+src)[0]
			for i, c := range valueCases {
				want := c.current
				if layout == "legacy_0_3" {
					want = c.legacy
				}
				if want != "-" && got[i] != want {
					t.Errorf("%s: %s -> %q, want %q", c.name, c.value, got[i], want)
				}
			}
			if layout == "legacy_0_3" {
				// A nulled value has no _airbyte_meta column here: it is
				// logged (once per field, without the value).
				var warned bool
				for _, m := range r.msgs {
					if m.Type == "LOG" && strings.Contains(m.Log.Message, "field v06") && strings.Contains(m.Log.Message, "DESTINATION_TYPECAST_ERROR") {
						warned = true
						if strings.Contains(m.Log.Message, "5.5") {
							t.Errorf("the log quotes the value: %s", m.Log.Message)
						}
					}
				}
				if !warned {
					t.Errorf("no LOG line for the nulled value of v06:\n%s", r.stdout)
				}
				extra := s3test.Query(t, db, "SELECT CAST(_airbyte_emitted_at AS VARCHAR), length(_airbyte_ab_id) FROM "+src)[0]
				if extra[0] != "2023-11-14 22:13:20.123+00" || extra[1] != "36" {
					t.Errorf("legacy meta columns = %v", extra)
				}
				// Every value the typed columns lose is in the map, exact,
				// under its column's name; nothing else but the undeclared
				// field.
				want := map[string]string{"undeclared": "kept in 0.3"}
				for i, c := range valueCases {
					if x, ok := legacyExact[c.name]; ok {
						want[fmt.Sprintf("v%02d", i)] = x
					}
				}
				got := map[string]string{}
				for _, kv := range s3test.Query(t, db, "SELECT unnest(map_keys(_airbyte_additional_properties)), unnest(map_values(_airbyte_additional_properties)) FROM "+src) {
					got[kv[0]] = kv[1]
				}
				for k, w := range want {
					if got[k] != w {
						t.Errorf("_airbyte_additional_properties[%s] (%s) = %q, want %q", k, valueCases[indexOf(k)].name, got[k], w)
					}
				}
				for k, g := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("_airbyte_additional_properties has %s (%s) = %q, want no entry", k, valueCases[indexOf(k)].name, g)
					}
				}
				return
			}
			meta2 := s3test.Query(t, db, "SELECT CAST(_airbyte_extracted_at AS VARCHAR), _airbyte_generation_id, _airbyte_meta.sync_id, length(_airbyte_raw_id) FROM "+src)[0]
			if strings.Join(meta2, "|") != "2023-11-14 22:13:20.123+00|3|99|36" {
				t.Errorf("meta columns = %v", meta2)
			}
			changes := s3test.Query(t, db, "SELECT c.field, c.change, c.reason FROM (SELECT unnest(_airbyte_meta.changes) AS c FROM "+src+")")
			want := map[string]string{}
			for i, c := range valueCases {
				if c.change != "" {
					want[fmt.Sprintf("v%02d", i)] = c.change
				}
			}
			if len(changes) == 0 || strings.Join(changes[0], "|") != "src_col|TRUNCATED|SOURCE_FIELD_SIZE_LIMITATION" {
				t.Errorf("first change = %v, want the source's", changes)
			}
			gotChanges := map[string]string{}
			for _, ch := range changes[1:] {
				field := strings.SplitN(ch[0], ".", 2)[0]
				field = strings.TrimSuffix(field, "[]")
				if ch[1] != "NULLED" {
					t.Errorf("change %v is not NULLED", ch)
				}
				if prev, ok := gotChanges[field]; ok && prev != ch[2] {
					t.Errorf("field %s has changes %s and %s", field, prev, ch[2])
				}
				gotChanges[field] = ch[2]
			}
			for f, w := range want {
				if gotChanges[f] != w {
					t.Errorf("%s (%s): change %q, want %q", f, valueCases[indexOf(f)].name, gotChanges[f], w)
				}
			}
			for f := range gotChanges {
				if _, ok := want[f]; !ok {
					t.Errorf("%s (%s): unexpected change %s", f, valueCases[indexOf(f)].name, gotChanges[f])
				}
			}
		})
	}
}

func indexOf(field string) int {
	var i int
	fmt.Sscanf(field, "v%d", &i)
	return i
}

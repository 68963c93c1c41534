package source

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// rawRecord is a record's fields as raw JSON, and its NULLED fields.
type rawRecord struct {
	fields map[string]string
	nulled []string
}

// rawByID returns stream's records by the value of their id field; with
// deletes, only delete records, else only the others.
func rawByID(t *testing.T, r *result, stream string, deletes bool) map[string]rawRecord {
	t.Helper()
	out := map[string]rawRecord{}
	for _, m := range r.msgs {
		if m.Type != protocol.TypeRecord || m.Record.Stream != stream {
			continue
		}
		rec := rawRecord{fields: map[string]string{}}
		var it jsonx.ObjectIter
		it.Reset(m.Record.Data)
		for it.Next() {
			rec.fields[string(it.Key())] = string(it.Value())
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		if (rec.fields["_ab_cdc_deleted_at"] != "null") != deletes {
			continue
		}
		if m.Record.Meta != nil {
			for _, c := range m.Record.Meta.Changes {
				rec.nulled = append(rec.nulled, c.Field)
			}
			sort.Strings(rec.nulled)
		}
		out[rec.fields["id"]] = rec
	}
	return out
}

// compareRecords fails for every table column whose value differs between
// the snapshot record and a binary log record of the same stored values.
func compareRecords(t *testing.T, what string, snap, cdc rawRecord) {
	t.Helper()
	if snap.fields == nil || cdc.fields == nil {
		t.Errorf("%s: record missing (snapshot %v, binlog %v)", what, snap.fields != nil, cdc.fields != nil)
		return
	}
	for k, v := range snap.fields {
		if k == "id" || strings.HasPrefix(k, "_ab_cdc_") {
			continue
		}
		if got, ok := cdc.fields[k]; !ok || got != v {
			t.Errorf("%s: column %s is %s by snapshot but %s from the binary log", what, k, v, got)
		}
	}
	for k := range cdc.fields {
		if _, ok := snap.fields[k]; !ok {
			t.Errorf("%s: column %s only in the binary log record", what, k)
		}
	}
	if strings.Join(snap.nulled, ",") != strings.Join(cdc.nulled, ",") {
		t.Errorf("%s: NULLED fields %v by snapshot, %v from the binary log", what, snap.nulled, cdc.nulled)
	}
}

// TestCDCValuesMatchSnapshot inserts every example value of TYPES.md, and
// more edge values, reads them by snapshot, then copies the rows (INSERT
// ... SELECT, the same stored values) and deletes the originals: the
// inserted and deleted rows read from the binary log must be byte for byte
// the snapshot's records, and the TYPES.md records.
func TestCDCValuesMatchSnapshot(t *testing.T) {
	rows := parseTypesMD(t)
	var defs, values, names []string
	for i, r := range rows {
		defs = append(defs, fmt.Sprintf("`c%d` %s", i+1, r.definition))
		values = append(values, r.sqlValue)
		names = append(names, fmt.Sprintf("`c%d`", i+1))
	}
	srv := cdcServer(t)
	extras := []struct{ def, values string }{
		{"d double", "0, -0e0, 1e15, 1.2345678901234567e20, 1e21, 123456789012345678, 5e-324, 2.2250738585072014e-308, 1e-5, 0.1+0.2, 100, 1234567, -1e-7, 9.999999999999999e22"},
		{"f float", "0, 3.4028235e38, 1.17549435e-38, 0.1, 16777217, -2.5, 1e-10, 123456.789, 7e22, 1, 100, 0.3, -0e0, 8388607.5"},
		{"dc decimal(65,30)", "0, -0.000000000000000000000000000001, 99999999999999999999999999999999999.999999999999999999999999999999, 1, -1, 0.5, 12.000000000000000000000000000001, -12345.6789, 0, 0, 0, 0, 0, 0"},
		{"dc2 decimal(4,4) unsigned", "0, 0.0001, 0.9999, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"},
		{"tm time(6)", "'-838:59:59', '00:00:00.000001', '-00:00:00.000001', '100:00:00', '-01:02:03.4', '23:59:59.999999', 0, 0, 0, 0, 0, 0, 0, 0"},
		{"tm0 time", "'-00:00:01', '838:59:59', '12:00', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"},
		{"dt datetime(6)", "'0000-00-00', '1000-01-01 00:00:00.000001', '2024-02-29 23:59:59.5', '9999-12-31 23:59:59.999999', '2024-00-00', NULL, '1970-01-01', 0, 0, 0, 0, 0, 0, 0"},
		{"ts timestamp(3) NULL", "'1970-01-01 00:00:01', '2038-01-19 03:14:07.999', '0000-00-00', NULL, '2000-02-29 12:00:00.1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"da date", "'0000-00-00', '1000-01-01', '9999-12-31', '2023-02-28', NULL, '2024-02-29', '2024-12-00', NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"y year", "0, 1901, 2155, 2000, NULL, 1999, 2024, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"l1 varchar(20) CHARACTER SET latin1", "_latin1 X'80818D8F909D', _latin1 X'A0A1BFC0FFE9', 'plain', '', NULL, 'a\"b', _latin1 X'7F0009', NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"ch char(5)", "'ab   ', '', ' a', 'abcde', NULL, 'é', 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"bn binary(5)", "X'0000000000', X'00', X'FF', X'0100000000', NULL, '', X'0000000001', NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"e enum('a','b','x y')", "'zzz', 'a', 'x y', NULL, 'b', 2, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"st set('p','q','r')", "'', 'p,q,r', 'r', NULL, 'q,p', 5, 7, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"bt bit(64)", "0, 18446744073709551615, 1, 256, NULL, 9223372036854775808, b'101', NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"b1 bit(1) NULL", "0, 1, NULL, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"u uuid", "'123e4567-e89b-12d3-a456-426614174000', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, '123e4567-e89b-42d3-a456-426614174000', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"i6 inet6", "'::ffff:1.2.3.4', '::', '2001:db8::1', NULL, '::1', 'fe80::1:2:3:4', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"txt mediumtext", "'', 'line\\nbreak', REPEAT('é', 1000), NULL, '\\\\', 'tab\\t', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"ti tinyint(1)", "0, 1, 2, -1, 127, -128, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
		{"mi mediumint unsigned", "0, 16777215, 1, NULL, 8388608, 8388607, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"},
	}
	var extraDefs []string
	var extraNames []string
	var extraRows [][]string
	for _, e := range extras {
		extraDefs = append(extraDefs, e.def)
		extraNames = append(extraNames, "`"+strings.Fields(e.def)[0]+"`")
		vals := splitTop(e.values)
		if len(vals) != 14 {
			t.Fatalf("%s: %d values", e.def, len(vals))
		}
		for i, v := range vals {
			if len(extraRows) <= i {
				extraRows = append(extraRows, nil)
			}
			extraRows[i] = append(extraRows[i], v)
		}
	}
	setup := []string{
		"CREATE TABLE types (id int PRIMARY KEY, " + strings.Join(defs, ", ") + ")",
		"INSERT INTO types VALUES (1, " + strings.Join(values, ", ") + ")",
		"CREATE TABLE extras (id int PRIMARY KEY, " + strings.Join(extraDefs, ", ") + ")",
	}
	for i, vals := range extraRows {
		setup = append(setup, fmt.Sprintf("INSERT INTO extras VALUES (%d, %s)", i+1, strings.Join(vals, ", ")))
	}
	db := srv.Database(t, "cdc_types", setup...)

	for name, extra := range map[string]map[string]any{"default": nil, "tinyint1 as integer": {"treat_tinyint1_as_integer": true}} {
		t.Run(name, func(t *testing.T) {
			cfg := cdcConfig(srv, "cdc_types", extra)
			disc := runBinary(t, "discover", cfg, nil, nil)
			cat := cdcCatalog(t, disc)
			r1 := runBinary(t, "read", cfg, cat, nil)
			checkCDCProtocol(t, r1, "types", "extras")
			testdb.Exec(t, db,
				"INSERT INTO types SELECT id + 1000, "+strings.Join(names, ", ")+" FROM types WHERE id < 1000",
				"DELETE FROM types WHERE id < 1000",
				"INSERT INTO extras SELECT id + 1000, "+strings.Join(extraNames, ", ")+" FROM extras WHERE id < 1000",
				"DELETE FROM extras WHERE id < 1000")
			defer testdb.Exec(t, db,
				"INSERT INTO types SELECT id - 1000, "+strings.Join(names, ", ")+" FROM types WHERE id > 1000",
				"DELETE FROM types WHERE id > 1000",
				"INSERT INTO extras SELECT id - 1000, "+strings.Join(extraNames, ", ")+" FROM extras WHERE id > 1000",
				"DELETE FROM extras WHERE id > 1000")
			r2 := runBinary(t, "read", cfg, cat, r1.lastGlobal(t))
			checkCDCProtocol(t, r2, "types", "extras")
			for _, stream := range []string{"types", "extras"} {
				snap := rawByID(t, r1, stream, false)
				ins := rawByID(t, r2, stream, false)
				del := rawByID(t, r2, stream, true)
				if len(snap) == 0 {
					t.Fatalf("no snapshot records of %s", stream)
				}
				for id, s := range snap {
					var n int
					fmt.Sscan(id, &n)
					compareRecords(t, fmt.Sprintf("%s row %s inserted", stream, id), s, ins[fmt.Sprint(n+1000)])
					compareRecords(t, fmt.Sprintf("%s row %s deleted", stream, id), s, del[id])
				}
			}
			if name != "default" {
				return
			}
			// The binary log records are also the TYPES.md records.
			ins := rawByID(t, r2, "types", false)["1001"]
			for i, r := range rows {
				col := fmt.Sprintf("c%d", i+1)
				if got := ins.fields[col]; got != r.record {
					t.Errorf("%s with %s from the binary log: %s, want %s", r.definition, r.sqlValue, got, r.record)
				}
			}
		})
	}
}

// splitTop splits SQL values at commas outside quotes and parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

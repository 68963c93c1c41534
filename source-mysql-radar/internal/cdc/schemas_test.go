package cdc

import (
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/ddl"
)

func cols(t *Table) string {
	if t == nil {
		return "<none>"
	}
	var parts []string
	for _, c := range t.Columns {
		p := c.Name + " " + c.ColumnType + " " + c.Kind.String()
		if c.Charset != "" {
			p += " " + c.Charset
		}
		parts = append(parts, p)
	}
	if t.Unknown {
		parts = append(parts, "UNKNOWN")
	}
	return strings.Join(parts, ", ")
}

func TestSchemasApply(t *testing.T) {
	s := NewSchemas("db", "utf8mb4", binlog.MariaDB, column.Options{})
	s.Capture("t")
	s.Capture("u")
	pos := binlog.Position{File: "bin.000001", Pos: 100}
	steps := []struct {
		sql, table, want string
	}{
		{"CREATE TABLE t (id int PRIMARY KEY, flag tinyint(1), name varchar(10) CHARACTER SET latin1) DEFAULT CHARSET=latin1", "t",
			"id int integer, flag tinyint(1) bool_int, name varchar(10) string latin1"},
		{"ALTER TABLE t ADD COLUMN note text AFTER id, ADD j json", "t",
			"id int integer, note text string latin1, flag tinyint(1) bool_int, name varchar(10) string latin1, j longtext string utf8mb4"},
		{"ALTER TABLE db.t DROP COLUMN flag, MODIFY name varchar(20) FIRST", "t",
			"name varchar(20) string latin1, id int integer, note text string latin1, j longtext string utf8mb4"},
		{"ALTER TABLE t CHANGE note memo blob, RENAME COLUMN j TO doc", "t",
			"name varchar(20) string latin1, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"ALTER TABLE t MODIFY NAME varchar(20), ADD COLUMN Extra int, DROP COLUMN EXTRA, CHANGE NAME name varchar(20)", "t", // column names ignore case (MODIFY takes the written case)
			"name varchar(20) string latin1, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", "t",
			"name varchar(20) string utf8mb4, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"ALTER TABLE other.t DROP COLUMN id", "t", // another database
			"name varchar(20) string utf8mb4, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"ALTER TABLE v ADD COLUMN x int", "t", // not captured
			"name varchar(20) string utf8mb4, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"CREATE TABLE u LIKE t", "u", "name varchar(20) string utf8mb4, id int integer, memo blob binary, doc longtext string utf8mb4"},
		{"ALTER TABLE t DROP COLUMN nope", "t", "name varchar(20) string utf8mb4, id int integer, memo blob binary, doc longtext string utf8mb4, UNKNOWN"},
		{"DROP TABLE IF EXISTS t", "t", "<none>"},
		{"CREATE TABLE t (a bit(1), b bit(9), c decimal(10,0), d enum('x','y'))", "t", "a bit(1) bool_bit, b bit(9) bits, c decimal(10,0) decimal_integer, d enum('x','y') string utf8mb4"},
		{"RENAME TABLE u TO w, t TO u", "u", "a bit(1) bool_bit, b bit(9) bits, c decimal(10,0) decimal_integer, d enum('x','y') string utf8mb4"},
		{"RENAME TABLE u TO t", "t", "a bit(1) bool_bit, b bit(9) bits, c decimal(10,0) decimal_integer, d enum('x','y') string utf8mb4"},
		{"RENAME TABLE zz TO u", "u", "UNKNOWN"},
	}
	for _, st := range steps {
		stmt := ddl.Parse(st.sql)
		if stmt == nil {
			t.Fatalf("%s: not parsed", st.sql)
		}
		s.Apply("db", stmt, pos)
		if got := cols(s.Table(st.table)); got != st.want {
			t.Errorf("after %s:\n %s\nwant\n %s", st.sql, got, st.want)
		}
	}
}

// TestSchemasSince: statements older than a table's schema are skipped.
func TestSchemasSince(t *testing.T) {
	s := NewSchemas("db", "utf8mb4", binlog.MySQL, column.Options{})
	s.Capture("t")
	c := &column.Column{Name: "id", DataType: "int", ColumnType: "int"}
	c.Classify(column.Options{})
	s.Set(&Table{Name: "t", Charset: "utf8mb4", Columns: []*column.Column{c}}, binlog.Position{File: "bin.000002", Pos: 500})
	s.Apply("db", ddl.Parse("ALTER TABLE t ADD COLUMN late int"), binlog.Position{File: "bin.000002", Pos: 400})
	if got := cols(s.Table("t")); got != "id int integer" {
		t.Errorf("a statement before the schema's position was applied: %s", got)
	}
	s.Apply("db", ddl.Parse("ALTER TABLE t ADD COLUMN late int"), binlog.Position{File: "bin.000002", Pos: 600})
	if got := cols(s.Table("t")); got != "id int integer, late int integer" {
		t.Errorf("a later statement was not applied: %s", got)
	}
	if got := cols(s.Table("t")); !strings.Contains(got, "late") {
		t.Error(got)
	}
}

// TestSchemasRoundTrip: a history saved in a state and loaded again gives
// columns of the same kinds.
func TestSchemasRoundTrip(t *testing.T) {
	s := NewSchemas("db", "latin1", binlog.MariaDB, column.Options{TinyInt1AsInteger: true})
	s.Capture("t")
	s.Apply("db", ddl.Parse("CREATE TABLE t (a tinyint(1), b bigint unsigned, c char(2) CHARACTER SET binary, d set('p','q'), e datetime(3), f varchar(5), g json, h uuid) CHARSET=latin1"), binlog.Position{File: "b.1", Pos: 4})
	s.Set(s.Table("t"), binlog.Position{File: "b.000003", Pos: 77})
	back, err := LoadSchemas(s.Marshal(), "db", binlog.MariaDB, column.Options{TinyInt1AsInteger: true})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := cols(s.Table("t")), cols(back.Table("t")); a != b {
		t.Errorf("round trip:\n %s\n %s", a, b)
	}
	if back.since["t"] != (binlog.Position{File: "b.000003", Pos: 77}) {
		t.Errorf("since lost: %v", back.since)
	}
	if _, err := LoadSchemas([]byte(`{"tables":{"t":{"columns":[["a","int(","",true]]}}}`), "db", binlog.MariaDB, column.Options{}); err == nil {
		t.Error("a broken saved type was accepted")
	}
}

// TestSchemasFoldCase: with lower_case_table_names, statements name tables
// in any case.
func TestSchemasFoldCase(t *testing.T) {
	s := NewSchemas("Shop", "utf8mb4", binlog.MySQL, column.Options{})
	s.FoldCase = true
	s.Capture("orders")
	s.Apply("shop", ddl.Parse("CREATE TABLE Orders (id int)"), binlog.Position{})
	s.Apply("SHOP", ddl.Parse("ALTER TABLE ORDERS ADD COLUMN x int"), binlog.Position{})
	if got := cols(s.Table("orders")); got != "id int integer, x int integer" {
		t.Errorf("folded names: %s", got)
	}
}

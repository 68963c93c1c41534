package ddl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
	}{
		{"int(11)", Type{DataType: "int", ColumnType: "int(11)", Precision: 10, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1}},
		{"int unsigned", Type{DataType: "int", ColumnType: "int unsigned", Precision: 10, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1, Unsigned: true}},
		{"INT(5) UNSIGNED ZEROFILL", Type{DataType: "int", ColumnType: "int(5) unsigned zerofill", Precision: 10, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1, Unsigned: true}},
		{"tinyint(1)", Type{DataType: "tinyint", ColumnType: "tinyint(1)", Precision: 3, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1}},
		{"bool", Type{DataType: "tinyint", ColumnType: "tinyint(1)", Precision: 3, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1}},
		{"bigint(20) unsigned", Type{DataType: "bigint", ColumnType: "bigint(20) unsigned", Precision: 20, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1, Unsigned: true}},
		{"decimal(65,30)", Type{DataType: "decimal", ColumnType: "decimal(65,30)", Precision: 65, Scale: 30, DatetimePrecision: -1, CharMaxLength: -1}},
		{"numeric", Type{DataType: "decimal", ColumnType: "decimal(10,0)", Precision: 10, Scale: 0, DatetimePrecision: -1, CharMaxLength: -1}},
		{"float(30)", Type{DataType: "double", ColumnType: "double", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
		{"double precision", Type{DataType: "double", ColumnType: "double", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
		{"datetime(6)", Type{DataType: "datetime", ColumnType: "datetime(6)", Precision: -1, Scale: -1, DatetimePrecision: 6, CharMaxLength: -1}},
		{"timestamp", Type{DataType: "timestamp", ColumnType: "timestamp", Precision: -1, Scale: -1, DatetimePrecision: 0, CharMaxLength: -1}},
		{"bit(9)", Type{DataType: "bit", ColumnType: "bit(9)", Precision: 9, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
		{"varchar(10) CHARACTER SET latin1", Type{DataType: "varchar", ColumnType: "varchar(10)", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 10, Charset: "latin1"}},
		{"varchar(10) COLLATE utf8mb4_bin", Type{DataType: "varchar", ColumnType: "varchar(10)", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 10, Charset: "utf8mb4"}},
		{"char(2) CHARACTER SET binary", Type{DataType: "binary", ColumnType: "binary(2)", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 2}},
		{"national varchar(5)", Type{DataType: "varchar", ColumnType: "varchar(5)", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 5, Charset: "utf8mb3"}},
		{"binary(4)", Type{DataType: "binary", ColumnType: "binary(4)", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 4}},
		{"text(300)", Type{DataType: "text", ColumnType: "text", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 65535}},
		{"long varbinary", Type{DataType: "mediumblob", ColumnType: "mediumblob", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: 16777215}},
		{"enum('a','b c','it''s')", Type{DataType: "enum", ColumnType: "enum('a','b c','it''s')", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1, Elements: []string{"a", "b c", "it's"}}},
		{"set('x','y','z')", Type{DataType: "set", ColumnType: "set('x','y','z')", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1, Elements: []string{"x", "y", "z"}}},
		{"json", Type{DataType: "json", ColumnType: "json", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
		{"point", Type{DataType: "point", ColumnType: "point", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
		{"inet6", Type{DataType: "inet6", ColumnType: "inet6", Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1}},
	}
	for _, tt := range tests {
		got, err := ParseType(tt.in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseType(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "varchar", "decimal(x,2)", "enum('a'", "int(11) garbage"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) accepted", bad)
		}
	}
}

// colNames lists the names and column types of definitions.
func colNames(cols []ColumnDef) string {
	var s []string
	for _, c := range cols {
		n := c.Name + " " + c.Type.ColumnType
		if c.Type.Charset != "" {
			n += " " + c.Type.Charset
		}
		if !c.Nullable {
			n += " NN"
		}
		s = append(s, n)
	}
	return strings.Join(s, "; ")
}

func TestParseCreate(t *testing.T) {
	st := Parse("CREATE TABLE IF NOT EXISTS `d`.`t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT COMMENT 'the, key',\n" +
		"  name varchar(20) CHARACTER SET latin1 DEFAULT 'a,b' NULL, -- comment\n" +
		"  `key` json CHECK (json_valid(`key`)), d decimal(10,2) DEFAULT (1 + 2),\n" +
		"  PRIMARY KEY (`id`), KEY `k` (name(5)), CONSTRAINT c CHECK (d > 0)\n" +
		") ENGINE=InnoDB /*!40101 DEFAULT CHARSET=utf8mb4 */ COLLATE=utf8mb4_unicode_ci")
	c, ok := st.(*CreateTable)
	if !ok {
		t.Fatalf("got %#v", st)
	}
	if c.Name != (Name{"d", "t"}) || !c.IfNotExists || c.Unknown || c.Charset != "utf8mb4" {
		t.Errorf("create %+v", c)
	}
	if got, want := colNames(c.Columns), "id int(11) NN; name varchar(20) latin1; key json; d decimal(10,2)"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	if c, ok := Parse("create table t2 like t").(*CreateTable); !ok || c.Like == nil || c.Like.Table != "t" {
		t.Errorf("LIKE: %#v", c)
	}
	if c, ok := Parse("CREATE TABLE t3 (LIKE d.t)").(*CreateTable); !ok || c.Like == nil || *c.Like != (Name{"d", "t"}) {
		t.Errorf("(LIKE): %#v", c)
	}
	if c, ok := Parse("CREATE TABLE t4 AS SELECT * FROM t").(*CreateTable); !ok || !c.Unknown {
		t.Errorf("AS SELECT: %#v", c)
	}
	if Parse("CREATE TEMPORARY TABLE tmp (a int)") != nil {
		t.Error("temporary tables must be ignored")
	}
	if c, ok := Parse("CREATE OR REPLACE TABLE t5 (a int) CHARSET latin1").(*CreateTable); !ok || c.Charset != "latin1" || colNames(c.Columns) != "a int" {
		t.Errorf("OR REPLACE: %#v", c)
	}
}

func TestParseAlter(t *testing.T) {
	tests := []struct {
		sql  string
		want []Spec
	}{
		{"ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0 AFTER b", []Spec{{Kind: SpecAddColumn, Column: ColumnDef{Name: "c", Type: mustType("int")}, After: "b"}}},
		{"alter table `d`.`t` add `c` varchar(5) first, drop column b, ALGORITHM=INSTANT", []Spec{
			{Kind: SpecAddColumn, Column: ColumnDef{Name: "c", Type: mustType("varchar(5)"), Nullable: true}, First: true},
			{Kind: SpecDropColumn, Old: "b"}}},
		{"ALTER TABLE t ADD (x int, y date, INDEX (x))", []Spec{
			{Kind: SpecAddColumn, Column: ColumnDef{Name: "x", Type: mustType("int"), Nullable: true}},
			{Kind: SpecAddColumn, Column: ColumnDef{Name: "y", Type: mustType("date"), Nullable: true}}}},
		{"ALTER TABLE t ADD INDEX i (a), ADD PRIMARY KEY (a), ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(a), DROP INDEX i, DROP PRIMARY KEY", nil},
		{"ALTER TABLE t MODIFY c bigint unsigned, CHANGE COLUMN a a2 text CHARACTER SET latin1 AFTER c", []Spec{
			{Kind: SpecModifyColumn, Old: "c", Column: ColumnDef{Name: "c", Type: mustType("bigint unsigned"), Nullable: true}},
			{Kind: SpecChangeColumn, Old: "a", Column: ColumnDef{Name: "a2", Type: mustType("text CHARACTER SET latin1"), Nullable: true}, After: "c"}}},
		{"ALTER TABLE t RENAME COLUMN a TO b, RENAME TO u", []Spec{{Kind: SpecRenameColumn, Old: "a", New: "b"}, {Kind: SpecRenameTable, Table: Name{Table: "u"}}}},
		{"ALTER TABLE t RENAME INDEX a TO b", nil},
		{"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", []Spec{{Kind: SpecConvertCharset, Charset: "utf8mb4"}}},
		{"ALTER TABLE t ENGINE=InnoDB DEFAULT CHARSET=latin1", []Spec{{Kind: SpecDefaultCharset, Charset: "latin1"}}},
		{"ALTER TABLE t ADD COLUMN IF NOT EXISTS c int, DROP COLUMN IF EXISTS z", []Spec{
			{Kind: SpecAddColumn, Column: ColumnDef{Name: "c", Type: mustType("int"), Nullable: true}, IfNotExists: true},
			{Kind: SpecDropColumn, Old: "z", IfExists: true}}},
		{"ALTER TABLE t ALTER COLUMN c SET DEFAULT 3, ORDER BY a, FORCE", nil},
		{"ALTER ONLINE IGNORE TABLE t WAIT 5 ADD c int", []Spec{{Kind: SpecAddColumn, Column: ColumnDef{Name: "c", Type: mustType("int"), Nullable: true}}}},
	}
	for _, tt := range tests {
		st, ok := Parse(tt.sql).(*AlterTable)
		if !ok {
			t.Errorf("%s: not an ALTER TABLE", tt.sql)
			continue
		}
		if st.Unknown {
			t.Errorf("%s: unknown", tt.sql)
		}
		if !reflect.DeepEqual(st.Specs, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.sql, st.Specs, tt.want)
		}
	}
	if st := Parse("ALTER TABLE t ADD COLUMN c varchar NOT NULL").(*AlterTable); !st.Unknown {
		t.Errorf("a column without a length must make the statement unknown: %+v", st)
	}
}

func mustType(s string) Type {
	t, err := ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseOthers(t *testing.T) {
	if d, ok := Parse("DROP TABLE IF EXISTS `t`, d.u /* generated by server */").(*DropTables); !ok || !reflect.DeepEqual(d.Names, []Name{{Table: "t"}, {"d", "u"}}) {
		t.Errorf("drop: %#v", d)
	}
	if r, ok := Parse("RENAME TABLE a TO b, d.c TO d.e").(*RenameTables); !ok || !reflect.DeepEqual(r.Renames, []Rename{{Name{Table: "a"}, Name{Table: "b"}}, {Name{"d", "c"}, Name{"d", "e"}}}) {
		t.Errorf("rename: %#v", r)
	}
	if tr, ok := Parse("TRUNCATE t").(*TruncateTable); !ok || tr.Name.Table != "t" {
		t.Errorf("truncate: %#v", tr)
	}
	if dd, ok := Parse("DROP SCHEMA IF EXISTS x").(*DropDatabase); !ok || dd.Name != "x" {
		t.Errorf("drop database: %#v", dd)
	}
	for _, q := range []string{"BEGIN", "COMMIT", "INSERT INTO t VALUES (1)", "CREATE INDEX i ON t (a)", "GRANT SELECT ON *.* TO x", "SAVEPOINT a", "DROP TEMPORARY TABLE t", "# comment only"} {
		if st := Parse(q); st != nil {
			t.Errorf("%q parsed as %#v", q, st)
		}
	}
}

func TestLexComments(t *testing.T) {
	toks := lex("/* a */ ALTER /*!50100 TABLE */ `x``y` -- rest\n ADD #x\n 'it''s\\n'")
	var got []string
	for _, tk := range toks {
		got = append(got, tk.text)
	}
	if want := []string{"ALTER", "TABLE", "x`y", "ADD", "it's\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tokens %q, want %q", got, want)
	}
}

package ddl

import (
	"strings"
	"testing"
)

// FuzzParse feeds statements to Parse: it must never panic, and a CREATE
// TABLE it understands names every column.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CREATE TABLE t (id int PRIMARY KEY, v varchar(10) CHARACTER SET latin1 NOT NULL) DEFAULT CHARSET=utf8mb4",
		"CREATE OR REPLACE TABLE IF NOT EXISTS `d`.`t` (a decimal(10,2) unsigned zerofill, b enum('x','y z'), c set('a'))",
		"CREATE TABLE t LIKE u",
		"CREATE TABLE t SELECT * FROM u",
		"ALTER ONLINE IGNORE TABLE IF EXISTS t WAIT 5 ADD COLUMN c int FIRST, DROP COLUMN d, CHANGE e f text AFTER a",
		"ALTER TABLE t MODIFY COLUMN c bigint NULL, RENAME COLUMN a TO b, RENAME TO u, CONVERT TO CHARACTER SET utf8mb4",
		"ALTER TABLE t ADD (a int, b int), ADD INDEX i (a), ADD CONSTRAINT c CHECK (a > 0) /* x */ -- y",
		"CREATE TABLE t (id int, u uuid, i inet6, j json, g geometry) WITH SYSTEM VERSIONING PARTITION BY HASH(id) PARTITIONS 4",
		"DROP TABLE IF EXISTS a, `b``c`, d.e",
		"RENAME TABLE a TO b, c TO d.e",
		"TRUNCATE TABLE t",
		"DROP DATABASE IF EXISTS x",
		"/*!40101 SET NAMES utf8 */",
		"CREATE TABLE t (a int DEFAULT 'x''y', b varchar(3) COMMENT \"q\\\"\", c datetime(6) ON UPDATE CURRENT_TIMESTAMP(6))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		st := Parse(sql)
		if ct, ok := st.(*CreateTable); ok && !ct.Unknown {
			for _, c := range ct.Columns {
				if c.Name == "" {
					t.Errorf("CREATE TABLE with an unnamed column: %q", sql)
				}
			}
		}
	})
}

// FuzzParseType feeds COLUMN_TYPE strings to ParseType: it must never
// panic, and a type it accepts has a data type in lower case.
func FuzzParseType(f *testing.F) {
	for _, s := range []string{
		"int(11)", "int unsigned", "INT(5) UNSIGNED ZEROFILL", "tinyint(1)", "bool", "decimal(65,30)", "numeric",
		"float(30)", "double precision", "datetime(6)", "timestamp", "bit(9)", "varchar(10) CHARACTER SET latin1",
		"enum('a','b c','it''s')", "set('x')", "char(3) COLLATE utf8mb4_bin", "uuid", "inet6", "json", "year(4)",
		"national varchar(3)", "long varbinary", "decimal(10,", "enum(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseType(s)
		if err != nil {
			return
		}
		if typ.DataType == "" || typ.DataType != strings.ToLower(typ.DataType) {
			t.Errorf("ParseType(%q): data type %q", s, typ.DataType)
		}
	})
}

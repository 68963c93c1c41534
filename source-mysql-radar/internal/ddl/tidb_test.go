package ddl

import (
	"testing"

	tidb "github.com/pingcap/tidb/pkg/parser"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // the parser's value expressions
)

// mariaDBOnly are statements MariaDB writes to its binary log that the TiDB
// parser (a dependency already, for its charset tables) rejects: the
// reason this package has its own parser. See the package doc.
var mariaDBOnly = []struct {
	sql  string
	cols []string // the columns this package must find (CREATE) or add (ALTER)
}{
	{"ALTER ONLINE TABLE t WAIT 5 ADD COLUMN c int", []string{"c"}},
	{"ALTER TABLE t NOWAIT ADD COLUMN c int", []string{"c"}},
	{"CREATE TABLE t (id int PRIMARY KEY, a inet6)", []string{"id", "a"}},
	{"CREATE TABLE t (id int PRIMARY KEY, a inet4)", []string{"id", "a"}},
	{"CREATE TABLE t (id int PRIMARY KEY, u uuid NOT NULL)", []string{"id", "u"}},
	{"CREATE TABLE t (id int PRIMARY KEY, v varchar(10)) WITH SYSTEM VERSIONING", []string{"id", "v"}},
	{"ALTER TABLE t ADD COLUMN IF NOT EXISTS u uuid", []string{"u"}},
}

// TestTiDBParserRejectsMariaDB proves the package doc's claim: each
// statement fails in the TiDB parser, and this package parses it.
func TestTiDBParserRejectsMariaDB(t *testing.T) {
	p := tidb.New()
	for _, tc := range mariaDBOnly {
		t.Run(tc.sql, func(t *testing.T) {
			if _, _, err := p.Parse(tc.sql, "", ""); err == nil {
				t.Errorf("the TiDB parser accepts %q: the package doc's list is out of date", tc.sql)
			}
			var got []string
			switch st := Parse(tc.sql).(type) {
			case *CreateTable:
				if st.Unknown {
					t.Fatalf("Parse: columns unknown")
				}
				for _, c := range st.Columns {
					got = append(got, c.Name)
				}
			case *AlterTable:
				if st.Unknown {
					t.Fatalf("Parse: columns unknown")
				}
				for _, s := range st.Specs {
					if s.Kind == SpecAddColumn {
						got = append(got, s.Column.Name)
					}
				}
			default:
				t.Fatalf("Parse: %#v", st)
			}
			if len(got) != len(tc.cols) {
				t.Fatalf("columns %v, want %v", got, tc.cols)
			}
			for i := range got {
				if got[i] != tc.cols[i] {
					t.Errorf("columns %v, want %v", got, tc.cols)
				}
			}
		})
	}
	// The control: the parser works, and accepts the MySQL forms.
	if _, _, err := p.Parse("ALTER TABLE t ADD COLUMN c int", "", ""); err != nil {
		t.Errorf("the TiDB parser rejects plain MySQL: %v", err)
	}
}

package athena

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// A small parser for the statements athena-ddl prints, written for the
// tests from Athena's CREATE TABLE syntax (Hive DDL): it reads the columns
// back as type trees, so the tests check the statement text itself, not
// the generator's own idea of it.

type token struct {
	kind byte // 'i' identifier or keyword, 'q' backquoted name, 's' string, 'n' number, else the punctuation
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case unicode.IsSpace(rune(c)):
			i++
		case c == '`' || c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated %c at %d", c, i)
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			kind := byte('q')
			if c == '\'' {
				kind = 's'
			}
			out = append(out, token{kind, b.String()})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, token{'n', s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, token{'i', s[i:j]})
			i = j
		case strings.IndexByte("()<>,:.;=[]", c) >= 0:
			out = append(out, token{c, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return out, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) next() token { t := p.peek(); p.pos++; return t }

func (p *parser) keyword(words ...string) error {
	for _, w := range words {
		if t := p.next(); t.kind != 'i' || !strings.EqualFold(t.text, w) {
			return fmt.Errorf("want %s, got %q", w, t.text)
		}
	}
	return nil
}

func (p *parser) isKeyword(w string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, w)
}

func (p *parser) punct(c byte) error {
	if t := p.next(); t.kind != c {
		return fmt.Errorf("want %c, got %q", c, t.text)
	}
	return nil
}

func (p *parser) name() (string, error) {
	t := p.next()
	if t.kind != 'q' && t.kind != 'i' {
		return "", fmt.Errorf("want a name, got %q", t.text)
	}
	return t.text, nil
}

// typeNode is a column type: kind in upper case (DuckDB's names, so that
// both sides compare directly), params for DECIMAL, fields for STRUCT,
// elems for LIST (1) and MAP (2).
type typeNode struct {
	kind   string
	params []int
	fields []namedType
	elems  []*typeNode
}

type namedType struct {
	name string
	typ  *typeNode
}

func (n *typeNode) String() string {
	switch n.kind {
	case "STRUCT":
		var fs []string
		for _, f := range n.fields {
			fs = append(fs, f.name+" "+f.typ.String())
		}
		return "STRUCT(" + strings.Join(fs, ", ") + ")"
	case "LIST":
		return n.elems[0].String() + "[]"
	case "MAP":
		return "MAP(" + n.elems[0].String() + ", " + n.elems[1].String() + ")"
	case "DECIMAL":
		return fmt.Sprintf("DECIMAL(%d,%d)", n.params[0], n.params[1])
	}
	return n.kind
}

// athenaKinds maps Athena DDL type names to DuckDB's type of the same
// Parquet column. timestamp stays TIMESTAMP: Athena has one timestamp for
// both Parquet TIMESTAMP flavours (isAdjustedToUTC true or false).
var athenaKinds = map[string]string{
	"boolean": "BOOLEAN", "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "integer": "INTEGER",
	"bigint": "BIGINT", "float": "FLOAT", "double": "DOUBLE", "string": "VARCHAR", "binary": "BLOB",
	"date": "DATE", "timestamp": "TIMESTAMP",
}

func (p *parser) athenaType() (*typeNode, error) {
	t := p.next()
	if t.kind != 'i' {
		return nil, fmt.Errorf("want a type, got %q", t.text)
	}
	switch w := strings.ToLower(t.text); w {
	case "struct":
		n := &typeNode{kind: "STRUCT"}
		if err := p.punct('<'); err != nil {
			return nil, err
		}
		for {
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			if err := p.punct(':'); err != nil {
				return nil, err
			}
			ft, err := p.athenaType()
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, namedType{name, ft})
			if p.peek().kind != ',' {
				break
			}
			p.next()
		}
		return n, p.punct('>')
	case "array", "map":
		n := &typeNode{kind: map[string]string{"array": "LIST", "map": "MAP"}[w]}
		if err := p.punct('<'); err != nil {
			return nil, err
		}
		for {
			et, err := p.athenaType()
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, et)
			if p.peek().kind != ',' {
				break
			}
			p.next()
		}
		if want := map[string]int{"LIST": 1, "MAP": 2}[n.kind]; len(n.elems) != want {
			return nil, fmt.Errorf("%s with %d type arguments", w, len(n.elems))
		}
		return n, p.punct('>')
	case "decimal":
		n := &typeNode{kind: "DECIMAL"}
		if err := p.punct('('); err != nil {
			return nil, err
		}
		for i := 0; i < 2; i++ {
			v, err := strconv.Atoi(p.next().text)
			if err != nil {
				return nil, err
			}
			n.params = append(n.params, v)
			if i == 0 {
				if err := p.punct(','); err != nil {
					return nil, err
				}
			}
		}
		return n, p.punct(')')
	default:
		k, ok := athenaKinds[w]
		if !ok {
			return nil, fmt.Errorf("%s is not an Athena DDL type", t.text)
		}
		return &typeNode{kind: k}, nil
	}
}

type ddlColumn struct {
	name string
	typ  *typeNode
}

// ddlTable is a parsed CREATE EXTERNAL TABLE.
type ddlTable struct {
	database, name string
	columns        []ddlColumn
	partitions     []ddlColumn
	storedAs       string
	location       string
	props          map[string]string
}

func (p *parser) columnList() ([]ddlColumn, error) {
	if err := p.punct('('); err != nil {
		return nil, err
	}
	var cols []ddlColumn
	for {
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		typ, err := p.athenaType()
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		cols = append(cols, ddlColumn{name, typ})
		if p.peek().kind != ',' {
			break
		}
		p.next()
	}
	return cols, p.punct(')')
}

// parseCreateTable parses one CREATE EXTERNAL TABLE statement.
func parseCreateTable(stmt string) (*ddlTable, error) {
	toks, err := lex(stmt)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	tb := &ddlTable{props: map[string]string{}}
	if err := p.keyword("CREATE", "EXTERNAL", "TABLE"); err != nil {
		return nil, err
	}
	if tb.name, err = p.name(); err != nil {
		return nil, err
	}
	if p.peek().kind == '.' {
		p.next()
		tb.database = tb.name
		if tb.name, err = p.name(); err != nil {
			return nil, err
		}
	}
	if tb.columns, err = p.columnList(); err != nil {
		return nil, err
	}
	if p.isKeyword("PARTITIONED") {
		if err := p.keyword("PARTITIONED", "BY"); err != nil {
			return nil, err
		}
		if tb.partitions, err = p.columnList(); err != nil {
			return nil, err
		}
	}
	if err := p.keyword("STORED", "AS"); err != nil {
		return nil, err
	}
	tb.storedAs = p.next().text
	if err := p.keyword("LOCATION"); err != nil {
		return nil, err
	}
	if t := p.next(); t.kind == 's' {
		tb.location = t.text
	} else {
		return nil, fmt.Errorf("LOCATION %q is not a string", t.text)
	}
	if p.isKeyword("TBLPROPERTIES") {
		p.next()
		if err := p.punct('('); err != nil {
			return nil, err
		}
		for {
			k, v := p.next(), token{}
			if err := p.punct('='); err != nil {
				return nil, err
			}
			v = p.next()
			if k.kind != 's' || v.kind != 's' {
				return nil, fmt.Errorf("property %q=%q is not two strings", k.text, v.text)
			}
			tb.props[k.text] = v.text
			if p.peek().kind != ',' {
				break
			}
			p.next()
		}
		if err := p.punct(')'); err != nil {
			return nil, err
		}
	}
	if p.peek().kind == ';' {
		p.next()
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("text after the statement: %q", p.peek().text)
	}
	return tb, nil
}

// parseDuckType parses a column type as DuckDB's DESCRIBE prints it.
func parseDuckType(s string) (*typeNode, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.duckType()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("text after the type: %q", p.peek().text)
	}
	return n, nil
}

func (p *parser) duckType() (*typeNode, error) {
	t := p.next()
	var n *typeNode
	switch w := strings.ToUpper(t.text); w {
	case "STRUCT":
		n = &typeNode{kind: "STRUCT"}
		if err := p.punct('('); err != nil {
			return nil, err
		}
		for {
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			ft, err := p.duckType()
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, namedType{name, ft})
			if p.peek().kind != ',' {
				break
			}
			p.next()
		}
		if err := p.punct(')'); err != nil {
			return nil, err
		}
	case "MAP":
		n = &typeNode{kind: "MAP"}
		if err := p.punct('('); err != nil {
			return nil, err
		}
		k, err := p.duckType()
		if err != nil {
			return nil, err
		}
		if err := p.punct(','); err != nil {
			return nil, err
		}
		v, err := p.duckType()
		if err != nil {
			return nil, err
		}
		n.elems = []*typeNode{k, v}
		if err := p.punct(')'); err != nil {
			return nil, err
		}
	case "DECIMAL":
		n = &typeNode{kind: "DECIMAL"}
		if err := p.punct('('); err != nil {
			return nil, err
		}
		a, _ := strconv.Atoi(p.next().text)
		if err := p.punct(','); err != nil {
			return nil, err
		}
		b, _ := strconv.Atoi(p.next().text)
		n.params = []int{a, b}
		if err := p.punct(')'); err != nil {
			return nil, err
		}
	case "TIMESTAMP":
		n = &typeNode{kind: "TIMESTAMP"}
		if p.isKeyword("WITH") {
			if err := p.keyword("WITH", "TIME", "ZONE"); err != nil {
				return nil, err
			}
			n.kind = "TIMESTAMP WITH TIME ZONE"
		}
	default:
		if t.kind != 'i' {
			return nil, fmt.Errorf("want a type, got %q", t.text)
		}
		n = &typeNode{kind: w}
	}
	for p.peek().kind == '[' {
		p.next()
		if err := p.punct(']'); err != nil {
			return nil, err
		}
		n = &typeNode{kind: "LIST", elems: []*typeNode{n}}
	}
	return n, nil
}

// sameType reports whether an Athena column type (a) reads the Parquet
// column DuckDB describes as d; it returns where they differ.
func sameType(a, d *typeNode, path string) error {
	ak, dk := a.kind, d.kind
	if ak == "TIMESTAMP" && dk == "TIMESTAMP WITH TIME ZONE" {
		dk = ak
	}
	if ak != dk {
		return fmt.Errorf("%s: DDL %s, Parquet %s", path, a, d)
	}
	switch ak {
	case "DECIMAL":
		if a.params[0] != d.params[0] || a.params[1] != d.params[1] {
			return fmt.Errorf("%s: DDL %s, Parquet %s", path, a, d)
		}
	case "STRUCT":
		if len(a.fields) != len(d.fields) {
			return fmt.Errorf("%s: DDL %s, Parquet %s", path, a, d)
		}
		for i := range a.fields {
			if a.fields[i].name != d.fields[i].name {
				return fmt.Errorf("%s: field %d is %s in the DDL, %s in Parquet", path, i, a.fields[i].name, d.fields[i].name)
			}
			if err := sameType(a.fields[i].typ, d.fields[i].typ, path+"."+a.fields[i].name); err != nil {
				return err
			}
		}
	case "LIST", "MAP":
		for i := range a.elems {
			if err := sameType(a.elems[i], d.elems[i], fmt.Sprintf("%s<%d>", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestParseCreateTable(t *testing.T) {
	stmt := "CREATE EXTERNAL TABLE `db`.`t` (\n  `a b` struct<`x`:array<decimal(38,10)>,`y`:map<string,string>>,\n  `c` timestamp\n)\n" +
		"PARTITIONED BY (\n  `d` string\n)\nSTORED AS PARQUET\nLOCATION 's3://b/p/'\nTBLPROPERTIES (\n  'k'='v',\n  'storage.location.template'='s3://b/p/d=${d}/'\n);"
	tb, err := parseCreateTable(stmt)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tb.columns[0].typ.String(), "STRUCT(x DECIMAL(38,10)[], y MAP(VARCHAR, VARCHAR))"; got != want {
		t.Errorf("type = %s, want %s", got, want)
	}
	if tb.database != "db" || tb.name != "t" || tb.columns[0].name != "a b" || tb.partitions[0].name != "d" || tb.location != "s3://b/p/" || tb.props["k"] != "v" {
		t.Errorf("parsed %+v", tb)
	}
	for _, bad := range []string{
		"CREATE TABLE `t` (`a` int) STORED AS PARQUET LOCATION 's3://b/'",
		"CREATE EXTERNAL TABLE `t` (`a` time) STORED AS PARQUET LOCATION 's3://b/'",
		"CREATE EXTERNAL TABLE `t` (`a` struct<`x`:int) STORED AS PARQUET LOCATION 's3://b/'",
		"CREATE EXTERNAL TABLE `t` (`a` int) STORED AS PARQUET LOCATION 's3://b/' extra",
	} {
		if _, err := parseCreateTable(bad); err == nil {
			t.Errorf("parsed %q without an error", bad)
		}
	}
	d, err := parseDuckType(`STRUCT("Id" BIGINT, changes STRUCT(field VARCHAR, "when" TIMESTAMP WITH TIME ZONE)[])[]`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.String(), "STRUCT(Id BIGINT, changes STRUCT(field VARCHAR, when TIMESTAMP WITH TIME ZONE)[])[]"; got != want {
		t.Errorf("duck type = %s, want %s", got, want)
	}
}

// Package ddl parses the MySQL and MariaDB statements that change the
// columns of tables (CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE, DROP
// DATABASE) as they appear in QUERY events of the binary log, and column
// type strings as information_schema prints them. The CDC reader applies
// the statements to the schema it tracks for each table, so that every row
// event is decoded with the columns the table had when the event was
// written.
//
// The parser is deliberately tolerant: it understands the clauses that add,
// drop, change, move or rename columns or change their character set, and
// skips every other clause (indexes, constraints, table options,
// partitioning). A statement about a table that it cannot follow is
// reported as such (Unknown), never guessed.
//
// # Why not the TiDB parser
//
// github.com/pingcap/tidb/pkg/parser is already a dependency (the CDC
// mapping uses its charset tables), but it parses TiDB's MySQL dialect and
// rejects statements that MariaDB writes to its binary log, among them:
//
//   - ALTER ONLINE TABLE t WAIT 5 ADD COLUMN c int (and ALTER TABLE ... NOWAIT)
//   - columns of MariaDB's types inet4, inet6 and uuid
//   - CREATE TABLE ... WITH SYSTEM VERSIONING
//   - ALTER TABLE t ADD COLUMN IF NOT EXISTS u uuid
//
// A statement the CDC reader cannot parse leaves the table's columns
// unknown and stops its stream, so a parser that rejects these would break
// CDC on MariaDB at the first such DDL. TestTiDBParserRejectsMariaDB feeds
// each of them to the TiDB parser and asserts the rejection (and that this
// package parses them), so the list stays true; FuzzParse and FuzzParseType
// (make fuzz, corpus under testdata/fuzz) check that no input panics.
package ddl

import (
	"fmt"
	"strconv"
	"strings"
)

// Name is a table name, optionally qualified by its database.
type Name struct {
	Schema, Table string
}

// String renders the name as db.table (or table).
func (n Name) String() string {
	if n.Schema == "" {
		return n.Table
	}
	return n.Schema + "." + n.Table
}

// Statement is a parsed statement: one of *CreateTable, *AlterTable,
// *DropTables, *RenameTables, *TruncateTable, *DropDatabase.
type Statement interface{ statement() }

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Name    Name
	Columns []ColumnDef
	// Charset is the table's default character set (DEFAULT CHARSET= or
	// the charset of COLLATE=), empty when not given.
	Charset string
	// Like is set for CREATE TABLE ... LIKE other.
	Like *Name
	// OrReplace and IfNotExists are the statement's modifiers.
	OrReplace, IfNotExists bool
	// Unknown is set when the columns cannot be known from the statement
	// (CREATE TABLE ... SELECT without a full column list, or a column
	// definition the parser does not understand).
	Unknown bool
}

// AlterTable is ALTER TABLE.
type AlterTable struct {
	Name  Name
	Specs []Spec
	// Unknown is set when a clause that may change columns could not be
	// parsed; the table's columns are then unknown after the statement.
	Unknown bool
}

// DropTables is DROP TABLE.
type DropTables struct{ Names []Name }

// RenameTables is RENAME TABLE (each pair in order).
type RenameTables struct{ Renames []Rename }

// Rename is one "a TO b" of RENAME TABLE.
type Rename struct{ From, To Name }

// TruncateTable is TRUNCATE TABLE: rows disappear without row events.
type TruncateTable struct{ Name Name }

// DropDatabase is DROP DATABASE / DROP SCHEMA.
type DropDatabase struct{ Name string }

func (*CreateTable) statement()   {}
func (*AlterTable) statement()    {}
func (*DropTables) statement()    {}
func (*RenameTables) statement()  {}
func (*TruncateTable) statement() {}
func (*DropDatabase) statement()  {}

// SpecKind is the kind of one ALTER TABLE clause.
type SpecKind uint8

// ALTER TABLE clause kinds. SpecOther clauses leave the columns alone.
const (
	SpecOther          SpecKind = iota
	SpecAddColumn               // ADD [COLUMN] def [FIRST|AFTER c]
	SpecDropColumn              // DROP [COLUMN] c
	SpecModifyColumn            // MODIFY [COLUMN] def [FIRST|AFTER c]
	SpecChangeColumn            // CHANGE [COLUMN] old def [FIRST|AFTER c]
	SpecRenameColumn            // RENAME COLUMN old TO new
	SpecRenameTable             // RENAME [TO|AS] name
	SpecConvertCharset          // CONVERT TO CHARACTER SET cs
	SpecDefaultCharset          // [DEFAULT] CHARACTER SET cs (new columns only)
)

// Spec is one clause of ALTER TABLE.
type Spec struct {
	Kind SpecKind
	// Column is the new definition (add, modify, change).
	Column ColumnDef
	// Old is the column dropped, changed or renamed; New the new name of
	// RENAME COLUMN.
	Old, New string
	// First and After place an added, modified or changed column.
	First bool
	After string
	// IfExists / IfNotExists are MariaDB's conditional forms.
	IfExists, IfNotExists bool
	// Table is the new name of RENAME TO.
	Table Name
	// Charset of CONVERT TO CHARACTER SET and DEFAULT CHARACTER SET.
	Charset string
}

// ColumnDef is a column definition.
type ColumnDef struct {
	Name     string
	Type     Type
	Nullable bool
}

// Type is a column type as information_schema.COLUMNS describes it.
type Type struct {
	// DataType is DATA_TYPE in lower case ("int", "varchar", "json").
	DataType string
	// ColumnType is COLUMN_TYPE ("int(11) unsigned", "enum('a','b')").
	ColumnType string
	// Precision, Scale, DatetimePrecision and CharMaxLength are -1 when
	// they do not apply.
	Precision, Scale, DatetimePrecision, CharMaxLength int64
	// Charset is the explicit character set (or the one of an explicit
	// collation); empty when the type takes the table's default, or has
	// none.
	Charset string
	// Unsigned is set for UNSIGNED (and ZEROFILL) numeric types.
	Unsigned bool
	// Elements are the members of an ENUM or SET.
	Elements []string
}

// Textual reports whether the type stores text in a character set (and so
// takes the table's default charset when it names none).
func (t Type) Textual() bool {
	switch t.DataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return true
	}
	return false
}

// Parse parses one statement. It returns nil (and no error) for
// statements that cannot change a table's columns. A statement about a
// table that the parser cannot follow comes back with Unknown set.
func Parse(sql string) Statement {
	p := &parser{toks: lex(sql)}
	return p.statement()
}

// ParseType parses a COLUMN_TYPE string such as "decimal(10,2) unsigned
// zerofill" or "enum('a','b c')".
func ParseType(s string) (Type, error) {
	p := &parser{toks: lex(s)}
	t, err := p.dataType()
	if err != nil {
		return Type{}, err
	}
	if !p.done() {
		return Type{}, fmt.Errorf("unexpected %q after the type", p.peek().text)
	}
	return t, nil
}

// CharsetOfCollation returns the character set of a collation name
// ("utf8mb4_0900_ai_ci" is utf8mb4, "binary" is binary).
func CharsetOfCollation(collation string) string {
	c := strings.ToLower(collation)
	if c == "binary" {
		return "binary"
	}
	if i := strings.IndexByte(c, '_'); i > 0 {
		return c[:i]
	}
	return c
}

type parser struct {
	toks []token
	i    int
}

var eof = token{kind: tokPunct, text: ""}

func (p *parser) done() bool { return p.i >= len(p.toks) }

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return eof
}

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return eof
}

func (p *parser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

// accept consumes the words kws in order if they come next.
func (p *parser) accept(kws ...string) bool {
	for j, kw := range kws {
		if !p.peekAt(j).is(kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) acceptPunct(c byte) bool {
	if p.peek().punct(c) {
		p.i++
		return true
	}
	return false
}

// ident reads an identifier.
func (p *parser) ident() (string, error) {
	t := p.next()
	if n, ok := t.name(); ok && n != "" {
		return n, nil
	}
	return "", fmt.Errorf("expected a name, got %q", t.text)
}

// tableName reads [db.]table.
func (p *parser) tableName() (Name, error) {
	a, err := p.ident()
	if err != nil {
		return Name{}, err
	}
	if p.acceptPunct('.') {
		b, err := p.ident()
		if err != nil {
			return Name{}, err
		}
		return Name{Schema: a, Table: b}, nil
	}
	return Name{Table: a}, nil
}

func (p *parser) statement() Statement {
	switch {
	case p.accept("ALTER"):
		p.accept("ONLINE")
		p.accept("OFFLINE")
		p.accept("IGNORE")
		if !p.accept("TABLE") {
			return nil
		}
		return p.alterTable()
	case p.accept("CREATE"):
		p.accept("OR", "REPLACE")
		if p.accept("TEMPORARY") {
			return nil // temporary tables have no row events of their own
		}
		if !p.accept("TABLE") {
			return nil
		}
		return p.createTable()
	case p.accept("DROP"):
		if p.accept("DATABASE") || p.accept("SCHEMA") {
			p.accept("IF", "EXISTS")
			n, err := p.ident()
			if err != nil {
				return nil
			}
			return &DropDatabase{Name: n}
		}
		if p.accept("TEMPORARY") || !p.accept("TABLE") {
			return nil
		}
		p.accept("IF", "EXISTS")
		d := &DropTables{}
		for {
			n, err := p.tableName()
			if err != nil {
				break
			}
			d.Names = append(d.Names, n)
			if !p.acceptPunct(',') {
				break
			}
		}
		return d
	case p.accept("RENAME"):
		if !p.accept("TABLE") && !p.accept("TABLES") {
			return nil
		}
		p.accept("IF", "EXISTS")
		r := &RenameTables{}
		for {
			from, err := p.tableName()
			if err != nil {
				break
			}
			p.skipWait()
			if !p.accept("TO") {
				break
			}
			to, err := p.tableName()
			if err != nil {
				break
			}
			r.Renames = append(r.Renames, Rename{From: from, To: to})
			if !p.acceptPunct(',') {
				break
			}
		}
		return r
	case p.accept("TRUNCATE"):
		p.accept("TABLE")
		n, err := p.tableName()
		if err != nil {
			return nil
		}
		return &TruncateTable{Name: n}
	}
	return nil
}

// skipWait skips MariaDB's WAIT n / NOWAIT.
func (p *parser) skipWait() {
	if p.accept("NOWAIT") {
		return
	}
	if p.peek().is("WAIT") && p.peekAt(1).kind == tokWord {
		p.i += 2
	}
}

func (p *parser) alterTable() Statement {
	p.accept("IF", "EXISTS")
	name, err := p.tableName()
	if err != nil {
		return nil
	}
	p.skipWait()
	a := &AlterTable{Name: name}
	for _, clause := range splitTop(p.toks[p.i:]) {
		if len(clause) == 0 {
			continue
		}
		s, err := parseSpec(clause)
		if err != nil {
			a.Unknown = true
			continue
		}
		a.Specs = append(a.Specs, s...)
	}
	return a
}

// splitTop splits tokens at commas outside parentheses.
func splitTop(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.punct('('):
			depth++
		case t.punct(')'):
			depth--
		case t.punct(',') && depth == 0:
			out = append(out, toks[start:i])
			start = i + 1
		case t.punct(';') && depth == 0:
			out = append(out, toks[start:i])
			return out
		}
	}
	return append(out, toks[start:])
}

// notColumn lists the words after ADD or DROP that start a clause about
// something other than a column.
var notColumn = map[string]bool{
	"INDEX": true, "KEY": true, "UNIQUE": true, "PRIMARY": true, "FULLTEXT": true, "SPATIAL": true,
	"CONSTRAINT": true, "FOREIGN": true, "CHECK": true, "PARTITION": true, "PERIOD": true, "SYSTEM": true,
	"VECTOR": true, "DEFAULT": true,
}

func isNotColumn(t token) bool { return t.kind == tokWord && notColumn[strings.ToUpper(t.text)] }

// parseSpec parses one ALTER TABLE clause (a clause may hold several
// specs: ADD COLUMN (a int, b int)).
func parseSpec(toks []token) ([]Spec, error) {
	p := &parser{toks: toks}
	switch {
	case p.accept("ADD"):
		if isNotColumn(p.peek()) {
			return nil, nil
		}
		p.accept("COLUMN")
		ifNotExists := p.accept("IF", "NOT", "EXISTS")
		if p.acceptPunct('(') {
			inner := p.toks[p.i:]
			if n := len(inner); n > 0 && inner[n-1].punct(')') {
				inner = inner[:n-1]
			}
			var out []Spec
			for _, def := range splitTop(inner) {
				if len(def) == 0 || isNotColumn(def[0]) {
					continue
				}
				q := &parser{toks: def}
				c, first, after, err := q.columnDef()
				if err != nil {
					return nil, err
				}
				out = append(out, Spec{Kind: SpecAddColumn, Column: c, First: first, After: after, IfNotExists: ifNotExists})
			}
			return out, nil
		}
		c, first, after, err := p.columnDef()
		if err != nil {
			return nil, err
		}
		return []Spec{{Kind: SpecAddColumn, Column: c, First: first, After: after, IfNotExists: ifNotExists}}, nil
	case p.accept("DROP"):
		if isNotColumn(p.peek()) {
			return nil, nil
		}
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		return []Spec{{Kind: SpecDropColumn, Old: n, IfExists: ifExists}}, nil
	case p.accept("MODIFY"):
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		c, first, after, err := p.columnDef()
		if err != nil {
			return nil, err
		}
		return []Spec{{Kind: SpecModifyColumn, Column: c, Old: c.Name, First: first, After: after, IfExists: ifExists}}, nil
	case p.accept("CHANGE"):
		p.accept("COLUMN")
		ifExists := p.accept("IF", "EXISTS")
		old, err := p.ident()
		if err != nil {
			return nil, err
		}
		c, first, after, err := p.columnDef()
		if err != nil {
			return nil, err
		}
		return []Spec{{Kind: SpecChangeColumn, Old: old, Column: c, First: first, After: after, IfExists: ifExists}}, nil
	case p.accept("RENAME"):
		switch {
		case p.accept("COLUMN"):
			p.accept("IF", "EXISTS")
			old, err := p.ident()
			if err != nil {
				return nil, err
			}
			if !p.accept("TO") {
				return nil, fmt.Errorf("RENAME COLUMN %s without TO", old)
			}
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			return []Spec{{Kind: SpecRenameColumn, Old: old, New: n}}, nil
		case p.peek().is("INDEX") || p.peek().is("KEY"):
			return nil, nil
		}
		if !p.accept("TO") {
			p.accept("AS")
		}
		n, err := p.tableName()
		if err != nil {
			return nil, err
		}
		return []Spec{{Kind: SpecRenameTable, Table: n}}, nil
	case p.accept("CONVERT", "TO"):
		if cs, ok := p.charsetClause(); ok {
			return []Spec{{Kind: SpecConvertCharset, Charset: cs}}, nil
		}
		return nil, fmt.Errorf("CONVERT TO without a character set")
	}
	// Table options: DEFAULT CHARSET=x among others.
	if cs := findCharsetOption(toks); cs != "" {
		return []Spec{{Kind: SpecDefaultCharset, Charset: cs}}, nil
	}
	return nil, nil
}

// charsetClause reads CHARACTER SET [=] x [COLLATE [=] y], CHARSET x or
// COLLATE y and returns the character set.
func (p *parser) charsetClause() (string, bool) {
	var cs string
	switch {
	case p.accept("CHARACTER", "SET"), p.accept("CHARSET"), p.accept("CHAR", "SET"):
		p.acceptPunct('=')
		n, err := p.ident()
		if err != nil {
			return "", false
		}
		cs = strings.ToLower(n)
	}
	if p.accept("COLLATE") {
		p.acceptPunct('=')
		n, err := p.ident()
		if err != nil {
			return cs, cs != ""
		}
		if cs == "" {
			cs = CharsetOfCollation(n)
		}
	}
	return cs, cs != ""
}

// findCharsetOption finds a table option DEFAULT CHARSET=x, CHARACTER SET
// x or COLLATE=y at the top level of toks.
func findCharsetOption(toks []token) string {
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.punct('('):
			depth++
			continue
		case t.punct(')'):
			depth--
			continue
		}
		if depth != 0 {
			continue
		}
		if t.is("CHARSET") || t.is("COLLATE") || (t.is("CHARACTER") && i+1 < len(toks) && toks[i+1].is("SET")) {
			p := &parser{toks: toks[i:]}
			if cs, ok := p.charsetClause(); ok {
				return cs
			}
		}
	}
	return ""
}

func (p *parser) createTable() Statement {
	c := &CreateTable{}
	c.IfNotExists = p.accept("IF", "NOT", "EXISTS")
	name, err := p.tableName()
	if err != nil {
		return nil
	}
	c.Name = name
	if p.accept("LIKE") {
		like, err := p.tableName()
		if err != nil {
			c.Unknown = true
			return c
		}
		c.Like = &like
		return c
	}
	if !p.acceptPunct('(') {
		c.Unknown = true // CREATE TABLE t SELECT ...
		return c
	}
	// The body up to the matching parenthesis.
	depth, start := 1, p.i
	for !p.done() && depth > 0 {
		t := p.next()
		if t.punct('(') {
			depth++
		} else if t.punct(')') {
			depth--
		}
	}
	if depth > 0 {
		c.Unknown = true // no closing parenthesis (found by FuzzParse)
		return c
	}
	body := p.toks[start : p.i-1]
	if len(body) > 0 && body[0].is("LIKE") {
		q := &parser{toks: body[1:]}
		like, err := q.tableName()
		if err != nil {
			c.Unknown = true
			return c
		}
		c.Like = &like
		return c
	}
	for _, def := range splitTop(body) {
		if len(def) == 0 || isNotColumn(def[0]) {
			continue
		}
		q := &parser{toks: def}
		col, _, _, err := q.columnDef()
		if err != nil {
			c.Unknown = true
			return c
		}
		c.Columns = append(c.Columns, col)
	}
	rest := p.toks[p.i:]
	c.Charset = findCharsetOption(rest)
	for _, t := range rest {
		if t.is("SELECT") {
			// CREATE TABLE t (a int) SELECT ...: the selected columns are
			// added to the declared ones.
			c.Unknown = true
		}
	}
	return c
}

// columnDef reads a column definition and an optional FIRST / AFTER c.
func (p *parser) columnDef() (c ColumnDef, first bool, after string, err error) {
	c.Name, err = p.ident()
	if err != nil {
		return c, false, "", err
	}
	c.Type, err = p.dataType()
	if err != nil {
		return c, false, "", fmt.Errorf("column %s: %w", c.Name, err)
	}
	c.Nullable = true
	depth := 0
	for !p.done() {
		t := p.next()
		switch {
		case t.punct('('):
			depth++
			continue
		case t.punct(')'):
			depth--
			continue
		}
		if depth > 0 || t.kind != tokWord {
			continue
		}
		prev := token{}
		if p.i >= 2 {
			prev = p.toks[p.i-2]
		}
		switch {
		case t.is("NOT") && p.peek().is("NULL"):
			p.i++
			c.Nullable = false
		case t.is("NULL") && !prev.is("DEFAULT") && !prev.is("NOT"):
			c.Nullable = true
		case t.is("PRIMARY") && p.peek().is("KEY"):
			c.Nullable = false
		case t.is("COLLATE") || t.is("CHARSET") || (t.is("CHARACTER") && p.peek().is("SET")):
			p.i--
			if cs, ok := p.charsetClause(); ok && c.Type.Textual() && c.Type.Charset == "" {
				c.Type.Charset = cs
			}
		case t.is("FIRST"):
			first = true
		case t.is("AFTER"):
			after, err = p.ident()
			if err != nil {
				return c, false, "", err
			}
		}
	}
	return c, first, after, nil
}

// dataType reads a data type with its arguments and attributes (UNSIGNED,
// ZEROFILL, CHARACTER SET, COLLATE, BINARY, ASCII, UNICODE).
func (p *parser) dataType() (Type, error) {
	t := p.next()
	if t.kind != tokWord {
		return Type{}, fmt.Errorf("expected a data type, got %q", t.text)
	}
	name := strings.ToLower(t.text)
	national := false
	switch name {
	case "national":
		national = true
		w := p.next()
		name = strings.ToLower(w.text)
		if name == "char" && p.accept("VARYING") || name == "character" && p.accept("VARYING") {
			name = "varchar"
		}
	case "nchar":
		national = true
		if p.accept("VARCHAR") || p.accept("VARYING") {
			name = "varchar"
		} else {
			name = "char"
		}
	case "nvarchar":
		national, name = true, "varchar"
	case "double":
		p.accept("PRECISION")
	case "character", "char":
		if p.accept("VARYING") {
			name = "varchar"
		} else if p.peek().is("BYTE") {
			p.i++
			name = "binary"
		}
	case "long":
		switch {
		case p.accept("VARBINARY"):
			name = "mediumblob"
		case p.accept("VARCHAR"), p.accept("VARCHARACTER"):
			name = "mediumtext"
		default:
			name = "mediumtext"
		}
	}
	var args, elems []string
	hasArgs := false
	if p.acceptPunct('(') {
		hasArgs = true
		for !p.done() {
			a := p.next()
			switch {
			case a.punct(')'):
				goto closed
			case a.punct(','):
			case a.kind == tokString:
				elems = append(elems, a.text)
			case a.kind == tokWord:
				args = append(args, a.text)
			}
		}
		return Type{}, fmt.Errorf("unclosed ( in the type of %s", name)
	closed:
	}
	var unsigned, zerofill bool
	var charset string
	if national {
		charset = "utf8mb3"
	}
	for {
		switch {
		case p.accept("UNSIGNED"):
			unsigned = true
			continue
		case p.accept("SIGNED"):
			continue
		case p.accept("ZEROFILL"):
			zerofill, unsigned = true, true
			continue
		case p.accept("BINARY"):
			continue // a binary collation of the charset, not the binary charset
		case p.accept("ASCII"):
			charset = "latin1"
			continue
		case p.accept("UNICODE"):
			charset = "ucs2"
			continue
		case p.peek().is("BYTE") && (name == "char" || name == "varchar"):
			p.i++
			charset = "binary"
			continue
		case p.peek().is("CHARACTER") && p.peekAt(1).is("SET"), p.peek().is("CHARSET"), p.peek().is("COLLATE"),
			p.peek().is("CHAR") && p.peekAt(1).is("SET"):
			cs, ok := p.charsetClause()
			if ok && charset == "" {
				charset = cs
			}
			continue
		}
		break
	}
	return makeType(name, hasArgs, args, elems, unsigned, zerofill, charset)
}

var intTypes = map[string]struct {
	dataType  string
	precision int64
}{
	"tinyint": {"tinyint", 3}, "int1": {"tinyint", 3},
	"smallint": {"smallint", 5}, "int2": {"smallint", 5},
	"mediumint": {"mediumint", 7}, "middleint": {"mediumint", 7}, "int3": {"mediumint", 7},
	"int": {"int", 10}, "integer": {"int", 10}, "int4": {"int", 10},
	"bigint": {"bigint", 19}, "int8": {"bigint", 19},
}

var lobLength = map[string]int64{
	"tinyblob": 255, "blob": 65535, "mediumblob": 16777215, "longblob": 4294967295,
	"tinytext": 255, "text": 65535, "mediumtext": 16777215, "longtext": 4294967295,
}

func makeType(name string, hasArgs bool, args, elems []string, unsigned, zerofill bool, charset string) (Type, error) {
	t := Type{DataType: name, Precision: -1, Scale: -1, DatetimePrecision: -1, CharMaxLength: -1, Charset: charset, Unsigned: unsigned}
	num := func(i int, def int64) (int64, error) {
		if i >= len(args) {
			return def, nil
		}
		n, err := strconv.ParseInt(args[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s(%s): %q is not a number", name, strings.Join(args, ","), args[i])
		}
		return n, nil
	}
	suffix := func(ct string) string {
		if unsigned {
			ct += " unsigned"
		}
		if zerofill {
			ct += " zerofill"
		}
		return ct
	}
	if it, ok := intTypes[name]; ok {
		t.DataType = it.dataType
		t.Precision, t.Scale = it.precision, 0
		if it.dataType == "bigint" && unsigned {
			t.Precision = 20
		}
		t.ColumnType = it.dataType
		if len(args) > 0 {
			w, err := num(0, 0)
			if err != nil {
				return t, err
			}
			t.ColumnType += "(" + strconv.FormatInt(w, 10) + ")"
		}
		t.ColumnType = suffix(t.ColumnType)
		t.Charset = ""
		return t, nil
	}
	switch name {
	case "bool", "boolean":
		t.DataType, t.ColumnType, t.Precision, t.Scale = "tinyint", "tinyint(1)", 3, 0
	case "serial":
		t.DataType, t.ColumnType, t.Precision, t.Scale, t.Unsigned = "bigint", "bigint(20) unsigned", 20, 0, true
	case "bit":
		n, err := num(0, 1)
		if err != nil {
			return t, err
		}
		t.Precision = n
		t.ColumnType = "bit(" + strconv.FormatInt(n, 10) + ")"
	case "float", "float4", "double", "real", "float8":
		t.DataType = "double"
		if name == "float" || name == "float4" {
			t.DataType = "float"
		}
		if name == "float" && len(args) == 1 {
			p, err := num(0, 0)
			if err != nil {
				return t, err
			}
			if p > 24 {
				t.DataType = "double"
			}
			args = nil
		}
		t.ColumnType = t.DataType
		if len(args) == 2 {
			m, err1 := num(0, 0)
			d, err2 := num(1, 0)
			if err1 != nil || err2 != nil {
				return t, fmt.Errorf("%s(%s): not numbers", name, strings.Join(args, ","))
			}
			t.ColumnType += "(" + strconv.FormatInt(m, 10) + "," + strconv.FormatInt(d, 10) + ")"
			t.Scale = d
		}
		t.ColumnType = suffix(t.ColumnType)
	case "decimal", "dec", "numeric", "fixed", "number":
		m, err := num(0, 10)
		if err != nil {
			return t, err
		}
		d, err := num(1, 0)
		if err != nil {
			return t, err
		}
		t.DataType, t.Precision, t.Scale = "decimal", m, d
		t.ColumnType = suffix("decimal(" + strconv.FormatInt(m, 10) + "," + strconv.FormatInt(d, 10) + ")")
	case "date":
		t.ColumnType = "date"
	case "datetime", "timestamp", "time":
		fsp, err := num(0, 0)
		if err != nil {
			return t, err
		}
		t.DatetimePrecision = fsp
		t.ColumnType = name
		if fsp > 0 {
			t.ColumnType += "(" + strconv.FormatInt(fsp, 10) + ")"
		}
	case "year":
		t.ColumnType = "year(4)"
	case "char", "character", "binary":
		t.DataType = map[bool]string{true: "binary", false: "char"}[name == "binary"]
		n, err := num(0, 1)
		if err != nil {
			return t, err
		}
		t.CharMaxLength = n
		t.ColumnType = t.DataType + "(" + strconv.FormatInt(n, 10) + ")"
	case "varchar", "varchar2", "varcharacter", "varbinary":
		t.DataType = "varchar"
		if name == "varbinary" {
			t.DataType = "varbinary"
		}
		if !hasArgs || len(args) == 0 {
			return t, fmt.Errorf("%s needs a length", name)
		}
		n, err := num(0, 0)
		if err != nil {
			return t, err
		}
		t.CharMaxLength = n
		t.ColumnType = t.DataType + "(" + strconv.FormatInt(n, 10) + ")"
	case "tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext", "longtext":
		if (name == "blob" || name == "text") && len(args) > 0 {
			n, err := num(0, 0)
			if err != nil {
				return t, err
			}
			prefix := map[bool]string{true: "blob", false: "text"}[name == "blob"]
			switch {
			case n < 1<<8:
				name = "tiny" + prefix
			case n < 1<<16:
				name = prefix
			case n < 1<<24:
				name = "medium" + prefix
			default:
				name = "long" + prefix
			}
		}
		t.DataType, t.ColumnType = name, name
		t.CharMaxLength = lobLength[name]
	case "enum", "set":
		t.Elements = elems
		var b strings.Builder
		b.WriteString(name)
		b.WriteByte('(')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\'')
			b.WriteString(strings.ReplaceAll(e, "'", "''"))
			b.WriteByte('\'')
		}
		b.WriteByte(')')
		t.ColumnType = b.String()
	default:
		// json, geometry types, MariaDB uuid/inet4/inet6, MySQL vector and
		// types this parser does not know: the name and its arguments.
		t.ColumnType = name
		if len(args) > 0 {
			t.ColumnType += "(" + strings.Join(args, ",") + ")"
		}
	}
	if !t.Textual() && t.DataType != "json" {
		t.Charset = ""
	}
	if t.Textual() && (t.DataType == "char" || t.DataType == "varchar") && t.Charset == "binary" {
		// CHAR(n) CHARACTER SET binary is BINARY(n) in information_schema.
		t.DataType = map[string]string{"char": "binary", "varchar": "varbinary"}[t.DataType]
		t.ColumnType = t.DataType + "(" + strconv.FormatInt(t.CharMaxLength, 10) + ")"
		t.Charset = ""
	}
	return t, nil
}

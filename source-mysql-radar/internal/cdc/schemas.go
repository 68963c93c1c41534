// Package cdc reads changes from the binary log: it follows the schema of
// every captured table through the DDL statements of the log, maps each
// row event's columns to the columns the table had when the event was
// written, decodes the row images into text-protocol values and hands
// them, with the position and time of the change, to a Sink that writes
// records. It tracks the position to restart from (file and offset, GTID
// set, and the row events already read of a transaction in progress) and
// asks the Sink for a checkpoint every N records or T seconds.
package cdc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/ddl"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
)

// Table is the schema of a captured table as of the reader's position.
type Table struct {
	Name string
	// Charset is the table's default character set (of columns added
	// without one).
	Charset string
	Columns []*column.Column
	// Unknown is set after a DDL statement the parser could not follow:
	// the columns are unknown until the table is created again. Row events
	// of an unknown table are decoded only by the column names the binary
	// log carries with binlog_row_metadata=FULL.
	Unknown bool
	// version changes with every applied DDL statement.
	version int
}

// Column returns the column named name, or nil. Column names are not
// case-sensitive in MySQL.
func (t *Table) Column(name string) *column.Column {
	if i := t.index(name); i >= 0 {
		return t.Columns[i]
	}
	return nil
}

func (t *Table) index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	for i, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Schemas follows the schemas of the captured tables of one database
// through DDL statements.
type Schemas struct {
	Database string
	// Charset is the database's default character set.
	Charset string
	Flavor  string
	Opts    column.Options
	tables  map[string]*Table
	// captured names the tables whose schema is followed; statements about
	// other tables are ignored, except renames onto a captured name.
	captured map[string]bool
	// since: statements about a table before this position are already
	// reflected in its schema (it was read later than the log position the
	// reader starts at).
	since map[string]binlog.Position
	// version changes with every change of the history.
	version int
	// FoldCase: table and database names are not case-sensitive
	// (lower_case_table_names is not 0).
	FoldCase bool
}

// resolve returns the name a statement's table name stands for: itself,
// or with FoldCase the captured or tracked name that equals it ignoring
// case.
func (s *Schemas) resolve(name string) string {
	if !s.FoldCase || s.captured[name] || s.tables[name] != nil {
		return name
	}
	for n := range s.captured {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	for n := range s.tables {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// NewSchemas returns an empty history for database.
func NewSchemas(database, charset, flavor string, opts column.Options) *Schemas {
	return &Schemas{Database: database, Charset: charset, Flavor: flavor, Opts: opts,
		tables: map[string]*Table{}, captured: map[string]bool{}, since: map[string]binlog.Position{}}
}

// Capture marks a table as captured.
func (s *Schemas) Capture(name string) { s.captured[name] = true }

// Table returns the schema of a table, or nil when it is not tracked (or
// does not exist at the current position).
func (s *Schemas) Table(name string) *Table { return s.tables[name] }

// Set sets the schema of a table; statements about it before since (when
// not zero) are skipped.
func (s *Schemas) Set(t *Table, since binlog.Position) {
	s.version++
	t.version++
	s.tables[t.Name] = t
	if !since.IsZero() {
		s.since[t.Name] = since
	} else {
		delete(s.since, t.Name)
	}
}

// FromSchema builds the tracked schema of a table read from
// information_schema.
func FromSchema(t *schema.Table, dbCharset string) *Table {
	cs := ddl.CharsetOfCollation(t.Collation)
	if t.Collation == "" {
		cs = dbCharset
	}
	return &Table{Name: t.Name, Charset: cs, Columns: slices.Clone(t.Columns)}
}

// newColumn builds a classified column from a parsed definition.
func (s *Schemas) newColumn(def ddl.ColumnDef, tableCharset string) *column.Column {
	t := def.Type
	if t.DataType == "json" && s.Flavor == binlog.MariaDB {
		// MariaDB's JSON is LONGTEXT (with a CHECK constraint).
		t.DataType, t.ColumnType, t.CharMaxLength = "longtext", "longtext", 4294967295
		if t.Charset == "" {
			t.Charset = "utf8mb4"
		}
	}
	cs := ""
	if t.Textual() {
		cs = t.Charset
		if cs == "" {
			cs = tableCharset
		}
		if cs == "" {
			cs = s.Charset
		}
	}
	c := &column.Column{
		Name: def.Name, DataType: t.DataType, ColumnType: t.ColumnType, Nullable: def.Nullable,
		Precision: t.Precision, Scale: t.Scale, DatetimePrecision: t.DatetimePrecision,
		CharMaxLength: t.CharMaxLength, Charset: cs,
	}
	c.Classify(s.Opts)
	return c
}

// Apply applies a statement read at position at (the start of its
// transaction) in default database defaultDB. It returns warnings about
// what the statement means for the captured tables.
func (s *Schemas) Apply(defaultDB string, st ddl.Statement, at binlog.Position) []string {
	var warn []string
	mine := func(n ddl.Name) (string, bool) {
		db := n.Schema
		if db == "" {
			db = defaultDB
		}
		if db != s.Database && !(s.FoldCase && strings.EqualFold(db, s.Database)) {
			return "", false
		}
		name := s.resolve(n.Table)
		if since, ok := s.since[name]; ok && at.Compare(since) < 0 {
			return "", false // already reflected in the schema read later
		}
		return name, true
	}
	switch st := st.(type) {
	case *ddl.CreateTable:
		name, ok := mine(st.Name)
		if !ok || !s.captured[name] {
			return nil
		}
		if st.IfNotExists && s.tables[name] != nil {
			return nil
		}
		t := &Table{Name: name, Charset: st.Charset}
		if t.Charset == "" {
			t.Charset = s.Charset
		}
		switch {
		case st.Unknown:
			t.Unknown = true
		case st.Like != nil:
			src, ok := mine(*st.Like)
			if o := s.tables[src]; ok && o != nil && !o.Unknown {
				t.Charset = o.Charset
				t.Columns = slices.Clone(o.Columns)
			} else {
				t.Unknown = true
			}
		default:
			for _, def := range st.Columns {
				t.Columns = append(t.Columns, s.newColumn(def, t.Charset))
			}
		}
		if t.Unknown {
			warn = append(warn, fmt.Sprintf("table %s was created by a statement whose columns cannot be followed", name))
		}
		s.put(t)
	case *ddl.AlterTable:
		name, ok := mine(st.Name)
		t := s.tables[name]
		if !ok || t == nil {
			return nil
		}
		nt := &Table{Name: t.Name, Charset: t.Charset, Columns: slices.Clone(t.Columns), Unknown: t.Unknown || st.Unknown, version: t.version}
		for _, spec := range st.Specs {
			if err := s.applySpec(nt, spec); err != nil {
				nt.Unknown = true
				warn = append(warn, fmt.Sprintf("ALTER TABLE %s: %v", name, err))
			}
		}
		if st.Unknown {
			warn = append(warn, fmt.Sprintf("ALTER TABLE %s has a clause the connector cannot follow", name))
		}
		if nt.Name != name {
			delete(s.tables, name)
			s.version++
			if s.captured[name] {
				warn = append(warn, fmt.Sprintf("table %s was renamed to %s: its later changes are not read for stream %s", name, nt.Name, name))
			}
			if !s.captured[nt.Name] {
				return warn
			}
		}
		s.put(nt)
	case *ddl.DropTables:
		for _, n := range st.Names {
			if name, ok := mine(n); ok && s.tables[name] != nil {
				delete(s.tables, name)
				s.version++
				warn = append(warn, fmt.Sprintf("table %s was dropped", name))
			}
		}
	case *ddl.RenameTables:
		for _, r := range st.Renames {
			from, ok1 := mine(r.From)
			to, ok2 := mine(r.To)
			t := s.tables[from]
			if ok1 && t != nil {
				delete(s.tables, from)
				s.version++
				if s.captured[from] {
					warn = append(warn, fmt.Sprintf("table %s was renamed to %s: its later changes are not read for stream %s", from, r.To, from))
				}
			}
			if ok2 && s.captured[to] {
				nt := &Table{Name: to, Unknown: true}
				if t != nil {
					nt = &Table{Name: to, Charset: t.Charset, Columns: slices.Clone(t.Columns), Unknown: t.Unknown}
				}
				if nt.Unknown {
					warn = append(warn, fmt.Sprintf("table %s was renamed to captured table %s; its columns are not known", r.From, to))
				}
				s.put(nt)
			}
		}
	case *ddl.TruncateTable:
		if name, ok := mine(st.Name); ok && s.captured[name] {
			warn = append(warn, fmt.Sprintf("table %s was truncated: its rows disappeared without delete records", name))
		}
	case *ddl.DropDatabase:
		if st.Name == s.Database {
			clear(s.tables)
			s.version++
			warn = append(warn, "database "+st.Name+" was dropped")
		}
	}
	return warn
}

func (s *Schemas) put(t *Table) {
	s.version++
	if o := s.tables[t.Name]; o != nil && o.version >= t.version {
		t.version = o.version
	}
	t.version++
	for i, c := range t.Columns {
		c.Position = i + 1
	}
	s.tables[t.Name] = t
	delete(s.since, t.Name)
}

func (s *Schemas) applySpec(t *Table, spec ddl.Spec) error {
	place := func(c *column.Column, first bool, after string) error {
		switch {
		case first:
			t.Columns = slices.Insert(t.Columns, 0, c)
		case after != "":
			i := t.index(after)
			if i < 0 {
				return fmt.Errorf("column %s (AFTER) does not exist", after)
			}
			t.Columns = slices.Insert(t.Columns, i+1, c)
		default:
			t.Columns = append(t.Columns, c)
		}
		return nil
	}
	switch spec.Kind {
	case ddl.SpecAddColumn:
		if t.index(spec.Column.Name) >= 0 {
			if spec.IfNotExists {
				return nil
			}
			return fmt.Errorf("column %s is added but exists", spec.Column.Name)
		}
		return place(s.newColumn(spec.Column, t.Charset), spec.First, spec.After)
	case ddl.SpecDropColumn:
		i := t.index(spec.Old)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("column %s is dropped but does not exist", spec.Old)
		}
		t.Columns = slices.Delete(t.Columns, i, i+1)
	case ddl.SpecModifyColumn, ddl.SpecChangeColumn:
		i := t.index(spec.Old)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("column %s is changed but does not exist", spec.Old)
		}
		c := s.newColumn(spec.Column, t.Charset)
		if !spec.First && spec.After == "" {
			t.Columns[i] = c
			return nil
		}
		t.Columns = slices.Delete(t.Columns, i, i+1)
		return place(c, spec.First, spec.After)
	case ddl.SpecRenameColumn:
		i := t.index(spec.Old)
		if i < 0 {
			return fmt.Errorf("column %s is renamed but does not exist", spec.Old)
		}
		c := *t.Columns[i]
		c.Name = spec.New
		t.Columns[i] = &c
	case ddl.SpecRenameTable:
		if spec.Table.Schema != "" && spec.Table.Schema != s.Database && !(s.FoldCase && strings.EqualFold(spec.Table.Schema, s.Database)) {
			t.Name = "\x00moved" // out of the database
			return nil
		}
		t.Name = s.resolve(spec.Table.Table)
	case ddl.SpecConvertCharset:
		t.Charset = spec.Charset
		for i, c := range t.Columns {
			if c.Charset != "" && c.Charset != "binary" {
				n := *c
				n.Charset = spec.Charset
				n.Classify(s.Opts)
				t.Columns[i] = &n
			}
		}
	case ddl.SpecDefaultCharset:
		t.Charset = spec.Charset
	}
	return nil
}

// savedSchemas is the JSON form of the history in a state: per table its
// default charset and columns as [name, COLUMN_TYPE, charset, nullable].
type savedSchemas struct {
	Charset string                `json:"charset"`
	Tables  map[string]savedTable `json:"tables"`
}

type savedTable struct {
	Charset string           `json:"charset"`
	Columns [][]any          `json:"columns,omitempty"`
	Unknown bool             `json:"unknown,omitempty"`
	Since   *binlog.Position `json:"since,omitempty"`
}

// Marshal returns the history's JSON form for a state.
func (s *Schemas) Marshal() json.RawMessage {
	out := savedSchemas{Charset: s.Charset, Tables: map[string]savedTable{}}
	for name, t := range s.tables {
		st := savedTable{Charset: t.Charset, Unknown: t.Unknown}
		for _, c := range t.Columns {
			st.Columns = append(st.Columns, []any{c.Name, c.ColumnType, c.Charset, c.Nullable})
		}
		if since, ok := s.since[name]; ok {
			st.Since = &since
		}
		out.Tables[name] = st
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // strings and booleans only
	}
	return b
}

// LoadSchemas restores a history saved by Marshal.
func LoadSchemas(raw json.RawMessage, database, flavor string, opts column.Options) (*Schemas, error) {
	var in savedSchemas
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("saved table schemas: %w", err)
	}
	s := NewSchemas(database, in.Charset, flavor, opts)
	for name, st := range in.Tables {
		t := &Table{Name: name, Charset: st.Charset, Unknown: st.Unknown}
		for i, c := range st.Columns {
			if len(c) != 4 {
				return nil, fmt.Errorf("saved schema of %s: column %d is not [name, type, charset, nullable]", name, i+1)
			}
			colName, _ := c[0].(string)
			colType, _ := c[1].(string)
			charset, _ := c[2].(string)
			nullable, _ := c[3].(bool)
			typ, err := ddl.ParseType(colType)
			if err != nil {
				return nil, fmt.Errorf("saved schema of %s: column %s: %w", name, colName, err)
			}
			col := &column.Column{Name: colName, Position: i + 1, DataType: typ.DataType, ColumnType: colType,
				Nullable: nullable, Precision: typ.Precision, Scale: typ.Scale, DatetimePrecision: typ.DatetimePrecision,
				CharMaxLength: typ.CharMaxLength, Charset: charset}
			col.Classify(opts)
			t.Columns = append(t.Columns, col)
		}
		s.tables[name] = t
		if st.Since != nil {
			s.since[name] = *st.Since
		}
	}
	return s, nil
}

// Names lists the tracked tables.
func (s *Schemas) Names() []string {
	var out []string
	for n := range s.tables {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// passed forgets the since position of a table the read went past.
func (s *Schemas) passed(name string) {
	if _, ok := s.since[name]; ok {
		delete(s.since, name)
		s.version++
	}
}

// Drop forgets a table (a stream no longer captured).
func (s *Schemas) Drop(name string) {
	s.version++
	delete(s.tables, name)
	delete(s.since, name)
	delete(s.captured, name)
}

// SameColumns reports whether two column lists are the same for decoding:
// the same names, types and charsets in the same order.
func SameColumns(a, b []*column.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || !strings.EqualFold(x.ColumnType, y.ColumnType) || x.Charset != y.Charset {
			return false
		}
	}
	return true
}

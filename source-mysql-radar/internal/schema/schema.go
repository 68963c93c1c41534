// Package schema reads a database's tables, columns and keys from
// information_schema (portable queries on TABLES, COLUMNS and STATISTICS)
// and turns them into Airbyte streams.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// Querier runs a query; *sql.DB, *sql.Conn and *sql.Tx are Queriers.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Table is a table or view of the configured database.
type Table struct {
	Name string
	// Type is information_schema's TABLE_TYPE ("BASE TABLE", "VIEW").
	Type    string
	Columns []*column.Column
	// PrimaryKey lists the primary key's columns in key order.
	PrimaryKey []*column.Column
	// ChunkKey is the key the table is read by in ranges: the primary key,
	// or else the narrowest unique key whose columns are all NOT NULL. It
	// is empty when the table has neither (views, heap tables): such tables
	// are read in one pass.
	ChunkKey []*column.Column
	// RowEstimate and ByteEstimate come from TABLE_ROWS and DATA_LENGTH.
	RowEstimate, ByteEstimate int64
	// Collation is TABLE_COLLATION, the default collation of new columns.
	Collation string
}

// Column returns the column with the given name, or nil.
func (t *Table) Column(name string) *column.Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// IsView reports whether the table is a view.
func (t *Table) IsView() bool { return strings.Contains(strings.ToUpper(t.Type), "VIEW") }

// Load reads the tables and views of database whose names match one of
// patterns (SQL LIKE; all when empty), sorted by name.
func Load(ctx context.Context, q Querier, database string, patterns []string, opts column.Options) ([]*Table, error) {
	tables, err := loadTables(ctx, q, database, patterns)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Table, len(tables))
	for _, t := range tables {
		byName[t.Name] = t
	}
	if err := loadColumns(ctx, q, database, byName, opts); err != nil {
		return nil, err
	}
	if err := loadKeys(ctx, q, database, byName); err != nil {
		return nil, err
	}
	out := tables[:0]
	for _, t := range tables {
		if len(t.Columns) > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

func loadTables(ctx context.Context, q Querier, database string, patterns []string) ([]*Table, error) {
	query := "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS, DATA_LENGTH, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?"
	args := []any{database}
	if len(patterns) > 0 {
		var ors []string
		for _, p := range patterns {
			ors = append(ors, "TABLE_NAME LIKE ?")
			args = append(args, p)
		}
		query += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", database, err)
	}
	defer rows.Close()
	var tables []*Table
	for rows.Next() {
		var name, typ, collation sql.NullString
		var rowsEst, bytesEst sql.NullInt64
		if err := rows.Scan(&name, &typ, &rowsEst, &bytesEst, &collation); err != nil {
			return nil, fmt.Errorf("list tables of %s: %w", database, err)
		}
		if strings.EqualFold(typ.String, "SEQUENCE") {
			continue
		}
		tables = append(tables, &Table{Name: name.String, Type: typ.String, RowEstimate: max(rowsEst.Int64, 0), ByteEstimate: max(bytesEst.Int64, 0), Collation: collation.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", database, err)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	return tables, nil
}

func loadColumns(ctx context.Context, q Querier, database string, tables map[string]*Table, opts column.Options) error {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE,
  CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, database)
	if err != nil {
		return fmt.Errorf("list columns of %s: %w", database, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, nullable, dataType, columnType, charset sql.NullString
		var pos, charLen, prec, scale, dtPrec sql.NullInt64
		if err := rows.Scan(&table, &name, &pos, &nullable, &dataType, &columnType, &charLen, &prec, &scale, &dtPrec, &charset); err != nil {
			return fmt.Errorf("list columns of %s: %w", database, err)
		}
		t := tables[table.String]
		if t == nil {
			continue
		}
		c := &column.Column{
			Name:              name.String,
			Position:          int(pos.Int64),
			DataType:          dataType.String,
			ColumnType:        columnType.String,
			Nullable:          strings.EqualFold(nullable.String, "YES"),
			Precision:         orMinus(prec),
			Scale:             orMinus(scale),
			DatetimePrecision: orMinus(dtPrec),
			CharMaxLength:     orMinus(charLen),
			Charset:           charset.String,
		}
		c.Classify(opts)
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list columns of %s: %w", database, err)
	}
	return nil
}

func orMinus(n sql.NullInt64) int64 {
	if n.Valid {
		return n.Int64
	}
	return -1
}

type index struct {
	name    string
	unique  bool
	columns []string
}

func loadKeys(ctx context.Context, q Querier, database string, tables map[string]*Table) error {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, database)
	if err != nil {
		return fmt.Errorf("list keys of %s: %w", database, err)
	}
	defer rows.Close()
	indexes := map[string][]*index{}
	for rows.Next() {
		var table, name, col sql.NullString
		var seq, nonUnique sql.NullInt64
		if err := rows.Scan(&table, &name, &seq, &col, &nonUnique); err != nil {
			return fmt.Errorf("list keys of %s: %w", database, err)
		}
		if tables[table.String] == nil || !col.Valid {
			continue
		}
		list := indexes[table.String]
		if len(list) == 0 || list[len(list)-1].name != name.String {
			list = append(list, &index{name: name.String, unique: nonUnique.Int64 == 0})
			indexes[table.String] = list
		}
		ix := list[len(list)-1]
		ix.columns = append(ix.columns, col.String)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list keys of %s: %w", database, err)
	}
	for name, list := range indexes {
		tables[name].setKeys(list)
	}
	return nil
}

// setKeys picks the primary key and the chunk key.
func (t *Table) setKeys(list []*index) {
	var unique [][]*column.Column
	for _, ix := range list {
		cols, ok := t.columnsOf(ix.columns)
		if !ok {
			continue
		}
		if ix.name == "PRIMARY" {
			t.PrimaryKey = cols
			continue
		}
		if ix.unique {
			unique = append(unique, cols)
		}
	}
	if usableKey(t.PrimaryKey) {
		t.ChunkKey = t.PrimaryKey
		return
	}
	sort.SliceStable(unique, func(i, j int) bool { return len(unique[i]) < len(unique[j]) })
	for _, k := range unique {
		if usableKey(k) {
			t.ChunkKey = k
			return
		}
	}
}

func (t *Table) columnsOf(names []string) ([]*column.Column, bool) {
	var out []*column.Column
	for _, n := range names {
		c := t.Column(n)
		if c == nil {
			return nil, false
		}
		out = append(out, c)
	}
	return out, len(out) > 0
}

func usableKey(cols []*column.Column) bool {
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols {
		if c.Nullable || !c.KeyAllowed() {
			return false
		}
	}
	return true
}

// JSONSchema returns the stream's JSON schema: an object with one property
// per column, in column order.
func (t *Table) JSONSchema() []byte {
	b := []byte(`{"type":"object","properties":{`)
	for i, c := range t.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendString(b, c.Name)
		b = append(b, ':')
		b = c.AppendJSONSchema(b)
	}
	return append(b, "}}"...)
}

// Stream returns the table as an Airbyte stream of namespace database.
func (t *Table) Stream(database string) protocol.Stream {
	s := protocol.Stream{
		Name:               t.Name,
		Namespace:          database,
		JSONSchema:         t.JSONSchema(),
		SupportedSyncModes: []protocol.SyncMode{protocol.SyncModeFullRefresh, protocol.SyncModeIncremental},
		IsResumable:        len(t.ChunkKey) > 0,
	}
	for _, c := range t.PrimaryKey {
		s.SourceDefinedPrimaryKey = append(s.SourceDefinedPrimaryKey, []string{c.Name})
	}
	return s
}

// DatabaseCharset returns the default character set of a database (the
// charset of tables created without one).
func DatabaseCharset(ctx context.Context, q Querier, database string) (string, error) {
	rows, err := q.QueryContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database)
	if err != nil {
		return "", fmt.Errorf("read the charset of database %s: %w", database, err)
	}
	defer rows.Close()
	var cs sql.NullString
	if rows.Next() {
		if err := rows.Scan(&cs); err != nil {
			return "", fmt.Errorf("read the charset of database %s: %w", database, err)
		}
	}
	return cs.String, rows.Err()
}

// Package query builds the SQL the readers run and scans its rows without
// allocating per row. Identifiers are always quoted with column.QuoteIdent;
// values are always bound arguments.
package query

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// Querier runs a query; *sql.Conn and *sql.DB are Queriers.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// SelectFrom returns "SELECT <exprs> FROM `db`.`table`" for cols.
func SelectFrom(database, table string, cols []*column.Column) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.SelectExpr())
	}
	b.WriteString(" FROM ")
	b.WriteString(column.QuoteTable(database, table))
	return b.String()
}

// OrderBy returns "ORDER BY `a`, `b`".
func OrderBy(cols []*column.Column) string {
	var b strings.Builder
	b.WriteString("ORDER BY ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(column.QuoteIdent(c.Name))
	}
	return b.String()
}

// After returns the predicate "rows whose key is after the bound key" in
// key order, for a key of one or more columns:
//
//	`a` > ?
//	`a` >= ? AND (`a` > ? OR (`a` = ? AND `b` > ?))
//
// The leading `a` >= ? lets the optimizer use a range on the key's first
// column. Bind its arguments with AfterArgs.
func After(key []*column.Column) string {
	first := column.QuoteIdent(key[0].Name)
	p0 := rowcodec.ParamSQL(key[0])
	if len(key) == 1 {
		return first + " > " + p0
	}
	var ors []string
	for i := range key {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, column.QuoteIdent(key[j].Name)+" = "+rowcodec.ParamSQL(key[j]))
		}
		ands = append(ands, column.QuoteIdent(key[i].Name)+" > "+rowcodec.ParamSQL(key[i]))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return first + " >= " + p0 + " AND (" + strings.Join(ors, " OR ") + ")"
}

// AfterArgs returns the arguments of After for key values in text form.
func AfterArgs(key []*column.Column, values [][]byte) ([]any, error) {
	args := make([]any, len(key))
	for i, c := range key {
		a, err := rowcodec.BindArg(c, values[i])
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	if len(key) == 1 {
		return args, nil
	}
	out := []any{args[0]}
	for i := range key {
		out = append(out, args[:i+1]...)
	}
	return out, nil
}

// Scan runs a query and calls fn with each row's values in text form (nil
// for NULL). The values are valid only until fn returns. It returns the
// number of rows read; an error from fn stops the scan and is returned.
func Scan(ctx context.Context, q Querier, query string, args []any, ncols int, fn func(values [][]byte) error) (int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if len(cols) != ncols {
		return 0, fmt.Errorf("query returned %d columns, want %d", len(cols), ncols)
	}
	values := make([][]byte, ncols)
	dest := make([]any, ncols)
	for i := range values {
		dest[i] = (*sql.RawBytes)(&values[i])
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		if err := fn(values); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, rows.Close()
}

// Value runs a query returning one value and returns it in text form (nil
// for NULL or no row), copied.
func Value(ctx context.Context, q Querier, query string, args ...any) ([]byte, error) {
	var out []byte
	_, err := Scan(ctx, q, query, args, 1, func(v [][]byte) error {
		if v[0] != nil {
			out = append([]byte{}, v[0]...)
		}
		return nil
	})
	return out, err
}

// Package query builds the SQL the readers run and scans its rows without
// allocating per row. Identifiers are always quoted with column.QuoteIdent;
// values are always bound arguments.
package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
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
//
// On a *sql.Conn the rows are read from the driver directly (see scanRaw);
// otherwise through database/sql.
func Scan(ctx context.Context, q Querier, query string, args []any, ncols int, fn func(values [][]byte) error) (int64, error) {
	if rc, ok := q.(rawConn); ok {
		return scanRaw(ctx, rc, query, args, ncols, fn)
	}
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

// rawConn is a connection whose driver connection can be used directly
// (*sql.Conn).
type rawConn interface {
	Raw(f func(driverConn any) error) error
}

// scanRaw reads rows from the driver connection without database/sql's
// per-row conversion layer. go-sql-driver hands text-protocol values over
// as []byte, except integers and floating point numbers, which it parses;
// those are printed back into per-column buffers (the same text the
// RawBytes conversion of database/sql produces), so the encoders always
// see text-protocol bytes.
func scanRaw(ctx context.Context, rc rawConn, query string, args []any, ncols int, fn func(values [][]byte) error) (int64, error) {
	var n int64
	err := rc.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the driver connection cannot run queries")
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rows, err := qc.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		if got := len(rows.Columns()); got != ncols {
			return fmt.Errorf("query returned %d columns, want %d", got, ncols)
		}
		dest := make([]driver.Value, ncols)
		values := make([][]byte, ncols)
		scratch := make([][]byte, ncols)
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return rows.Close()
				}
				return err
			}
			for i, v := range dest {
				switch x := v.(type) {
				case nil:
					values[i] = nil
				case []byte:
					values[i] = x
				case int64:
					scratch[i] = strconv.AppendInt(scratch[i][:0], x, 10)
					values[i] = scratch[i]
				case uint64:
					scratch[i] = strconv.AppendUint(scratch[i][:0], x, 10)
					values[i] = scratch[i]
				case float64:
					scratch[i] = strconv.AppendFloat(scratch[i][:0], x, 'g', -1, 64)
					values[i] = scratch[i]
				case float32:
					scratch[i] = strconv.AppendFloat(scratch[i][:0], float64(x), 'g', -1, 32)
					values[i] = scratch[i]
				case string:
					scratch[i] = append(scratch[i][:0], x...)
					values[i] = scratch[i]
				default:
					return fmt.Errorf("column %d: unexpected driver value of type %T", i+1, v)
				}
			}
			if err := fn(values); err != nil {
				return err
			}
			n++
			if n&1023 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
	})
	return n, err
}

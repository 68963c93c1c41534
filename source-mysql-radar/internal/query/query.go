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
// per-row conversion layer, in two stages: a goroutine reads rows from the
// driver and copies their values into batches, while the caller's goroutine
// hands each row of a filled batch to fn. Reading the wire and encoding
// records so use two cores; memory stays bounded by the batches in flight.
//
// go-sql-driver hands text-protocol values over as []byte, except integers
// and floating point numbers, which it parses; those are printed back (the
// same text database/sql's RawBytes conversion produces), so fn always
// sees text-protocol bytes.
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
		if got := len(rows.Columns()); got != ncols {
			rows.Close()
			return fmt.Errorf("query returned %d columns, want %d", got, ncols)
		}
		p := newPipeline(ncols)
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.produce(ctx, rows)
		}()
		n, err = p.consume(fn)
		p.stop()
		<-done
		return err
	})
	return n, err
}

// Batches: a batch is handed over when it holds batchRows rows or
// batchBytes bytes of values; batchesInFlight bound the memory in use.
const (
	batchRows       = 256
	batchBytes      = 256 << 10
	batchesInFlight = 4
)

// rowBatch holds the values of up to batchRows rows: cell j of row r spans
// data[ends[r*ncols+j-1]:ends[r*ncols+j]]; null marks SQL NULLs.
type rowBatch struct {
	data []byte
	ends []int
	null []bool
	rows int
	err  error // the read error after the last row, if any
	last bool  // no batch follows
}

type pipeline struct {
	ncols int
	free  chan *rowBatch
	full  chan *rowBatch
	quit  chan struct{}
}

func newPipeline(ncols int) *pipeline {
	p := &pipeline{ncols: ncols, free: make(chan *rowBatch, batchesInFlight), full: make(chan *rowBatch, batchesInFlight), quit: make(chan struct{})}
	for range batchesInFlight {
		p.free <- &rowBatch{data: make([]byte, 0, batchBytes+4096), ends: make([]int, 0, batchRows*ncols), null: make([]bool, 0, batchRows*ncols)}
	}
	return p
}

// stop tells the producer to finish early (the consumer failed).
func (p *pipeline) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
}

// produce reads rows into batches until the result ends, fails, or stop.
func (p *pipeline) produce(ctx context.Context, rows driver.Rows) {
	defer rows.Close()
	dest := make([]driver.Value, p.ncols)
	var b *rowBatch
	get := func() bool {
		select {
		case b = <-p.free:
			b.data, b.ends, b.null, b.rows, b.err, b.last = b.data[:0], b.ends[:0], b.null[:0], 0, nil, false
			return true
		case <-p.quit:
			return false
		}
	}
	send := func() bool {
		select {
		case p.full <- b:
			return true
		case <-p.quit:
			return false
		}
	}
	if !get() {
		return
	}
	var count int64
	for {
		err := rows.Next(dest)
		if err == nil && count&1023 == 0 {
			err = ctx.Err()
		}
		if err != nil {
			if err != io.EOF {
				b.err = err
			}
			b.last = true
			send()
			return
		}
		count++
		if err := b.add(dest); err != nil {
			b.err, b.last = err, true
			send()
			return
		}
		if b.rows == batchRows || len(b.data) >= batchBytes {
			if !send() || !get() {
				return
			}
		}
	}
}

// add appends one row's values, printing parsed numbers back as text.
func (b *rowBatch) add(dest []driver.Value) error {
	for i, v := range dest {
		isNull := false
		switch x := v.(type) {
		case nil:
			isNull = true
		case []byte:
			b.data = append(b.data, x...)
		case int64:
			b.data = strconv.AppendInt(b.data, x, 10)
		case uint64:
			b.data = strconv.AppendUint(b.data, x, 10)
		case float64:
			b.data = strconv.AppendFloat(b.data, x, 'g', -1, 64)
		case float32:
			b.data = strconv.AppendFloat(b.data, float64(x), 'g', -1, 32)
		case string:
			b.data = append(b.data, x...)
		default:
			return fmt.Errorf("column %d: unexpected driver value of type %T", i+1, v)
		}
		b.ends = append(b.ends, len(b.data))
		b.null = append(b.null, isNull)
	}
	b.rows++
	return nil
}

// consume calls fn for every row of every batch, in order.
func (p *pipeline) consume(fn func(values [][]byte) error) (int64, error) {
	values := make([][]byte, p.ncols)
	var n int64
	for b := range p.full {
		start := 0
		for r := 0; r < b.rows; r++ {
			for j := 0; j < p.ncols; j++ {
				k := r*p.ncols + j
				end := b.ends[k]
				if b.null[k] {
					values[j] = nil
				} else {
					values[j] = b.data[start:end:end]
				}
				start = end
			}
			if err := fn(values); err != nil {
				return n, err
			}
			n++
		}
		if b.last {
			return n, b.err
		}
		p.free <- b
	}
	return n, nil
}

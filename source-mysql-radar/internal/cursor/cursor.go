// Package cursor implements incremental reads by a user-chosen cursor
// column without missing rows that share the boundary value.
//
// Method: the state keeps the greatest cursor value emitted (v), how many
// emitted rows have exactly v (the "cursor_record_count" of Airbyte's
// source-mysql), and an order-independent fingerprint of those rows' keys.
// The next sync counts and fingerprints the rows that have v now: if both
// match, every row at v was emitted and the read continues with cursor > v;
// otherwise rows joined v since (late inserts with an old timestamp, for
// example) and the read uses cursor >= v, re-emitting the rows at v rather
// than missing one. States written by Airbyte's 3.0.0 carry only the count,
// and are compared by count alone, as 3.0.0 did. Tables without a key use
// the count alone too.
package cursor

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/query"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// Boundary tracks the greatest cursor value seen in a read ordered by the
// cursor, and the count and key fingerprint of the rows holding it.
type Boundary struct {
	value []byte
	set   bool
	count int64
	sum   uint64
}

// Observe records a row whose cursor is cur (text form, nil for NULL) and
// whose key values are key. Rows must arrive in cursor order. Rows with a
// NULL cursor are not boundary rows.
func (b *Boundary) Observe(cur []byte, key [][]byte) {
	if cur == nil {
		return
	}
	if !b.set || !bytes.Equal(cur, b.value) {
		b.value = append(b.value[:0], cur...)
		b.set, b.count, b.sum = true, 0, 0
	}
	b.count++
	if len(key) > 0 {
		b.sum += KeyHash(key)
	}
}

// Set replaces the boundary (after computing it with Stats).
func (b *Boundary) Set(value []byte, count int64, sum uint64) {
	b.value = append(b.value[:0], value...)
	b.set, b.count, b.sum = value != nil, count, sum
}

// Value returns the boundary value in text form, or nil when no row had a
// cursor.
func (b *Boundary) Value() []byte {
	if !b.set {
		return nil
	}
	return b.value
}

// Count returns the number of rows at the boundary value.
func (b *Boundary) Count() int64 { return b.count }

// Fingerprint returns the hex fingerprint of the boundary rows' keys.
func (b *Boundary) Fingerprint() string { return FormatFingerprint(b.sum) }

// KeyHash hashes one row's key values; the fingerprint of a set of rows is
// the sum of their hashes, so it does not depend on their order.
func KeyHash(key [][]byte) uint64 {
	h := fnv.New64a()
	var n [9]byte
	for _, v := range key {
		if v == nil {
			h.Write([]byte{0xff})
			continue
		}
		l := binary.PutUvarint(n[:], uint64(len(v)))
		h.Write(n[:l])
		h.Write(v)
	}
	return h.Sum64()
}

// FormatFingerprint writes a fingerprint sum as 16 hex digits.
func FormatFingerprint(sum uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], sum)
	return hex.EncodeToString(b[:])
}

// Max returns the greatest cursor value of the table in text form (nil
// when the table has no row with a non-NULL cursor).
func Max(ctx context.Context, q query.Querier, database, table string, cur *column.Column) ([]byte, error) {
	sql := "SELECT MAX(" + cur.SelectExpr() + ") FROM " + column.QuoteTable(database, table)
	return query.Value(ctx, q, sql)
}

// Stats counts the rows whose cursor equals value and fingerprints their
// keys (key may be empty: then only the count is computed).
func Stats(ctx context.Context, q query.Querier, database, table string, cur *column.Column, key []*column.Column, value []byte) (count int64, sum uint64, err error) {
	arg, err := rowcodec.BindArg(cur, value)
	if err != nil {
		return 0, 0, err
	}
	where := " WHERE " + column.QuoteIdent(cur.Name) + " = " + rowcodec.ParamSQL(cur)
	if len(key) == 0 {
		v, err := query.Value(ctx, q, "SELECT COUNT(*) FROM "+column.QuoteTable(database, table)+where, arg)
		if err != nil {
			return 0, 0, err
		}
		n, _ := parseInt(v)
		return n, 0, nil
	}
	_, err = query.Scan(ctx, q, query.SelectFrom(database, table, key)+where, []any{arg}, len(key), func(v [][]byte) error {
		count++
		sum += KeyHash(v)
		return nil
	})
	return count, sum, err
}

func parseInt(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// Plan is the SQL of an incremental read of one table: the selected columns
// (the cursor and key among them), ordered by the cursor then the key so
// that a read interrupted mid-way resumes exactly after the last row.
type Plan struct {
	Database, Table string
	Columns         []*column.Column
	Cursor          *column.Column
	Key             []*column.Column
}

// Query returns the query and arguments reading rows after a position:
//
//   - from == nil: every row, NULL cursors included (the first sync);
//   - inclusive: cursor >= from; otherwise cursor > from;
//   - resumeKey != nil (a retry within a sync, after the row at cursor
//     from with that key): rows after (from, resumeKey) in (cursor, key)
//     order. fromNull marks a resume position whose cursor was NULL.
func (p *Plan) Query(from []byte, fromNull, inclusive bool, resumeKey [][]byte) (string, []any, error) {
	sql := query.SelectFrom(p.Database, p.Table, p.Columns)
	order := " " + query.OrderBy(append([]*column.Column{p.Cursor}, p.Key...))
	cur := column.QuoteIdent(p.Cursor.Name)
	ph := rowcodec.ParamSQL(p.Cursor)
	switch {
	case resumeKey != nil && fromNull:
		args, err := query.AfterArgs(p.Key, resumeKey)
		if err != nil {
			return "", nil, err
		}
		return sql + " WHERE (" + cur + " IS NULL AND " + query.After(p.Key) + ") OR " + cur + " IS NOT NULL" + order, args, nil
	case from == nil:
		return sql + order, nil, nil
	}
	arg, err := rowcodec.BindArg(p.Cursor, from)
	if err != nil {
		return "", nil, err
	}
	switch {
	case resumeKey != nil:
		kargs, err := query.AfterArgs(p.Key, resumeKey)
		if err != nil {
			return "", nil, err
		}
		args := append([]any{arg, arg}, kargs...)
		return sql + " WHERE " + cur + " > " + ph + " OR (" + cur + " = " + ph + " AND " + query.After(p.Key) + ")" + order, args, nil
	case inclusive:
		return sql + " WHERE " + cur + " >= " + ph + order, []any{arg}, nil
	}
	return sql + " WHERE " + cur + " > " + ph + order, []any{arg}, nil
}

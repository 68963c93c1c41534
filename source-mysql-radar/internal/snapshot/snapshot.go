// Package snapshot reads a table in chunk-key order, one bounded query per
// chunk, so that a read can checkpoint after every chunk and resume after
// the last key it emitted. Tables without a usable key are read in one
// pass. The caller runs the chunks inside one REPEATABLE READ transaction
// (see Begin), so that all chunks see the same snapshot.
package snapshot

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/query"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// Plan is the SQL of a read of one table.
type Plan struct {
	Database, Table string
	// Columns are the selected columns; the key columns are among them.
	Columns []*column.Column
	// Key is the chunk key (empty: one pass).
	Key []*column.Column
	// Lower and Upper, in text form, bound the read to the rows whose first
	// key column is at least Lower and below Upper (nil: unbounded): one
	// key range of a table read in parallel.
	Lower, Upper []byte
}

// Chunked reports whether the table is read in key ranges.
func (p *Plan) Chunked() bool { return len(p.Key) > 0 }

// Query returns the query and arguments of the chunk after key values
// after (nil: the first chunk), of at most limit rows. Without a key it
// returns the single-pass query.
func (p *Plan) Query(after [][]byte, limit int) (string, []any, error) {
	sql := query.SelectFrom(p.Database, p.Table, p.Columns)
	if !p.Chunked() {
		return sql, nil, nil
	}
	var args []any
	var conds []string
	if after != nil {
		a, err := query.AfterArgs(p.Key, after)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, query.After(p.Key))
		args = a
	} else if p.Lower != nil {
		a, err := rowcodec.BindArg(p.Key[0], p.Lower)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, column.QuoteIdent(p.Key[0].Name)+" >= "+rowcodec.ParamSQL(p.Key[0]))
		args = append(args, a)
	}
	if p.Upper != nil {
		a, err := rowcodec.BindArg(p.Key[0], p.Upper)
		if err != nil {
			return "", nil, err
		}
		if len(conds) > 0 {
			conds[0] = "(" + conds[0] + ")"
		}
		conds = append(conds, column.QuoteIdent(p.Key[0].Name)+" < "+rowcodec.ParamSQL(p.Key[0]))
		args = append(args, a)
	}
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	return sql + " " + query.OrderBy(p.Key) + " LIMIT " + strconv.Itoa(limit), args, nil
}

// Begin starts a read-only REPEATABLE READ transaction with a consistent
// snapshot on conn. Servers that lack a feature (MySQL-compatible engines)
// get the closest statement they accept; the returned warnings say what was
// given up. End the transaction with COMMIT.
func Begin(ctx context.Context, conn *sql.Conn) (warnings []string, err error) {
	if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		warnings = append(warnings, "the server did not accept REPEATABLE READ isolation ("+err.Error()+"); chunks of a table may not see one snapshot")
	}
	starts := []struct{ sql, lost string }{
		{"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", ""},
		{"START TRANSACTION WITH CONSISTENT SNAPSHOT", "READ ONLY transactions"},
		{"START TRANSACTION", "consistent-snapshot transactions"},
	}
	var lastErr error
	for i, s := range starts {
		if _, err := conn.ExecContext(ctx, s.sql); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			lastErr = err
			continue
		}
		if i > 0 {
			warnings = append(warnings, "the server does not support "+s.lost+" ("+lastErr.Error()+"); reading without them")
		}
		return warnings, nil
	}
	return nil, lastErr
}

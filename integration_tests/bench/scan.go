package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	_ "github.com/go-sql-driver/mysql" // the driver the source uses
)

// ScanResult is what the raw scan prints (one JSON object).
type ScanResult struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
}

// RawScan reads every row of a table with go-sql-driver/mysql over the
// text protocol into sql.RawBytes and discards it: the least a Go program
// can do to read a table.
func RawScan(ctx context.Context, dsn, query string) (ScanResult, error) {
	var res ScanResult
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return res, fmt.Errorf("query %s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return res, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return res, fmt.Errorf("scan row %d: %w", res.Rows+1, err)
		}
		res.Rows++
		for _, v := range vals {
			res.Bytes += int64(len(v))
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("read %s: %w", query, err)
	}
	return res, nil
}

// RawScanMain is the rawscan mode of cmd/bench: `bench rawscan -dsn DSN
// -table T` prints a ScanResult.
func RawScanMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rawscan", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "go-sql-driver DSN, with the database")
	table := fs.String("table", "", "table to read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := RawScan(context.Background(), *dsn, "SELECT * FROM `"+*table+"`")
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

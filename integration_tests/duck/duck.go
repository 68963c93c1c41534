// Package duck reads Parquet files back with DuckDB, the independent reader
// the tests compare against MySQL. It needs cgo; nothing the demo or the
// connectors build imports it.
package duck

import (
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// DuckDB is an in-memory DuckDB used as the independent Parquet reader.
type DuckDB struct {
	DB *sql.DB
}

// OpenDuckDB opens an in-memory DuckDB.
func OpenDuckDB() (*DuckDB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db.SetMaxOpenConns(1)
	return &DuckDB{DB: db}, nil
}

// Close closes the database.
func (d *DuckDB) Close() error { return d.DB.Close() }

// ParquetSource returns a read_parquet(...) table expression over files.
func ParquetSource(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	return "read_parquet([" + strings.Join(quoted, ", ") + "], union_by_name=true, hive_partitioning=false)"
}

// Column is a Parquet column as DuckDB reports it.
type Column struct {
	Name string
	Type string
}

// Describe returns the columns of the files' union schema.
func (d *DuckDB) Describe(files []string) ([]Column, error) {
	rows, err := d.DB.Query("DESCRIBE SELECT * FROM " + ParquetSource(files))
	if err != nil {
		return nil, fmt.Errorf("describe parquet: %w", err)
	}
	defer rows.Close()
	var out []Column
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, Column{Name: fmt.Sprint(vals[0]), Type: fmt.Sprint(vals[1])})
	}
	return out, rows.Err()
}

// Codecs returns the distinct compression codecs of the files' column chunks.
func (d *DuckDB) Codecs(files []string) ([]string, error) {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	rows, err := d.DB.Query("SELECT DISTINCT compression FROM parquet_metadata([" + strings.Join(quoted, ", ") + "]) ORDER BY 1")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

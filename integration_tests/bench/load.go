package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// markerTable records which generated tables are complete, with the seed,
// row count and schema version they were generated with.
const markerTable = "bench_marker"

// DefaultRows is the row count of the default run. Tables of other sizes
// live in their own database (DatabaseFor).
const DefaultRows = 1_000_000

// DatabaseFor returns the database holding tables of the given size:
// radar_bench for the default size, radar_bench_<rows> otherwise.
func DatabaseFor(rows int64) string {
	if rows == DefaultRows {
		return "radar_bench"
	}
	return fmt.Sprintf("radar_bench_%d", rows)
}

// Marker is a completed table's entry in the marker table.
type Marker struct {
	Rows    int64
	Seed    uint64
	Version int
	Seconds float64
}

// LoadResult says what EnsureTable did.
type LoadResult struct {
	Table     string
	Generated bool
	Duration  time.Duration
}

// EnsureDatabase creates the database and its marker table if missing.
func EnsureDatabase(ctx context.Context, db *sql.DB, database string) error {
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+database+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		return fmt.Errorf("create database %s: %w", database, err)
	}
	_, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS `"+database+"`."+markerTable+
		" (table_name VARCHAR(64) NOT NULL PRIMARY KEY, rows_generated BIGINT NOT NULL, seed BIGINT UNSIGNED NOT NULL,"+
		" schema_version INT NOT NULL, seconds DOUBLE NOT NULL, completed_at DATETIME NOT NULL)")
	if err != nil {
		return fmt.Errorf("create marker table in %s: %w", database, err)
	}
	return nil
}

// ReadMarker returns the marker of a table, or nil if the table is not
// marked complete or no longer exists.
func ReadMarker(ctx context.Context, db *sql.DB, database, table string) (*Marker, error) {
	var m Marker
	err := db.QueryRowContext(ctx, "SELECT rows_generated, seed, schema_version, seconds FROM `"+database+"`."+markerTable+" WHERE table_name = ?", table).
		Scan(&m.Rows, &m.Seed, &m.Version, &m.Seconds)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read marker of %s.%s: %w", database, table, err)
	}
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", database, table).Scan(&n)
	if err != nil {
		return nil, fmt.Errorf("look up %s.%s: %w", database, table, err)
	}
	if n == 0 {
		return nil, nil
	}
	return &m, nil
}

func writeMarker(ctx context.Context, db *sql.DB, database, table string, m Marker) error {
	_, err := db.ExecContext(ctx, "REPLACE INTO `"+database+"`."+markerTable+
		" (table_name, rows_generated, seed, schema_version, seconds, completed_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP())",
		table, m.Rows, m.Seed, m.Version, m.Seconds)
	if err != nil {
		return fmt.Errorf("mark %s.%s complete: %w", database, table, err)
	}
	return nil
}

func clearMarker(ctx context.Context, db *sql.DB, database, table string) error {
	_, err := db.ExecContext(ctx, "DELETE FROM `"+database+"`."+markerTable+" WHERE table_name = ?", table)
	if err != nil {
		return fmt.Errorf("clear marker of %s.%s: %w", database, table, err)
	}
	return nil
}

// EnsureTable generates t with rows rows into database unless the marker
// table says it is already complete with the same seed, size and version.
// db must reach the server as a user that may set sql_log_bin.
func EnsureTable(ctx context.Context, db *sql.DB, database string, t Table, rows int64, seed uint64) (LoadResult, error) {
	res := LoadResult{Table: t.Name}
	m, err := ReadMarker(ctx, db, database, t.Name)
	if err != nil {
		return res, err
	}
	if m != nil && m.Rows == rows && m.Seed == seed && m.Version == SchemaVersion {
		return res, nil
	}
	start := time.Now()
	if err := clearMarker(ctx, db, database, t.Name); err != nil {
		return res, err
	}
	if err := Generate(ctx, db, database, t, rows, seed); err != nil {
		return res, err
	}
	res.Generated, res.Duration = true, time.Since(start)
	return res, writeMarker(ctx, db, database, t.Name, Marker{Rows: rows, Seed: seed, Version: SchemaVersion, Seconds: res.Duration.Seconds()})
}

// insertBatchBytes caps one multi-row INSERT statement.
const (
	insertBatchRows  = 2000
	insertBatchBytes = 2 << 20
)

// Generate (re)creates t in database and fills it with rows deterministic
// rows: one goroutine renders multi-row INSERT statements in key order, two
// connections (binary logging off for the session) execute them.
func Generate(ctx context.Context, db *sql.DB, database string, t Table, rows int64, seed uint64) error {
	name := "`" + database + "`.`" + t.Name + "`"
	if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+name); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf(t.DDL, name)); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stmts := make(chan []byte, 4)
	free := make(chan []byte, 8)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				fail(fmt.Errorf("connect to load %s: %w", name, err))
				return
			}
			defer conn.Close()
			for _, s := range []string{"SET SESSION sql_log_bin = 0", "SET SESSION unique_checks = 0", "SET SESSION foreign_key_checks = 0",
				"SET SESSION time_zone = '+00:00'", "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'"} {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					fail(fmt.Errorf("prepare session to load %s (%s): %w", name, s, err))
					return
				}
			}
			for stmt := range stmts {
				if _, err := conn.ExecContext(ctx, string(stmt)); err != nil {
					fail(fmt.Errorf("insert into %s: %w", name, err))
					return
				}
				select {
				case free <- stmt[:0]:
				default:
				}
			}
		}()
	}
	head := "INSERT INTO " + name + " (`" + strings.Join(t.Columns, "`,`") + "`) VALUES "
	r := rand.New(rand.NewPCG(seed, t.Seed))
	var buf []byte
	n := 0
	send := func() bool {
		select {
		case stmts <- buf:
		case <-ctx.Done():
			return false
		}
		select {
		case buf = <-free:
		default:
			buf = make([]byte, 0, insertBatchBytes+insertBatchBytes/2)
		}
		n = 0
		return true
	}
	buf = make([]byte, 0, insertBatchBytes+insertBatchBytes/2)
	for i := int64(0); i < rows; i++ {
		if n == 0 {
			buf = append(buf, head...)
		} else {
			buf = append(buf, ',')
		}
		buf = t.Row(r, i, buf)
		n++
		if n >= insertBatchRows || len(buf) >= insertBatchBytes {
			if !send() {
				break
			}
		}
	}
	if n > 0 && ctx.Err() == nil {
		send()
	}
	close(stmts)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// ManyTablesName is the name of table i of the many-streams case.
func ManyTablesName(i int) string { return fmt.Sprintf("store80_%02d", i) }

// EnsureManyTables creates n copies of store's first rows (rows/n each, in
// key ranges) as ManyTablesName(0..n-1), unless the marker says they exist
// for this store table.
func EnsureManyTables(ctx context.Context, db *sql.DB, database string, n int, rows int64, seed uint64) (LoadResult, error) {
	res := LoadResult{Table: fmt.Sprintf("store80 (%d tables)", n)}
	key := fmt.Sprintf("store80x%d", n)
	m, err := ReadMarker(ctx, db, database, ManyTablesName(n-1))
	if err != nil {
		return res, err
	}
	km, err := readMarkerRow(ctx, db, database, key)
	if err != nil {
		return res, err
	}
	per := rows / int64(n)
	if m != nil && km != nil && km.Rows == per && km.Seed == seed && km.Version == SchemaVersion {
		return res, nil
	}
	start := time.Now()
	if err := clearMarker(ctx, db, database, key); err != nil {
		return res, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_log_bin = 0"); err != nil {
		return res, fmt.Errorf("turn off binary logging: %w", err)
	}
	src := "`" + database + "`.`store`"
	for i := range n {
		name := "`" + database + "`.`" + ManyTablesName(i) + "`"
		for _, s := range []string{"DROP TABLE IF EXISTS " + name, "CREATE TABLE " + name + " LIKE " + src,
			fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE Id > %d AND Id <= %d", name, src, int64(i)*per, int64(i+1)*per)} {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return res, fmt.Errorf("copy store into %s: %w", name, err)
			}
		}
		if err := writeMarker(ctx, db, database, ManyTablesName(i), Marker{Rows: per, Seed: seed, Version: SchemaVersion}); err != nil {
			return res, err
		}
	}
	res.Generated, res.Duration = true, time.Since(start)
	return res, writeMarker(ctx, db, database, key, Marker{Rows: per, Seed: seed, Version: SchemaVersion, Seconds: res.Duration.Seconds()})
}

func readMarkerRow(ctx context.Context, db *sql.DB, database, key string) (*Marker, error) {
	var m Marker
	err := db.QueryRowContext(ctx, "SELECT rows_generated, seed, schema_version, seconds FROM `"+database+"`."+markerTable+" WHERE table_name = ?", key).
		Scan(&m.Rows, &m.Seed, &m.Version, &m.Seconds)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read marker %s: %w", key, err)
	}
	return &m, nil
}

// TableSize is what information_schema says about a table.
type TableSize struct {
	DataLength  int64
	IndexLength int64
}

// Sizes returns information_schema sizes (after ANALYZE, so they are
// current) of the named tables.
func Sizes(ctx context.Context, db *sql.DB, database string, tables []string) (map[string]TableSize, error) {
	out := map[string]TableSize{}
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, "ANALYZE TABLE `"+database+"`.`"+t+"`"); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
		var s TableSize
		err := db.QueryRowContext(ctx, "SELECT data_length, index_length FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", database, t).
			Scan(&s.DataLength, &s.IndexLength)
		if err != nil {
			return nil, fmt.Errorf("size of %s: %w", t, err)
		}
		out[t] = s
	}
	return out, nil
}

package duck

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// MySQLColumn is a column as information_schema describes it.
type MySQLColumn struct {
	Name       string
	DataType   string // e.g. "decimal"
	ColumnType string // e.g. "decimal(15,2) unsigned"
	Key        bool   // part of the primary key
}

// MySQLColumns returns a table's columns in ordinal order.
func MySQLColumns(ctx context.Context, db *sql.DB, schema, table string) ([]MySQLColumn, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MySQLColumn
	for rows.Next() {
		var c MySQLColumn
		var key string
		if err := rows.Scan(&c.Name, &c.DataType, &c.ColumnType, &key); err != nil {
			return nil, err
		}
		c.DataType, c.ColumnType, c.Key = strings.ToLower(c.DataType), strings.ToLower(c.ColumnType), key == "PRI"
		out = append(out, c)
	}
	return out, rows.Err()
}

// Mismatch is one cell that differs between MySQL and Parquet.
type Mismatch struct {
	Stream, Key, Column string
	Want, Got           string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("stream %s, row %s, column %s: MySQL has %s, Parquet has %s", m.Stream, m.Key, m.Column, m.Want, m.Got)
}

// TableDiff is the result of comparing one table.
type TableDiff struct {
	Stream     string
	MySQLRows  int
	ParquetRow int
	Missing    []string // keys in MySQL, not in Parquet
	Extra      []string // keys in Parquet, not in MySQL
	Duplicates []string // keys seen more than once in Parquet
	Mismatches []Mismatch
}

// OK reports whether the table matched exactly.
func (d *TableDiff) OK() bool {
	return len(d.Missing) == 0 && len(d.Extra) == 0 && len(d.Duplicates) == 0 && len(d.Mismatches) == 0
}

// Summary renders the first problems.
func (d *TableDiff) Summary(limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stream %s: %d MySQL rows, %d Parquet rows", d.Stream, d.MySQLRows, d.ParquetRow)
	list := func(name string, keys []string) {
		if len(keys) > 0 {
			fmt.Fprintf(&b, "\n  %d %s rows, e.g. %s", len(keys), name, strings.Join(keys[:min(limit, len(keys))], "; "))
		}
	}
	list("missing", d.Missing)
	list("unexpected", d.Extra)
	list("duplicate", d.Duplicates)
	for i, m := range d.Mismatches {
		if i == limit {
			fmt.Fprintf(&b, "\n  ... and %d more mismatches", len(d.Mismatches)-limit)
			break
		}
		b.WriteString("\n  " + m.String())
	}
	return b.String()
}

// CompareOptions tune a comparison.
type CompareOptions struct {
	// Where restricts the MySQL rows (SQL, e.g. "Id > 100").
	Where string
	// AllowDuplicates accepts a key more than once in Parquet if every
	// copy matches (at-least-once delivery).
	AllowDuplicates bool
}

// CompareTable compares every cell of a MySQL table with the Parquet files
// holding its stream (current Airbyte layout: one column per MySQL column).
func CompareTable(ctx context.Context, my *sql.DB, schema, table string, duck *DuckDB, files []string, opts CompareOptions) (*TableDiff, error) {
	cols, err := MySQLColumns(ctx, my, schema, table)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s.%s has no columns", schema, table)
	}
	diff := &TableDiff{Stream: schema + "." + table}

	// MySQL side, through the text protocol.
	q := "SELECT " + joinQuoted(cols, "`") + " FROM `" + schema + "`.`" + table + "`"
	if opts.Where != "" {
		q += " WHERE " + opts.Where
	}
	want := map[string][]*string{}
	var wantOrder []string
	rows, err := my.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", table, err)
	}
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, err
		}
		vals := make([]*string, len(cols))
		for i, c := range cols {
			vals[i] = canonicalMySQL(c, raw[i])
		}
		k := rowKey(cols, vals)
		if _, dup := want[k]; dup {
			k += fmt.Sprintf("#%d", len(wantOrder))
		}
		want[k] = vals
		wantOrder = append(wantOrder, k)
		diff.MySQLRows++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Parquet side, through DuckDB.
	pcols, err := duck.Describe(files)
	if err != nil {
		return nil, err
	}
	ptype := map[string]string{}
	for _, c := range pcols {
		ptype[c.Name] = c.Type
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		t, ok := ptype[c.Name]
		if !ok {
			return nil, fmt.Errorf("stream %s: column %s is missing from the Parquet files (have %v)", diff.Stream, c.Name, pcols)
		}
		id := `"` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`
		switch {
		case t == "BLOB":
			exprs[i] = "hex(" + id + ")"
		default:
			exprs[i] = "CAST(" + id + " AS VARCHAR)"
		}
	}
	if _, err := duck.DB.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		return nil, err
	}
	prow, err := duck.DB.QueryContext(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+ParquetSource(files))
	if err != nil {
		return nil, fmt.Errorf("read parquet of %s: %w", diff.Stream, err)
	}
	defer prow.Close()
	seen := map[string]int{}
	for prow.Next() {
		raw := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := prow.Scan(ptrs...); err != nil {
			return nil, err
		}
		diff.ParquetRow++
		got := make([]*string, len(cols))
		for i, c := range cols {
			got[i] = canonicalParquet(c, ptype[c.Name], raw[i])
		}
		k := rowKey(cols, got)
		if !hasKey(cols) {
			k = matchUnkeyed(want, seen, got)
		}
		seen[k]++
		if seen[k] > 1 && !opts.AllowDuplicates {
			diff.Duplicates = append(diff.Duplicates, k)
		}
		w, ok := want[k]
		if !ok {
			diff.Extra = append(diff.Extra, k)
			continue
		}
		for i, c := range cols {
			if !sameValue(c, w[i], got[i]) {
				diff.Mismatches = append(diff.Mismatches, Mismatch{Stream: diff.Stream, Key: k, Column: c.Name, Want: show(w[i]), Got: show(got[i])})
			}
		}
	}
	if err := prow.Err(); err != nil {
		return nil, err
	}
	for _, k := range wantOrder {
		if seen[k] == 0 {
			diff.Missing = append(diff.Missing, k)
		}
	}
	sort.Strings(diff.Extra)
	return diff, nil
}

func joinQuoted(cols []MySQLColumn, q string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = q + strings.ReplaceAll(c.Name, q, q+q) + q
	}
	return strings.Join(parts, ", ")
}

func hasKey(cols []MySQLColumn) bool {
	for _, c := range cols {
		if c.Key {
			return true
		}
	}
	return false
}

// rowKey renders the primary key values ("Id=7"), or the whole row for
// tables without a key.
func rowKey(cols []MySQLColumn, vals []*string) string {
	var parts []string
	keyed := hasKey(cols)
	for i, c := range cols {
		if keyed && !c.Key {
			continue
		}
		parts = append(parts, c.Name+"="+show(vals[i]))
	}
	return strings.Join(parts, ",")
}

// matchUnkeyed finds the MySQL row a keyless Parquet row stands for.
func matchUnkeyed(want map[string][]*string, seen map[string]int, got []*string) string {
	for k, w := range want {
		if seen[k] > 0 || len(w) != len(got) {
			continue
		}
		same := true
		for i := range w {
			if show(w[i]) != show(got[i]) {
				same = false
				break
			}
		}
		if same {
			return k
		}
	}
	var parts []string
	for _, g := range got {
		parts = append(parts, show(g))
	}
	return "unmatched row (" + strings.Join(parts, ",") + ")"
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	if len(*s) > 80 {
		return strconv.Quote((*s)[:80]) + "…"
	}
	return strconv.Quote(*s)
}

func str(s string) *string { return &s }

func isBinary(c MySQLColumn) bool {
	switch c.DataType {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point", "linestring", "polygon":
		return true
	case "bit":
		return c.ColumnType != "bit(1)"
	}
	return false
}

// canonicalMySQL renders a MySQL text-protocol value in the form the
// comparison uses, or nil for values the connectors emit as null (SQL NULL,
// zero dates).
func canonicalMySQL(c MySQLColumn, raw []byte) *string {
	if raw == nil {
		return nil
	}
	s := string(raw)
	switch {
	case c.ColumnType == "bit(1)":
		if len(raw) == 1 && raw[0] <= 1 {
			return str(strconv.FormatBool(raw[0] == 1))
		}
		return str(strconv.FormatBool(s != "0"))
	case strings.HasPrefix(c.ColumnType, "tinyint(1)") && !strings.Contains(c.ColumnType, "unsigned"):
		return str(strconv.FormatBool(s != "0"))
	case isBinary(c):
		return str(hex.EncodeToString(raw))
	}
	switch c.DataType {
	case "date":
		if strings.HasPrefix(s, "0000-00-00") {
			return nil
		}
		return str(s)
	case "datetime", "timestamp":
		if strings.HasPrefix(s, "0000-00-00") {
			return nil
		}
		return str(normTimestamp(s))
	case "time":
		// Every TIME arrives exact, negative and beyond 24h included, as
		// the text [-]HH:MM:SS.ffffff.
		return str(normTime(s))
	}
	return str(s)
}

// canonicalParquet renders a DuckDB value (cast to VARCHAR, or hex for
// BLOB) the same way.
func canonicalParquet(c MySQLColumn, duckType string, v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	s := v.String
	switch {
	case duckType == "BLOB":
		return str(strings.ToLower(s))
	case isBinary(c) && duckType == "VARCHAR":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return str("not base64: " + s)
		}
		return str(hex.EncodeToString(b))
	}
	switch {
	case strings.HasPrefix(duckType, "TIMESTAMP"):
		s = strings.TrimSuffix(s, "+00")
		return str(normTimestamp(s))
	case duckType == "TIME":
		return str(normTime(s))
	}
	return str(s)
}

// normTimestamp turns "2024-01-02 03:04:05[.fff]" or with a T into
// "2024-01-02 03:04:05.ffffff".
func normTimestamp(s string) string {
	s = strings.Replace(s, "T", " ", 1)
	s = strings.TrimSuffix(s, "Z")
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := s[i+1:]
		return s[:i] + "." + (frac + "000000")[:6]
	}
	return s + ".000000"
}

func normTime(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i] + "." + (s[i+1:] + "000000")[:6]
	}
	return s + ".000000"
}

func sameValue(c MySQLColumn, want, got *string) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch c.DataType {
	case "float", "double", "real":
		w, err1 := strconv.ParseFloat(*want, 64)
		g, err2 := strconv.ParseFloat(*got, 64)
		if err1 != nil || err2 != nil {
			return *want == *got
		}
		if w == g {
			return true
		}
		tol := 1e-12
		if c.DataType == "float" {
			// MySQL prints FLOAT with 6 significant digits; the connector
			// may carry the exact single-precision value.
			tol = 1e-5
		}
		return math.Abs(w-g) <= tol*math.Max(math.Abs(w), math.Abs(g))
	case "decimal":
		return sameDecimal(*want, *got)
	}
	return *want == *got
}

// sameDecimal compares decimal texts numerically and exactly ("1.50" ==
// "1.5", "0.0000000001" == "1e-10", as the 0.3.x layout's DOUBLE prints it).
func sameDecimal(a, b string) bool {
	var x, y big.Rat
	if _, ok := x.SetString(a); ok {
		if _, ok := y.SetString(b); ok {
			return x.Cmp(&y) == 0
		}
	}
	norm := func(s string) string {
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if s == "" || s == "." {
			return "0"
		}
		if strings.HasPrefix(s, ".") {
			s = "0" + s
		}
		if neg {
			return "-" + s
		}
		return s
	}
	return norm(a) == norm(b)
}

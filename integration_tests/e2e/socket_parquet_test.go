package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// TestSocketParquetEqualsStdio syncs the fixture (full refresh, overwrite)
// once per data channel mode into its own bucket path, and checks that the
// Parquet files of each socket-mode sync hold the STDIO sync's rows cell for
// cell: the same columns and types, and the same multiset of rows over every
// column but _airbyte_raw_id and _airbyte_extracted_at (which differ by
// construction). Differences are listed in primary key order.
func TestSocketParquetEqualsStdio(t *testing.T) {
	e := newEnv(t, 1500)
	srcCfg := e.sourceConfig()
	cat := e.discover(srcCfg)
	configured := configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 1, nil, nil)
	path := func(mode string) string { return bucketPath + "/mode=" + harness.ModeName(mode) }
	for _, mode := range harness.DataChannelModes {
		e.mode = mode
		e.sync(srcCfg, e.destinationConfig(map[string]any{"s3_bucket_path": path(mode)}), configured, nil)
	}
	ctx := context.Background()
	for _, s := range configured.Streams {
		files := map[string][]string{}
		for _, mode := range harness.DataChannelModes {
			f, err := e.s3.Download(ctx, bucket, path(mode)+"/"+s.Stream.Name+"/", t.TempDir())
			if err != nil || len(f) == 0 {
				t.Fatalf("stream %s, %s: %d files: %v", s.Stream.Name, mode, len(f), err)
			}
			files[mode] = f
		}
		for _, mode := range harness.DataChannelModes[1:] {
			e.compareParquet(s.Stream, "stdio", files["stdio"], mode, files[mode])
		}
	}
}

// compareParquet checks that the Parquet files got (written by the sync
// named gotName) hold the same rows as want (wantName's) cell for cell:
// the same columns and types, and the same multiset of rows over every
// column but _airbyte_raw_id and _airbyte_extracted_at. Differences are
// listed in primary key order.
func (e *env) compareParquet(stream protocol.Stream, wantName string, want []string, gotName string, got []string) {
	t := e.t
	t.Helper()
	wantCols, err := e.duck.Describe(want)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range wantCols {
		if c.Name != "_airbyte_raw_id" && c.Name != "_airbyte_extracted_at" {
			cols = append(cols, quoteIdent(c.Name))
		}
	}
	var order []string
	for _, k := range stream.SourceDefinedPrimaryKey {
		if len(k) == 1 {
			order = append(order, quoteIdent(k[0]))
		}
	}
	if len(order) == 0 {
		order = cols
	}
	gotCols, err := e.duck.Describe(got)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotCols) != fmt.Sprint(wantCols) {
		t.Errorf("stream %s: %s columns differ from %s's:\n  %s: %v\n  %s: %v", stream.Name, gotName, wantName, wantName, wantCols, gotName, gotCols)
		return
	}
	a, b := duck.ParquetSource(want), duck.ParquetSource(got)
	sel := strings.Join(cols, ", ")
	var na, nb int
	e.duck.DB.QueryRow("SELECT count(*) FROM " + a).Scan(&na)
	e.duck.DB.QueryRow("SELECT count(*) FROM " + b).Scan(&nb)
	if na != nb {
		t.Errorf("stream %s: %s wrote %d rows, %s %d", stream.Name, wantName, na, gotName, nb)
	}
	for _, side := range []struct{ name, from, minus string }{{"only in " + wantName, a, b}, {"only in " + gotName, b, a}} {
		q := fmt.Sprintf("SELECT %s FROM (SELECT %s FROM %s EXCEPT ALL SELECT %s FROM %s) ORDER BY %s LIMIT 5",
			sel, sel, side.from, sel, side.minus, strings.Join(order, ", "))
		rows, err := e.duck.DB.Query(q)
		if err != nil {
			t.Fatalf("stream %s: %v", stream.Name, err)
		}
		for _, r := range scanRows(t, rows) {
			t.Errorf("stream %s: row %s: %s", stream.Name, side.name, r)
		}
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// scanRows renders each row as "col=value, ...".
func scanRows(t *testing.T, rows *sql.Rows) []string {
	t.Helper()
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("%s=%v", c, vals[i])
		}
		out = append(out, strings.Join(parts, ", "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// timeLimitsDDL is the held-out kind "TIME at its limits": MySQL's TIME
// range ends, a day's ends, negative fractions, at every precision.
const timeLimitsDDL = "CREATE TABLE time_limits (id INT NOT NULL PRIMARY KEY, t0 TIME NULL, t1 TIME(1) NULL, t6 TIME(6) NULL)"

var timeLimitsRows = []string{
	"(1, '-838:59:59', '-838:59:59.0', '-838:59:59.000000')",
	"(2, '838:59:59', '838:59:59.9', '838:59:59.999999')",
	"(3, '00:00:00', '00:00:00.0', '00:00:00.000000')",
	"(4, '24:00:00', '24:00:00.0', '24:00:00.000000')",
	"(5, '-00:00:01', '-00:00:01.5', '-00:00:01.500000')",
	"(6, '100:00:00', '-100:00:00.1', '-00:00:00.000001')",
	"(7, '23:59:59', '23:59:59.9', '23:59:59.999999')",
	"(8, NULL, NULL, NULL)",
}

// TestTypeZooAndTimeLimitsExact syncs the type zoo and the TIME limits
// through the binaries in both layouts and compares every cell with MySQL.
// The current layout is read as written; the 0.3.x layout is read the way
// TYPES.md says a value is recovered: a date/time group's member0, else
// the exact text in _airbyte_additional_properties under the column's
// name, else the typed column.
func TestTypeZooAndTimeLimitsExact(t *testing.T) {
	harness.ForEachDataChannel(t, typeZooAndTimeLimitsExact)
}

func typeZooAndTimeLimitsExact(t *testing.T, mode string) {
	e := newEnv(t, 60)
	e.mode = mode
	if _, err := e.db.Exec(timeLimitsDDL); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec("INSERT INTO time_limits VALUES " + strings.Join(timeLimitsRows, ", ")); err != nil {
		t.Fatal(err)
	}
	// BIGINT UNSIGNED beyond BIGINT as the primary key, DECIMAL(38,10) at
	// its limits: the 0.3.x layout's BIGINT and DOUBLE cannot hold them.
	for _, q := range []string{
		"CREATE TABLE ubig_pk (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, d DECIMAL(38,10) NULL)",
		"INSERT INTO ubig_pk VALUES (18446744073709551615, 9999999999999999999999999999.9999999999), (9223372036854775808, -9999999999999999999999999999.9999999999), " +
			"(9223372036854775807, 0.0000000001), (0, 1234.5), (1, NULL)",
	} {
		if _, err := e.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	srcCfg := e.sourceConfig()
	cat := e.discover(srcCfg)
	only := map[string]bool{"type_zoo": true, "time_limits": true, "ubig_pk": true}
	configured := configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 1, nil, only)
	if len(configured.Streams) != len(only) {
		t.Fatalf("discover gave %d of the %d streams", len(configured.Streams), len(only))
	}

	e.sync(srcCfg, e.destinationConfig(nil), configured, nil)
	for s := range only {
		e.compare(s, duck.CompareOptions{})
		crossCheckJS(t, e.duck, e.streamFiles(s))
	}

	legacyPath := bucketPath + "/legacy"
	e.sync(srcCfg, e.destinationConfig(map[string]any{
		"s3_bucket_path": legacyPath,
		"format":         map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY", "column_layout": "legacy_0_3"},
	}), configured, nil)
	for s := range only {
		e.compareLegacy(legacyPath, s)
	}
}

// compareLegacy recovers every value of a 0.3.x stream into one column per
// MySQL column (a Parquet file DuckDB writes) and compares it with MySQL.
func (e *env) compareLegacy(path, stream string) {
	e.t.Helper()
	ctx := context.Background()
	files, err := e.s3.Download(ctx, bucket, path+"/"+stream+"/", e.t.TempDir())
	if err != nil || len(files) == 0 {
		e.t.Fatalf("stream %s (legacy): %d files, %v", stream, len(files), err)
	}
	cols, err := e.duck.Describe(files)
	if err != nil {
		e.t.Fatal(err)
	}
	var exprs, members []string
	for _, c := range cols {
		if strings.HasPrefix(c.Name, "_airbyte_") {
			continue
		}
		id := `"` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`
		lit := "'" + strings.ReplaceAll(c.Name, "'", "''") + "'"
		if strings.HasPrefix(c.Type, "STRUCT(member0") {
			exprs = append(exprs, id+".member0 AS "+id)
			members = append(members, id+".member1 IS NOT NULL")
			continue
		}
		exprs = append(exprs, fmt.Sprintf("coalesce(map_extract_value(_airbyte_additional_properties, %s), CAST(%s AS VARCHAR)) AS %s", lit, id, id))
	}
	crossCheckJS(e.t, e.duck, files)
	src := duck.ParquetSource(files)
	// A date or time that parses is in member0: member1 stays empty.
	var n int
	if err := e.duck.DB.QueryRow("SELECT count(*) FROM " + src + " WHERE " + strings.Join(append(members, "false"), " OR ")).Scan(&n); err != nil {
		e.t.Fatal(err)
	} else if n > 0 {
		e.t.Errorf("stream %s (legacy): %d rows with a date or time in member1", stream, n)
	}
	out := e.t.TempDir() + "/recovered.parquet"
	if _, err := e.duck.DB.Exec(fmt.Sprintf("COPY (SELECT %s FROM %s) TO '%s' (FORMAT parquet)", strings.Join(exprs, ", "), src, out)); err != nil {
		e.t.Fatalf("recover %s: %v", stream, err)
	}
	diff, err := duck.CompareTable(ctx, e.db, e.dbName, stream, e.duck, []string{out}, duck.CompareOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if !diff.OK() {
		e.t.Errorf("legacy_0_3: %s", diff.Summary(10))
	}
}

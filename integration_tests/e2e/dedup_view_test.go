package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/fixture"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// The append_dedup tests sync transacoes three times (incremental,
// destination_sync_mode append_dedup on id) with updates, inserts and
// deletes in MariaDB between the syncs, then run the SELECT of the
// transacoes_latest view that `destination-s3-parquet athena-ddl` prints
// over the Parquet files with DuckDB (the view's table replaced by
// read_parquet of the table's objects, Hive partitions read from the
// folders as Athena projects them) and compare the result, cell by cell,
// with the MySQL table.

// dedupCatalog configures transacoes as the team's connection does:
// incremental, append_dedup on id, with the given cursor.
func dedupCatalog(t *testing.T, cat *protocol.Catalog, cursor []string) *protocol.ConfiguredCatalog {
	t.Helper()
	for _, s := range cat.Streams {
		if s.Name != "transacoes" {
			continue
		}
		if len(cursor) == 0 {
			cursor = s.DefaultCursorField
		}
		return &protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{{Stream: s, SyncMode: protocol.SyncModeIncremental,
			DestinationSyncMode: protocol.DestinationAppendDedup, CursorField: cursor, PrimaryKey: [][]string{{"id"}}}}}
	}
	t.Fatal("discover has no transacoes stream")
	return nil
}

// latestView returns the SELECT of the stream's _latest view as athena-ddl
// prints it, with the table reference replaced by a DuckDB read of the
// downloaded objects.
func (e *env) latestView(dstCfg, catalog, stream string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := harness.Command(ctx, dstBin, nil, nil, "athena-ddl", "--config", dstCfg, "--catalog", catalog, "--streams", stream, "--json")
	if err != nil || res.Code != 0 {
		e.t.Fatalf("athena-ddl: %v, exit %d: %s", err, res.Code, res.Stderr)
	}
	var raw []map[string]string
	if err := json.Unmarshal(res.Stdout, &raw); err != nil || len(raw) != 1 {
		e.t.Fatalf("athena-ddl --json printed %d statements (%v):\n%s", len(raw), err, res.Stdout)
	}
	create, table := raw[0]["create_view"], raw[0]["table"]
	head := fmt.Sprintf(`CREATE OR REPLACE VIEW "%s_latest" AS`+"\n", table)
	if !strings.HasPrefix(create, head) {
		e.t.Fatalf("the view statement does not start with %q:\n%s", head, create)
	}
	from := "\n  FROM \"" + table + "\"\n"
	if strings.Count(create, from) != 1 {
		e.t.Fatalf("the view does not read table %s once:\n%s", table, create)
	}
	files := e.streamFiles(stream)
	if !strings.Contains(filepath.ToSlash(files[0]), "/cog_dt_ingestion=") {
		e.t.Fatalf("object %s is not in a cog_dt_ingestion folder", files[0])
	}
	src := strings.Replace(duck.ParquetSource(files), "hive_partitioning=false", "hive_partitioning=true, hive_types_autocast=false", 1)
	return strings.Replace(strings.TrimPrefix(create, head), from, "\n  FROM "+src+"\n", 1)
}

// checkView evaluates the view and compares it with MySQL; keys listed in
// stale are rows deleted in MySQL that the view is expected to still show
// (a cursor sync cannot see deletes), once each.
func (e *env) checkView(view, stream string, stale []int64) {
	e.t.Helper()
	var rows, keys int
	if err := e.duck.DB.QueryRow("SELECT count(*), count(DISTINCT id) FROM ("+view+")").Scan(&rows, &keys); err != nil {
		e.t.Fatalf("run the view over the files: %v\n%s", err, view)
	}
	if rows != keys {
		e.t.Errorf("the view holds %d rows for %d keys, want one row per key", rows, keys)
	}
	live := view
	if len(stale) > 0 {
		var ids []string
		for _, id := range stale {
			ids = append(ids, fmt.Sprint(id))
		}
		var n int
		q := "SELECT count(*) FROM (" + view + ") WHERE id IN (" + strings.Join(ids, ",") + ")"
		if err := e.duck.DB.QueryRow(q).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		if n != len(stale) {
			e.t.Errorf("the view shows %d of the %d rows deleted in MySQL; a cursor sync cannot see deletes, so all should remain", n, len(stale))
		}
		live = "SELECT * FROM (" + view + ") WHERE id NOT IN (" + strings.Join(ids, ",") + ")"
	}
	out := filepath.Join(e.t.TempDir(), "latest.parquet")
	if _, err := e.duck.DB.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", live, out)); err != nil {
		e.t.Fatal(err)
	}
	diff, err := duck.CompareTable(context.Background(), e.db, e.dbName, stream, e.duck, []string{out}, duck.CompareOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if !diff.OK() {
		e.t.Errorf("the %s_latest view differs from MySQL: %s", stream, diff.Summary(10))
	}
	e.t.Logf("%s_latest: %d rows, one per key; MySQL has %d", stream, rows, diff.MySQLRows)
}

func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if _, err := e.db.Exec(s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

func (e *env) versions(stream string) int {
	var n int
	if err := e.duck.DB.QueryRow("SELECT count(*) FROM " + duck.ParquetSource(e.streamFiles(stream))).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestAppendDedupViewCursor: cursor-based incremental (atualizado_em). The
// files keep every version; the view keeps the newest per id. A row
// deleted in MySQL is never read again by a cursor sync, so the view still
// shows its last version: the test asserts exactly that.
func TestAppendDedupViewCursor(t *testing.T) {
	harness.ForEachDataChannel(t, appendDedupViewCursor)
}

func appendDedupViewCursor(t *testing.T, mode string) {
	e := newEnv(t, 500)
	e.mode = mode
	srcCfg, dstCfg := e.sourceConfig(), e.destinationConfig(nil)
	cat := dedupCatalog(t, e.discover(srcCfg), []string{"atualizado_em"})
	catFile := harness.WriteJSON(t, "catalog.json", cat)
	first := e.sync(srcCfg, dstCfg, cat, nil)
	e.checkView(e.latestView(dstCfg, catFile, "transacoes"), "transacoes", nil)

	e.exec(
		"UPDATE transacoes SET valor_total = valor_total + 1, pago = 1 - pago, atualizado_em = '2030-01-01 10:00:00.000001' WHERE id BETWEEN 10 AND 29",
		"UPDATE transacoes SET forma_pagamento = 'pix', atualizado_em = '2030-01-01 10:00:00.000001' WHERE atualizado_em IS NULL",
		"INSERT INTO transacoes (id, store_id, product_id, quantidade, valor_unitario, valor_total, desconto, pago, forma_pagamento, criado_em, atualizado_em) "+
			"VALUES (900001, 1, 1, 2, 10.00, 20.00, NULL, 1, 'pix', '2030-01-01 09:00:00', '2030-01-01 10:00:00.000002')",
		"DELETE FROM transacoes WHERE id IN (40, 41)",
	)
	second := e.sync(srcCfg, dstCfg, cat, first.NextState())
	e.checkView(e.latestView(dstCfg, catFile, "transacoes"), "transacoes", []int64{40, 41})

	e.exec(
		// Updated again: the third version of ids 10..14 must win.
		"UPDATE transacoes SET valor_total = valor_total + 2, atualizado_em = '2030-01-02 00:00:00' WHERE id BETWEEN 10 AND 14",
		"UPDATE transacoes SET quantidade = 9, atualizado_em = '2030-01-02 00:00:00' WHERE id = 900001",
		"DELETE FROM transacoes WHERE id = 20",
	)
	e.sync(srcCfg, dstCfg, cat, second.NextState())
	e.checkView(e.latestView(dstCfg, catFile, "transacoes"), "transacoes", []int64{40, 41, 20})
	var mysqlRows int
	e.db.QueryRow("SELECT COUNT(*) FROM transacoes").Scan(&mysqlRows)
	if v := e.versions("transacoes"); v <= mysqlRows+3 {
		t.Errorf("the files hold %d versions for %d MySQL rows: append_dedup must keep every version", v, mysqlRows)
	}
}

// TestAppendDedupViewCDC: the same through the binary log. Deletes arrive
// as records with _ab_cdc_deleted_at; the view leaves those keys out and
// equals MySQL exactly, including a key deleted and inserted again and a
// key updated and deleted within one sync.
func TestAppendDedupViewCDC(t *testing.T) {
	harness.ForEachDataChannel(t, appendDedupViewCDC)
}

func appendDedupViewCDC(t *testing.T, mode string) {
	e := newEnvOn(t, harness.StartMariaDB(t, harness.ServerOptions{Binlog: true}), "dedup", fixture.Options{Rows: 300, Seed: 13})
	e.mode = mode
	srcCfg := e.cdcSourceConfig()
	dstCfg := e.destinationConfig(nil)
	cat := dedupCatalog(t, e.discover(srcCfg), nil)
	if c := cat.Streams[0].CursorField; len(c) != 1 || c[0] != "_ab_cdc_cursor" {
		t.Fatalf("transacoes is not CDC-enabled: cursor %v", c)
	}
	catFile := harness.WriteJSON(t, "catalog.json", cat)
	first := e.sync(srcCfg, dstCfg, cat, nil)
	view := e.latestView(dstCfg, catFile, "transacoes")
	if !strings.Contains(view, `"_ab_cdc_deleted_at" IS NULL`) {
		t.Fatalf("the CDC view does not leave deleted keys out:\n%s", view)
	}
	e.checkView(view, "transacoes", nil)

	e.exec(
		"UPDATE transacoes SET valor_total = valor_total + 1 WHERE id BETWEEN 10 AND 29",
		"UPDATE transacoes SET valor_total = valor_total + 1 WHERE id BETWEEN 10 AND 14", // two changes of one key in one sync
		"DELETE FROM transacoes WHERE id IN (40, 41)",
		"UPDATE transacoes SET pago = 1 - pago WHERE id = 50",
		"DELETE FROM transacoes WHERE id = 50", // updated, then deleted, in one sync
		"INSERT INTO transacoes (id, store_id, product_id, quantidade, valor_unitario, valor_total, desconto, pago, forma_pagamento, criado_em, atualizado_em) "+
			"VALUES (900001, 1, 1, 2, 10.00, 20.00, NULL, 1, 'pix', '2030-01-01 09:00:00', NULL)",
	)
	second := e.sync(srcCfg, dstCfg, cat, first.NextState())
	e.checkView(e.latestView(dstCfg, catFile, "transacoes"), "transacoes", nil)

	e.exec(
		// Deleted in the second sync, inserted again with other values.
		"INSERT INTO transacoes (id, store_id, product_id, quantidade, valor_unitario, valor_total, desconto, pago, forma_pagamento, criado_em, atualizado_em) "+
			"VALUES (40, 7, 7, 1, 1.00, 1.00, NULL, 0, 'debito', '2030-01-03 09:00:00', '2030-01-03 09:00:00')",
		"UPDATE transacoes SET valor_total = valor_total + 2 WHERE id BETWEEN 10 AND 14",
		"DELETE FROM transacoes WHERE id = 900001",
	)
	e.sync(srcCfg, dstCfg, cat, second.NextState())
	e.checkView(e.latestView(dstCfg, catFile, "transacoes"), "transacoes", nil)
}

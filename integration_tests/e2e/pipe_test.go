// Package e2e runs `source-mysql-radar read | destination-s3-parquet write`
// end to end: a Radar-like database in MariaDB, the harness playing the
// platform in the middle, a standalone S3 server (versitygw) receiving the
// objects, and every Parquet file read back with DuckDB and compared cell by
// cell with what MySQL holds.
package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/fixture"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

var srcBin, dstBin string

func TestMain(m *testing.M) {
	var err error
	srcBin, dstBin, err = harness.Binaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "build connectors:", err)
		os.Exit(1)
	}
	code := m.Run()
	harness.CleanupBinaries()
	os.Exit(code)
}

const bucket = "cognitivo-datalake"

// env is one end-to-end setup: a database with the fixture and an S3 server.
type env struct {
	t      *testing.T
	my     *harness.MySQL
	dbName string
	db     *sql.DB
	s3     *harness.S3Server
	duck   *duck.DuckDB
	opts   fixture.Options
	// mode is the data channel of e.sync ("": RADAR_DATA_CHANNEL, else
	// stdio).
	mode string
}

func newEnv(t *testing.T, rows int) *env {
	t.Helper()
	return newEnvOn(t, harness.SharedMySQL(t), "e2e", fixture.Options{Rows: rows, Seed: 42})
}

// newEnvOn loads the fixture into a new database (named after prefix) on
// my, and starts the S3 server and DuckDB beside it.
func newEnvOn(t *testing.T, my *harness.MySQL, prefix string, opts fixture.Options) *env {
	t.Helper()
	name := my.CreateDatabase(t, prefix)
	db, err := my.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := fixture.Load(context.Background(), db, opts); err != nil {
		t.Fatal(err)
	}
	d, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &env{t: t, my: my, dbName: name, db: db, s3: harness.StartS3(t, bucket), duck: d, opts: opts}
}

// sourceConfig is the team's production config, pointed at the test server.
func (e *env) sourceConfig() string {
	return harness.WriteJSON(e.t, "source.json", map[string]any{
		"host": e.my.Host, "port": e.my.Port, "database": e.dbName, "username": e.my.User, "password": e.my.Password,
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD", "initial_waiting_seconds": 300},
		"jdbc_url_params":    "allowPublicKeyRetrieval=true&useSSL=false",
	})
}

// cdcSourceConfig reads the test database from the binary log (the server
// must be one started with Binlog).
func (e *env) cdcSourceConfig() string {
	return harness.WriteJSON(e.t, "source.json", map[string]any{
		"host": e.my.Host, "port": e.my.Port, "database": e.dbName, "username": e.my.User, "password": e.my.Password,
		"ssl": false, "tunnel_method": map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 120},
	})
}

const bucketPath = "origin=airbyte/database=bronze_radar"

// destinationConfig is the team's Parquet/SNAPPY config, pointed at the
// test S3 server.
func (e *env) destinationConfig(extra map[string]any) string {
	cfg := map[string]any{
		"s3_bucket_name": bucket, "s3_bucket_path": bucketPath, "s3_bucket_region": "us-east-1",
		"s3_endpoint": e.s3.Endpoint, "access_key_id": e.s3.AccessKey, "secret_access_key": e.s3.SecretKey,
		"s3_path_format": "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
		"format":         map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY"},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return harness.WriteJSON(e.t, "destination.json", cfg)
}

func (e *env) discover(cfg string) *protocol.Catalog {
	e.t.Helper()
	res := harness.Run(e.t, srcBin, "discover", "--config", cfg)
	cats := res.OfType(protocol.TypeCatalog)
	if res.Code != 0 || len(cats) != 1 {
		e.t.Fatalf("discover: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	return cats[0].Catalog
}

// configure builds a configured catalog: every stream in mode, with a
// cursor for incremental streams that have one.
func configure(cat *protocol.Catalog, mode protocol.SyncMode, dmode protocol.DestinationSyncMode, generation int64, cursors map[string]string, only map[string]bool) *protocol.ConfiguredCatalog {
	out := &protocol.ConfiguredCatalog{}
	syncID := time.Now().UnixNano() % 1_000_000
	for _, s := range cat.Streams {
		if only != nil && !only[s.Name] {
			continue
		}
		cs := protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeFullRefresh, DestinationSyncMode: dmode,
			PrimaryKey: s.SourceDefinedPrimaryKey}
		if mode == protocol.SyncModeIncremental {
			if c, ok := cursors[s.Name]; ok {
				cs.SyncMode = protocol.SyncModeIncremental
				cs.CursorField = []string{c}
			}
		}
		gen, minGen := generation, int64(0)
		if dmode == protocol.DestinationOverwrite {
			minGen = generation
		}
		cs.GenerationID, cs.MinimumGenerationID, cs.SyncID = &gen, &minGen, &syncID
		out.Streams = append(out.Streams, cs)
	}
	return out
}

func (e *env) sync(srcCfg, dstCfg string, cat *protocol.ConfiguredCatalog, state []byte) *harness.SyncResult {
	e.t.Helper()
	s := harness.Sync{Source: srcBin, Destination: dstBin, SourceConfig: srcCfg, DestinationConfig: dstCfg,
		SourceCatalog: harness.WriteJSON(e.t, "catalog.json", cat), ValidateRecords: true, DataChannel: e.mode}
	if state != nil {
		s.State = harness.WriteJSON(e.t, "state.json", state)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := s.Run(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range res.Problems {
		e.t.Errorf("platform: %s", p)
	}
	if res.SourceCode != 0 || res.DestinationCode != 0 {
		e.t.Fatalf("sync failed: source exit %d, destination exit %d\nerrors: %+v\nsource stderr: %s\ndestination stderr: %s",
			res.SourceCode, res.DestinationCode, res.Errors(), res.SourceStderr, res.DestinationStderr)
	}
	if len(res.Acks) != res.StatesSent {
		e.t.Errorf("the destination acknowledged %d of %d states", len(res.Acks), res.StatesSent)
	}
	return res
}

// streamFiles downloads a stream's Parquet files of one partition date.
func (e *env) streamFiles(stream string) []string {
	e.t.Helper()
	prefix := bucketPath + "/" + stream + "/"
	files, err := e.s3.Download(context.Background(), bucket, prefix, e.t.TempDir())
	if err != nil {
		e.t.Fatalf("stream %s: %v", stream, err)
	}
	if len(files) == 0 {
		e.t.Fatalf("stream %s: no Parquet files under %s", stream, prefix)
	}
	return files
}

func (e *env) compare(stream string, opts duck.CompareOptions) {
	e.t.Helper()
	files := e.streamFiles(stream)
	diff, err := duck.CompareTable(context.Background(), e.db, e.dbName, stream, e.duck, files, opts)
	if err != nil {
		e.t.Fatalf("compare %s: %v", stream, err)
	}
	if !diff.OK() {
		e.t.Errorf("%s", diff.Summary(10))
	}
}

// TestFullRefreshOverwriteEveryCell runs in every data channel mode.
func TestFullRefreshOverwriteEveryCell(t *testing.T) {
	harness.ForEachDataChannel(t, fullRefreshOverwriteEveryCell)
}

func fullRefreshOverwriteEveryCell(t *testing.T, mode string) {
	e := newEnv(t, 1500)
	e.mode = mode
	srcCfg, dstCfg := e.sourceConfig(), e.destinationConfig(nil)
	cat := e.discover(srcCfg)
	want := map[string]bool{}
	for _, tb := range fixture.Tables(e.opts) {
		want[tb.Name] = true
	}
	for _, s := range cat.Streams {
		delete(want, s.Name)
	}
	if len(want) > 0 {
		t.Fatalf("discover misses tables %v", want)
	}
	res := e.sync(srcCfg, dstCfg, configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 1, nil, nil), nil)
	for _, tb := range fixture.Tables(e.opts) {
		stream := e.dbName + "." + tb.Name
		if got, want := res.Records[stream], int64(fixture.RowCount(tb, e.opts)+len(tb.Edge)); got != want {
			t.Errorf("stream %s: %d records read, %d rows in MySQL", tb.Name, got, want)
		}
		e.compare(tb.Name, duck.CompareOptions{})
	}
	// Object keys follow the team's layout and end in .parquet; each
	// partition folder has a _SUCCESS marker.
	objs, err := e.s3.List(context.Background(), bucket, bucketPath+"/")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format("2006-01-02")
	success := map[string]bool{}
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, bucketPath+"/")
		parts := strings.Split(rest, "/")
		if len(parts) != 3 || parts[1] != "cog_dt_ingestion="+today {
			t.Errorf("object %s does not follow ${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_...", o.Key)
			continue
		}
		if parts[2] == "_SUCCESS" {
			success[parts[0]] = true
			continue
		}
		if !strings.HasPrefix(parts[2], "file_"+parts[0]) || path.Ext(parts[2]) != ".parquet" {
			t.Errorf("object %s: file name is not file_<stream>...parquet", o.Key)
		}
	}
	for _, tb := range fixture.Tables(e.opts) {
		if !success[tb.Name] {
			t.Errorf("stream %s: no _SUCCESS marker in its partition", tb.Name)
		}
	}
	codecs, err := e.duck.Codecs(e.streamFiles("store"))
	if err != nil || strings.Join(codecs, ",") != "SNAPPY" {
		t.Errorf("store codecs = %v (%v), want SNAPPY", codecs, err)
	}

	// A second overwrite sync (next generation) after changes: the new data
	// replaces the old, and only the new generation's objects remain.
	if _, err := e.db.Exec("UPDATE store SET Name = CONCAT(Name, ' (renovada)'), Modified_At = NOW(6) WHERE Id <= 10; DELETE FROM product WHERE id > 1400"); err != nil {
		t.Fatal(err)
	}
	before, _ := e.s3.List(context.Background(), bucket, bucketPath+"/store/")
	e.sync(srcCfg, dstCfg, configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 2, nil, nil), nil)
	after, _ := e.s3.List(context.Background(), bucket, bucketPath+"/store/")
	old := map[string]bool{}
	for _, o := range before {
		old[o.Key] = true
	}
	for _, o := range after {
		if old[o.Key] && !strings.HasSuffix(o.Key, "_SUCCESS") {
			t.Errorf("object %s of the previous generation survived the overwrite", o.Key)
		}
	}
	e.compare("store", duck.CompareOptions{})
	e.compare("product", duck.CompareOptions{})
}

// cursors are the incremental cursor columns of the fixture.
var cursors = map[string]string{
	"store":         "Modified_At",
	"product":       "updated_at",
	"transacoes":    "atualizado_em",
	"contest_score": "scored_at",
	"user_access":   "accessed_at",
	"vouchers":      "created_at",
}

// TestIncrementalAppendAcrossTwoSyncs runs in every data channel mode.
func TestIncrementalAppendAcrossTwoSyncs(t *testing.T) {
	harness.ForEachDataChannel(t, incrementalAppendAcrossTwoSyncs)
}

func incrementalAppendAcrossTwoSyncs(t *testing.T, mode string) {
	e := newEnv(t, 1200)
	e.mode = mode
	srcCfg, dstCfg := e.sourceConfig(), e.destinationConfig(nil)
	cat := e.discover(srcCfg)
	only := map[string]bool{}
	for k := range cursors {
		only[k] = true
	}
	configured := configure(cat, protocol.SyncModeIncremental, protocol.DestinationAppend, 0, cursors, only)
	first := e.sync(srcCfg, dstCfg, configured, nil)
	for name := range cursors {
		// The first sync reads every row, including those whose cursor is
		// NULL (as Airbyte's source does without a saved state).
		e.compare(name, duck.CompareOptions{})
	}
	// Changes between the syncs: new rows, updated cursors, and a row that
	// ties with the previous maximum cursor value.
	stmts := []string{
		"INSERT INTO store SELECT Id + 100000, CNPJ, Company_Name, Name, Status, Brand, Created_At, (SELECT MAX(Modified_At) FROM store), Email, Phone, Revenue, Active, Address, Neighborhood, City, State, Zip_Code, Latitude, Longitude, Opening_Date, Manager_Id, External_Code, Notes, Deleted_At FROM store WHERE Id <= 3",
		"UPDATE store SET Revenue = Revenue + 1, Modified_At = '2030-01-01 00:00:00.000001' WHERE Id IN (5, 6, 7)",
		"UPDATE product SET price = price + 1, updated_at = '2030-01-01 00:00:00' WHERE id <= 20",
		"INSERT INTO transacoes (id, store_id, product_id, quantidade, valor_unitario, valor_total, desconto, pago, forma_pagamento, criado_em, atualizado_em) VALUES (900001, 1, 1, 2, 10.00, 20.00, NULL, 1, 'pix', '2030-02-01 10:00:00', '2030-02-01 10:00:00.5')",
	}
	for _, s := range stmts {
		if _, err := e.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	second := e.sync(srcCfg, dstCfg, configured, first.NextState())
	if second.Records[e.dbName+".store"] < 6 || second.Records[e.dbName+".store"] > 20 {
		t.Errorf("second sync read %d store records; want the 3 new, the 3 updated and at most a few boundary duplicates", second.Records[e.dbName+".store"])
	}
	if n := second.Records[e.dbName+".product"]; n < 20 || n > 40 {
		t.Errorf("second sync read %d product records, want the 20 updated (plus boundary duplicates)", n)
	}
	if n := second.Records[e.dbName+".contest_score"]; n > 5 {
		t.Errorf("second sync re-read %d unchanged contest_score records", n)
	}
	// Appended data: every current row is present (an updated row appears
	// in both generations of files, so duplicates are allowed; the latest
	// copy must match).
	e.compareLatest("store", "Id", "Modified_At")
	e.compareLatest("product", "id", "updated_at")
	e.compare("transacoes", duck.CompareOptions{AllowDuplicates: true})
}

// compareLatest checks that, for every MySQL row, the Parquet copy with the
// greatest cursor (the latest extraction) matches it.
func (e *env) compareLatest(stream, key, cursor string) {
	e.t.Helper()
	files := e.streamFiles(stream)
	src := duck.ParquetSource(files)
	view := fmt.Sprintf(`CREATE OR REPLACE TABLE latest_%s AS SELECT * FROM %s QUALIFY row_number() OVER (PARTITION BY "%s" ORDER BY "%s" DESC, _airbyte_extracted_at DESC) = 1`,
		stream, src, key, cursor)
	if _, err := e.duck.DB.Exec(view); err != nil {
		e.t.Fatalf("dedupe %s: %v", stream, err)
	}
	out := e.t.TempDir() + "/latest.parquet"
	if _, err := e.duck.DB.Exec(fmt.Sprintf("COPY latest_%s TO '%s' (FORMAT parquet)", stream, out)); err != nil {
		e.t.Fatal(err)
	}
	diff, err := duck.CompareTable(context.Background(), e.db, e.dbName, stream, e.duck, []string{out}, duck.CompareOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if !diff.OK() {
		e.t.Errorf("%s", diff.Summary(10))
	}
}

// TestStatesAreEchoedWithPlatformIDs runs in every data channel mode: in
// STDIO the platform numbers all states on one sequence; in socket mode the
// source numbers each stream's states (GLOBAL: one sequence), and the acks
// are in order within each.
func TestStatesAreEchoedWithPlatformIDs(t *testing.T) {
	harness.ForEachDataChannel(t, statesAreEchoedWithPlatformIDs)
}

func statesAreEchoedWithPlatformIDs(t *testing.T, mode string) {
	e := newEnv(t, 300)
	e.mode = mode
	srcCfg, dstCfg := e.sourceConfig(), e.destinationConfig(nil)
	cat := e.discover(srcCfg)
	res := e.sync(srcCfg, dstCfg, configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationAppend, 0, nil, nil), nil)
	ids := map[string][]int64{} // per sequence
	var total int64
	for _, a := range res.Acks {
		seq := "all"
		if strings.HasPrefix(mode, "socket") {
			seq = runner.StateScope(&a.State)
		}
		ids[seq] = append(ids[seq], a.ID)
		total += a.PlatformCount
	}
	for seq, ids := range ids {
		if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) {
			t.Errorf("acks of %s out of order: %v", seq, ids)
		}
	}
	var records int64
	for _, n := range res.Records {
		records += n
	}
	if total != records {
		t.Errorf("acked states cover %d records, %d were sent", total, records)
	}
	// The next state is a valid state file for the source.
	var st []json.RawMessage
	if err := json.Unmarshal(res.NextState(), &st); err != nil || len(st) != len(cat.Streams) {
		t.Errorf("next state has %d entries for %d streams: %v", len(st), len(cat.Streams), err)
	}
}

// TestCDCWithDeletes syncs from the binary log of a private MariaDB: an
// initial snapshot, then inserts, updates and deletes arrive in a second
// sync; the latest Parquet copy of every key matches MySQL and deleted rows
// carry _ab_cdc_deleted_at.
// TestCDCWithDeletes runs in every data channel mode.
func TestCDCWithDeletes(t *testing.T) {
	harness.ForEachDataChannel(t, func(t *testing.T, mode string) { cdcWithDeletes(t, mode, (*env).sync) })
}

// cdcWithDeletes runs a CDC snapshot, changes, and a CDC sync with run
// (the process pipe, or the images as the platform starts them).
// mode is the data channel of (*env).sync.
func cdcWithDeletes(t *testing.T, mode string, run func(e *env, srcCfg, dstCfg string, cat *protocol.ConfiguredCatalog, state []byte) *harness.SyncResult) {
	e := newEnvOn(t, harness.StartMariaDB(t, harness.ServerOptions{Binlog: true}), "cdc", fixture.Options{Rows: 600, Seed: 9})
	e.mode = mode
	srcCfg := e.cdcSourceConfig()
	dstCfg := e.destinationConfig(nil)
	cat := e.discover(srcCfg)
	streams := map[string]bool{"store": true, "product": true, "vouchers": true, "contest_score": true}
	configured := &protocol.ConfiguredCatalog{}
	for _, s := range cat.Streams {
		if !streams[s.Name] {
			continue
		}
		if !s.SourceDefinedCursor || len(s.DefaultCursorField) != 1 || s.DefaultCursorField[0] != "_ab_cdc_cursor" {
			t.Fatalf("stream %s is not CDC-enabled in discover: %+v", s.Name, s)
		}
		configured.Streams = append(configured.Streams, protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeIncremental,
			DestinationSyncMode: protocol.DestinationAppend, CursorField: s.DefaultCursorField, PrimaryKey: s.SourceDefinedPrimaryKey})
	}
	first := run(e, srcCfg, dstCfg, configured, nil)
	// Records is nil when the runner cannot count per stream: the platform
	// in socket mode counts from the source's STREAM states, and CDC has
	// GLOBAL ones. The checks of the files below hold in every mode.
	if n := first.Records[e.dbName+".store"]; n != 600 && first.Records != nil {
		t.Errorf("snapshot read %d store rows, want 600", n)
	}
	changes := []string{
		"INSERT INTO store SELECT Id + 5000, CNPJ, Company_Name, CONCAT(Name, ' nova'), Status, Brand, Created_At, Modified_At, Email, Phone, Revenue, Active, Address, Neighborhood, City, State, Zip_Code, Latitude, Longitude, Opening_Date, Manager_Id, External_Code, Notes, Deleted_At FROM store WHERE Id <= 5",
		"UPDATE store SET Revenue = Revenue * 2, Notes = 'atualizado 🏥' WHERE Id BETWEEN 10 AND 19",
		"DELETE FROM store WHERE Id BETWEEN 30 AND 32",
		"UPDATE product SET price = price + 0.01 WHERE id % 50 = 0",
		"DELETE FROM vouchers ORDER BY code LIMIT 4",
		"DELETE FROM contest_score WHERE id > 590",
	}
	for _, s := range changes {
		if _, err := e.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	second := run(e, srcCfg, dstCfg, configured, first.NextState())
	if n := second.Records[e.dbName+".store"]; n != 5+10+3 && second.Records != nil {
		t.Errorf("second sync read %d store changes, want 18 (5 inserts, 10 updates, 3 deletes)", n)
	}
	if n := second.Records[e.dbName+".contest_score"]; n != 10 && second.Records != nil {
		t.Errorf("second sync read %d contest_score changes, want 10 deletes", n)
	}
	keys := map[string]string{"store": "Id", "product": "id", "vouchers": "code", "contest_score": "id"}
	for stream, key := range keys {
		files := e.streamFiles(stream)
		src := duck.ParquetSource(files)
		// The latest change of every key.
		latest := fmt.Sprintf(`SELECT * FROM %s QUALIFY row_number() OVER (PARTITION BY "%s" ORDER BY _ab_cdc_cursor DESC) = 1`, src, key)
		var deleted int
		if err := e.duck.DB.QueryRow("SELECT count(*) FROM (" + latest + ") WHERE _ab_cdc_deleted_at IS NOT NULL").Scan(&deleted); err != nil {
			t.Fatalf("%s: %v", stream, err)
		}
		var mysqlRows, parquetLive int
		e.db.QueryRow("SELECT COUNT(*) FROM " + stream).Scan(&mysqlRows)
		e.duck.DB.QueryRow("SELECT count(*) FROM (" + latest + ") WHERE _ab_cdc_deleted_at IS NULL").Scan(&parquetLive)
		if parquetLive != mysqlRows {
			t.Errorf("stream %s: %d live keys in Parquet, %d rows in MySQL (%d deleted)", stream, parquetLive, mysqlRows, deleted)
		}
		out := t.TempDir() + "/live.parquet"
		if _, err := e.duck.DB.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", "SELECT * FROM ("+latest+") WHERE _ab_cdc_deleted_at IS NULL", out)); err != nil {
			t.Fatal(err)
		}
		diff, err := duck.CompareTable(context.Background(), e.db, e.dbName, stream, e.duck, []string{out}, duck.CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !diff.OK() {
			t.Errorf("%s", diff.Summary(10))
		}
	}
	var deletedStores int
	e.duck.DB.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %s WHERE _ab_cdc_deleted_at IS NOT NULL AND "Id" BETWEEN 30 AND 32 AND "Name" IS NOT NULL`, duck.ParquetSource(e.streamFiles("store")))).Scan(&deletedStores)
	if deletedStores != 3 {
		t.Errorf("%d delete records of store carry the deleted row's values, want 3", deletedStores)
	}
}

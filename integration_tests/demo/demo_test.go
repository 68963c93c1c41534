package demo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/fixture"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.CleanupBinaries()
	os.Exit(code)
}

// binaries builds both connectors (CGO_ENABLED=0, as `make build` does)
// into a temporary folder; the test is skipped only if they do not build.
func binaries(t *testing.T) (string, string) {
	t.Helper()
	src, dst, err := harness.Binaries()
	if err != nil {
		testenv.SkipUnavailable(t, "connector build", err.Error())
	}
	return src, dst
}

func runDemo(t *testing.T, o Options) (*Result, string) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("demo failed: %v\noutput:\n%s", err, out.String())
	}
	return res, out.String()
}

var objectKey = regexp.MustCompile(`^origin=airbyte/database=bronze_radar/([a-z_]+)/cog_dt_ingestion=\d{4}-\d\d-\d\d/file_([a-z_]+)[^/]*$`)

// TestDemoEndToEnd runs the whole demo (embedded server, S3 endpoint, real
// binaries) with a small row count, twice into the same folder.
func TestDemoEndToEnd(t *testing.T) {
	src, dst := binaries(t)
	out := t.TempDir()
	o := Options{Source: src, Destination: dst, OutDir: out, Rows: 150, Seed: 7}
	res, text := runDemo(t, o)

	fopts := fixture.Options{Rows: 150, Seed: 7, Portable: true}
	tables := fixture.Tables(fopts)
	if len(res.Streams) != len(tables) {
		t.Fatalf("%d streams in the summary, want %d (one per portable fixture table)", len(res.Streams), len(tables))
	}
	byName := map[string]StreamResult{}
	for _, s := range res.Streams {
		byName[s.Name] = s
	}
	for _, tb := range tables {
		s, ok := byName[tb.Name]
		if !ok {
			t.Errorf("table %s is missing from the summary", tb.Name)
			continue
		}
		want := int64(fixture.RowCount(tb, fopts))
		if s.TableRows != want || s.PipeRows != want || s.ParquetRows != want {
			t.Errorf("%s: %d rows in MySQL, %d through the pipe, %d in Parquet; want %d", tb.Name, s.TableRows, s.PipeRows, s.ParquetRows, want)
		}
		if s.Files < 1 || s.Bytes <= 0 || s.Codec != "SNAPPY" || s.Seconds < 0 {
			t.Errorf("%s: %d files, %d bytes, codec %q, %v s", tb.Name, s.Files, s.Bytes, s.Codec, s.Seconds)
		}
		if len(s.Sample) == 0 || s.Sample[0].Name == "" {
			t.Errorf("%s: no sample row", tb.Name)
		}
		if !strings.Contains(text, "\n  "+tb.Name) {
			t.Errorf("the output has no line for %s", tb.Name)
		}
	}

	// The objects are plain Parquet files at <out>/<bucket>/<key>, and
	// their sizes are what the summary says.
	files, sizes := objectFiles(t, filepath.Join(out, "radar-bronze"))
	for stream, n := range files {
		if s := byName[stream]; s.Files != n || s.Bytes != sizes[stream] {
			t.Errorf("%s: %d files of %d bytes on disk, summary says %d files of %d bytes", stream, n, sizes[stream], s.Files, s.Bytes)
		}
	}
	if len(files) != len(tables) {
		t.Errorf("objects for %d streams on disk, want %d", len(files), len(tables))
	}

	// The configs are there for a rerun by hand, in the team's shape.
	var srcCfg, dstCfg map[string]any
	readJSON(t, res.Files.SourceConfig, &srcCfg)
	readJSON(t, res.Files.DestinationConfig, &dstCfg)
	if srcCfg["ssl"] != true || srcCfg["ssl_mode"].(map[string]any)["mode"] != "preferred" ||
		srcCfg["jdbc_url_params"] != "allowPublicKeyRetrieval=true&useSSL=false" ||
		srcCfg["replication_method"].(map[string]any)["method"] != "STANDARD" ||
		srcCfg["tunnel_method"].(map[string]any)["tunnel_method"] != "NO_TUNNEL" {
		t.Errorf("source config: %v", srcCfg)
	}
	if dstCfg["s3_path_format"] != PathFormat || dstCfg["s3_bucket_path"] != BucketPath ||
		dstCfg["format"].(map[string]any)["compression_codec"] != "SNAPPY" {
		t.Errorf("destination config: %v", dstCfg)
	}
	var cat protocol.ConfiguredCatalog
	readJSON(t, res.Files.ConfiguredCatalog, &cat)
	for _, cs := range cat.Streams {
		if cs.SyncMode != protocol.SyncModeFullRefresh || cs.DestinationSyncMode != protocol.DestinationOverwrite {
			t.Errorf("%s configured %s/%s", cs.Stream.Name, cs.SyncMode, cs.DestinationSyncMode)
		}
	}
	for _, want := range []string{"Summary", "Query of the result", "Rerun the pipe by hand",
		"read --config " + res.Files.SourceConfig + " --catalog " + res.Files.ConfiguredCatalog,
		"| " + dst + " write --config " + res.Files.DestinationConfig,
		"airbyte-sync run --source " + src + " --source-config " + res.Files.SourceConfig} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}

	// Nothing is left running: both servers' ports are closed.
	assertClosed(t, net.JoinHostPort(srcCfg["host"].(string), strconv.Itoa(int(srcCfg["port"].(float64)))))
	assertClosed(t, strings.TrimPrefix(dstCfg["s3_endpoint"].(string), "http://"))

	// A second run into the same folder overwrites: the same files count,
	// no objects of the first run are left.
	res2, _ := runDemo(t, o)
	files2, _ := objectFiles(t, filepath.Join(out, "radar-bronze"))
	for _, s := range res2.Streams {
		if s.ParquetRows != s.TableRows || files2[s.Name] != s.Files {
			t.Errorf("second run, %s: %d Parquet rows for %d table rows, %d files on disk, %d in the summary",
				s.Name, s.ParquetRows, s.TableRows, files2[s.Name], s.Files)
		}
	}
}

// objectFiles checks that every file under bucketDir is a Parquet object
// (or a _SUCCESS marker) with the team's key layout, and returns the
// number and total size of Parquet files per stream.
func objectFiles(t *testing.T, bucketDir string) (map[string]int, map[string]int64) {
	t.Helper()
	n, size := map[string]int{}, map[string]int64{}
	err := filepath.Walk(bucketDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(bucketDir, p)
		key := filepath.ToSlash(rel)
		if strings.HasSuffix(key, "/_SUCCESS") {
			return nil
		}
		m := objectKey.FindStringSubmatch(key)
		if m == nil || m[1] != m[2] {
			t.Errorf("object key %q does not follow ${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}", key)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) < 8 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
			t.Errorf("%s is not a Parquet file", key)
		}
		n[m[1]]++
		size[m[1]] += fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, size
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func assertClosed(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the demo", addr)
	}
}

// TestDemoReportsConnectorFailure runs the demo with the two binaries
// swapped: the "source" rejects the source config, and the demo must fail
// with the connector's own message and stop its servers.
func TestDemoReportsConnectorFailure(t *testing.T) {
	src, dst := binaries(t)
	out := t.TempDir()
	var buf bytes.Buffer
	_, err := Run(context.Background(), Options{Source: dst, Destination: src, OutDir: out, Rows: 10, Out: &buf})
	if err == nil || !strings.Contains(err.Error(), "destination-s3-parquet check") {
		t.Fatalf("want a check failure of the swapped binary, got %v\n%s", err, buf.String())
	}
	var cfg map[string]any
	readJSON(t, filepath.Join(out, "config", "source.json"), &cfg)
	assertClosed(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(int(cfg["port"].(float64)))))

	if _, err := Run(context.Background(), Options{Source: filepath.Join(out, "missing"), Destination: dst, OutDir: out}); err == nil ||
		!strings.Contains(err.Error(), "make build") {
		t.Errorf("a missing binary gave %v", err)
	}
}

// TestDemoOnMariaDB runs the demo against a real server (-mysql), where
// the full fixture, MariaDB-only types included, is loaded.
func TestDemoOnMariaDB(t *testing.T) {
	src, dst := binaries(t)
	m := harness.SharedMySQL(t)
	db := m.CreateDatabase(t, "demo")
	ext := &External{Host: m.Host, Port: m.Port, User: m.User, Password: m.Password, Database: db}
	res, _ := runDemo(t, Options{Source: src, Destination: dst, OutDir: t.TempDir(), Rows: 100, Seed: 3, External: ext})
	fopts := fixture.Options{Rows: 100, Seed: 3}
	tables := fixture.Tables(fopts)
	if len(res.Streams) != len(tables) {
		t.Fatalf("%d streams, want %d", len(res.Streams), len(tables))
	}
	for _, s := range res.Streams {
		if s.TableRows == 0 || s.ParquetRows != s.TableRows || s.PipeRows != s.TableRows {
			t.Errorf("%s: %d rows in MariaDB, %d piped, %d in Parquet", s.Name, s.TableRows, s.PipeRows, s.ParquetRows)
		}
	}

	// A database holding other tables is refused, and left alone.
	other := m.CreateDatabase(t, "demo_foreign")
	conn, err := sql.Open("mysql", m.DSN(other))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec("CREATE TABLE payroll (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	ext.Database = other
	var buf bytes.Buffer
	_, err = Run(context.Background(), Options{Source: src, Destination: dst, OutDir: t.TempDir(), Rows: 10, External: ext, Out: &buf})
	if err == nil || !strings.Contains(err.Error(), "payroll") {
		t.Errorf("a database with a foreign table gave %v", err)
	}
	var n int
	if err := conn.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", other).Scan(&n); err != nil || n != 1 {
		t.Errorf("the foreign database now holds %d tables (%v)", n, err)
	}
}

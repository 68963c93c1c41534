package athena

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/destination"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

var update = flag.Bool("update", false, "update the golden files under testdata/")

// runCLI runs the destination's command line in-process, with this
// package's subcommand, as main.go wires it.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = airbytecli.RunDestination(ctx, destination.New("test"),
		airbytecli.Options{Name: "destination-s3-parquet", Version: "test", Commands: []*airbytecli.Command{Command()}},
		append([]string{"destination-s3-parquet"}, args...), strings.NewReader(stdin), &out, &errb)
	for _, b := range []string{out.String(), errb.String()} {
		if strings.Contains(b, s3test.SecretKey) {
			t.Errorf("output holds the secret key:\n%s", b)
		}
	}
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name string, v any) string {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGolden prints the statements of the team's example config and
// catalog (examples/local) in both layouts.
func TestGolden(t *testing.T) {
	raw, err := os.ReadFile("../../../examples/local/destination.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) {
			cfg["format"].(map[string]any)["column_layout"] = layout
			streams := declarableStreams(t, "../../../examples/local/catalog.json", layout)
			code, out, errOut := runCLI(t, "", "athena-ddl", "--config", writeFile(t, "config.json", cfg),
				"--catalog", "../../../examples/local/catalog.json", "--database", "bronze_radar", "--since", "2023-01-01",
				"--streams", strings.Join(streams, ","))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden := filepath.Join("testdata", "radar_"+layout+".sql")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("athena-ddl output differs from %s (run go test -update):\n%s", golden, out)
			}
			// Every CREATE TABLE parses; transacoes (append_dedup) has its view.
			n := 0
			for _, stmt := range strings.Split(out, ";\n") {
				if s := strings.TrimSpace(stripComments(stmt)); strings.HasPrefix(s, "CREATE EXTERNAL TABLE") {
					if _, err := parseCreateTable(s); err != nil {
						t.Errorf("statement does not parse: %v\n%s", err, s)
					}
					n++
				}
			}
			if n != len(streams) || !strings.Contains(out, `CREATE OR REPLACE VIEW "bronze_radar"."transacoes_latest"`) {
				t.Errorf("%d tables; want %d and the transacoes_latest view", n, len(streams))
			}
		})
	}
}

func stripComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "--") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

var typeRowRe = regexp.MustCompile("^\\| `(\\{.*?\\})` \\|")

// zooSchema is a stream schema with one column per JSON schema of
// TYPES.md's mapping table (the type zoo).
// Rows whose column Athena cannot declare (TIME, while the writer still
// writes TIME) are left out and logged; TestColumnType checks the refusal.
func zooSchema(t *testing.T, layout arrowschema.Layout) string {
	b, err := os.ReadFile("../../TYPES.md")
	if err != nil {
		t.Fatal(err)
	}
	var props []string
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		m := typeRowRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n++
		if err := declarable(layout, `{"type":"object","properties":{"c":`+m[1]+`}}`); err != nil {
			t.Logf("TYPES.md row %s left out: the writer's column is refused (layout %d): %v", m[1], layout, err)
			continue
		}
		props = append(props, fmt.Sprintf(`"c%02d":%s`, n, m[1]))
	}
	if len(props) < 30 {
		t.Fatalf("TYPES.md has %d type rows; the table was not found", len(props))
	}
	return `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
}

// TestDDLMatchesParquet writes the type zoo through the destination (both
// layouts, the team's partitioned path format), generates the statement
// with athena-ddl, parses it, and checks every column and its type against
// the Parquet files as DuckDB reads them with Hive partitioning from the
// table's location: the same columns in the same order, the partition
// column last, and the projected folder holding the objects.
func TestDDLMatchesParquet(t *testing.T) {
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) {
			schema := zooSchema(t, layoutOf(layout))
			srv := s3test.Start(t)
			cfg := srv.Config(map[string]any{
				"s3_bucket_path": "origin=airbyte/database=bronze_radar",
				"s3_path_format": "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
				"format":         map[string]any{"format_type": "Parquet", "column_layout": layout},
			})
			cat := map[string]any{"streams": []any{map[string]any{
				"stream":                map[string]any{"name": "zoo", "namespace": "radar", "json_schema": json.RawMessage(schema), "supported_sync_modes": []string{"full_refresh"}},
				"sync_mode":             "full_refresh",
				"destination_sync_mode": "append",
			}}}
			cfgPath, catPath := writeFile(t, "config.json", cfg), writeFile(t, "catalog.json", cat)
			record := `{"type":"RECORD","record":{"namespace":"radar","stream":"zoo","data":{},"emitted_at":1700000000000}}` + "\n"
			if code, out, _ := runCLI(t, record, "write", "--config", cfgPath, "--catalog", catPath); code != 0 {
				t.Fatalf("write exit %d: %s", code, out)
			}
			code, out, errOut := runCLI(t, "", "athena-ddl", "--config", cfgPath, "--catalog", catPath, "--json")
			if code != 0 {
				// Columns Athena cannot declare (TIME while the writer
				// still produces it) are refused by name: report them.
				t.Fatalf("athena-ddl exit %d: %s", code, errOut)
			}
			var sts []Statements
			if err := json.Unmarshal([]byte(out), &sts); err != nil {
				t.Fatal(err)
			}
			tb, err := parseCreateTable(sts[0].CreateTable)
			if err != nil {
				t.Fatalf("the statement does not parse: %v\n%s", err, sts[0].CreateTable)
			}
			db := s3test.DuckDB(t)
			src := downloadTable(t, srv, tb)
			desc := s3test.Query(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+src+")")
			all := append(append([]ddlColumn(nil), tb.columns...), tb.partitions...)
			if len(desc) != len(all) {
				t.Errorf("DuckDB reads %d columns, the DDL declares %d", len(desc), len(all))
			}
			for i := 0; i < len(desc) && i < len(all); i++ {
				if desc[i][0] != all[i].name {
					t.Errorf("column %d: DDL %s, Parquet %s", i, all[i].name, desc[i][0])
					continue
				}
				d, err := parseDuckType(desc[i][1])
				if err != nil {
					t.Fatalf("DuckDB type %s: %v", desc[i][1], err)
				}
				if err := sameType(all[i].typ, d, all[i].name); err != nil {
					t.Error(err)
				}
			}
			if len(tb.columns) < 35 {
				t.Errorf("only %d columns compared", len(tb.columns))
			}
		})
	}
}

// downloadTable copies the table's objects to a local folder laid out as
// under its S3 location, fills in the projection's partition value and
// checks it against the objects' folders, and returns the DuckDB source
// that reads them with Hive partitioning (partition values as text, as the
// DDL declares them).
func downloadTable(t *testing.T, srv *s3test.Server, tb *ddlTable) string {
	t.Helper()
	prefix := strings.TrimPrefix(tb.location, "s3://"+s3test.Bucket+"/")
	if prefix == tb.location {
		t.Fatalf("LOCATION %s is not in bucket %s", tb.location, s3test.Bucket)
	}
	if tb.props["projection.enabled"] != "true" || len(tb.partitions) != 1 {
		t.Fatalf("want one projected partition column, got %v, %v", tb.partitions, tb.props)
	}
	col := tb.partitions[0].name
	folder := strings.ReplaceAll(tb.props["storage.location.template"], "${"+col+"}",
		time.Now().UTC().Format(javaToGo(tb.props["projection."+col+".format"])))
	dir := t.TempDir()
	var n int
	for _, k := range srv.Keys(t, prefix) {
		if strings.HasSuffix(k, "/_SUCCESS") {
			continue
		}
		if !strings.HasPrefix("s3://"+s3test.Bucket+"/"+k, folder) {
			t.Errorf("object %s is not in the projected folder %s", k, folder)
		}
		p := filepath.Join(dir, strings.TrimPrefix(k, prefix))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, srv.Get(t, k), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no object under the table's location %s", tb.location)
	}
	return "read_parquet('" + dir + "/**/*', hive_partitioning=true, hive_types_autocast=false)"
}

// javaToGo converts the yyyy-MM-dd projection format to a Go layout.
func javaToGo(f string) string {
	return strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02").Replace(f)
}

func layoutOf(name string) arrowschema.Layout {
	if name == "legacy_0_3" {
		return arrowschema.Legacy
	}
	return arrowschema.Current
}

// declarable reports why a stream schema's columns cannot all be declared.
func declarable(layout arrowschema.Layout, schema string) error {
	s, err := arrowschema.Resolve([]byte(schema), layout)
	if err != nil {
		return err
	}
	_, err = columns(s.Schema, &Partitioning{})
	return err
}

// declarableStreams returns the catalog's streams whose columns Athena can
// all declare under layout, logging the others.
func declarableStreams(t *testing.T, catalog, layout string) []string {
	b, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := protocol.ParseConfiguredCatalog(b, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cs := range cat.Streams {
		if err := declarable(layoutOf(layout), string(cs.Stream.JSONSchema)); err != nil {
			t.Logf("stream %s left out: %v", cs.Stream.Name, err)
			continue
		}
		out = append(out, cs.Stream.Name)
	}
	return out
}

// TestCommandErrors: what cannot be declared is one line on stderr, exit
// code 1, and nothing on stdout.
func TestCommandErrors(t *testing.T) {
	catalog := "../../../examples/local/catalog.json"
	team := "../../../examples/local/destination.json"
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"the stream name only in the file name", []string{"--config", "../../../examples/local/destination-daily-gzip.json", "--catalog", catalog, "--streams", "store"},
			"has ${STREAM_NAME} only in the file name"},
		{"a stream not in the catalog", []string{"--config", team, "--catalog", catalog, "--streams", "store,nope"}, "--streams names nope, which is not in the catalog"},
		{"a bad --since", []string{"--config", team, "--catalog", catalog, "--since", "yesterday"}, `--since "yesterday" is not a date`},
		{"a missing catalog", []string{"--config", team, "--catalog", "nope.json"}, "cannot read the catalog file nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", append([]string{"athena-ddl"}, tt.args...)...)
			if code != 1 || out != "" || !strings.HasPrefix(errOut, "destination-s3-parquet athena-ddl: ") || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, and %q", code, out, errOut, tt.wantErr)
			}
		})
	}
}

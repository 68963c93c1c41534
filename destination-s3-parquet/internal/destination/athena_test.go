package destination

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// mysqlRowRe matches a row of source-mysql-radar/TYPES.md's value table:
// | `mysql type` | `json schema` | ...
var mysqlRowRe = regexp.MustCompile("^\\| `([^`]+)` \\| `(\\{.*?\\})` \\|")

// athenaColumn is one column of the Athena type test: where its schema
// comes from, and the schema.
type athenaColumn struct {
	origin, schema string
}

// athenaColumns returns a column for every row of this module's TYPES.md
// and for every MySQL type of source-mysql-radar/TYPES.md (one per
// distinct type and schema).
func athenaColumns(t *testing.T) []athenaColumn {
	t.Helper()
	var cols []athenaColumn
	for _, r := range readTypeTable(t) {
		cols = append(cols, athenaColumn{"json_schema", r.schema})
	}
	b, err := os.ReadFile("../../../source-mysql-radar/TYPES.md")
	if err != nil {
		t.Fatalf("read the source's type table: %v", err)
	}
	seen := map[string]bool{}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		m := mysqlRowRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n++
		if k := m[1] + " " + m[2]; !seen[k] {
			seen[k] = true
			cols = append(cols, athenaColumn{"mysql " + m[1], m[2]})
		}
	}
	if n < 40 {
		t.Fatalf("source-mysql-radar/TYPES.md has %d type rows; the table was not found", n)
	}
	return cols
}

// athenaAllowed reports whether Athena can declare a column of a Parquet
// node's physical and logical type (Athena's "Data types in Amazon Athena":
// DDL types; TIME, INTERVAL and UUID are DML-only; decimals up to 38
// digits; no unsigned integers).
func athenaAllowed(n schema.Node) bool {
	lt := n.LogicalType()
	none := lt == nil || lt.Equals(schema.NoLogicalType{})
	g, isGroup := n.(*schema.GroupNode)
	if isGroup {
		_ = g
		switch lt.(type) {
		case schema.ListLogicalType, schema.MapLogicalType:
			return true
		}
		return none
	}
	p := n.(*schema.PrimitiveNode)
	switch p.PhysicalType() {
	case parquet.Types.Boolean, parquet.Types.Float, parquet.Types.Double:
		return none
	case parquet.Types.Int32:
		switch l := lt.(type) {
		case schema.DateLogicalType:
			return true
		case schema.IntLogicalType:
			return l.IsSigned()
		}
		return none
	case parquet.Types.Int64:
		switch l := lt.(type) {
		case schema.TimestampLogicalType:
			return l.TimeUnit() == schema.TimeUnitMillis || l.TimeUnit() == schema.TimeUnitMicros
		case schema.IntLogicalType:
			return l.IsSigned()
		}
		return none
	case parquet.Types.ByteArray:
		_, isString := lt.(schema.StringLogicalType)
		return none || isString
	case parquet.Types.FixedLenByteArray:
		d, ok := lt.(schema.DecimalLogicalType)
		return ok && d.Precision() <= 38
	}
	return false
}

// describeNode renders a node's physical (or group) and logical type.
func describeNode(n schema.Node) string {
	kind := "group"
	if p, ok := n.(*schema.PrimitiveNode); ok {
		kind = p.PhysicalType().String()
	}
	lt := "none"
	if l := n.LogicalType(); l != nil && !l.Equals(schema.NoLogicalType{}) {
		lt = l.String()
	}
	return kind + " " + lt
}

// TestAthenaColumnTypes writes a file with a column for every JSON schema
// of TYPES.md and every MySQL type of the source's TYPES.md, in both
// layouts, lists every Parquet node's physical and logical type (golden
// testdata/athena_types.golden, -update to rewrite) and fails on any type
// Athena cannot declare.
func TestAthenaColumnTypes(t *testing.T) {
	cols := athenaColumns(t)
	var props []string
	for i, c := range cols {
		props = append(props, fmt.Sprintf(`"a%03d":%s`, i, c.schema))
	}
	jsonSchema := `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
	var golden bytes.Buffer
	for _, layout := range []string{"current", "legacy_0_3"} {
		srv := s3test.Start(t)
		cfg := srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "column_layout": layout}})
		r := write(t, cfg, catalog(catalogStream{name: "athena", schema: jsonSchema}), recordLine("", "athena", `{}`, 1))
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", layout, r.code, r.stdout)
		}
		keys := parquetKeys(t, srv, "")
		if len(keys) != 1 {
			t.Fatalf("%s: %d files, want 1", layout, len(keys))
		}
		pr, err := pqfile.NewParquetReader(bytes.NewReader(srv.Get(t, keys[0])))
		if err != nil {
			t.Fatalf("%s: open the Parquet file: %v", layout, err)
		}
		root := pr.MetaData().Schema.Root()
		var walk func(n schema.Node, path, origin string)
		walk = func(n schema.Node, path, origin string) {
			desc := describeNode(n)
			fmt.Fprintf(&golden, "%s\t%s\t%s\t%s\n", layout, origin, path, desc)
			if !athenaAllowed(n) {
				t.Errorf("%s: column %s (%s) is %s, which Athena cannot declare", layout, path, origin, desc)
			}
			if g, ok := n.(*schema.GroupNode); ok {
				for i := 0; i < g.NumFields(); i++ {
					walk(g.Field(i), path+"."+g.Field(i).Name(), origin)
				}
			}
		}
		for i := 0; i < root.NumFields(); i++ {
			f := root.Field(i)
			origin := "metadata"
			var k int
			if _, err := fmt.Sscanf(f.Name(), "a%03d", &k); err == nil && k < len(cols) {
				origin = cols[k].origin
			}
			walk(f, f.Name(), origin)
		}
		pr.Close()
	}
	path := filepath.Join("testdata", "athena_types.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, golden.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the golden list (run with -update to create it): %v", err)
	}
	if got := golden.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("Parquet types differ from %s at line %d (run with -update if intended):\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}

package packaging

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// TestDocsFiguresMatchSpec checks the figures that docs/ quotes from the
// connectors' spec.json, beyond the Configuration tables' default cells
// (TestDocsConfigTablesMatchSpec): the ranges and minimums in the
// Meaning cells, fractions of a property ("a quarter of
// buffer_memory_mb"), "`prop` (default `v`)" in the prose, the defaults
// the spec's own descriptions quote, and the destination's memory figure
// derived from the spec's defaults. It reads spec.json from the source
// tree, so it runs without building the binaries.
func TestDocsFiguresMatchSpec(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, dp := range docPages {
		t.Run(dp.connector, func(t *testing.T) {
			props := specSchemas(t, filepath.Join(root, dp.connector, "internal", "config", "spec.json"))
			b, err := os.ReadFile(filepath.Join(root, "docs", dp.page))
			if err != nil {
				t.Fatal(err)
			}
			page := string(b)
			checked := checkTableFigures(t, dp.page, page, props)
			checked += checkFractions(t, dp.page, page, props)
			checked += checkProseDefaults(t, dp.page, page, props)
			checked += checkSpecDescriptions(t, props)
			if checked < 5 {
				t.Errorf("only %d figures checked: the scan is broken", checked)
			}
		})
	}
	t.Run("destination memory", func(t *testing.T) { checkMemoryFigure(t, root) })
}

// specSchemas returns every property schema of a spec.json by path
// ("format.block_size_mb"), all oneOf branches that declare it.
func specSchemas(t *testing.T, path string) map[string][]map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		ConnectionSpecification map[string]any `json:"connectionSpecification"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string][]map[string]any{}
	var walk func(s map[string]any, prefix string)
	walk = func(s map[string]any, prefix string) {
		props, _ := s["properties"].(map[string]any)
		for name, raw := range props {
			p, _ := raw.(map[string]any)
			if p == nil {
				continue
			}
			out[prefix+name] = append(out[prefix+name], p)
			if branches, ok := p["oneOf"].([]any); ok {
				for _, br := range branches {
					if bm, ok := br.(map[string]any); ok {
						walk(bm, prefix+name+".")
					}
				}
			}
			if _, ok := p["properties"]; ok {
				walk(p, prefix+name+".")
			}
		}
	}
	walk(spec.ConnectionSpecification, "")
	if len(out) < 10 {
		t.Fatalf("%s: %d properties", path, len(out))
	}
	return out
}

// leaf returns the schemas of the properties whose last path element is
// name.
func leaf(props map[string][]map[string]any, name string) []map[string]any {
	var out []map[string]any
	for path, ps := range props {
		if path == name || strings.HasSuffix(path, "."+name) {
			out = append(out, ps...)
		}
	}
	return out
}

// figure formats a JSON number as the docs write it.
func figure(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

var (
	// rangeRe is a range of integers "A-B" that is not part of a date or
	// a version.
	rangeRe      = regexp.MustCompile(`(^|[^\d.\-])(\d+)-(\d+)($|[^\d\-])`)
	atLeastRe    = regexp.MustCompile(`at least (\d+)`)
	validRangeRe = regexp.MustCompile(`Valid range: (\d+)\D+ to (\d+)`)
)

// bounds returns the range the spec gives a property: minimum and maximum,
// or "Valid range: A ... to B" in its description.
func bounds(ps []map[string]any) (lo, hi string, hasLo, hasHi bool) {
	for _, p := range ps {
		if v, ok := p["minimum"]; ok {
			lo, hasLo = figure(v), true
		}
		if v, ok := p["maximum"]; ok {
			hi, hasHi = figure(v), true
		}
		if m := validRangeRe.FindStringSubmatch(fmt.Sprint(p["description"])); m != nil && !hasLo && !hasHi {
			lo, hi, hasLo, hasHi = m[1], m[2], true, true
		}
	}
	return
}

// checkTableFigures checks the ranges ("16-65536") and minimums ("at least
// 1") quoted in the Meaning cells of the Configuration table.
func checkTableFigures(t *testing.T, page, text string, props map[string][]map[string]any) int {
	n := 0
	for _, m := range configRowRe.FindAllStringSubmatch(section(text, "Configuration"), -1) {
		path, meaning := m[1], m[4]
		ps := props[path]
		if ps == nil {
			continue
		}
		lo, hi, hasLo, hasHi := bounds(ps)
		ranges := rangeRe.FindAllStringSubmatch(meaning, -1)
		if len(ranges) > 0 {
			n++
			found := false
			for _, r := range ranges {
				found = found || (hasLo && hasHi && r[2] == lo && r[3] == hi)
			}
			if !found {
				t.Errorf("docs/%s: `%s` quotes the range %s-%s; the spec's is %s-%s", page, path, ranges[0][2], ranges[0][3], lo, hi)
			}
		}
		for _, a := range atLeastRe.FindAllStringSubmatch(meaning, -1) {
			n++
			if !hasLo || a[1] != lo {
				t.Errorf("docs/%s: `%s` says at least %s; the spec's minimum is %q", page, path, a[1], lo)
			}
		}
	}
	return n
}

var (
	docFractionRe  = regexp.MustCompile("(half|a quarter|a third|a fifth|twice) of `([a-z0-9_]+)`")
	specFractionRe = regexp.MustCompile(`(half|a quarter|a third|a fifth|twice) of ([a-z0-9_]+)`)
)

// checkFractions checks every "<fraction> of `prop`" on the page against
// the fraction the spec's descriptions give for that property.
func checkFractions(t *testing.T, page, text string, props map[string][]map[string]any) int {
	specSays := map[string]string{}
	for _, ps := range props {
		for _, p := range ps {
			for _, m := range specFractionRe.FindAllStringSubmatch(fmt.Sprint(p["description"]), -1) {
				specSays[m[2]] = m[1]
			}
		}
	}
	n := 0
	for _, m := range docFractionRe.FindAllStringSubmatch(text, -1) {
		want, ok := specSays[m[2]]
		if !ok {
			continue
		}
		n++
		if m[1] != want {
			t.Errorf("docs/%s says %q; the spec says %q", page, m[0], want+" of "+m[2])
		}
	}
	return n
}

var proseDefaultRe = regexp.MustCompile("`([a-z0-9_]+)` \\(default `([^`]+)`\\)")

// checkProseDefaults checks "`prop` (default `v`)" against the spec.
func checkProseDefaults(t *testing.T, page, text string, props map[string][]map[string]any) int {
	n := 0
	for _, m := range proseDefaultRe.FindAllStringSubmatch(text, -1) {
		ps := leaf(props, m[1])
		if len(ps) == 0 {
			continue
		}
		n++
		var defs []string
		for _, p := range ps {
			if d, ok := p["default"]; ok {
				defs = append(defs, figure(d))
			}
		}
		if !slicesContains(defs, m[2]) {
			t.Errorf("docs/%s: %q; the spec's default is %v", page, m[0], defs)
		}
	}
	return n
}

var descDefaultRe = regexp.MustCompile(`Defaults?:? (?:to )?(-?\d[\d.]*|true|false)\b`)

// checkSpecDescriptions checks the defaults the spec's descriptions quote
// ("Default: 128 MB.", "Defaults to 300 seconds.") against "default".
func checkSpecDescriptions(t *testing.T, props map[string][]map[string]any) int {
	n := 0
	for path, ps := range props {
		for _, p := range ps {
			m := descDefaultRe.FindStringSubmatch(fmt.Sprint(p["description"]))
			if m == nil {
				continue
			}
			n++
			if d, ok := p["default"]; !ok || figure(d) != m[1] {
				t.Errorf("spec `%s`: the description says default %s, \"default\" is %v", path, m[1], p["default"])
			}
		}
	}
	return n
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// checkMemoryFigure checks the memory the destination page quotes for the
// defaults: buffer_memory_mb + upload_concurrency × upload_part_size_mb
// from the spec, plus the code's runtimeOverhead.
func checkMemoryFigure(t *testing.T, root string) {
	props := specSchemas(t, filepath.Join(root, harness.DestinationName, "internal", "config", "spec.json"))
	def := func(name string) int64 {
		d, ok := props[name][0]["default"].(float64)
		if !ok {
			t.Fatalf("spec `%s` has no numeric default", name)
		}
		return int64(d)
	}
	overhead := constValue(t, filepath.Join(root, harness.DestinationName, "internal", "destination", "destination.go"), "runtimeOverhead") >> 20
	total := def("buffer_memory_mb") + def("upload_concurrency")*def("upload_part_size_mb") + overhead
	b, err := os.ReadFile(filepath.Join(root, "docs", "destination-s3-parquet.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := strings.Join(strings.Fields(string(b)), " ")
	for _, want := range []string{
		fmt.Sprintf("about %d MiB for the runtime: %d MiB with the defaults", overhead, total),
		fmt.Sprintf("about %d MiB by default (`buffer_memory_mb` + parts in flight + runtime)", total),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("docs/destination-s3-parquet.md does not say %q (from the spec's defaults and runtimeOverhead)", want)
		}
	}
}

// constValue evaluates an integer constant "name = a << b" or "name = a"
// declared in a Go file.
func constValue(t *testing.T, path, name string) int64 {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var eval func(e ast.Expr) int64
	eval = func(e ast.Expr) int64 {
		switch x := e.(type) {
		case *ast.BasicLit:
			v, err := strconv.ParseInt(x.Value, 0, 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", path, name, err)
			}
			return v
		case *ast.BinaryExpr:
			switch x.Op {
			case token.SHL:
				return eval(x.X) << eval(x.Y)
			case token.MUL:
				return eval(x.X) * eval(x.Y)
			}
		case *ast.ParenExpr:
			return eval(x.X)
		}
		t.Fatalf("%s: %s is not a simple integer constant", path, name)
		return 0
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == name && i < len(vs.Values) {
						return eval(vs.Values[i])
					}
				}
			}
		}
	}
	t.Fatalf("%s declares no constant %s", path, name)
	return 0
}

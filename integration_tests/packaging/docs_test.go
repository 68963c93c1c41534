package packaging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// The connector pages under docs/ promise three things that these tests
// keep true: their configuration tables list exactly the properties of the
// built binaries' spec (with the spec's type, default, required and secret
// flags); their troubleshooting sections quote every error message the
// code can print; and their links point to files and headings that exist.

var docPages = []struct {
	page      string // under docs/
	connector string // binary name and module folder
}{
	{"source-mysql-radar.md", harness.SourceName},
	{"destination-s3-parquet.md", harness.DestinationName},
}

// specProperty is one property of a spec, merged over the oneOf branches
// that declare it.
type specProperty struct {
	types    map[string]bool
	defaults map[string]bool // JSON text of each default
	values   []string        // const and enum values (short enums only)
	required bool
	secret   bool
}

// flattenSpec walks a connectionSpecification and returns its properties
// by path: "parent.child" under objects and oneOf branches, "[]" for array
// items.
func flattenSpec(schema map[string]any) map[string]*specProperty {
	out := map[string]*specProperty{}
	var walk func(s map[string]any, prefix string)
	walk = func(s map[string]any, prefix string) {
		required := map[string]bool{}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				required[fmt.Sprint(r)] = true
			}
		}
		props, _ := s["properties"].(map[string]any)
		for name, raw := range props {
			p, _ := raw.(map[string]any)
			if p == nil {
				continue
			}
			path := prefix + name
			sp := out[path]
			if sp == nil {
				sp = &specProperty{types: map[string]bool{}, defaults: map[string]bool{}}
				out[path] = sp
			}
			if t, ok := p["type"].(string); ok {
				sp.types[t] = true
			}
			if d, ok := p["default"]; ok {
				b, _ := json.Marshal(d)
				sp.defaults[string(b)] = true
			}
			if c, ok := p["const"]; ok {
				sp.values = append(sp.values, fmt.Sprint(c))
			}
			if e, ok := p["enum"].([]any); ok && len(e) <= 10 {
				for _, v := range e {
					sp.values = append(sp.values, fmt.Sprint(v))
				}
			}
			sp.required = sp.required || required[name]
			sp.secret = sp.secret || p["airbyte_secret"] == true
			if branches, ok := p["oneOf"].([]any); ok {
				for _, b := range branches {
					if bm, ok := b.(map[string]any); ok {
						walk(bm, path+".")
					}
				}
			}
			if _, ok := p["properties"]; ok {
				walk(p, path+".")
			}
			if items, ok := p["items"].(map[string]any); ok {
				if _, ok := items["properties"]; ok {
					walk(items, path+"[].")
				}
			}
		}
	}
	walk(schema, "")
	return out
}

// section returns the text of the "## <title>" section of a Markdown page.
func section(page, title string) string {
	start := strings.Index(page, "\n## "+title+"\n")
	if start < 0 {
		return ""
	}
	rest := page[start+1:]
	if end := strings.Index(rest[3:], "\n## "); end >= 0 {
		return rest[:end+3]
	}
	return rest
}

// configRowRe matches a row of a configuration table:
// | `path` | type, flags | default | meaning |
var configRowRe = regexp.MustCompile("(?m)^\\| `([^`]+)` \\| ([^|]*) \\| ([^|]*) \\| (.*) \\|$")

func TestDocsConfigTablesMatchSpec(t *testing.T) {
	root, src, dst := builtConnectors(t)
	bins := map[string]string{harness.SourceName: src, harness.DestinationName: dst}
	for _, dp := range docPages {
		t.Run(dp.connector, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := harness.Command(ctx, bins[dp.connector], nil, nil, "spec")
			if err != nil {
				t.Fatal(err)
			}
			specs := res.OfType(protocol.TypeSpec)
			if len(specs) != 1 {
				t.Fatalf("spec printed %d SPEC messages", len(specs))
			}
			var conn map[string]any
			if err := json.Unmarshal(specs[0].Spec.ConnectionSpecification, &conn); err != nil {
				t.Fatal(err)
			}
			props := flattenSpec(conn)

			b, err := os.ReadFile(filepath.Join(root, "docs", dp.page))
			if err != nil {
				t.Fatal(err)
			}
			sec := section(string(b), "Configuration")
			if sec == "" {
				t.Fatalf("docs/%s has no \"## Configuration\" section", dp.page)
			}
			documented := map[string]bool{}
			for _, m := range configRowRe.FindAllStringSubmatch(sec, -1) {
				path, typeCell, defCell, meaning := m[1], strings.TrimSpace(m[2]), strings.TrimSpace(m[3]), m[4]
				documented[path] = true
				sp := props[path]
				if sp == nil {
					t.Errorf("docs/%s documents `%s`, which the spec does not have", dp.page, path)
					continue
				}
				flags := strings.Split(typeCell, ", ")
				var types []string
				for ty := range sp.types {
					types = append(types, ty)
				}
				sort.Strings(types)
				if want := strings.Join(types, " or "); flags[0] != want {
					t.Errorf("`%s`: type %q, the spec says %q", path, flags[0], want)
				}
				has := func(f string) bool {
					for _, x := range flags[1:] {
						if x == f {
							return true
						}
					}
					return false
				}
				if has("required") != sp.required {
					t.Errorf("`%s`: required is %v in the docs, %v in the spec", path, has("required"), sp.required)
				}
				if has("secret") != sp.secret {
					t.Errorf("`%s`: secret is %v in the docs, %v in the spec", path, has("secret"), sp.secret)
				}
				if len(sp.defaults) == 0 && defCell != "–" {
					t.Errorf("`%s`: default %q, the spec has none (write –)", path, defCell)
				}
				for d := range sp.defaults {
					if !strings.Contains(defCell, "`"+d+"`") {
						t.Errorf("`%s`: default cell %q lacks the spec's default `%s`", path, defCell, d)
					}
				}
				for _, v := range sp.values {
					if !strings.Contains(meaning, v) {
						t.Errorf("`%s`: the meaning does not name the value %q", path, v)
					}
				}
			}
			for path := range props {
				if !documented[path] {
					t.Errorf("docs/%s: the spec property `%s` is not in the Configuration table", dp.page, path)
				}
			}
		})
	}
}

// errorFormat is a message format passed to protocol.ConfigError,
// TransientError or SystemError.
type errorFormat struct {
	format string
	pos    string
}

// errorFormats returns the literal formats of the protocol error
// constructors called in the non-test Go files under dir.
func errorFormats(t *testing.T, dir string, skipDirs ...string) []errorFormat {
	t.Helper()
	var out []errorFormat
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			for _, s := range skipDirs {
				if d.Name() == s {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "protocol" {
				return true
			}
			switch sel.Sel.Name {
			case "ConfigError", "TransientError", "SystemError":
			default:
				return true
			}
			if s, ok := literal(call.Args[1]); ok {
				rel, _ := filepath.Rel(dir, path)
				out = append(out, errorFormat{format: s, pos: fmt.Sprintf("%s:%d", rel, fset.Position(call.Pos()).Line)})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// literal returns the value of a string literal or a + of literals.
func literal(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := literal(x.X)
		b, ok2 := literal(x.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return literal(x.X)
	}
	return "", false
}

var verbRe = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// formatRegexp matches a message printed with format, whatever the
// placeholders written for its verbs, within one line.
func formatRegexp(format string) *regexp.Regexp {
	var b strings.Builder
	last := 0
	for _, loc := range verbRe.FindAllStringIndex(format, -1) {
		b.WriteString(regexp.QuoteMeta(format[last:loc[0]]))
		if format[loc[0]:loc[1]] == "%%" {
			b.WriteString("%")
		} else {
			b.WriteString(`[^\n]*?`)
		}
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(format[last:]))
	return regexp.MustCompile(b.String())
}

// onlyVerbs reports a format with no words of its own ("%s"), whose text
// comes from elsewhere.
func onlyVerbs(format string) bool {
	return !strings.ContainsFunc(verbRe.ReplaceAllString(format, ""), unicode.IsLetter)
}

func TestDocsQuoteEveryErrorMessage(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	shared := errorFormats(t, filepath.Join(root, "protocol"), "protocoltest", "testdata")
	own := map[string][]errorFormat{
		harness.SourceName:      errorFormats(t, filepath.Join(root, harness.SourceName), "testdb", "testdata"),
		harness.DestinationName: errorFormats(t, filepath.Join(root, harness.DestinationName), "s3test", "testdata"),
	}
	if len(shared) < 5 || len(own[harness.SourceName]) < 50 || len(own[harness.DestinationName]) < 20 {
		t.Fatalf("found only %d shared, %d source and %d destination error formats: the scan is broken",
			len(shared), len(own[harness.SourceName]), len(own[harness.DestinationName]))
	}
	for _, dp := range docPages {
		t.Run(dp.connector, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, "docs", dp.page))
			if err != nil {
				t.Fatal(err)
			}
			page := section(string(b), "Troubleshooting")
			if page == "" {
				t.Fatalf("docs/%s has no \"## Troubleshooting\" section", dp.page)
			}
			for _, f := range append(append([]errorFormat(nil), shared...), own[dp.connector]...) {
				if onlyVerbs(f.format) {
					continue
				}
				if !formatRegexp(f.format).MatchString(page) {
					t.Errorf("docs/%s: Troubleshooting does not quote the message of %s:\n\t%s", dp.page, f.pos, f.format)
				}
			}
		})
	}
}

var (
	linkRe    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
)

// slug is the anchor GitHub gives a heading.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func anchors(md []byte) map[string]bool {
	out := map[string]bool{}
	inFence := false
	for _, line := range bytes.Split(md, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("```")) {
			inFence = !inFence
			continue
		}
		if m := headingRe.FindSubmatch(line); m != nil && !inFence {
			out[slug(string(m[1]))] = true
		}
	}
	return out
}

// TestDocsLinks checks that the relative links of docs/*.md and README.md
// point to files that exist and, for Markdown files, to existing headings.
func TestDocsLinks(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	pages = append(pages, filepath.Join(root, "README.md"))
	if len(pages) < 4 {
		t.Fatalf("found %d pages under docs/ and README.md", len(pages))
	}
	for _, p := range pages {
		md, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		for _, m := range linkRe.FindAllSubmatch(md, -1) {
			link := string(m[1])
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			target, anchor, _ := strings.Cut(link, "#")
			file := p
			if target != "" {
				file = filepath.Join(filepath.Dir(p), filepath.FromSlash(target))
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s: link %s: %v", rel, link, err)
				continue
			}
			if anchor == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			tb, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors(tb)[anchor] {
				t.Errorf("%s: link %s: no heading with that anchor", rel, link)
			}
		}
	}
}

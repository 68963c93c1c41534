package protocoltest

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePrefix is the import path prefix of the repository's packages.
const modulePrefix = "github.com/cognitivo/radar-connectors/"

// EnvNames returns the names of the environment variables that the code of
// the binary built from the main package in dir reads: every os.Getenv and
// os.LookupEnv call in the non-test files of the repository's packages the
// binary links (go list -deps), with a string literal or a string constant
// as its argument. An argument it cannot resolve fails the test, so that a
// variable cannot escape the check.
func EnvNames(t testing.TB, dir string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || !strings.HasPrefix(f[0], modulePrefix) {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			if name == "" {
				continue
			}
			file, err := parser.ParseFile(fset, filepath.Join(f[1], name), nil, 0)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			files = append(files, file)
		}
	}
	consts := map[string]string{}
	for _, file := range files {
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	var names []string
	for _, file := range files {
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "os" {
				return true
			}
			var name string
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				name, _ = strconv.Unquote(a.Value)
			case *ast.Ident:
				name = consts[a.Name]
			case *ast.SelectorExpr:
				name = consts[a.Sel.Name]
			}
			if name == "" {
				t.Errorf("%s: cannot resolve the name of the environment variable read here", fset.Position(call.Pos()))
				return true
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
			return true
		})
	}
	slices.Sort(names)
	return names
}

// CheckHelp checks a binary's --help: help(args...) returns what the binary
// prints for those arguments. The top-level help must describe the binary,
// list under ENVIRONMENT every variable EnvNames finds for the main package
// in dir, and link to docsURL; every command listed must print a
// DESCRIPTION in its own --help.
func CheckHelp(t *testing.T, help func(args ...string) string, dir, docsURL string) {
	t.Helper()
	top := help("--help")
	if strings.Contains(top, "A new cli application") || !strings.Contains(top, "DESCRIPTION:") {
		t.Errorf("--help has no real description:\n%s", top)
	}
	if !strings.Contains(top, docsURL) {
		t.Errorf("--help does not link to %s:\n%s", docsURL, top)
	}
	_, envSection, ok := strings.Cut(top, "\nENVIRONMENT:\n")
	if !ok {
		t.Fatalf("--help has no ENVIRONMENT section:\n%s", top)
	}
	envSection, _, _ = strings.Cut(envSection, "\n\n")
	names := EnvNames(t, dir)
	if !slices.Contains(names, "LOG_LEVEL") {
		t.Errorf("the source scan found %v, not even LOG_LEVEL", names)
	}
	for _, n := range names {
		if !strings.Contains(envSection, "   "+n+" ") {
			t.Errorf("the code reads $%s; --help does not document it:\n%s", n, envSection)
		}
	}
	_, cmds, _ := strings.Cut(top, "\nCOMMANDS:\n")
	cmds, _, _ = strings.Cut(cmds, "\n\n")
	var listed int
	for _, line := range strings.Split(cmds, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Errorf("command without a description in --help: %q", line)
			continue
		}
		listed++
		if sub := help(f[0], "--help"); !strings.Contains(sub, "DESCRIPTION:") {
			t.Errorf("%s --help has no description:\n%s", f[0], sub)
		}
	}
	if listed < 3 {
		t.Errorf("--help lists %d commands:\n%s", listed, top)
	}
}

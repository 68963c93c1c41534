// Command skipsummary prints the one line that ends `make test`: which
// suites (packages) were skipped because a service was unavailable, and
// why, from the skip log testenv.SkipUnavailable appends to.
//
//	skipsummary <skip log> <repository root>
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: skipsummary <skip log> <repository root>")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil && !os.IsNotExist(err) {
		fmt.Fprintf(os.Stderr, "skipsummary: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(summary(string(b), os.Args[2]))
}

// summary is the line for the skip log text; root is trimmed from the
// package directories.
func summary(log, root string) string {
	type group struct {
		service, reason string
		suites          []string
		tests           int
	}
	var groups []*group
	byService := map[string]*group{}
	suites := map[string]bool{}
	tests := 0
	for _, line := range strings.Split(log, "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 {
			continue
		}
		g := byService[f[0]]
		if g == nil {
			g = &group{service: f[0], reason: f[3]}
			byService[f[0]] = g
			groups = append(groups, g)
		}
		suite := f[1]
		if rel, err := filepath.Rel(root, suite); err == nil && !strings.HasPrefix(rel, "..") {
			suite = filepath.ToSlash(rel)
		}
		if !contains(g.suites, suite) {
			g.suites = append(g.suites, suite)
		}
		suites[suite] = true
		g.tests++
		tests++
	}
	if tests == 0 {
		return "make test: no suite skipped for a missing service"
	}
	var parts []string
	for _, g := range groups {
		parts = append(parts, fmt.Sprintf("%s unavailable (%s) in %s [%s]", g.service, g.reason, plural(g.tests, "test"), strings.Join(g.suites, ", ")))
	}
	return fmt.Sprintf("make test: SKIPPED %s in %s: %s", plural(tests, "test"), plural(len(suites), "suite"), strings.Join(parts, "; "))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

package packaging

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// tfAttr is one attribute of a Terraform provider schema, as tfplugindocs
// documents it: "- `name` (Type, Sensitive) description".
type tfAttr struct {
	Name      string
	Kind      string // "required", "optional" or "read-only"
	Type      string // "String", "Number", "Boolean", "List of String", "Attributes", "Attributes List", ...
	Sensitive bool
	NotNull   bool     // "Not Null": must be set when the object around it is
	Enum      []string // from "must be one of [...]"
	Nested    *tfBlock // for Attributes types
}

// tfBlock is the attributes of a resource, of the provider, or of a nested attribute.
type tfBlock struct {
	Attrs map[string]*tfAttr
}

var (
	tfAttrLine   = regexp.MustCompile("^- `([a-z0-9_]+)` \\(([^)]*)\\)(.*)$")
	tfNestedHead = regexp.MustCompile("^### Nested Schema for `([a-z0-9_.]+)`")
	tfNestedLink = regexp.MustCompile(`\(see \[below for nested schema\]\(#nestedatt--([a-z0-9_-]+)\)\)`)
	tfEnum       = regexp.MustCompile(`must be one of \[([^\]]*)\]`)
)

// loadTFSchema reads the provider's and each resource's schema from the
// tfplugindocs pages in dir: provider.md, and airbyte_<type>.md for the
// resource type airbyte_<type>. The key "provider" holds the provider block.
func loadTFSchema(dir string) (map[string]*tfBlock, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	out := map[string]*tfBlock{}
	for _, f := range files {
		b, err := parseTFDoc(f)
		if err != nil {
			return nil, fmt.Errorf("read provider schema %s: %w", filepath.Base(f), err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".md")] = b
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read provider schema: no pages in %s", dir)
	}
	return out, nil
}

// parseTFDoc parses the "## Schema" section of one tfplugindocs page.
func parseTFDoc(path string) (*tfBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root := &tfBlock{Attrs: map[string]*tfAttr{}}
	blocks := map[string]*tfBlock{"": root} // by dotted path
	links := map[string]*tfAttr{}           // anchor path (a--b) -> attribute to attach the nested block to
	cur, kind, inSchema := root, "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "## Schema":
			inSchema = true
			continue
		case strings.HasPrefix(line, "## "):
			inSchema = false
			continue
		case !inSchema:
			continue
		}
		if m := tfNestedHead.FindStringSubmatch(line); m != nil {
			cur = &tfBlock{Attrs: map[string]*tfAttr{}}
			blocks[m[1]] = cur
			kind = ""
			continue
		}
		switch strings.TrimPrefix(strings.TrimSuffix(line, ":"), "### ") {
		case "Required":
			kind = "required"
			continue
		case "Optional":
			kind = "optional"
			continue
		case "Read-Only":
			kind = "read-only"
			continue
		}
		m := tfAttrLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if kind == "" {
			return nil, fmt.Errorf("attribute %s outside a Required/Optional/Read-Only list", m[1])
		}
		a := &tfAttr{Name: m[1], Kind: kind}
		for i, part := range strings.Split(m[2], ", ") {
			switch {
			case i == 0:
				a.Type = part
			case part == "Sensitive":
				a.Sensitive = true
			}
		}
		a.NotNull = strings.Contains(m[3], "Not Null")
		if e := tfEnum.FindStringSubmatch(m[3]); e != nil {
			for _, v := range strings.Split(e[1], ", ") {
				a.Enum = append(a.Enum, strings.Trim(v, `"`))
			}
		}
		if l := tfNestedLink.FindStringSubmatch(m[3]); l != nil {
			links[l[1]] = a
		}
		cur.Attrs[a.Name] = a
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for anchor, a := range links {
		b, ok := blocks[strings.ReplaceAll(anchor, "--", ".")]
		if !ok {
			return nil, fmt.Errorf("attribute %s links to nested schema %s, which the page does not have", a.Name, anchor)
		}
		a.Nested = b
	}
	if len(root.Attrs) == 0 {
		return nil, fmt.Errorf("no attributes under ## Schema")
	}
	return root, nil
}

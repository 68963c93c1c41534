package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// tfProviderVersion is the airbytehq/airbyte provider version the example
// pins and the schema under testdata/terraform-provider-airbyte-<version>
// was copied from (see its SOURCE file).
const tfProviderVersion = "1.2.0"

// tfModule is the parsed examples/terraform folder.
type tfModule struct {
	terraform []*hclsyntax.Block
	providers []*hclsyntax.Block
	variables map[string]*hclsyntax.Block
	resources map[string]map[string]*hclsyntax.Block // type -> name -> block
	outputs   map[string]*hclsyntax.Block
	other     []*hclsyntax.Block
}

func parseTFModule(dir string) (*tfModule, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("parse Terraform module: no .tf files in %s (%v)", dir, err)
	}
	p := hclparse.NewParser()
	m := &tfModule{variables: map[string]*hclsyntax.Block{}, resources: map[string]map[string]*hclsyntax.Block{},
		outputs: map[string]*hclsyntax.Block{}}
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %s", filepath.Base(f), diags.Error())
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			switch {
			case b.Type == "terraform":
				m.terraform = append(m.terraform, b)
			case b.Type == "provider" && len(b.Labels) == 1:
				m.providers = append(m.providers, b)
			case b.Type == "variable" && len(b.Labels) == 1:
				m.variables[b.Labels[0]] = b
			case b.Type == "resource" && len(b.Labels) == 2:
				if m.resources[b.Labels[0]] == nil {
					m.resources[b.Labels[0]] = map[string]*hclsyntax.Block{}
				}
				if _, dup := m.resources[b.Labels[0]][b.Labels[1]]; dup {
					return nil, fmt.Errorf("%s: resource %s.%s declared twice", filepath.Base(f), b.Labels[0], b.Labels[1])
				}
				m.resources[b.Labels[0]][b.Labels[1]] = b
			case b.Type == "output" && len(b.Labels) == 1:
				m.outputs[b.Labels[0]] = b
			default:
				m.other = append(m.other, b)
			}
		}
	}
	return m, nil
}

// resourceMeta are the meta-arguments Terraform accepts on every resource.
var resourceMeta = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}

// checkTFModule checks the module against the provider schema: the pinned
// provider, every resource type, every attribute (nested too), required
// attributes, read-only ones not set, enum values, attribute shapes, and
// every reference to a variable or a resource attribute.
func checkTFModule(m *tfModule, schema map[string]*tfBlock) []string {
	var errs []string
	fail := func(r hcl.Range, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", filepath.Base(r.Filename), r.Start.Line, fmt.Sprintf(format, args...)))
	}
	pinned := false
	for _, tb := range m.terraform {
		for _, b := range tb.Body.Blocks {
			if b.Type != "required_providers" {
				continue
			}
			for name, a := range b.Body.Attributes {
				v, diags := a.Expr.Value(nil)
				if diags.HasErrors() || !v.Type().IsObjectType() {
					fail(a.SrcRange, "required_providers.%s is not a literal object", name)
					continue
				}
				src, ver := v.GetAttr("source").AsString(), v.GetAttr("version").AsString()
				if name == "airbyte" && src == "airbytehq/airbyte" && ver == tfProviderVersion {
					pinned = true
				} else {
					fail(a.SrcRange, "required_providers.%s = %s %s; the schema checked is airbytehq/airbyte %s", name, src, ver, tfProviderVersion)
				}
			}
		}
	}
	if !pinned {
		errs = append(errs, "the module does not pin airbytehq/airbyte "+tfProviderVersion+" in terraform.required_providers")
	}
	for _, p := range m.providers {
		if p.Labels[0] != "airbyte" {
			fail(p.Range(), "provider %q is not airbyte", p.Labels[0])
			continue
		}
		checkTFBody(p.Body, schema["provider"], "provider.airbyte", m, fail)
	}
	for typ, byName := range m.resources {
		s := schema[typ]
		for name, b := range byName {
			if s == nil {
				fail(b.Range(), "resource type %s is not in the provider schema (testdata/terraform-provider-airbyte-%s)", typ, tfProviderVersion)
				continue
			}
			checkTFBody(b.Body, s, typ+"."+name, m, fail)
		}
	}
	for name, o := range m.outputs {
		for an, a := range o.Body.Attributes {
			checkTFRefs(a.Expr, m, schema, "output."+name+"."+an, fail)
		}
	}
	for _, b := range m.other {
		fail(b.Range(), "unexpected block %s %v", b.Type, b.Labels)
	}
	// Every attribute expression of providers and resources refers only to
	// declared variables and existing resource attributes.
	for _, p := range m.providers {
		for an, a := range p.Body.Attributes {
			checkTFRefs(a.Expr, m, schema, "provider."+an, fail)
		}
	}
	for typ, byName := range m.resources {
		for name, b := range byName {
			for an, a := range b.Body.Attributes {
				checkTFRefs(a.Expr, m, schema, typ+"."+name+"."+an, fail)
			}
		}
	}
	sort.Strings(errs)
	return errs
}

// checkTFBody checks a provider or resource body against its schema.
func checkTFBody(body *hclsyntax.Body, s *tfBlock, path string, m *tfModule, fail func(hcl.Range, string, ...any)) {
	for _, b := range body.Blocks {
		if b.Type != "lifecycle" {
			fail(b.Range(), "%s: block %s: the provider's attributes are set with `=`, not as blocks", path, b.Type)
		}
	}
	attrs := map[string]hcl.Expression{}
	ranges := map[string]hcl.Range{}
	for name, a := range body.Attributes {
		if resourceMeta[name] && !strings.HasPrefix(path, "provider.") {
			continue
		}
		attrs[name], ranges[name] = a.Expr, a.SrcRange
	}
	checkTFAttrs(attrs, ranges, body.SrcRange, s, path, false, m, fail)
}

func checkTFAttrs(attrs map[string]hcl.Expression, ranges map[string]hcl.Range, where hcl.Range, s *tfBlock, path string,
	nested bool, m *tfModule, fail func(hcl.Range, string, ...any)) {
	for name, expr := range attrs {
		a := s.Attrs[name]
		switch {
		case a == nil:
			fail(ranges[name], "%s.%s: no such attribute in the provider schema", path, name)
			continue
		case a.Kind == "read-only":
			fail(ranges[name], "%s.%s is read-only", path, name)
			continue
		}
		checkTFValue(expr, a, path+"."+name, m, fail)
	}
	for name, a := range s.Attrs {
		if _, set := attrs[name]; set {
			continue
		}
		if a.Kind == "required" || (nested && a.NotNull && a.Kind != "read-only") {
			fail(where, "%s: required attribute %s is not set", path, name)
		}
	}
}

// checkTFValue checks the shape of a value against the attribute's type.
func checkTFValue(expr hcl.Expression, a *tfAttr, path string, m *tfModule, fail func(hcl.Range, string, ...any)) {
	r := expr.Range()
	switch a.Type {
	case "Attributes":
		obj, ok := expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			fail(r, "%s: want an object { ... } (Attributes)", path)
			return
		}
		attrs, ranges := objectItems(obj, path, fail)
		checkTFAttrs(attrs, ranges, r, a.Nested, path, true, m, fail)
	case "Attributes List", "Attributes Set":
		tup, ok := expr.(*hclsyntax.TupleConsExpr)
		if !ok {
			fail(r, "%s: want a list [ {...}, ... ] (%s)", path, a.Type)
			return
		}
		for i, e := range tup.Exprs {
			checkTFValue(e, &tfAttr{Type: "Attributes", Nested: a.Nested}, fmt.Sprintf("%s[%d]", path, i), m, fail)
		}
	case "List of String", "Set of String", "List of List of String":
		depth := strings.Count(a.Type, "List of") + strings.Count(a.Type, "Set of")
		checkTFList(expr, depth, path, fail)
	default:
		switch expr.(type) {
		case *hclsyntax.ObjectConsExpr, *hclsyntax.TupleConsExpr:
			fail(r, "%s: want a %s, not a collection", path, a.Type)
			return
		}
		if len(expr.Variables()) > 0 || hasCall(expr) {
			return // known when Terraform plans
		}
		v, diags := expr.Value(nil)
		if diags.HasErrors() {
			fail(r, "%s: %s", path, diags.Error())
			return
		}
		want := map[string]cty.Type{"String": cty.String, "Number": cty.Number, "Boolean": cty.Bool}[a.Type]
		if want == cty.NilType {
			fail(r, "%s: attribute type %q is not handled by this check", path, a.Type)
			return
		}
		cv, err := convert.Convert(v, want)
		if err != nil {
			fail(r, "%s: want a %s: %v", path, a.Type, err)
			return
		}
		if len(a.Enum) > 0 && !slices.Contains(a.Enum, cv.AsString()) {
			fail(r, "%s = %q; must be one of %v", path, cv.AsString(), a.Enum)
		}
	}
}

func checkTFList(expr hcl.Expression, depth int, path string, fail func(hcl.Range, string, ...any)) {
	tup, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		if len(expr.Variables()) > 0 || hasCall(expr) {
			return
		}
		fail(expr.Range(), "%s: want a list", path)
		return
	}
	for i, e := range tup.Exprs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if depth > 1 {
			checkTFList(e, depth-1, p, fail)
			continue
		}
		switch e.(type) {
		case *hclsyntax.ObjectConsExpr, *hclsyntax.TupleConsExpr:
			fail(e.Range(), "%s: want a string", p)
		}
	}
}

func objectItems(obj *hclsyntax.ObjectConsExpr, path string, fail func(hcl.Range, string, ...any)) (map[string]hcl.Expression, map[string]hcl.Range) {
	attrs, ranges := map[string]hcl.Expression{}, map[string]hcl.Range{}
	for _, it := range obj.Items {
		k := hcl.ExprAsKeyword(it.KeyExpr)
		if k == "" {
			v, diags := it.KeyExpr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String {
				fail(it.KeyExpr.Range(), "%s: an object key that is not a literal name", path)
				continue
			}
			k = v.AsString()
		}
		attrs[k], ranges[k] = it.ValueExpr, it.KeyExpr.Range()
	}
	return attrs, ranges
}

func hasCall(expr hcl.Expression) bool {
	found := false
	hclsyntax.VisitAll(expr.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
		if _, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			found = true
		}
		return nil
	})
	return found
}

// checkTFRefs checks that var.X is declared and that airbyte_T.N.attr names
// a declared resource and an attribute of its schema.
func checkTFRefs(expr hcl.Expression, m *tfModule, schema map[string]*tfBlock, path string, fail func(hcl.Range, string, ...any)) {
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		r := tr.SourceRange()
		switch {
		case root == "var":
			name := traverserName(tr, 1)
			if _, ok := m.variables[name]; !ok {
				fail(r, "%s: var.%s is not declared", path, name)
			}
		case schema[root] != nil:
			name, attr := traverserName(tr, 1), traverserName(tr, 2)
			if _, ok := m.resources[root][name]; !ok {
				fail(r, "%s: %s.%s is not declared", path, root, name)
				continue
			}
			if schema[root].Attrs[attr] == nil {
				fail(r, "%s: %s.%s.%s: %s has no attribute %q", path, root, name, attr, root, attr)
			}
		default:
			fail(r, "%s: reference to %s is not checked by this test", path, root)
		}
	}
}

func traverserName(tr hcl.Traversal, i int) string {
	if i >= len(tr) {
		return ""
	}
	if a, ok := tr[i].(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

// tfVariables returns the module's variables: each set to "tfvar:<name>",
// or, with defaults, to its default when it has one.
func tfVariables(t *testing.T, m *tfModule, defaults bool) cty.Value {
	t.Helper()
	vars := map[string]cty.Value{}
	for name, b := range m.variables {
		vars[name] = cty.StringVal("tfvar:" + name)
		if d, ok := b.Body.Attributes["default"]; ok && defaults {
			v, diags := d.Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("variable %s: default: %s", name, diags.Error())
			}
			vars[name] = v
		}
	}
	return cty.ObjectVal(vars)
}

func tfSensitive(m *tfModule, name string) bool {
	a, ok := m.variables[name].Body.Attributes["sensitive"]
	if !ok {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.True()
}

// TestTerraformExample checks examples/terraform against the provider
// schema of airbytehq/airbyte tfProviderVersion, and that the connection
// is the team's: the streams of examples/local/catalog.json with their sync
// modes, cursor fields and primary keys, the source's namespace and a
// manual schedule (Airflow triggers it).
func TestTerraformExample(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := loadTFSchema(filepath.Join("testdata", "terraform-provider-airbyte-"+tfProviderVersion))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"provider", "airbyte_source_definition", "airbyte_destination_definition", "airbyte_source",
		"airbyte_destination", "airbyte_connection"} {
		if schema[typ] == nil {
			t.Fatalf("the provider schema testdata has no %s", typ)
		}
	}
	m, err := parseTFModule(filepath.Join(root, "examples", "terraform"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range checkTFModule(m, schema) {
		t.Error(e)
	}
	for _, typ := range []string{"airbyte_source_definition", "airbyte_destination_definition", "airbyte_source",
		"airbyte_destination", "airbyte_connection"} {
		if len(m.resources[typ]) != 1 {
			t.Errorf("want one %s, the module has %d", typ, len(m.resources[typ]))
		}
	}
	// Sensitive provider attributes only take sensitive variables.
	for _, p := range m.providers {
		for name, a := range p.Body.Attributes {
			if s := schema["provider"].Attrs[name]; s == nil || !s.Sensitive || name == "token_url" {
				continue
			}
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() == "var" && !tfSensitive(m, traverserName(tr, 1)) {
					t.Errorf("provider.%s is sensitive; var.%s must be declared sensitive = true", name, traverserName(tr, 1))
				}
			}
		}
	}
	checkTeamConnection(t, m, filepath.Join(root, "examples", "local", "catalog.json"))
}

// checkTeamConnection compares the connection's streams with the team's
// configured catalog.
func checkTeamConnection(t *testing.T, m *tfModule, catalogPath string) {
	t.Helper()
	var conn *hclsyntax.Block
	for _, b := range m.resources["airbyte_connection"] {
		conn = b
	}
	if conn == nil {
		t.Fatal("no airbyte_connection")
	}
	literal := func(name string) cty.Value {
		a, ok := conn.Body.Attributes[name]
		if !ok {
			t.Fatalf("airbyte_connection has no %s", name)
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("airbyte_connection.%s is not a literal: %s", name, diags.Error())
		}
		return v
	}
	if got := literal("namespace_definition").AsString(); got != "source" {
		t.Errorf("namespace_definition = %q, want source (the streams land under the database's name)", got)
	}
	if got := literal("schedule").GetAttr("schedule_type").AsString(); got != "manual" {
		t.Errorf("schedule_type = %q, want manual (the Airflow DAG triggers the connection)", got)
	}
	raw, err := ctyjson.Marshal(literal("configurations"), literal("configurations").Type())
	if err != nil {
		t.Fatal(err)
	}
	type stream struct {
		Name        string     `json:"name"`
		Namespace   string     `json:"namespace"`
		SyncMode    string     `json:"sync_mode"`
		CursorField []string   `json:"cursor_field"`
		PrimaryKey  [][]string `json:"primary_key"`
	}
	var got struct {
		Streams []stream `json:"streams"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(catalogPath)
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Streams []struct {
			Stream struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"stream"`
			SyncMode            string     `json:"sync_mode"`
			DestinationSyncMode string     `json:"destination_sync_mode"`
			CursorField         []string   `json:"cursor_field"`
			PrimaryKey          [][]string `json:"primary_key"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	// Airbyte's public API names a (sync mode, destination sync mode) pair
	// with one ConnectionSyncModeEnum value.
	modes := map[string]string{
		"full_refresh/overwrite": "full_refresh_overwrite", "full_refresh/append": "full_refresh_append",
		"incremental/append": "incremental_append", "incremental/append_dedup": "incremental_deduped_history",
	}
	var want []stream
	for _, s := range cat.Streams {
		w := stream{Name: s.Stream.Name, Namespace: s.Stream.Namespace, SyncMode: modes[s.SyncMode+"/"+s.DestinationSyncMode],
			CursorField: s.CursorField, PrimaryKey: s.PrimaryKey}
		if w.Name == "transacoes" {
			// The team deduplicates transacoes on its id (issue 14); the
			// configured catalog says append_dedup once that change lands.
			w.SyncMode = "incremental_deduped_history"
		}
		want = append(want, w)
	}
	byName := func(s []stream) { sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name }) }
	byName(want)
	byName(got.Streams)
	if !reflect.DeepEqual(got.Streams, want) {
		t.Errorf("the connection's streams differ from examples/local/catalog.json:\n got %+v\nwant %+v", got.Streams, want)
	}
}

// TestTerraformConfigs evaluates the source's and the destination's
// configuration (jsonencode of the variables) and validates it against the
// built connectors' specs; every secret of the spec must come from a
// sensitive variable.
func TestTerraformConfigs(t *testing.T) {
	root, src, dst := builtConnectors(t)
	m, err := parseTFModule(filepath.Join(root, "examples", "terraform"))
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]string{"airbyte_source": src, "airbyte_destination": dst}
	funcs := map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc, "merge": stdlib.MergeFunc}
	for typ, bin := range specs {
		spec := specOf(t, bin)
		for name, b := range m.resources[typ] {
			for _, defaults := range []bool{false, true} {
				ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": tfVariables(t, m, defaults)}, Functions: funcs}
				v, diags := b.Body.Attributes["configuration"].Expr.Value(ctx)
				if diags.HasErrors() {
					t.Fatalf("%s.%s.configuration: %s", typ, name, diags.Error())
				}
				cfg := []byte(v.AsString())
				if err := spec.Validate(cfg); err != nil {
					t.Errorf("%s.%s (variables at defaults: %v): the configuration does not validate against the connector's spec: %v",
						typ, name, defaults, err)
				}
				for _, s := range spec.Secrets(cfg) {
					vn, ok := strings.CutPrefix(s, "tfvar:")
					if !ok || !tfSensitive(m, vn) {
						t.Errorf("%s.%s: a secret of the spec is not taken from a sensitive variable", typ, name)
					}
				}
			}
		}
	}
}

// TestCheckTFModuleRejects shows that the schema check fails on each kind
// of mistake it is meant to catch.
func TestCheckTFModuleRejects(t *testing.T) {
	schema, err := loadTFSchema(filepath.Join("testdata", "terraform-provider-airbyte-"+tfProviderVersion))
	if err != nil {
		t.Fatal(err)
	}
	const pin = `terraform {
  required_providers {
    airbyte = { source = "airbytehq/airbyte", version = "` + tfProviderVersion + `" }
  }
}
variable "ws" { type = string }
resource "airbyte_source_definition" "d" {
  workspace_id      = var.ws
  name              = "n"
  docker_repository = "r"
  docker_image_tag  = "t"
}
`
	cases := []struct {
		name, hcl, want string
	}{
		{"ok", `resource "airbyte_source" "s" {
  workspace_id  = var.ws
  name          = "s"
  definition_id = airbyte_source_definition.d.id
  configuration = jsonencode({})
}`, ""},
		{"unknown resource type", `resource "airbyte_source_mysql" "s" {}`, "not in the provider schema"},
		{"unknown attribute", `resource "airbyte_source" "s" {
  workspace_id  = var.ws
  name          = "s"
  configuration = "{}"
  source_type   = "mysql"
  colour        = "red"
}`, "colour: no such attribute"},
		{"read-only attribute", `resource "airbyte_source" "s" {
  workspace_id  = var.ws
  name          = "s"
  configuration = "{}"
  source_id     = "x"
}`, "source_id is read-only"},
		{"missing required", `resource "airbyte_source" "s" {
  workspace_id = var.ws
  configuration = "{}"
}`, "required attribute name is not set"},
		{"bad reference", `resource "airbyte_source" "s" {
  workspace_id  = var.ws
  name          = "s"
  configuration = "{}"
  definition_id = airbyte_source_definition.d.definition_id
}`, `has no attribute "definition_id"`},
		{"undeclared variable", `resource "airbyte_source" "s" {
  workspace_id  = var.workspace
  name          = "s"
  configuration = "{}"
}`, "var.workspace is not declared"},
		{"enum", `resource "airbyte_connection" "c" {
  source_id      = "a"
  destination_id = "b"
  configurations = { streams = [{ name = "t", sync_mode = "incremental_dedup" }] }
}`, "must be one of"},
		{"nested unknown", `resource "airbyte_connection" "c" {
  source_id      = "a"
  destination_id = "b"
  configurations = { streams = [{ name = "t", cursor = ["x"] }] }
}`, "streams[0].cursor: no such attribute"},
		{"nested not null", `resource "airbyte_connection" "c" {
  source_id      = "a"
  destination_id = "b"
  schedule       = { cron_expression = "0 3 * * *" }
}`, "required attribute schedule_type is not set"},
		{"block instead of attribute", `resource "airbyte_connection" "c" {
  source_id      = "a"
  destination_id = "b"
  schedule {
    schedule_type = "manual"
  }
}`, "not as blocks"},
		{"list shape", `resource "airbyte_connection" "c" {
  source_id      = "a"
  destination_id = "b"
  configurations = { streams = [{ name = "t", primary_key = ["id"] }] }
}`, "want a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(pin+tc.hcl), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := parseTFModule(dir)
			if err != nil {
				t.Fatal(err)
			}
			errs := strings.Join(checkTFModule(m, schema), "\n")
			switch {
			case tc.want == "" && errs != "":
				t.Errorf("want no error, got:\n%s", errs)
			case tc.want != "" && !strings.Contains(errs, tc.want):
				t.Errorf("want an error containing %q, got:\n%s", tc.want, errs)
			}
		})
	}
}

package packaging

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"
)

// The subset of Airbyte's public-API OpenAPI document the registration
// script uses, extracted from airbytehq/airbyte-platform
// airbyte-api/server-api/src/main/openapi/api.yaml (see its SOURCE file).
const airbyteAPISubset = "testdata/airbyte-public-api/api-subset.json"

var (
	updateAirbyteAPI       = flag.String("update-airbyte-api", "", "regenerate "+airbyteAPISubset+" from this api.yaml of airbyte-platform")
	updateAirbyteAPICommit = flag.String("airbyte-api-commit", "", "with -update-airbyte-api: the airbyte-platform commit the file is from")
)

// airbyteAPIOps are the operations register_connectors.py calls.
var airbyteAPIOps = map[string][]string{
	"/applications/token":                                               {"post"},
	"/workspaces/{workspaceId}/definitions/sources":                     {"get", "post"},
	"/workspaces/{workspaceId}/definitions/sources/{definitionId}":      {"put"},
	"/workspaces/{workspaceId}/definitions/destinations":                {"get", "post"},
	"/workspaces/{workspaceId}/definitions/destinations/{definitionId}": {"put"},
	"/sources":      {"get", "post"},
	"/destinations": {"get", "post"},
	"/streams":      {"get"},
	"/connections":  {"get", "post"},
}

// extractAirbyteAPI writes the operations in airbyteAPIOps, and every
// component schema they reference, from the full document.
func extractAirbyteAPI(full, commit string) error {
	raw, err := os.ReadFile(full)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", full, err)
	}
	paths, _ := doc["paths"].(map[string]any)
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	outPaths := map[string]any{}
	for p, methods := range airbyteAPIOps {
		item, ok := paths[p].(map[string]any)
		if !ok {
			return fmt.Errorf("%s has no path %s", full, p)
		}
		keep := map[string]any{}
		if params, ok := item["parameters"]; ok {
			keep["parameters"] = params
		}
		for _, m := range methods {
			op, ok := item[m]
			if !ok {
				return fmt.Errorf("%s has no %s %s", full, m, p)
			}
			keep[m] = op
		}
		outPaths[p] = keep
	}
	needed := map[string]any{}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name, ok := strings.CutPrefix(ref, "#/components/schemas/")
				if !ok {
					return fmt.Errorf("unsupported $ref %s", ref)
				}
				if _, seen := needed[name]; !seen {
					s, ok := schemas[name]
					if !ok {
						return fmt.Errorf("missing schema %s", name)
					}
					needed[name] = s
					if err := walk(s); err != nil {
						return err
					}
				}
			}
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(outPaths); err != nil {
		return err
	}
	info, _ := doc["info"].(map[string]any)
	out := map[string]any{
		"openapi": doc["openapi"],
		"info": map[string]any{
			"title":   info["title"],
			"version": info["version"],
			"x-extracted-from": "github.com/airbytehq/airbyte-platform@" + commit +
				" airbyte-api/server-api/src/main/openapi/api.yaml (only the operations register_connectors.py calls)",
		},
		"paths":      outPaths,
		"components": map[string]any{"schemas": needed},
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(airbyteAPISubset, append(b, '\n'), 0o644)
}

// openAPI validates HTTP requests and responses against an OpenAPI 3.0
// document: path, method, path and query parameters, and JSON bodies
// (OpenAPI 3.0 schemas are checked as JSON Schema draft 4, which they
// extend; x- keywords, example and nullable are not checked).
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	routes   []openAPIRoute
	cache    map[string]*jsonschema.Schema
}

type openAPIRoute struct {
	template string
	re       *regexp.Regexp
	names    []string
}

func loadOpenAPI(path string) (*openAPI, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	o := &openAPI{compiler: jsonschema.NewCompiler(), cache: map[string]*jsonschema.Schema{}}
	if err := json.Unmarshal(raw, &o.doc); err != nil {
		return nil, err
	}
	o.compiler.Draft = jsonschema.Draft4
	if err := o.compiler.AddResource("api.json", bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	for p := range o.doc["paths"].(map[string]any) {
		var names []string
		segs := strings.Split(p, "/")
		for i, seg := range segs {
			if n, ok := strings.CutPrefix(seg, "{"); ok && strings.HasSuffix(n, "}") {
				names = append(names, strings.TrimSuffix(n, "}"))
				segs[i] = "([^/]+)"
				continue
			}
			segs[i] = regexp.QuoteMeta(seg)
		}
		o.routes = append(o.routes, openAPIRoute{template: p, re: regexp.MustCompile("^" + strings.Join(segs, "/") + "$"), names: names})
	}
	sort.Slice(o.routes, func(i, j int) bool { return o.routes[i].template < o.routes[j].template })
	return o, nil
}

// ptr escapes a JSON-pointer token.
func ptr(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

func (o *openAPI) schema(pointer string) (*jsonschema.Schema, error) {
	if s, ok := o.cache[pointer]; ok {
		return s, nil
	}
	s, err := o.compiler.Compile("api.json#" + pointer)
	if err != nil {
		return nil, err
	}
	o.cache[pointer] = s
	return s, nil
}

// route finds the operation for a request path; it returns the path
// template and the path parameters.
func (o *openAPI) route(path string) (string, map[string]string, bool) {
	for _, r := range o.routes {
		m := r.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		params := map[string]string{}
		for i, n := range r.names {
			params[n] = m[i+1]
		}
		return r.template, params, true
	}
	return "", nil, false
}

// checkRequest returns every way the request departs from the document.
func (o *openAPI) checkRequest(method, path string, query url.Values, contentType string, body []byte) []string {
	tmpl, pathParams, ok := o.route(path)
	if !ok {
		return []string{fmt.Sprintf("%s %s: no such path in the API", method, path)}
	}
	item := o.doc["paths"].(map[string]any)[tmpl].(map[string]any)
	m := strings.ToLower(method)
	op, ok := item[m].(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s %s: the API has no %s on %s", method, path, method, tmpl)}
	}
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s %s: ", method, tmpl)+fmt.Sprintf(format, args...))
	}
	// Parameters: the path item's, then the operation's.
	type param struct {
		in, ptr  string
		required bool
	}
	params := map[string]param{}
	for _, where := range []struct {
		list []any
		base string
	}{
		{asList(item["parameters"]), "/paths/" + ptr(tmpl) + "/parameters/"},
		{asList(op["parameters"]), "/paths/" + ptr(tmpl) + "/" + m + "/parameters/"},
	} {
		for i, p := range where.list {
			pm := p.(map[string]any)
			req, _ := pm["required"].(bool)
			params[pm["in"].(string)+":"+pm["name"].(string)] = param{in: pm["in"].(string), ptr: where.base + strconv.Itoa(i) + "/schema", required: req}
		}
	}
	checkValue := func(name, ptr string, values []string) {
		s, err := o.schema(ptr)
		if err != nil {
			bad("compile the schema of %s: %v", name, err)
			return
		}
		var v any
		typ := schemaType(o.doc, ptr)
		switch typ {
		case "array":
			items := []any{}
			for _, x := range values {
				for _, part := range strings.Split(x, ",") {
					items = append(items, part)
				}
			}
			v = items
		case "integer", "number":
			n, err := strconv.ParseFloat(values[0], 64)
			if err != nil {
				bad("parameter %s=%q is not a number", name, values[0])
				return
			}
			v = n
		case "boolean":
			b, err := strconv.ParseBool(values[0])
			if err != nil {
				bad("parameter %s=%q is not a boolean", name, values[0])
				return
			}
			v = b
		default:
			v = values[0]
		}
		if err := s.Validate(v); err != nil {
			bad("parameter %s: %v", name, err)
		}
	}
	for name, val := range pathParams {
		p, ok := params["path:"+name]
		if !ok {
			bad("path parameter %s is not declared", name)
			continue
		}
		checkValue(name, p.ptr, []string{val})
	}
	for name, vals := range query {
		p, ok := params["query:"+name]
		if !ok {
			bad("query parameter %s is not declared", name)
			continue
		}
		checkValue(name, p.ptr, vals)
	}
	for key, p := range params {
		if n, ok := strings.CutPrefix(key, "query:"); ok && p.required && query.Get(n) == "" {
			bad("required query parameter %s is missing", n)
		}
	}
	rb, hasBody := op["requestBody"].(map[string]any)
	switch {
	case !hasBody && len(body) > 0:
		bad("the operation takes no request body")
	case hasBody && len(body) == 0:
		if req, _ := rb["required"].(bool); req {
			bad("the request body is required")
		}
	case hasBody:
		ct := strings.TrimSpace(strings.Split(contentType, ";")[0])
		content, _ := rb["content"].(map[string]any)
		if _, ok := content[ct]; !ok || ct != "application/json" {
			bad("content type %q is not accepted (or not JSON)", contentType)
			break
		}
		s, err := o.schema("/paths/" + ptr(tmpl) + "/" + m + "/requestBody/content/" + ptr(ct) + "/schema")
		if err != nil {
			bad("compile the request schema: %v", err)
			break
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			bad("the body is not JSON: %v", err)
			break
		}
		if err := s.Validate(v); err != nil {
			bad("the body does not match the schema: %v", err)
		}
	}
	return errs
}

// checkResponse validates a 200 JSON answer against the operation's schema.
func (o *openAPI) checkResponse(method, path string, body []byte) error {
	tmpl, _, ok := o.route(path)
	if !ok {
		return fmt.Errorf("no such path %s", path)
	}
	s, err := o.schema("/paths/" + ptr(tmpl) + "/" + strings.ToLower(method) + "/responses/200/content/application~1json/schema")
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return s.Validate(v)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// schemaType is the "type" of the schema at a JSON pointer of the document.
func schemaType(doc map[string]any, pointer string) string {
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			cur = c[i]
		}
	}
	m, _ := cur.(map[string]any)
	t, _ := m["type"].(string)
	return t
}

// TestUpdateAirbyteAPISubset regenerates the OpenAPI subset when asked:
//
//	go test ./packaging -run TestUpdateAirbyteAPISubset -update-airbyte-api=/path/to/api.yaml -airbyte-api-commit=<sha>
func TestUpdateAirbyteAPISubset(t *testing.T) {
	if *updateAirbyteAPI == "" {
		t.Skip("pass -update-airbyte-api=<airbyte-platform>/airbyte-api/server-api/src/main/openapi/api.yaml to regenerate " + airbyteAPISubset)
	}
	if *updateAirbyteAPICommit == "" {
		t.Fatal("-airbyte-api-commit is required with -update-airbyte-api")
	}
	if err := os.MkdirAll(filepath.Dir(airbyteAPISubset), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := extractAirbyteAPI(*updateAirbyteAPI, *updateAirbyteAPICommit); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPICheckRequest shows that the request check fails on each kind
// of departure from the document.
func TestOpenAPICheckRequest(t *testing.T) {
	api, err := loadOpenAPI(airbyteAPISubset)
	if err != nil {
		t.Fatal(err)
	}
	const ws = "7b5ad6a4-0c1e-4b7e-9a53-3f6f5c7d9e10"
	const id = "00000000-0000-4000-8000-000000000001"
	cases := []struct {
		name, method, path, query, body, want string
	}{
		{"token", "POST", "/applications/token", "", `{"client_id":"a","client_secret":"b","grant_type":"client_credentials","grant-type":"client_credentials"}`, ""},
		{"token without grant_type", "POST", "/applications/token", "", `{"client_id":"a","client_secret":"b","grant-type":"client_credentials"}`, "grant_type"},
		{"unknown path", "GET", "/sourcez", "", "", "no such path"},
		{"unknown method", "DELETE", "/sources", "", "", "has no DELETE"},
		{"bad path parameter", "GET", "/workspaces/not-a-uuid/definitions/sources", "", "", "workspaceId"},
		{"undeclared query parameter", "GET", "/sources", "workspace=" + ws, "", "query parameter workspace is not declared"},
		{"query parameter out of range", "GET", "/sources", "limit=1000", "", "parameter limit"},
		{"missing required query", "GET", "/streams", "", "", "required query parameter sourceId"},
		{"body on GET", "GET", "/sources", "", `{}`, "takes no request body"},
		{"missing body", "POST", "/connections", "", "", "request body is required"},
		{"missing required field", "POST", "/sources", "", `{"name":"s","workspaceId":"` + ws + `"}`, "configuration"},
		{"bad enum", "POST", "/connections", "", `{"sourceId":"` + id + `","destinationId":"` + id + `","configurations":{"streams":[{"name":"t","syncMode":"incremental_dedup"}]}}`, "syncMode"},
		{"good connection", "POST", "/connections", "", `{"sourceId":"` + id + `","destinationId":"` + id + `","configurations":{"streams":[{"name":"t","syncMode":"incremental_append","cursorField":["u"]}]}}`, ""},
		{"bad uuid in body", "POST", "/connections", "", `{"sourceId":"x","destinationId":"` + id + `"}`, "sourceId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			errs := strings.Join(api.checkRequest(tc.method, tc.path, q, "application/json", []byte(tc.body)), "\n")
			switch {
			case tc.want == "" && errs != "":
				t.Errorf("want no error, got:\n%s", errs)
			case tc.want != "" && !strings.Contains(errs, tc.want):
				t.Errorf("want an error containing %q, got:\n%s", tc.want, errs)
			}
		})
	}
}

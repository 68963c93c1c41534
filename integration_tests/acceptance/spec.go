package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/cognitivo/radar-connectors/protocol"
)

// secretNames are the property names CAT requires to be airbyte_secret.
var secretNames = map[string]bool{
	"client_token": true, "access_token": true, "api_token": true, "token": true, "secret": true, "client_secret": true,
	"password": true, "key": true, "service_account_info": true, "service_account": true, "tenant_id": true, "certificate": true,
	"jwt": true, "credentials": true, "app_id": true, "appid": true, "refresh_token": true,
}

var forbiddenKeywords = []string{"not", "anyOf", "patternProperties", "prefixItems", "allOf", "if", "then", "else", "dependentSchemas", "dependentRequired"}

// PreviousSpecFile is where a connector keeps the spec of its previous
// release for the backward-compatibility test (CAT pulls the previous
// image instead, which needs Docker).
const PreviousSpecFile = "integration_tests/previous_spec.json"

func (r *Runner) specSuite(ctx context.Context, add func(string, string, func(*tc)), suite string, st SpecTest) {
	var spec *protocol.ConnectorSpecification
	var schema map[string]any
	add(suite, "test_spec", func(t *tc) {
		res, err := r.exec(ctx, st.TimeoutSeconds, "spec")
		if err != nil {
			t.errorf("%v", err)
			return
		}
		r.checkOutput(t, "spec", res)
		specs := res.OfType(protocol.TypeSpec)
		if len(specs) != 1 {
			t.errorf("spec printed %d SPEC messages, want exactly one", len(specs))
			return
		}
		if res.Code != 0 {
			t.errorf("spec exited with %d", res.Code)
		}
		spec = specs[0].Spec
		if err := json.Unmarshal(spec.ConnectionSpecification, &schema); err != nil {
			t.errorf("connectionSpecification is not a JSON object: %v", err)
		}
	})
	if spec == nil || schema == nil {
		return
	}
	add(suite, "test_match_expected", func(t *tc) {
		if st.SpecPath == "" {
			t.skipf("no spec_path")
			return
		}
		var want protocol.ConnectorSpecification
		if err := readJSONFile(r.path(st.SpecPath), &want); err != nil {
			t.errorf("read spec_path: %v", err)
			return
		}
		if !jsonEqual(want.ConnectionSpecification, spec.ConnectionSpecification) {
			t.errorf("connectionSpecification differs from %s", st.SpecPath)
		}
		if want.DocumentationURL != spec.DocumentationURL {
			t.errorf("documentationUrl %q differs from %q in %s", spec.DocumentationURL, want.DocumentationURL, st.SpecPath)
		}
	})
	add(suite, "test_config_match_spec", func(t *tc) {
		if st.ConfigPath == "" {
			t.skipf("no config_path")
			return
		}
		var cfg map[string]any
		if err := readJSONFile(r.path(st.ConfigPath), &cfg); err != nil {
			t.errorf("read config: %v", err)
			return
		}
		for k := range cfg {
			if strings.HasPrefix(k, "_") {
				delete(cfg, k)
			}
		}
		sch, err := compileSchema(spec.ConnectionSpecification)
		if err != nil {
			t.errorf("connectionSpecification does not compile: %v", err)
			return
		}
		if err := sch.Validate(cfg); err != nil {
			t.errorf("config does not match the spec: %v", err)
		}
	})
	add(suite, "test_enum_usage", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			if enum, ok := node["enum"].([]any); ok {
				seen := map[string]bool{}
				for _, v := range enum {
					k := fmt.Sprint(v)
					if seen[k] {
						t.errorf("%s: enum value %q repeated", path, k)
					}
					seen[k] = true
				}
			}
		})
	})
	add(suite, "test_oneof_usage", func(t *tc) { checkOneOf(t, schema) })
	add(suite, "test_secret_is_properly_marked", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			props, _ := node["properties"].(map[string]any)
			for name, raw := range props {
				p, _ := raw.(map[string]any)
				if p == nil || !secretNames[name] {
					continue
				}
				if _, isConst := p["const"]; isConst {
					continue
				}
				typ := fmt.Sprint(p["type"])
				if strings.Contains(typ, "string") || strings.Contains(typ, "integer") || strings.Contains(typ, "number") {
					if b, _ := p["airbyte_secret"].(bool); !b {
						t.errorf("%s.%s looks like a secret but is not marked airbyte_secret", path, name)
					}
				}
			}
		})
	})
	add(suite, "test_property_type_is_not_array", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			if arr, ok := node["type"].([]any); ok {
				if len(arr) != 2 || (arr[0] != "null" && arr[1] != "null") {
					t.errorf("%s: type %v is an array other than [T, \"null\"]", path, arr)
				}
			}
		})
	})
	add(suite, "test_object_not_empty", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			if path == "" || node["type"] != "object" {
				return
			}
			_, hasProps := node["properties"]
			_, hasOneOf := node["oneOf"]
			if !hasProps && !hasOneOf {
				t.errorf("%s: object without properties", path)
			}
		})
	})
	add(suite, "test_array_type", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			if node["type"] != "array" {
				return
			}
			items, ok := node["items"].(map[string]any)
			if !ok {
				t.errorf("%s: array without a single items schema", path)
				return
			}
			if _, isArr := items["type"].([]any); isArr {
				t.errorf("%s: array items have several types", path)
			}
		})
	})
	add(suite, "test_forbidden_complex_types", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			for _, kw := range forbiddenKeywords {
				if _, ok := node[kw]; ok {
					t.errorf("%s uses the forbidden keyword %s", path, kw)
				}
			}
		})
	})
	add(suite, "test_duplicate_order", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			props, _ := node["properties"].(map[string]any)
			seen := map[string]string{}
			for name, raw := range props {
				p, _ := raw.(map[string]any)
				o, ok := p["order"]
				if !ok {
					continue
				}
				k := fmt.Sprint(p["group"], "/", o)
				if other, dup := seen[k]; dup {
					t.errorf("%s: %s and %s share order %v", path, other, name, o)
				}
				seen[k] = name
			}
		})
	})
	add(suite, "test_nested_group", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			props, _ := node["properties"].(map[string]any)
			for name, raw := range props {
				p, _ := raw.(map[string]any)
				if _, ok := p["group"]; ok && path != "" {
					t.errorf("%s.%s: group is only allowed at the top level", path, name)
				}
			}
		})
	})
	add(suite, "test_display_type", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			dt, ok := node["display_type"]
			if !ok {
				return
			}
			if _, hasOneOf := node["oneOf"]; !hasOneOf {
				t.errorf("%s: display_type without oneOf", path)
			}
			if dt != "dropdown" && dt != "radio" {
				t.errorf("%s: display_type %v is not dropdown or radio", path, dt)
			}
		})
	})
	add(suite, "test_defined_refs_exist_in_json_spec_file", func(t *tc) {
		if bytes.Contains(spec.ConnectionSpecification, []byte(`"$ref"`)) {
			t.errorf("the spec uses $ref")
		}
	})
	add(suite, "test_additional_properties_is_true", func(t *tc) {
		walkSchema(schema, "", func(path string, node map[string]any) {
			if ap, ok := node["additionalProperties"]; ok && ap != true {
				t.errorf("%s: additionalProperties is %v, must be true when set", path, ap)
			}
		})
	})
	add(suite, "test_backward_compatibility", func(t *tc) {
		prev := r.path(PreviousSpecFile)
		b, err := os.ReadFile(prev)
		if err != nil {
			t.skipf("no %s", PreviousSpecFile)
			return
		}
		var old protocol.ConnectorSpecification
		if err := json.Unmarshal(b, &old); err != nil {
			t.errorf("parse %s: %v", PreviousSpecFile, err)
			return
		}
		var oldSchema map[string]any
		if err := json.Unmarshal(old.ConnectionSpecification, &oldSchema); err != nil {
			t.errorf("parse previous connectionSpecification: %v", err)
			return
		}
		for _, p := range specBreakingChanges(oldSchema, schema, "") {
			t.errorf("breaking change against the previous spec: %s", p)
		}
	})
}

func compileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource("schema.json", bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// walkSchema visits every schema node (properties, oneOf options, items).
func walkSchema(node map[string]any, path string, fn func(path string, node map[string]any)) {
	fn(path, node)
	if props, ok := node["properties"].(map[string]any); ok {
		for _, k := range sortedKeys(props) {
			if child, ok := props[k].(map[string]any); ok {
				walkSchema(child, join(path, k), fn)
			}
		}
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		if arr, ok := node[kw].([]any); ok {
			for i, raw := range arr {
				if child, ok := raw.(map[string]any); ok {
					walkSchema(child, fmt.Sprintf("%s[%s %d]", path, kw, i), fn)
				}
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		walkSchema(items, path+"[]", fn)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// checkOneOf applies CAT's oneOf rules: the parent is an object, every
// option is an object with properties, and exactly one property is common
// to all options and holds a const in each (with default/enum equal to it).
func checkOneOf(t *tc, schema map[string]any) {
	walkSchema(schema, "", func(path string, node map[string]any) {
		opts, ok := node["oneOf"].([]any)
		if !ok {
			return
		}
		if node["type"] != "object" {
			t.errorf("%s: oneOf parent must have type object", path)
		}
		var common map[string]bool
		for i, raw := range opts {
			o, _ := raw.(map[string]any)
			props, _ := o["properties"].(map[string]any)
			if o == nil || props == nil {
				t.errorf("%s: oneOf option %d is not an object with properties", path, i)
				return
			}
			consts := map[string]bool{}
			for name, p := range props {
				pm, _ := p.(map[string]any)
				c, has := pm["const"]
				if !has {
					continue
				}
				consts[name] = true
				if d, ok := pm["default"]; ok && d != c {
					t.errorf("%s: option %d property %s default %v differs from its const %v", path, i, name, d, c)
				}
				if e, ok := pm["enum"].([]any); ok && (len(e) != 1 || e[0] != c) {
					t.errorf("%s: option %d property %s enum %v differs from its const %v", path, i, name, e, c)
				}
			}
			if common == nil {
				common = consts
				continue
			}
			for k := range common {
				if !consts[k] {
					delete(common, k)
				}
			}
		}
		if len(common) != 1 {
			var names []string
			for k := range common {
				names = append(names, k)
			}
			sort.Strings(names)
			t.errorf("%s: oneOf options must share exactly one const property, found %v", path, names)
		}
	})
}

// specBreakingChanges lists changes from old to new that break existing
// configs: removed properties, new required properties, changed types,
// narrowed enums, removed oneOf options.
func specBreakingChanges(old, new map[string]any, path string) []string {
	var out []string
	if ot, nt := fmt.Sprint(old["type"]), fmt.Sprint(new["type"]); old["type"] != nil && ot != nt {
		out = append(out, fmt.Sprintf("%s: type changed from %s to %s", orRoot(path), ot, nt))
	}
	oldReq, newReq := toSet(old["required"]), toSet(new["required"])
	for k := range newReq {
		if !oldReq[k] {
			out = append(out, fmt.Sprintf("%s: new required property %s", orRoot(path), k))
		}
	}
	if oe, ok := old["enum"].([]any); ok {
		ne := toSet(new["enum"])
		for _, v := range oe {
			if !ne[fmt.Sprint(v)] {
				out = append(out, fmt.Sprintf("%s: enum value %v removed", orRoot(path), v))
			}
		}
	}
	op, _ := old["properties"].(map[string]any)
	np, _ := new["properties"].(map[string]any)
	for _, k := range sortedKeys(op) {
		nv, ok := np[k].(map[string]any)
		if !ok {
			out = append(out, fmt.Sprintf("%s: property removed", join(path, k)))
			continue
		}
		ov, _ := op[k].(map[string]any)
		out = append(out, specBreakingChanges(ov, nv, join(path, k))...)
	}
	oo, _ := old["oneOf"].([]any)
	no, _ := new["oneOf"].([]any)
	if len(no) < len(oo) {
		out = append(out, fmt.Sprintf("%s: oneOf options removed (%d -> %d)", orRoot(path), len(oo), len(no)))
	}
	for i := 0; i < len(oo) && i < len(no); i++ {
		om, _ := oo[i].(map[string]any)
		nm, _ := no[i].(map[string]any)
		if om != nil && nm != nil {
			out = append(out, specBreakingChanges(om, nm, fmt.Sprintf("%s[oneOf %d]", path, i))...)
		}
	}
	return out
}

func orRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func toSet(v any) map[string]bool {
	out := map[string]bool{}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			out[fmt.Sprint(x)] = true
		}
	}
	return out
}

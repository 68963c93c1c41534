// Package connspec loads a connector's spec and checks configs against it:
// JSON Schema validation with messages that name the property (and never
// quote its value), and the list of values marked airbyte_secret so the
// command frame can redact them from everything it prints.
package connspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/cognitivo/radar-connectors/protocol"
)

// Spec is a parsed connector specification with its compiled config schema.
type Spec struct {
	// Message is the SPEC payload printed by the spec command.
	Message *protocol.ConnectorSpecification
	schema  *jsonschema.Schema
	tree    map[string]any
	secrets [][]string
}

// Load parses a ConnectorSpecification document (the connector's embedded
// spec.json: documentationUrl, connectionSpecification, ...) and compiles
// its connectionSpecification.
func Load(specJSON []byte) (*Spec, error) {
	var msg protocol.ConnectorSpecification
	if err := json.Unmarshal(specJSON, &msg); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	if len(msg.ConnectionSpecification) == 0 {
		return nil, errors.New("parse spec: connectionSpecification is missing")
	}
	var tree map[string]any
	if err := json.Unmarshal(msg.ConnectionSpecification, &tree); err != nil {
		return nil, fmt.Errorf("parse spec connectionSpecification: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource("spec.json", bytes.NewReader(msg.ConnectionSpecification)); err != nil {
		return nil, fmt.Errorf("load spec schema: %w", err)
	}
	sch, err := c.Compile("spec.json")
	if err != nil {
		return nil, fmt.Errorf("compile spec schema: %w", err)
	}
	s := &Spec{Message: &msg, schema: sch, tree: tree}
	collectSecretPaths(tree, nil, &s.secrets)
	return s, nil
}

// MustLoad is Load for embedded specs; it panics on error.
func MustLoad(specJSON []byte) *Spec {
	s, err := Load(specJSON)
	if err != nil {
		panic(err)
	}
	return s
}

// SecretPaths returns the property paths marked airbyte_secret, each as a
// list of keys from the config root ("[]" stands for any array element).
func (s *Spec) SecretPaths() [][]string { return s.secrets }

// Validate checks a config against the spec. The returned error is a
// protocol config_error whose message names every offending property.
func (s *Spec) Validate(config []byte) error {
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return protocol.ConfigError(nil, "config is not valid JSON: %s", jsonErrorText(err))
	}
	if dec.More() {
		return protocol.ConfigError(nil, "config is not valid JSON: trailing data after the object")
	}
	if _, ok := v.(map[string]any); !ok {
		return protocol.ConfigError(nil, "config must be a JSON object")
	}
	err := s.schema.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return protocol.ConfigError(nil, "config does not match the connector spec")
	}
	problems := describe(ve, v)
	sort.Strings(problems)
	problems = dedupe(problems)
	return protocol.ConfigError(nil, "config does not match the connector spec: %s", strings.Join(problems, "; "))
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("unexpected %s at byte %d", te.Value, te.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return "cannot parse"
}

// Secrets returns the values in config at the spec's airbyte_secret paths.
// It works on any config that parses as JSON, valid or not.
func (s *Spec) Secrets(config []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out []string
	for _, p := range s.secrets {
		collectValues(v, p, &out)
	}
	return out
}

func collectSecretPaths(node map[string]any, path []string, out *[][]string) {
	if props, ok := node["properties"].(map[string]any); ok {
		for k, raw := range props {
			child, ok := raw.(map[string]any)
			if !ok {
				continue
			}
			p := append(append([]string(nil), path...), k)
			if b, _ := child["airbyte_secret"].(bool); b {
				*out = append(*out, p)
			}
			collectSecretPaths(child, p, out)
		}
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		if arr, ok := node[kw].([]any); ok {
			for _, raw := range arr {
				if child, ok := raw.(map[string]any); ok {
					collectSecretPaths(child, path, out)
				}
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		collectSecretPaths(items, append(append([]string(nil), path...), "[]"), out)
	}
}

func collectValues(v any, path []string, out *[]string) {
	if len(path) == 0 {
		switch x := v.(type) {
		case string:
			if x != "" {
				*out = append(*out, x)
			}
		case json.Number:
			*out = append(*out, x.String())
		case map[string]any, []any:
			b, _ := json.Marshal(x)
			*out = append(*out, string(b))
		}
		return
	}
	if path[0] == "[]" {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				collectValues(e, path[1:], out)
			}
		}
		return
	}
	if m, ok := v.(map[string]any); ok {
		if child, ok := m[path[0]]; ok {
			collectValues(child, path[1:], out)
		}
	}
}

// describe turns a validation error tree into one sentence per problem.
func describe(ve *jsonschema.ValidationError, instance any) []string {
	var out []string
	walk(ve, instance, &out)
	if len(out) == 0 {
		out = append(out, "invalid value")
	}
	return out
}

func walk(ve *jsonschema.ValidationError, instance any, out *[]string) {
	kw := lastSegment(ve.KeywordLocation)
	if kw == "oneOf" || kw == "anyOf" {
		walkAlternatives(ve, instance, out)
		return
	}
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			walk(c, instance, out)
		}
		return
	}
	*out = append(*out, leafMessage(ve, kw))
}

// walkAlternatives explains a failed oneOf: if the config picked a branch by
// its const discriminator, the problems inside that branch are reported;
// otherwise the list of accepted discriminator values.
func walkAlternatives(ve *jsonschema.ValidationError, instance any, out *[]string) {
	if strings.HasPrefix(ve.Message, "valid against schemas at indexes") {
		*out = append(*out, fmt.Sprintf("%s matches more than one option", propName(ve.InstanceLocation)))
		return
	}
	var chosen []*jsonschema.ValidationError
	var consts []string
	constPath := ""
	for _, branch := range ve.Causes {
		if c, p, ok := constFailure(branch); ok {
			consts = append(consts, c)
			constPath = p
			continue
		}
		chosen = append(chosen, branch)
	}
	if len(chosen) > 0 {
		for _, b := range chosen {
			walk(b, instance, out)
		}
		return
	}
	if len(consts) > 0 {
		*out = append(*out, fmt.Sprintf("%s must be one of %s", propName(constPath), strings.Join(consts, ", ")))
		return
	}
	*out = append(*out, fmt.Sprintf("%s does not match any of its options", propName(ve.InstanceLocation)))
}

// constFailure reports whether a oneOf branch failed because its const
// discriminator did not match, returning the expected value and its location.
func constFailure(ve *jsonschema.ValidationError) (string, string, bool) {
	if lastSegment(ve.KeywordLocation) == "const" {
		return strings.TrimPrefix(ve.Message, "value must be "), ve.InstanceLocation, true
	}
	for _, c := range ve.Causes {
		if v, p, ok := constFailure(c); ok {
			return v, p, true
		}
	}
	return "", "", false
}

func leafMessage(ve *jsonschema.ValidationError, kw string) string {
	name := propName(ve.InstanceLocation)
	msg := ve.Message
	switch kw {
	case "required":
		names := strings.TrimPrefix(msg, "missing properties: ")
		var parts []string
		for _, n := range strings.Split(names, ", ") {
			n = strings.Trim(n, `'"`)
			parts = append(parts, propName(ve.InstanceLocation+"/"+n)+" is required")
		}
		return strings.Join(parts, "; ")
	case "type":
		return fmt.Sprintf("%s: %s", name, msg)
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		if i := strings.Index(msg, " but found"); i >= 0 {
			msg = msg[:i]
		}
		return fmt.Sprintf("%s %s", name, msg)
	case "format":
		return fmt.Sprintf("%s is not in the expected format", name)
	case "multipleOf":
		return fmt.Sprintf("%s is not an allowed multiple", name)
	case "additionalProperties":
		return fmt.Sprintf("%s: %s", name, msg)
	}
	return fmt.Sprintf("%s: %s", name, msg)
}

func lastSegment(loc string) string {
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		return loc[i+1:]
	}
	return loc
}

// propName renders a JSON pointer as a dotted property path in backticks.
func propName(ptr string) string {
	ptr = strings.TrimPrefix(ptr, "/")
	if ptr == "" {
		return "config"
	}
	parts := strings.Split(ptr, "/")
	for i, p := range parts {
		p = strings.ReplaceAll(p, "~1", "/")
		parts[i] = strings.ReplaceAll(p, "~0", "~")
	}
	return "`" + strings.Join(parts, ".") + "`"
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i > 0 && x == s[i-1] {
			continue
		}
		out = append(out, x)
	}
	return out
}

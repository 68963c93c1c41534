// Package protocoltest validates connector output against the official
// Airbyte protocol schema (v0.18.0, embedded) plus the rules the schema
// leaves implicit: a message carries the payload its type names, RECORD
// emitted_at is an integer, STATE is never LEGACY and its counts carry a
// decimal point. Every test that runs a connector command should pass each
// printed line through ValidateLine or ValidateOutput.
package protocoltest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/cognitivo/radar-connectors/protocol"
)

//go:embed schema/airbyte_protocol.yaml
var protocolYAML []byte

// Validator checks messages and catalogs against the protocol schema.
type Validator struct {
	message *jsonschema.Schema
	catalog *jsonschema.Schema
}

// NewValidator compiles the embedded protocol schema.
func NewValidator() (*Validator, error) {
	var tree any
	if err := yaml.Unmarshal(protocolYAML, &tree); err != nil {
		return nil, fmt.Errorf("parse protocol schema: %w", err)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("convert protocol schema to JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource("airbyte_protocol.json", bytes.NewReader(js)); err != nil {
		return nil, err
	}
	msg, err := c.Compile("airbyte_protocol.json#/definitions/AirbyteMessage")
	if err != nil {
		return nil, fmt.Errorf("compile AirbyteMessage: %w", err)
	}
	cat, err := c.Compile("airbyte_protocol.json#/definitions/ConfiguredAirbyteCatalog")
	if err != nil {
		return nil, fmt.Errorf("compile ConfiguredAirbyteCatalog: %w", err)
	}
	return &Validator{message: msg, catalog: cat}, nil
}

var (
	defaultOnce sync.Once
	defaultV    *Validator
	defaultErr  error
)

// Default returns a shared Validator.
func Default() *Validator {
	defaultOnce.Do(func() { defaultV, defaultErr = NewValidator() })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultV
}

var payloadField = map[protocol.Type]string{
	protocol.TypeRecord:             "record",
	protocol.TypeState:              "state",
	protocol.TypeLog:                "log",
	protocol.TypeSpec:               "spec",
	protocol.TypeConnectionStatus:   "connectionStatus",
	protocol.TypeCatalog:            "catalog",
	protocol.TypeTrace:              "trace",
	protocol.TypeControl:            "control",
	protocol.TypeDestinationCatalog: "destination_catalog",
}

var countRe = regexp.MustCompile(`"(recordCount|rejectedRecordCount)":\s*(-?[0-9][0-9.eE+-]*)`)

// ValidateLine checks one printed line and returns the decoded message.
func (v *Validator) ValidateLine(line []byte) (*protocol.Message, error) {
	line = bytes.TrimRight(line, "\r\n")
	if bytes.ContainsAny(line, "\n") {
		return nil, errors.New("message spans several lines")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	if err := v.message.Validate(withResetsAsEmpty(doc)); err != nil {
		return nil, fmt.Errorf("does not match the AirbyteMessage schema: %#v", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("message is not an object")
	}
	typ, _ := obj["type"].(string)
	field := payloadField[protocol.Type(typ)]
	if p, ok := obj[field]; !ok || p == nil {
		return nil, fmt.Errorf("%s message has no %q payload", typ, field)
	}
	for t, f := range payloadField {
		if f != field {
			if _, ok := obj[f]; ok {
				return nil, fmt.Errorf("%s message also carries a %q payload (for %s)", typ, f, t)
			}
		}
	}
	var m protocol.Message
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	switch m.Type {
	case protocol.TypeRecord:
		if len(m.Record.Data) == 0 || m.Record.Data[0] != '{' {
			return nil, errors.New("record.data is not an object")
		}
	case protocol.TypeState:
		if m.State.Type == "" || m.State.Type == protocol.StateLegacy {
			return nil, errors.New("STATE without type STREAM or GLOBAL (LEGACY is deprecated)")
		}
		if m.State.Type == protocol.StateStream && m.State.Stream == nil {
			return nil, errors.New("STREAM state without stream")
		}
		if m.State.Type == protocol.StateGlobal && m.State.Global == nil {
			return nil, errors.New("GLOBAL state without global")
		}
		for _, match := range countRe.FindAllSubmatch(line, -1) {
			if !bytes.ContainsAny(match[2], ".") {
				return nil, fmt.Errorf("%s %s has no decimal point", match[1], match[2])
			}
		}
	case protocol.TypeTrace:
		t := m.Trace
		switch t.Type {
		case protocol.TraceError:
			if t.Error == nil || t.Error.Message == "" {
				return nil, errors.New("TRACE ERROR without error.message")
			}
		case protocol.TraceStreamStatus:
			if t.StreamStatus == nil {
				return nil, errors.New("TRACE STREAM_STATUS without stream_status")
			}
		case protocol.TraceEstimate:
			if t.Estimate == nil {
				return nil, errors.New("TRACE ESTIMATE without estimate")
			}
		}
	}
	return &m, nil
}

// withResetsAsEmpty returns doc with every null stream_state of a STATE
// replaced by {} for schema validation. The schema types stream_state as an
// object, but the platform itself sends null to reset a stream (clear jobs),
// and a destination must echo that state unchanged.
func withResetsAsEmpty(doc any) any {
	obj, _ := doc.(map[string]any)
	st, _ := obj["state"].(map[string]any)
	if obj["type"] != string(protocol.TypeState) || st == nil {
		return doc
	}
	fix := func(ss any) {
		if m, ok := ss.(map[string]any); ok {
			if v, present := m["stream_state"]; present && v == nil {
				m["stream_state"] = map[string]any{}
			}
		}
	}
	fix(st["stream"])
	if g, ok := st["global"].(map[string]any); ok {
		if arr, ok := g["stream_states"].([]any); ok {
			for _, ss := range arr {
				fix(ss)
			}
		}
	}
	return doc
}

// ValidateConfiguredCatalog checks a configured catalog document.
func (v *Validator) ValidateConfiguredCatalog(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := v.catalog.Validate(doc); err != nil {
		return fmt.Errorf("does not match the ConfiguredAirbyteCatalog schema: %#v", err)
	}
	return nil
}

// ValidateLine validates one line, failing t (with the line number n, if
// positive) when it does not conform. It returns the decoded message or nil.
func ValidateLine(t testing.TB, n int, line []byte) *protocol.Message {
	t.Helper()
	m, err := Default().ValidateLine(line)
	if err != nil {
		t.Errorf("output line %d is not a valid Airbyte message: %v\n%s", n, err, truncate(line))
		return nil
	}
	return m
}

// ValidateOutput validates every line of a command's stdout and returns the
// decoded messages. Any line that is not a valid message fails t.
func ValidateOutput(t testing.TB, out []byte) []protocol.Message {
	t.Helper()
	var msgs []protocol.Message
	lines := bytes.Split(out, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			if i != len(lines)-1 {
				t.Errorf("output line %d is empty", i+1)
			}
			continue
		}
		if m := ValidateLine(t, i+1, line); m != nil {
			msgs = append(msgs, *m)
		}
	}
	return msgs
}

// OfType returns the messages of type typ.
func OfType(msgs []protocol.Message, typ protocol.Type) []protocol.Message {
	var out []protocol.Message
	for _, m := range msgs {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

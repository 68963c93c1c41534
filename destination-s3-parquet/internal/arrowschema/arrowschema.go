// Package arrowschema maps a stream's Airbyte JSON schema to a typed column
// tree and an Arrow schema, in one of two layouts: Airbyte destination-s3's
// current one (1.x) or the 0.3.x one. TYPES.md in the module root is the
// contract; the tests treat it as truth.
package arrowschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// Kind is the type of a column or nested value.
type Kind uint8

// Kinds.
const (
	String    Kind = iota // UTF-8 text
	JSON                  // JSON text of a schemaless or unknown value
	Bool                  // boolean
	Int64                 // 64-bit integer
	Float64               // double
	Float32               // float (0.3.x airbyte_type float)
	Decimal               // DECIMAL(Precision, Scale), exact
	Date                  // days since the epoch
	Time                  // time of day or duration, as canonical text (Athena has no TIME column)
	Timestamp             // microseconds since the epoch
	Binary                // base64-decoded bytes
	Object                // struct of Fields
	Array                 // list of Items
	Union                 // struct of Options: member0..N (0.3.x) or type + one field per option (current)
)

var kindNames = [...]string{"string", "json", "boolean", "int64", "double", "float", "decimal", "date", "time", "timestamp", "binary", "object", "array", "union"}

func (k Kind) String() string { return kindNames[k] }

// Node is the resolved type of a value.
type Node struct {
	Kind      Kind
	Precision int32 // Decimal
	Scale     int32 // Decimal
	// TZ marks timestamps and times with a time zone (stored in UTC).
	TZ bool
	// Fields are an Object's properties, in schema order.
	Fields []*Field
	// AdditionalProperties marks a 0.3.x object, which ends with an
	// _airbyte_additional_properties map for undeclared fields.
	AdditionalProperties bool
	// Items is an Array's element type.
	Items *Node
	// Options are a Union's alternatives, in order; OptionNames are their
	// field names (member0.. or integer, string, ...).
	Options     []*Node
	OptionNames []string
	// Stringify marks a 0.3.x list<string> of a schemaless array, whose
	// elements are written as text (objects as JSON).
	Stringify bool
}

// Field is a named property.
type Field struct {
	// Name is the JSON property name.
	Name string
	// Column is the sanitised column name.
	Column string
	Node   *Node
}

// Layout selects the column layout.
type Layout uint8

// Layouts.
const (
	Current Layout = iota
	Legacy
)

// Column names of the metadata columns.
const (
	ColRawID         = "_airbyte_raw_id"
	ColExtractedAt   = "_airbyte_extracted_at"
	ColGenerationID  = "_airbyte_generation_id"
	ColMeta          = "_airbyte_meta"
	ColABID          = "_airbyte_ab_id"
	ColEmittedAt     = "_airbyte_emitted_at"
	ColAdditionalPro = "_airbyte_additional_properties"
)

// Stream is the resolved schema of one stream.
type Stream struct {
	Layout Layout
	// Root is the record object; Root.Fields are the data columns.
	Root *Node
	// Schema is the Arrow schema of the written records: metadata columns
	// and data columns.
	Schema *arrow.Schema
}

// Resolve parses a stream's json_schema and resolves it for a layout.
func Resolve(jsonSchema []byte, layout Layout) (*Stream, error) {
	r := resolver{layout: layout}
	if b := bytes.TrimSpace(jsonSchema); len(b) == 0 || b[0] != '{' {
		// Nested schemas of unknown shape become text columns, but a
		// stream without an object schema would have no data column at
		// all: every record's data would be dropped.
		return nil, errors.New("json_schema is missing or not a JSON object")
	}
	raw, err := parseRaw(jsonSchema)
	if err != nil {
		return nil, fmt.Errorf("parse json_schema: %w", err)
	}
	root := &Node{Kind: Object, AdditionalProperties: layout == Legacy}
	if err := r.fields(root, raw, nil); err != nil {
		return nil, err
	}
	reserved := []string{ColRawID, ColExtractedAt, ColGenerationID, ColMeta}
	if layout == Legacy {
		reserved = []string{ColABID, ColEmittedAt, ColAdditionalPro}
	}
	sanitizeColumns(root.Fields, reserved)
	s := &Stream{Layout: layout, Root: root}
	s.Schema = arrow.NewSchema(s.metaFields(), nil)
	fields := s.Schema.Fields()
	for _, f := range root.Fields {
		fields = append(fields, arrow.Field{Name: f.Column, Type: ArrowType(f.Node, layout), Nullable: true})
	}
	if layout == Legacy {
		fields = append(fields, arrow.Field{Name: ColAdditionalPro, Type: AdditionalPropertiesType(), Nullable: true})
	}
	s.Schema = arrow.NewSchema(fields, nil)
	return s, nil
}

// MetaChangeType is the element type of _airbyte_meta.changes.
var MetaChangeType = arrow.StructOf(
	arrow.Field{Name: "field", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "change", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "reason", Type: arrow.BinaryTypes.String},
)

// MetaType is the type of _airbyte_meta.
var MetaType = arrow.StructOf(
	arrow.Field{Name: "sync_id", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "changes", Type: arrow.ListOfNonNullable(MetaChangeType)},
)

// TimestampMillisUTC is the type of _airbyte_extracted_at / _airbyte_emitted_at.
var TimestampMillisUTC = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

func (s *Stream) metaFields() []arrow.Field {
	if s.Layout == Legacy {
		return []arrow.Field{
			{Name: ColABID, Type: arrow.BinaryTypes.String},
			{Name: ColEmittedAt, Type: TimestampMillisUTC},
		}
	}
	return []arrow.Field{
		{Name: ColRawID, Type: arrow.BinaryTypes.String},
		{Name: ColExtractedAt, Type: TimestampMillisUTC},
		{Name: ColGenerationID, Type: arrow.PrimitiveTypes.Int64},
		{Name: ColMeta, Type: MetaType},
	}
}

// NumMetaColumns returns how many metadata columns precede the data columns.
func (s *Stream) NumMetaColumns() int {
	if s.Layout == Legacy {
		return 2
	}
	return 4
}

// AdditionalPropertiesType is the 0.3.x map<string,string> of undeclared fields.
func AdditionalPropertiesType() arrow.DataType {
	m := arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
	m.SetItemNullable(false)
	return m
}

// ArrowType returns the Arrow type of a node.
func ArrowType(n *Node, layout Layout) arrow.DataType {
	switch n.Kind {
	case String, JSON:
		return arrow.BinaryTypes.String
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Float32:
		return arrow.PrimitiveTypes.Float32
	case Decimal:
		if n.Precision <= 38 {
			return &arrow.Decimal128Type{Precision: n.Precision, Scale: n.Scale}
		}
		return &arrow.Decimal256Type{Precision: n.Precision, Scale: n.Scale}
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Time:
		// Athena cannot declare a TIME column, and MySQL's TIME runs from
		// -838:59:59 to 838:59:59: the canonical text keeps every value.
		return arrow.BinaryTypes.String
	case Timestamp:
		if n.TZ {
			return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case Binary:
		return arrow.BinaryTypes.Binary
	case Object:
		fs := make([]arrow.Field, 0, len(n.Fields)+1)
		for _, f := range n.Fields {
			fs = append(fs, arrow.Field{Name: f.Column, Type: ArrowType(f.Node, layout), Nullable: true})
		}
		if n.AdditionalProperties {
			fs = append(fs, arrow.Field{Name: ColAdditionalPro, Type: AdditionalPropertiesType(), Nullable: true})
		}
		return arrow.StructOf(fs...)
	case Array:
		return arrow.ListOf(ArrowType(n.Items, layout))
	case Union:
		fs := make([]arrow.Field, 0, len(n.Options)+1)
		if layout == Current {
			fs = append(fs, arrow.Field{Name: "type", Type: arrow.BinaryTypes.String, Nullable: true})
		}
		for i, o := range n.Options {
			fs = append(fs, arrow.Field{Name: n.OptionNames[i], Type: ArrowType(o, layout), Nullable: true})
		}
		return arrow.StructOf(fs...)
	}
	panic(fmt.Sprintf("arrowschema: unknown kind %d", n.Kind))
}

// rawSchema is one JSON schema node, decoded only as far as typing needs.
type rawSchema struct {
	Type            json.RawMessage   `json:"type"`
	Format          string            `json:"format"`
	AirbyteType     string            `json:"airbyte_type"`
	Ref             string            `json:"$ref"`
	Properties      json.RawMessage   `json:"properties"`
	Items           json.RawMessage   `json:"items"`
	AnyOf           []json.RawMessage `json:"anyOf"`
	OneOf           []json.RawMessage `json:"oneOf"`
	AllOf           []json.RawMessage `json:"allOf"`
	Precision       *int32            `json:"precision"`
	Scale           *int32            `json:"scale"`
	ContentEncoding string            `json:"contentEncoding"`

	types []string // non-null types
}

func parseRaw(b []byte) (*rawSchema, error) {
	var r rawSchema
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "true" || string(b) == "{}" {
		return &r, nil
	}
	if b[0] != '{' {
		return &r, nil // "false" or garbage: an unknown type
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(r.Type)
	switch {
	case len(t) == 0:
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, err
		}
		if s != "null" {
			r.types = []string{s}
		}
	case t[0] == '[':
		var ss []string
		if err := json.Unmarshal(t, &ss); err != nil {
			return nil, fmt.Errorf("type: %w", err)
		}
		for _, s := range ss {
			if s != "null" && !contains(r.types, s) {
				r.types = append(r.types, s)
			}
		}
	}
	return &r, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type resolver struct {
	layout Layout
	depth  int
}

const maxDepth = 64

// fields fills obj.Fields from raw.properties, in document order.
func (r *resolver) fields(obj *Node, raw *rawSchema, path []string) error {
	props := bytes.TrimSpace(raw.Properties)
	if len(props) == 0 || props[0] != '{' {
		return nil
	}
	var it jsonx.ObjectIter
	it.Reset(props)
	for it.Next() {
		name := string(it.Key())
		child, err := parseRaw(it.Value())
		if err != nil {
			return fmt.Errorf("json_schema property %s: %w", strings.Join(append(path, name), "."), err)
		}
		n, err := r.node(child, append(path, name))
		if err != nil {
			return err
		}
		if dup := findField(obj.Fields, name); dup != nil {
			dup.Node = n
			continue
		}
		obj.Fields = append(obj.Fields, &Field{Name: name, Node: n})
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("json_schema properties of %s: %w", strings.Join(path, "."), err)
	}
	return nil
}

func findField(fs []*Field, name string) *Field {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (r *resolver) node(raw *rawSchema, path []string) (*Node, error) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return nil, fmt.Errorf("json_schema of %s is nested deeper than %d levels", strings.Join(path, "."), maxDepth)
	}
	if raw.Ref != "" {
		return r.wrap(r.wellKnown(raw.Ref)), nil
	}
	if len(raw.types) == 0 {
		opts := raw.AnyOf
		if len(opts) == 0 {
			opts = raw.OneOf
		}
		if len(opts) == 0 && len(raw.AllOf) == 1 {
			child, err := parseRaw(raw.AllOf[0])
			if err != nil {
				return nil, err
			}
			return r.node(child, path)
		}
		if len(opts) > 0 {
			return r.unionOf(opts, path)
		}
		return r.unknown(), nil
	}
	if len(raw.types) == 1 {
		return r.single(raw, raw.types[0], path)
	}
	var nodes []*Node
	for _, t := range raw.types {
		n, err := r.single(raw, t, path)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return r.union(nodes), nil
}

func (r *resolver) unionOf(opts []json.RawMessage, path []string) (*Node, error) {
	var nodes []*Node
	for _, o := range opts {
		child, err := parseRaw(o)
		if err != nil {
			return nil, err
		}
		if len(child.types) == 0 && child.Ref == "" && len(child.AnyOf)+len(child.OneOf)+len(child.AllOf) == 0 {
			if bytes.Contains(o, []byte(`"null"`)) {
				continue // {"type":"null"}
			}
		}
		n, err := r.node(child, path)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return r.union(nodes), nil
}

// unknown is the type of a value whose schema says nothing usable.
func (r *resolver) unknown() *Node {
	if r.layout == Legacy {
		return &Node{Kind: String}
	}
	return &Node{Kind: JSON}
}

func (r *resolver) wellKnown(ref string) *Node {
	name := ref
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		name = ref[i+1:]
	}
	switch name {
	case "String":
		return &Node{Kind: String}
	case "BinaryData":
		return &Node{Kind: Binary}
	case "Date":
		return &Node{Kind: Date}
	case "TimestampWithTimezone":
		return &Node{Kind: Timestamp, TZ: true}
	case "TimestampWithoutTimezone":
		return &Node{Kind: Timestamp}
	case "TimeWithTimezone":
		// Kept as given: its offset is part of the value.
		return &Node{Kind: String}
	case "TimeWithoutTimezone":
		return &Node{Kind: Time}
	case "Number":
		return &Node{Kind: Float64}
	case "Integer":
		return &Node{Kind: Int64}
	case "Boolean":
		return &Node{Kind: Bool}
	}
	return r.unknown()
}

// single resolves one JSON type with the node's keywords.
func (r *resolver) single(raw *rawSchema, typ string, path []string) (*Node, error) {
	legacy := r.layout == Legacy
	switch typ {
	case "string":
		switch {
		case raw.Format == "date-time" || strings.HasPrefix(raw.AirbyteType, "timestamp_"):
			return r.wrap(&Node{Kind: Timestamp, TZ: raw.AirbyteType != "timestamp_without_timezone"}), nil
		case raw.Format == "date":
			return r.wrap(&Node{Kind: Date}), nil
		case raw.Format == "time" || strings.HasPrefix(raw.AirbyteType, "time_"):
			if raw.AirbyteType == "time_with_timezone" {
				return &Node{Kind: String}, nil // kept as given, offset and all
			}
			return r.wrap(&Node{Kind: Time}), nil
		case raw.AirbyteType == "big_integer":
			if legacy {
				return &Node{Kind: String}, nil
			}
			return &Node{Kind: Decimal, Precision: 38}, nil
		case raw.ContentEncoding == "base64" && !legacy:
			return &Node{Kind: Binary}, nil
		}
		return &Node{Kind: String}, nil
	case "integer":
		return r.integer(raw), nil
	case "number":
		switch {
		case raw.AirbyteType == "integer":
			return r.integer(raw), nil
		case raw.AirbyteType == "big_integer":
			if legacy {
				return &Node{Kind: String}, nil
			}
			return &Node{Kind: Decimal, Precision: 38}, nil
		case legacy && raw.AirbyteType == "float":
			return &Node{Kind: Float32}, nil
		case !legacy && raw.Precision != nil && raw.Scale != nil && validDecimal(*raw.Precision, *raw.Scale):
			if *raw.Precision > maxReadableDecimal {
				return &Node{Kind: String}, nil
			}
			return &Node{Kind: Decimal, Precision: *raw.Precision, Scale: *raw.Scale}, nil
		}
		return &Node{Kind: Float64}, nil
	case "boolean":
		return &Node{Kind: Bool}, nil
	case "object":
		n := &Node{Kind: Object, AdditionalProperties: legacy}
		if err := r.fields(n, raw, path); err != nil {
			return nil, err
		}
		if len(n.Fields) == 0 && !legacy {
			return &Node{Kind: JSON}, nil
		}
		return n, nil
	case "array":
		items := bytes.TrimSpace(raw.Items)
		if len(items) == 0 || items[0] != '{' || string(items) == "{}" {
			if legacy {
				return &Node{Kind: Array, Items: &Node{Kind: String}, Stringify: true}, nil
			}
			return &Node{Kind: JSON}, nil
		}
		child, err := parseRaw(items)
		if err != nil {
			return nil, fmt.Errorf("json_schema items of %s: %w", strings.Join(path, "."), err)
		}
		it, err := r.node(child, append(path, "[]"))
		if err != nil {
			return nil, err
		}
		if legacy && it.Kind == String {
			return &Node{Kind: Array, Items: it, Stringify: true}, nil
		}
		return &Node{Kind: Array, Items: it}, nil
	}
	return r.unknown(), nil
}

func validDecimal(p, s int32) bool { return p >= 1 && p <= 76 && s >= 0 && s <= p }

// maxReadableDecimal is the widest DECIMAL that Athena, Glue, Spark and
// DuckDB read from Parquet. Wider ones (MySQL allows 65 digits) are written
// as their exact decimal text instead of a DECIMAL(p>38) column that those
// engines reject or read as DOUBLE.
const maxReadableDecimal = 38

func (r *resolver) integer(raw *rawSchema) *Node {
	if r.layout == Current && raw.Precision != nil && *raw.Precision > 18 && *raw.Precision <= 76 {
		if *raw.Precision > maxReadableDecimal {
			return &Node{Kind: String}
		}
		return &Node{Kind: Decimal, Precision: *raw.Precision}
	}
	return &Node{Kind: Int64}
}

// wrap gives 0.3.x date, time and timestamp values their string fallback:
// a union {member0: logical, member1: string}.
func (r *resolver) wrap(n *Node) *Node {
	if r.layout != Legacy {
		return n
	}
	switch n.Kind {
	case Date, Time, Timestamp:
		return &Node{Kind: Union, Options: []*Node{n, {Kind: String}}, OptionNames: []string{"member0", "member1"}}
	}
	return n
}

// union builds a union node: 0.3.x members in order; current layout options
// named by type, like options merged, a single option demoted to itself.
func (r *resolver) union(nodes []*Node) *Node {
	if r.layout == Legacy {
		var flat []*Node
		for _, n := range nodes {
			if n.Kind == Union { // a wrapped date/time: its members join the union
				flat = append(flat, n.Options...)
				continue
			}
			flat = append(flat, n)
		}
		flat = dedupeKinds(flat)
		if len(flat) == 1 {
			return flat[0]
		}
		names := make([]string, len(flat))
		for i := range flat {
			names[i] = fmt.Sprintf("member%d", i)
		}
		return &Node{Kind: Union, Options: flat, OptionNames: names}
	}
	var opts []*Node
	var names []string
	for _, n := range nodes {
		name := OptionName(n)
		if contains(names, name) {
			continue
		}
		if n.Kind == Object || n.Kind == Array {
			n = &Node{Kind: JSON}
		}
		opts = append(opts, n)
		names = append(names, name)
	}
	if len(opts) == 0 {
		return r.unknown()
	}
	if len(opts) == 1 {
		return opts[0]
	}
	return &Node{Kind: Union, Options: opts, OptionNames: names}
}

func dedupeKinds(ns []*Node) []*Node {
	var out []*Node
	seen := map[string]bool{}
	for _, n := range ns {
		k := n.Kind.String()
		if n.Kind == Object || n.Kind == Array {
			out = append(out, n)
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, n)
	}
	return out
}

// OptionName is the field name of a union option in the current layout.
func OptionName(n *Node) string {
	switch n.Kind {
	case Int64:
		return "integer"
	case Float64, Float32, Decimal:
		return "number"
	case Bool:
		return "boolean"
	case Object:
		return "object"
	case Array:
		return "array"
	case Date:
		return "date"
	case Time:
		if n.TZ {
			return "time_with_timezone"
		}
		return "time_without_timezone"
	case Timestamp:
		if n.TZ {
			return "timestamp_with_timezone"
		}
		return "timestamp_without_timezone"
	case JSON:
		return "json"
	}
	return "string"
}

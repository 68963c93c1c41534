package appender

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// column is one field of an object: its JSON name, its appender and the
// path reported in _airbyte_meta.changes.
type column struct {
	name []byte
	// column is the sanitised column name, the key of the field's exact
	// text in a 0.3.x _airbyte_additional_properties map.
	column []byte
	path   string
	app    appender
}

// fieldSet appends the fields of a JSON object to a row of builders, one per
// declared field, in declaration order. Undeclared fields are dropped
// (current layout) or collected in an _airbyte_additional_properties map
// (0.3.x layout).
type fieldSet struct {
	cols   []column
	index  map[string]int
	seen   []uint32
	gen    uint32
	next   int
	extra  *array.MapBuilder // 0.3.x additional properties, or nil
	keyBuf []byte
	// extraPath is the path reported for the additional properties.
	extraPath string
}

func (fs *fieldSet) lookup(key []byte) int {
	// Sources write fields in schema order: try the next one first.
	if fs.next < len(fs.cols) && string(fs.cols[fs.next].name) == string(key) {
		return fs.next
	}
	if i, ok := fs.index[string(key)]; ok {
		return i
	}
	return -1
}

// appendObject appends the fields of obj, a JSON object that the protocol
// reader has already validated: values are delimited with fast scans that
// do not re-validate, and the expected next key is matched by comparing
// bytes, so each byte of a record is looked at about once.
func (fs *fieldSet) appendObject(obj []byte, row *row) {
	fs.begin()
	extraOpen := false
	b := obj
	i := jsonx.SkipSpace(b, 1)
	for i < len(b) && b[i] == '"' {
		idx := -1
		var key []byte
		if fs.next < len(fs.cols) {
			if name := fs.cols[fs.next].name; hasKeyAt(b, i, name) {
				idx = fs.next
				key = name
				i += len(name) + 2
			}
		}
		if idx < 0 {
			content, escaped, end, err := jsonx.ScanString(b, i)
			if err != nil {
				return // cannot happen: the line was validated
			}
			key = content
			if escaped {
				fs.keyBuf, _ = jsonx.Unescape(fs.keyBuf[:0], content)
				key = fs.keyBuf
			}
			idx = fs.lookup(key)
			i = end
		}
		i = jsonx.SkipSpace(b, i)
		i = jsonx.SkipSpace(b, i+1) // past ':'
		end := valueEnd(b, i)
		v := b[i:end]
		i = jsonx.SkipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = jsonx.SkipSpace(b, i+1)
		}
		fs.appendField(idx, key, v, row, &extraOpen)
	}
	fs.end(extraOpen)
}

// appendFields appends the fields of an object located by the protocol
// reader (jsonx.IndexObject), which validated it: nothing is scanned again.
func (fs *fieldSet) appendFields(fields []jsonx.Field, row *row) {
	fs.begin()
	extraOpen := false
	for k := range fields {
		f := &fields[k]
		key := f.Key
		if f.KeyEscaped {
			fs.keyBuf, _ = jsonx.Unescape(fs.keyBuf[:0], key)
			key = fs.keyBuf
		}
		// A string value's escapes are known: its content is not searched
		// for them again.
		row.plain = f.Value[0] == '"' && !f.ValueEscaped
		// Nor for bytes above 0x7f, when the reader saw none.
		row.ascii = f.Value[0] == '"' && !f.ValueNonASCII
		fs.appendField(fs.lookup(key), key, f.Value, row, &extraOpen)
		row.plain, row.ascii = false, false
	}
	fs.end(extraOpen)
}

// begin starts an object: no field seen yet.
func (fs *fieldSet) begin() {
	fs.gen++
	if fs.gen == 0 { // wrapped: clear the stamps
		for i := range fs.seen {
			fs.seen[i] = 0
		}
		fs.gen = 1
	}
	fs.next = 0
}

// appendField appends the value v of the field key, the column idx (-1 when
// the field is not declared).
func (fs *fieldSet) appendField(idx int, key, v []byte, row *row, extraOpen *bool) {
	if idx < 0 || fs.seen[idx] == fs.gen {
		if idx < 0 && fs.extra != nil && string(v) != "null" {
			if !*extraOpen {
				fs.extra.Append(true)
				*extraOpen = true
			}
			kb := fs.extra.KeyBuilder().(*array.StringBuilder)
			kb.BinaryBuilder.Append(validText(key, row, fs.extraPath))
			ib := fs.extra.ItemBuilder().(*array.StringBuilder)
			if sc, ok := stringContent(v, row); ok {
				ib.BinaryBuilder.Append(validText(sc, row, fs.extraPath))
			} else {
				ib.BinaryBuilder.Append(validText(v, row, fs.extraPath))
			}
		}
		return
	}
	fs.seen[idx] = fs.gen
	fs.next = idx + 1
	c := &fs.cols[idx]
	if len(v) == 4 && string(v) == "null" {
		c.app.appendNull()
		return
	}
	if !c.app.try(v, row) {
		c.app.appendNull()
		row.bad(c.path)
		if fs.extra != nil {
			fs.keepExact(c.column, v, row, extraOpen)
		}
		return
	}
	if row.inexact {
		row.inexact = false
		if fs.extra != nil {
			fs.keepExact(c.column, v, row, extraOpen)
		}
	}
}

// keepExact writes a declared field's exact value into the 0.3.x
// _airbyte_additional_properties map, under its column name: the value
// did not survive its typed column (nulled, or a DOUBLE that does not give
// back the same decimal). Strings are kept as their text, other values as
// their JSON text, as for undeclared fields.
func (fs *fieldSet) keepExact(column, v []byte, row *row, extraOpen *bool) {
	if !*extraOpen {
		fs.extra.Append(true)
		*extraOpen = true
	}
	fs.extra.KeyBuilder().(*array.StringBuilder).BinaryBuilder.Append(column)
	ib := fs.extra.ItemBuilder().(*array.StringBuilder)
	if sc, ok := stringContent(v, row); ok {
		ib.BinaryBuilder.Append(validText(sc, row, fs.extraPath))
	} else {
		ib.BinaryBuilder.Append(validText(v, row, fs.extraPath))
	}
}

// end appends nulls for the declared fields the object did not have.
func (fs *fieldSet) end(extraOpen bool) {
	for i := range fs.seen {
		if fs.seen[i] != fs.gen {
			fs.cols[i].app.appendNull()
		}
	}
	if fs.extra != nil && !extraOpen {
		fs.extra.AppendNull()
	}
}

// hasKeyAt reports whether b[i:] starts with the JSON string "name".
func hasKeyAt(b []byte, i int, name []byte) bool {
	e := i + 1 + len(name)
	return e < len(b) && b[e] == '"' && string(b[i+1:e]) == string(name)
}

// valueEnd returns the end of the (valid) JSON value at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		j := i + 1
		for {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				return len(b)
			}
			j += k
			// The quote ends the string unless an odd number of
			// backslashes precedes it.
			n := 0
			for p := j - 1; p > i && b[p] == '\\'; p-- {
				n++
			}
			if n%2 == 0 {
				return j + 1
			}
			j++
		}
	case '{', '[':
		end, err := jsonx.SkipValue(b, i)
		if err != nil {
			return len(b)
		}
		return end
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

func (fs *fieldSet) appendNulls() {
	for i := range fs.cols {
		fs.cols[i].app.appendNull()
	}
	if fs.extra != nil {
		fs.extra.AppendNull()
	}
}

// objectAppender writes a JSON object into a struct column.
type objectAppender struct {
	b  *array.StructBuilder
	fs fieldSet
}

func (a *objectAppender) try(v []byte, row *row) bool {
	if len(v) == 0 || v[0] != '{' {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	a.b.Append(true)
	a.fs.appendObject(v, row)
	return true
}

func (a *objectAppender) appendNull() { a.b.AppendNull() }

// listAppender writes a JSON array into a list column.
type listAppender struct {
	b    *array.ListBuilder
	elem appender
	path string
	// stringify writes every element as text (0.3.x schemaless arrays).
	stringify bool
	// keepExact (0.3.x) marks the list inexact when an element was nulled
	// or inexact, so that the array's exact text is kept beside it.
	keepExact bool
}

func (a *listAppender) try(v []byte, row *row) bool {
	if len(v) == 0 || v[0] != '[' {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	a.b.Append(true)
	i := jsonx.SkipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return true
	}
	lossy := false
	defer func() { row.inexact = lossy && a.keepExact }()
	for i < len(v) {
		end, err := jsonx.SkipValue(v, i)
		if err != nil {
			return true // cannot happen: the line was validated
		}
		e := v[i:end]
		switch {
		case string(e) == "null":
			a.elem.appendNull()
		case !a.elem.try(e, row):
			a.elem.appendNull()
			row.bad(a.path)
			lossy = true
		case row.inexact:
			lossy = true
		}
		row.inexact = false
		i = jsonx.SkipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = jsonx.SkipSpace(v, i+1)
			continue
		}
		break
	}
	return true
}

func (a *listAppender) appendNull() { a.b.AppendNull() }

// legacyUnionAppender writes a 0.3.x union: a struct of member0..N where the
// first member that accepts the value holds it and the others are null.
type legacyUnionAppender struct {
	b       *array.StructBuilder
	members []appender
	kinds   []arrowschema.Kind
}

func (a *legacyUnionAppender) try(v []byte, row *row) bool {
	// First the members made for the value's JSON kind, then any string
	// member as the fallback (a date that does not parse goes to member1).
	for pass := 0; pass < 2; pass++ {
		for i, m := range a.members {
			if pass == 0 && !accepts(a.kinds[i], v) || pass == 1 && a.kinds[i] != arrowschema.String {
				continue
			}
			if m.try(v, row) {
				a.b.Append(true)
				for j, o := range a.members {
					if j != i {
						o.appendNull()
					}
				}
				return true
			}
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *legacyUnionAppender) appendNull() { a.b.AppendNull() }

// unionAppender writes a current-layout union: a struct with a "type" field
// naming the option that holds the value, and one field per option.
type unionAppender struct {
	b     *array.StructBuilder
	typ   *array.StringBuilder
	names [][]byte
	kinds []arrowschema.Kind
	opts  []appender
	// order is the order options are tried in: integer before number,
	// dates and times before string.
	order []int
}

func (a *unionAppender) try(v []byte, row *row) bool {
	for _, i := range a.order {
		o := a.opts[i]
		if !accepts(a.kinds[i], v) {
			continue
		}
		if o.try(v, row) {
			a.b.Append(true)
			a.typ.BinaryBuilder.Append(a.names[i])
			for j, p := range a.opts {
				if j != i {
					p.appendNull()
				}
			}
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *unionAppender) appendNull() { a.b.AppendNull() }

// accepts reports whether an option of kind k may hold a JSON value of v's
// kind (it may still fail to parse).
func accepts(k arrowschema.Kind, v []byte) bool {
	switch v[0] {
	case '"':
		switch k {
		case arrowschema.String, arrowschema.Date, arrowschema.Time, arrowschema.Timestamp, arrowschema.Binary:
			return true
		}
	case '{':
		return k == arrowschema.Object || k == arrowschema.JSON
	case '[':
		return k == arrowschema.Array || k == arrowschema.JSON
	case 't', 'f':
		return k == arrowschema.Bool
	default:
		switch k {
		case arrowschema.Int64, arrowschema.Float64, arrowschema.Float32, arrowschema.Decimal:
			return true
		}
	}
	return false
}

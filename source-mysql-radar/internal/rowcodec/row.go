package rowcodec

import (
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// RowEncoder encodes whole rows of a fixed column list as JSON objects. It
// is not safe for concurrent use; each reader owns one.
type RowEncoder struct {
	cols     []*column.Column
	names    []string
	encoders []Encoder
	kinds    []column.Kind
	keys     [][]byte // `"name":` with a leading comma from the second field on
	changes  []protocol.MetaChange
}

// NewRowEncoder returns an encoder for rows whose values come in the order
// of cols.
func NewRowEncoder(cols []*column.Column) *RowEncoder {
	r := &RowEncoder{cols: cols}
	for i, c := range cols {
		var k []byte
		if i > 0 {
			k = append(k, ',')
		}
		k = jsonx.AppendString(k, c.Name)
		k = append(k, ':')
		r.keys = append(r.keys, k)
		r.names = append(r.names, c.Name)
		r.encoders = append(r.encoders, For(c))
		r.kinds = append(r.kinds, c.Kind)
	}
	return r
}

// Columns returns the columns the encoder was made for.
func (r *RowEncoder) Columns() []*column.Column { return r.cols }

// Len returns the number of columns.
func (r *RowEncoder) Len() int { return len(r.encoders) }

// AppendObject appends the row as a JSON object: {"a":1,"b":null}. values
// holds one text-protocol value per column (nil for NULL); extra values past
// the encoder's columns are ignored. SQL NULL is always an explicit null, so
// a row is never encoded as {}.
func (r *RowEncoder) AppendObject(dst []byte, values [][]byte) []byte {
	dst = append(dst, '{')
	dst = r.AppendFields(dst, values)
	return append(dst, '}')
}

// AppendFields appends the row's fields without the surrounding braces, so
// that a caller can add fields of its own (the CDC metadata columns) after a
// comma. It resets Changes.
func (r *RowEncoder) AppendFields(dst []byte, values [][]byte) []byte {
	r.changes = r.changes[:0]
	for i, k := range r.kinds {
		dst = append(dst, r.keys[i]...)
		v := values[i]
		ok := true
		// The common kinds are encoded without an interface call; the
		// functions are the same ones the Encoders use.
		switch {
		case v == nil:
			dst = append(dst, null...)
		case k == column.KindString:
			dst = jsonx.AppendBytesString(dst, v)
		case k == column.KindInt:
			dst, ok = integerEncoder{}.AppendJSON(dst, v)
		default:
			dst, ok = r.encoders[i].AppendJSON(dst, v)
		}
		if !ok {
			r.changes = append(r.changes, protocol.MetaChange{
				Field: r.names[i], Change: protocol.ChangeNulled, Reason: protocol.ReasonSourceSerializationError,
			})
		}
	}
	return dst
}

// Changes returns the fields nulled by the last AppendObject or
// AppendFields call; the slice is valid until the next call.
func (r *RowEncoder) Changes() []protocol.MetaChange { return r.changes }

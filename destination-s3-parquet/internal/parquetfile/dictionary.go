package parquetfile

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// dictionarySample is how many leading values of a column are looked at.
const dictionarySample = 4096

// maxDistinctRatio is the share of distinct values above which a column is
// written without a dictionary: a dictionary of nearly unique values costs
// a hash lookup per value and is dropped at the dictionary page limit
// anyway (parquet-mr's fallback), after bloating the first pages.
const maxDistinctRatio = 0.5

// HighCardinalityColumns returns the top-level primitive columns of rec
// whose first values are mostly distinct. Nested columns are left alone.
func HighCardinalityColumns(rec arrow.RecordBatch) []string {
	var out []string
	for i, f := range rec.Schema().Fields() {
		if ratio, ok := distinctRatio(rec.Column(i)); ok && ratio > maxDistinctRatio {
			out = append(out, f.Name)
		}
	}
	return out
}

func distinctRatio(a arrow.Array) (float64, bool) {
	n := min(a.Len(), dictionarySample)
	if n < 64 {
		return 0, false
	}
	seen := make(map[string]struct{}, n)
	nonNull := 0
	add := func(k string) { seen[k] = struct{}{} }
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			continue
		}
		nonNull++
		switch c := a.(type) {
		case *array.String:
			add(c.Value(i))
		case *array.Binary:
			add(string(c.Value(i)))
		case *array.Int64:
			add(string(arrow.Int64Traits.CastToBytes(c.Int64Values()[i : i+1])))
		case *array.Float64:
			add(string(arrow.Float64Traits.CastToBytes(c.Float64Values()[i : i+1])))
		case *array.Float32:
			add(string(arrow.Float32Traits.CastToBytes(c.Float32Values()[i : i+1])))
		case *array.Timestamp:
			add(string(arrow.TimestampTraits.CastToBytes(c.TimestampValues()[i : i+1])))
		case *array.Time64:
			add(string(arrow.Time64Traits.CastToBytes(c.Time64Values()[i : i+1])))
		case *array.Date32:
			add(string(arrow.Date32Traits.CastToBytes(c.Date32Values()[i : i+1])))
		case *array.Decimal128:
			v := c.Value(i)
			var k [16]byte
			binary.LittleEndian.PutUint64(k[:8], v.LowBits())
			binary.LittleEndian.PutUint64(k[8:], uint64(v.HighBits()))
			add(string(k[:]))
		default:
			return 0, false
		}
	}
	if nonNull < 64 {
		return 0, false
	}
	return float64(len(seen)) / float64(nonNull), true
}

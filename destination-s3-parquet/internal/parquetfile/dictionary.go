package parquetfile

import (
	"encoding/binary"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// dictionarySample is how many leading values of a column are looked at.
const dictionarySample = 2048

// maxDistinctRatio is the share of distinct values above which a column is
// written without a dictionary: a dictionary of nearly unique values costs
// a hash lookup per value and is dropped at the dictionary page limit
// anyway (parquet-mr's fallback), after bloating the first pages.
const maxDistinctRatio = 0.5

// HighCardinalityColumns returns the primitive columns of rec, top-level
// or inside structs (as dotted paths, e.g. "open_time.member0" of a 0.3.x
// TIME), whose first values are mostly distinct. Lists and maps are left
// alone.
func HighCardinalityColumns(rec arrow.RecordBatch) []string {
	var out []string
	for i, f := range rec.Schema().Fields() {
		out = highCardinality(out, f.Name, rec.Column(i))
	}
	return out
}

func highCardinality(out []string, path string, a arrow.Array) []string {
	if st, ok := a.(*array.Struct); ok {
		t := st.DataType().(*arrow.StructType)
		for j := 0; j < st.NumField(); j++ {
			out = highCardinality(out, path+"."+t.Field(j).Name, st.Field(j))
		}
		return out
	}
	if ratio, ok := distinctRatio(a); ok && ratio > maxDistinctRatio {
		out = append(out, path)
	}
	return out
}

var seed = maphash.MakeSeed()

func distinctRatio(a arrow.Array) (float64, bool) {
	n := min(a.Len(), dictionarySample)
	if n < 64 {
		return 0, false
	}
	seen := make(map[uint64]struct{}, n)
	nonNull := 0
	var k [16]byte
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			continue
		}
		nonNull++
		var key []byte
		switch c := a.(type) {
		case *array.String:
			seen[maphash.String(seed, c.Value(i))] = struct{}{}
			continue
		case *array.Binary:
			key = c.Value(i)
		case *array.Int64:
			binary.LittleEndian.PutUint64(k[:8], uint64(c.Value(i)))
			key = k[:8]
		case *array.Float64:
			binary.LittleEndian.PutUint64(k[:8], math.Float64bits(c.Value(i)))
			key = k[:8]
		case *array.Float32:
			binary.LittleEndian.PutUint32(k[:4], math.Float32bits(c.Value(i)))
			key = k[:4]
		case *array.Timestamp:
			binary.LittleEndian.PutUint64(k[:8], uint64(c.Value(i)))
			key = k[:8]
		case *array.Time64:
			binary.LittleEndian.PutUint64(k[:8], uint64(c.Value(i)))
			key = k[:8]
		case *array.Date32:
			binary.LittleEndian.PutUint32(k[:4], uint32(c.Value(i)))
			key = k[:4]
		case *array.Decimal128:
			v := c.Value(i)
			binary.LittleEndian.PutUint64(k[:8], v.LowBits())
			binary.LittleEndian.PutUint64(k[8:], uint64(v.HighBits()))
			key = k[:]
		default:
			return 0, false
		}
		seen[maphash.Bytes(seed, key)] = struct{}{}
	}
	if nonNull < 64 {
		return 0, false
	}
	return float64(len(seen)) / float64(nonNull), true
}

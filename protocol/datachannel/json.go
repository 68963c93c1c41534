package datachannel

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// AppendValueJSON appends the JSON of a value as a JSON record would carry
// it: integers and decimal text as numbers, dates, times and timestamps as
// ISO 8601 text with six fractional digits (UTC instants with "Z"), JSON
// values as they are. A number that JSON cannot hold (NaN, ±Inf) is null.
func AppendValueJSON(dst []byte, v *Value) []byte {
	switch v.Kind {
	case ValueBool:
		return strconv.AppendBool(dst, v.Bool)
	case ValueString:
		return jsonx.AppendBytesString(dst, v.Bytes)
	case ValueInteger:
		return strconv.AppendInt(dst, v.Int, 10)
	case ValueBigInteger, ValueBigDecimal, ValueJSON:
		return append(dst, v.Bytes...)
	case ValueNumber:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, v.Float, 'g', -1, 64)
	case ValueDate:
		dst = append(dst, '"')
		dst = time.Unix(v.Int*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
		return append(dst, '"')
	case ValueTimeWithoutTimezone:
		dst = append(dst, '"')
		dst = appendClock(dst, v.Nanos)
		return append(dst, '"')
	case ValueTimeWithTimezone:
		dst = append(dst, '"')
		dst = appendClock(dst, v.Nanos)
		dst = appendOffset(dst, v.Offset)
		return append(dst, '"')
	case ValueTimestampWithoutTimezone:
		dst = append(dst, '"')
		dst = time.Unix(v.Int*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
		dst = append(dst, 'T')
		dst = appendClock(dst, v.Nanos)
		return append(dst, '"')
	case ValueTimestampWithTimezone:
		t := time.Unix(v.Int, int64(v.Nanos)).In(time.FixedZone("", int(v.Offset)))
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000000")
		dst = appendOffset(dst, v.Offset)
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

// appendClock appends hh:mm:ss.ffffff of nanoseconds since midnight.
func appendClock(dst []byte, nanos uint64) []byte {
	sec := nanos / 1e9
	return fmt.Appendf(dst, "%02d:%02d:%02d.%06d", sec/3600, sec/60%60, sec%60, nanos%1e9/1e3)
}

// appendOffset appends "Z" for UTC, else ±hh:mm.
func appendOffset(dst []byte, off int32) []byte {
	if off == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Appendf(dst, "%c%02d:%02d", sign, off/3600, off/60%60)
}

// AppendDataJSON appends the record.data JSON object of a record whose
// values are those of names, the stream's property names sorted, every
// one of them present (null included), as the source's JSON records write
// them. Values past names are an error.
func AppendDataJSON(dst []byte, rv *RecordView, names []string) ([]byte, error) {
	dst = append(dst, '{')
	it := rv.Values()
	first := true
	for i := 0; it.Next(); i++ {
		if i >= len(names) {
			return dst, fmt.Errorf("%w: record has more values than the stream's %d properties", ErrMalformed, len(names))
		}
		v := it.Value()
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonx.AppendString(dst, names[i])
		dst = append(dst, ':')
		dst = AppendValueJSON(dst, v)
	}
	if err := it.Err(); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

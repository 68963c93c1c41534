package column

import (
	"strconv"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// AppendJSONSchema appends the column's JSON schema (the value of its entry
// in the stream's "properties") to dst. See TYPES.md.
func (c *Column) AppendJSONSchema(dst []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = c.appendType(dst, jsonType(c.Kind))
	switch c.Kind {
	case KindInt, KindYear:
		dst = append(dst, `,"airbyte_type":"integer"`...)
	case KindUint64:
		dst = append(dst, `,"airbyte_type":"integer","precision":20,"scale":0`...)
	case KindDecimalInt:
		dst = append(dst, `,"airbyte_type":"integer"`...)
		dst = appendPrecisionScale(dst, c.Precision, 0)
	case KindDecimal:
		dst = appendPrecisionScale(dst, c.Precision, c.Scale)
	case KindDate:
		dst = append(dst, `,"format":"date"`...)
	case KindDatetime:
		dst = append(dst, `,"format":"date-time","airbyte_type":"timestamp_without_timezone"`...)
	case KindTimestamp:
		dst = append(dst, `,"format":"date-time","airbyte_type":"timestamp_with_timezone"`...)
	case KindTime:
		dst = append(dst, `,"format":"time","airbyte_type":"time_without_timezone"`...)
	case KindBinary, KindBits:
		dst = append(dst, `,"contentEncoding":"base64"`...)
	case KindString:
		if (c.DataType == "char" || c.DataType == "varchar") && c.CharMaxLength >= 0 {
			dst = append(dst, `,"maxLength":`...)
			dst = strconv.AppendInt(dst, c.CharMaxLength, 10)
		}
	}
	dst = append(dst, `,"x-mysql-type":`...)
	dst = jsonx.AppendString(dst, c.ColumnType)
	return append(dst, '}')
}

func appendPrecisionScale(dst []byte, p, s int64) []byte {
	if p > 0 {
		dst = append(dst, `,"precision":`...)
		dst = strconv.AppendInt(dst, p, 10)
	}
	if s < 0 {
		s = 0
	}
	dst = append(dst, `,"scale":`...)
	return strconv.AppendInt(dst, s, 10)
}

// jsonType is the JSON schema "type" of a kind.
func jsonType(k Kind) string {
	switch k {
	case KindBoolInt, KindBoolBit:
		return "boolean"
	case KindInt, KindUint64, KindFloat, KindDouble, KindDecimal, KindDecimalInt, KindYear:
		return "number"
	}
	return "string"
}

func (c *Column) appendType(dst []byte, t string) []byte {
	if c.Nullable || c.CanBeNulled() {
		dst = append(dst, `["null","`...)
		dst = append(dst, t...)
		return append(dst, `"]`...)
	}
	dst = append(dst, '"')
	dst = append(dst, t...)
	return append(dst, '"')
}

// CanBeNulled reports whether the connector may null a value of the column
// even when the column is NOT NULL: DATE, DATETIME and TIMESTAMP hold zero
// dates ('0000-00-00') that no JSON date can express. Their schema always
// allows null.
func (c *Column) CanBeNulled() bool {
	switch c.Kind {
	case KindDate, KindDatetime, KindTimestamp:
		return true
	}
	return false
}

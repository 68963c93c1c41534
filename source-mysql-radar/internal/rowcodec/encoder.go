// Package rowcodec turns MySQL values into the JSON of Airbyte records.
//
// Every column gets one Encoder, chosen once from its column.Column. An
// Encoder appends the JSON value of the column's MySQL text-protocol
// representation (what go-sql-driver hands out as sql.RawBytes) to a
// caller-owned buffer, without allocating. The snapshot reader feeds it the
// bytes of a scanned row; the CDC reader converts binlog values into the same
// text form first, so both paths always agree. TYPES.md documents the output.
package rowcodec

import (
	"encoding/base64"
	"math"
	"strconv"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// Encoder appends the JSON value of one column.
type Encoder interface {
	// AppendJSON appends to dst the JSON value of text, the column's value
	// in the MySQL text protocol; nil text is SQL NULL and appends null.
	// When the value cannot be represented (a zero or invalid date, a
	// malformed number) it appends null and returns ok == false, and the
	// caller reports the field as NULLED.
	AppendJSON(dst, text []byte) (out []byte, ok bool)
}

// For returns the encoder of a classified column.
func For(c *column.Column) Encoder {
	switch c.Kind {
	case column.KindBoolInt:
		return boolIntEncoder{}
	case column.KindBoolBit:
		return boolBitEncoder{}
	case column.KindInt, column.KindUint64, column.KindYear, column.KindDecimalInt:
		return integerEncoder{}
	case column.KindDecimal:
		return decimalEncoder{}
	case column.KindFloat:
		return floatEncoder{bits: 32}
	case column.KindDouble:
		return floatEncoder{bits: 64}
	case column.KindDate:
		return dateEncoder{}
	case column.KindDatetime:
		return datetimeEncoder{}
	case column.KindTimestamp:
		return datetimeEncoder{utc: true}
	case column.KindTime:
		return timeEncoder{}
	case column.KindBinary, column.KindBits:
		return binaryEncoder{}
	}
	return stringEncoder{}
}

var null = []byte("null")

type stringEncoder struct{}

func (stringEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	return jsonx.AppendBytesString(dst, text), true
}

type binaryEncoder struct{}

func (binaryEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, text)
	return append(dst, '"'), true
}

// boolIntEncoder maps tinyint(1): 0 is false, any other value true.
type boolIntEncoder struct{}

func (boolIntEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	switch {
	case text == nil:
		return append(dst, null...), true
	case isZeroInteger(text):
		return append(dst, "false"...), true
	}
	return append(dst, "true"...), true
}

func isZeroInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	for _, c := range b {
		if c != '0' {
			return false
		}
	}
	return true
}

// boolBitEncoder maps bit(1), which the text protocol sends as one raw byte.
type boolBitEncoder struct{}

func (boolBitEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	for _, c := range text {
		if c != 0 {
			return append(dst, "true"...), true
		}
	}
	return append(dst, "false"...), true
}

// integerEncoder copies the digits, dropping the leading zeros of ZEROFILL
// columns and YEAR's "0000". Values are never converted, so BIGINT UNSIGNED
// and DECIMAL(65,0) stay exact.
type integerEncoder struct{}

func (integerEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	neg := len(text) > 0 && text[0] == '-'
	digits := text
	if neg || (len(text) > 0 && text[0] == '+') {
		digits = text[1:]
	}
	if len(digits) == 0 || !allDigits(digits) {
		return append(dst, null...), false
	}
	digits = trimLeadingZeros(digits)
	if neg && !(len(digits) == 1 && digits[0] == '0') {
		dst = append(dst, '-')
	}
	return append(dst, digits...), true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// trimLeadingZeros keeps at least one digit.
func trimLeadingZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	return b
}

// decimalEncoder copies a DECIMAL's digits as a JSON number: exact, with
// the column's scale ("1.50"), never through float64.
type decimalEncoder struct{}

func (decimalEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	neg := len(text) > 0 && text[0] == '-'
	s := text
	if neg || (len(s) > 0 && s[0] == '+') {
		s = s[1:]
	}
	intPart, frac := s, []byte(nil)
	for i, c := range s {
		if c == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if len(intPart) == 0 || !allDigits(intPart) || !allDigits(frac) || (frac != nil && len(frac) == 0) {
		return append(dst, null...), false
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, trimLeadingZeros(intPart)...)
	if len(frac) > 0 {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst, true
}

// floatEncoder writes DOUBLE as the server printed it when that is a plain
// decimal, reformats exponent forms (servers differ: 1e308, 1e+308), and FLOAT (read widened to DOUBLE) as the shortest decimal
// that round-trips its single-precision value.
type floatEncoder struct{ bits int }

func (e floatEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	if e.bits == 64 && isJSONNumber(text) && !hasExponent(text) {
		return append(dst, text...), true
	}
	f, err := strconv.ParseFloat(string(text), 64) // no allocation: the conversion does not escape
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return append(dst, null...), false
	}
	if e.bits == 32 {
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			return append(dst, null...), false
		}
		return appendFloat(dst, float64(f32), 32), true
	}
	return appendFloat(dst, f, 64), true
}

// appendFloat formats like JavaScript: plain digits between 1e-7 and 1e21,
// exponent notation outside.
func appendFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-7 && abs < 1e21) {
		return strconv.AppendFloat(dst, f, 'f', -1, bits)
	}
	return strconv.AppendFloat(dst, f, 'e', -1, bits)
}

func hasExponent(b []byte) bool {
	for _, c := range b {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// isJSONNumber reports whether b matches the JSON number grammar.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

package appender

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// appender converts one JSON value into one Arrow builder. Appenders are
// chosen once per column; try is called once per value.
type appender interface {
	// try appends v, a raw JSON value other than null. It returns false
	// when v cannot be converted; then nothing was appended and row.reason
	// says why.
	try(v []byte, row *row) bool
	appendNull()
}

// stringContent returns the decoded content of a JSON string value (already
// validated), or ok=false when v is not a string.
func stringContent(v []byte, row *row) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	content := v[1 : len(v)-1]
	if !row.plain && bytes.IndexByte(content, '\\') >= 0 {
		row.str, _ = jsonx.Unescape(row.str[:0], content)
		return row.str, true
	}
	return content, true
}

// numberText returns the text of a JSON number, or of a JSON string holding
// one.
func numberText(v []byte, row *row) ([]byte, bool) {
	if len(v) == 0 {
		return nil, false
	}
	if v[0] == '"' {
		return stringContent(v, row)
	}
	if v[0] == '-' || (v[0] >= '0' && v[0] <= '9') {
		return v, true
	}
	return nil, false
}

type stringAppender struct {
	b    *array.StringBuilder
	path string
}

func (a *stringAppender) try(v []byte, row *row) bool {
	s, ok := stringContent(v, row)
	if !ok {
		// Any other JSON value is kept as its JSON text.
		s = v
	} else if row.ascii {
		appendBinary(a.b.BinaryBuilder, s)
		return true
	}
	appendBinary(a.b.BinaryBuilder, validText(s, row, a.path))
	return true
}

// appendBinary appends v to b, without Reserve(1)'s call when b has room
// for the value and its bytes (Record.Reserve sized the row group's
// builders): the same array either way.
func appendBinary(b *array.BinaryBuilder, v []byte) {
	if b.Len() < b.Cap() && b.DataLen()+len(v) <= b.DataCap() {
		b.UnsafeAppend(v)
	} else {
		b.Append(v)
	}
}

// validText returns s if it is valid UTF-8, else a copy (in row.str2) with
// each invalid byte replaced by U+FFFD, reported for path (unless empty).
func validText(s []byte, row *row, path string) []byte {
	if isASCII(s) || utf8.Valid(s) {
		return s
	}
	row.str2 = append(row.str2[:0], []byte(string([]rune(string(s))))...)
	if path != "" && row.invalid != nil {
		row.invalid(path)
	}
	return row.str2
}

func (a *stringAppender) appendNull() { a.b.AppendNull() }

// isASCII reports whether s has no byte above 0x7f, eight bytes at a time.
func isASCII(s []byte) bool {
	for len(s) >= 8 {
		if binary.LittleEndian.Uint64(s)&0x8080808080808080 != 0 {
			return false
		}
		s = s[8:]
	}
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// jsonAppender keeps a value as JSON text.
type jsonAppender struct {
	b    *array.StringBuilder
	path string
}

func (a *jsonAppender) try(v []byte, row *row) bool {
	appendBinary(a.b.BinaryBuilder, validText(v, row, a.path))
	return true
}

func (a *jsonAppender) appendNull() { a.b.AppendNull() }

type boolAppender struct {
	b *array.BooleanBuilder
}

func (a *boolAppender) try(v []byte, row *row) bool {
	switch string(v) {
	case "true", `"true"`, `"TRUE"`, `"True"`:
		a.b.Append(true)
		return true
	case "false", `"false"`, `"FALSE"`, `"False"`:
		a.b.Append(false)
		return true
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *boolAppender) appendNull() { a.b.AppendNull() }

type int64Appender struct {
	b *array.Int64Builder
}

func (a *int64Appender) try(v []byte, row *row) bool {
	if n, ok := parseIntFast(v); ok {
		if a.b.Len() < a.b.Cap() {
			a.b.UnsafeAppend(n)
		} else {
			a.b.Append(n)
		}
		return true
	}
	t, ok := numberText(v, row)
	if !ok || !splitNumber(t, &row.num) {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	n, ok, _ := row.num.toInt64()
	if !ok {
		row.reason = protocol.ReasonDestinationTypecastError
		return false
	}
	a.b.Append(n)
	return true
}

func (a *int64Appender) appendNull() { a.b.AppendNull() }

type float64Appender struct {
	b *array.Float64Builder
}

func (a *float64Appender) try(v []byte, row *row) bool {
	t, ok := numberText(v, row)
	if ok {
		var f float64
		if f, ok = parseFloat(t, 64); ok {
			if a.b.Len() < a.b.Cap() {
				a.b.UnsafeAppend(f)
			} else {
				a.b.Append(f)
			}
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *float64Appender) appendNull() { a.b.AppendNull() }

type float32Appender struct {
	b *array.Float32Builder
}

func (a *float32Appender) try(v []byte, row *row) bool {
	t, ok := numberText(v, row)
	if ok {
		var f float64
		if f, ok = parseFloat(t, 32); ok {
			a.b.Append(float32(f))
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *float32Appender) appendNull() { a.b.AppendNull() }

// exactFloatAppender writes a 0.3.x DOUBLE (or FLOAT) column, whose
// crawled type a DECIMAL keeps: when the value's shortest formatting does
// not give back the same decimal (DECIMAL(38,10) at its limits becomes
// 1e+28) it sets row.inexact, and the field's exact text is kept in
// _airbyte_additional_properties as well.
type exactFloatAppender struct {
	b64 *array.Float64Builder
	b32 *array.Float32Builder
}

func (a *exactFloatAppender) try(v []byte, row *row) bool {
	t, ok := numberText(v, row)
	if !ok {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	bits := 64
	if a.b32 != nil {
		bits = 32
	}
	f, ok := parseFloat(t, bits)
	if !ok {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	if a.b64 != nil {
		if a.b64.Len() < a.b64.Cap() {
			a.b64.UnsafeAppend(f)
		} else {
			a.b64.Append(f)
		}
	} else {
		a.b32.Append(float32(f))
	}
	if !roundTrips(t, f, bits, row) {
		row.inexact = true
	}
	return true
}

func (a *exactFloatAppender) appendNull() {
	if a.b64 != nil {
		a.b64.AppendNull()
	} else {
		a.b32.AppendNull()
	}
}

// roundTrips reports whether f, the float of the number text t, formatted
// in its shortest form (strconv 'g', -1) is the same decimal number as t
// ("1.50" and 1.5 are; "9999999999999999999999999999.9999999999" and
// 1e+28 are not). Text that is not a decimal number (NaN, Infinity) is
// held by the float itself.
func roundTrips(t []byte, f float64, bits int, row *row) bool {
	// Plain decimals of at most 15 digits (6 for a float) round-trip by
	// construction (DBL_DIG, FLT_DIG): no formatting.
	maxDigits := 15
	if bits == 32 {
		maxDigits = 6
	}
	n := 0
	plain := true
	for _, c := range t {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '.' || c == '-' || c == '+':
		default:
			plain = false
		}
	}
	if plain && n <= maxDigits {
		return true
	}
	if !splitNumber(t, &row.num) {
		return true
	}
	row.fmtBuf = strconv.AppendFloat(row.fmtBuf[:0], f, 'g', -1, bits)
	if !splitNumber(row.fmtBuf, &row.num2) {
		return false // ±Inf from a finite decimal
	}
	return row.num.neg == row.num2.neg && row.num.exp == row.num2.exp && bytes.Equal(row.num.digits, row.num2.digits)
}

type decimalAppender struct {
	b128      *array.Decimal128Builder
	b256      *array.Decimal256Builder
	precision int32
	scale     int32
}

func (a *decimalAppender) try(v []byte, row *row) bool {
	t, ok := numberText(v, row)
	if ok && a.b128 != nil && a.precision <= 18 {
		if u, neg, fast := decimalFast(t, a.precision, a.scale); fast {
			d := decimal128.New(0, u)
			if neg {
				d = d.Negate()
			}
			if a.b128.Len() < a.b128.Cap() {
				a.b128.UnsafeAppend(d)
			} else {
				a.b128.Append(d)
			}
			return true
		}
	}
	if !ok || !splitNumber(t, &row.num) {
		row.reason = protocol.ReasonDestinationSerializationError
		return false
	}
	var digits []byte
	digits, ok = row.num.unscaled(row.digits, a.precision, a.scale)
	row.digits = digits
	if !ok {
		row.reason = protocol.ReasonDestinationTypecastError
		return false
	}
	if a.b128 != nil {
		if d := decimal128Of(digits, row.num.neg); a.b128.Len() < a.b128.Cap() {
			a.b128.UnsafeAppend(d)
		} else {
			a.b128.Append(d)
		}
	} else {
		a.b256.Append(decimal256Of(digits, row.num.neg))
	}
	return true
}

// pow10u64 holds 10^0 to 10^18.
var pow10u64 = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decimalFast returns the unscaled value of t, of the form
// [-]digits[.digits] with at most scale fraction digits and at most 18
// digits, for a decimal of precision at most 18, as splitNumber and
// unscaled would (ok=false when it does not fit, and for any other form:
// the general path decides).
func decimalFast(t []byte, precision, scale int32) (u uint64, neg, ok bool) {
	if len(t) > 0 && t[0] == '-' {
		neg = true
		t = t[1:]
	}
	if len(t) == 0 || len(t) > 19 {
		return 0, false, false
	}
	n, frac := 0, -1
	for i, c := range t {
		if c == '.' {
			if frac >= 0 || i == 0 || i == len(t)-1 {
				return 0, false, false
			}
			frac = i + 1
			continue
		}
		if c-'0' > 9 {
			return 0, false, false
		}
		u = u*10 + uint64(c-'0')
		n++
	}
	f := 0
	if frac >= 0 {
		f = len(t) - frac
	}
	e := int(scale) - f
	if n > 18 || e < 0 || precision > 18 {
		return 0, false, false
	}
	if u == 0 {
		return 0, neg, true
	}
	// Fits when the unscaled value has at most precision digits.
	if e > int(precision) || u >= pow10u64[int(precision)-e] {
		return 0, false, false
	}
	return u * pow10u64[e], neg, true
}

func (a *decimalAppender) appendNull() {
	if a.b128 != nil {
		a.b128.AppendNull()
	} else {
		a.b256.AppendNull()
	}
}

type dateAppender struct {
	b *array.Date32Builder
}

func (a *dateAppender) try(v []byte, row *row) bool {
	s, ok := stringContent(v, row)
	if ok {
		var days int64
		var end int
		days, end, ok = parseDate(s)
		if ok && end != len(s) {
			// A date-time in a date column: keep its date if it parses.
			var us int64
			if us, ok = parseTimestamp(s); ok {
				days = floorDiv(us, 86400e6)
			}
		}
		if ok && days >= math.MinInt32 && days <= math.MaxInt32 {
			if a.b.Len() < a.b.Cap() {
				a.b.UnsafeAppend(arrow.Date32(days))
			} else {
				a.b.Append(arrow.Date32(days))
			}
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *dateAppender) appendNull() { a.b.AppendNull() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// timeAppender writes a time as its canonical text (appendTimeText): a
// STRING column, since Athena has no TIME column type.
type timeAppender struct {
	b *array.StringBuilder
}

func (a *timeAppender) try(v []byte, row *row) bool {
	s, ok := stringContent(v, row)
	if ok {
		if row.digits, ok = appendTimeText(row.digits[:0], s); ok {
			appendBinary(a.b.BinaryBuilder, row.digits)
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *timeAppender) appendNull() { a.b.AppendNull() }

type timestampAppender struct {
	b *array.TimestampBuilder
}

func (a *timestampAppender) try(v []byte, row *row) bool {
	s, ok := stringContent(v, row)
	if ok {
		var us int64
		if us, ok = parseTimestamp(s); ok {
			if a.b.Len() < a.b.Cap() {
				a.b.UnsafeAppend(arrow.Timestamp(us))
			} else {
				a.b.Append(arrow.Timestamp(us))
			}
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *timestampAppender) appendNull() { a.b.AppendNull() }

type binaryAppender struct {
	b *array.BinaryBuilder
}

func (a *binaryAppender) try(v []byte, row *row) bool {
	s, ok := stringContent(v, row)
	if ok {
		// Unpadded text decodes to up to RawStdEncoding.DecodedLen bytes,
		// more than StdEncoding.DecodedLen reserves (3 for "YWJjZA", which
		// is "abcd"): size the buffer for the larger of the two.
		n := base64.RawStdEncoding.DecodedLen(len(s))
		if m := base64.StdEncoding.DecodedLen(len(s)); m > n {
			n = m
		}
		if cap(row.bin) < n {
			row.bin = make([]byte, n)
		}
		dst := row.bin[:n]
		var err error
		if n, err = base64.StdEncoding.Decode(dst, s); err != nil {
			n, err = base64.RawStdEncoding.Decode(dst, s)
		}
		if err == nil {
			a.b.Append(dst[:n])
			return true
		}
	}
	row.reason = protocol.ReasonDestinationSerializationError
	return false
}

func (a *binaryAppender) appendNull() { a.b.AppendNull() }

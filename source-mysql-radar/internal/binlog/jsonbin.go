package binlog

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// MySQL's binary JSON (the JSON column type of MySQL 5.7+; MariaDB's JSON
// is LONGTEXT and arrives as text). AppendMySQLJSON writes it the way
// MySQL prints a JSON value in the text protocol, so that a JSON column
// reads the same by snapshot and by CDC: members as "key": value
// separated by ", ", keys in the stored (canonical) order, integral
// doubles with ".0".

const (
	jsonSmallObject = 0x00
	jsonLargeObject = 0x01
	jsonSmallArray  = 0x02
	jsonLargeArray  = 0x03
	jsonLiteral     = 0x04
	jsonInt16       = 0x05
	jsonUint16      = 0x06
	jsonInt32       = 0x07
	jsonUint32      = 0x08
	jsonInt64       = 0x09
	jsonUint64      = 0x0a
	jsonDouble      = 0x0b
	jsonString      = 0x0c
	jsonOpaque      = 0x0f
)

var errJSON = errors.New("corrupt binary JSON value")

// AppendMySQLJSON appends the text of a binary JSON document.
func AppendMySQLJSON(dst, doc []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, errJSON
		}
	}()
	if len(doc) == 0 {
		return append(dst, "null"...), nil
	}
	return appendJSONValue(dst, doc[0], doc[1:], 0)
}

func appendJSONValue(dst []byte, typ byte, data []byte, depth int) ([]byte, error) {
	if depth > 200 {
		return dst, errJSON
	}
	switch typ {
	case jsonSmallObject, jsonLargeObject, jsonSmallArray, jsonLargeArray:
		return appendJSONContainer(dst, typ, data, depth)
	case jsonLiteral:
		switch data[0] {
		case 0:
			return append(dst, "null"...), nil
		case 1:
			return append(dst, "true"...), nil
		case 2:
			return append(dst, "false"...), nil
		}
		return dst, errJSON
	case jsonInt16:
		return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(data))), 10), nil
	case jsonUint16:
		return strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint16(data)), 10), nil
	case jsonInt32:
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(data))), 10), nil
	case jsonUint32:
		return strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(data)), 10), nil
	case jsonInt64:
		return strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(data)), 10), nil
	case jsonUint64:
		return strconv.AppendUint(dst, binary.LittleEndian.Uint64(data), 10), nil
	case jsonDouble:
		return appendJSONDouble(dst, math.Float64frombits(binary.LittleEndian.Uint64(data))), nil
	case jsonString:
		n, l := varLen(data)
		return appendQuoted(dst, data[l:l+n]), nil
	case jsonOpaque:
		return appendJSONOpaque(dst, data)
	}
	return dst, errJSON
}

func appendJSONContainer(dst []byte, typ byte, data []byte, depth int) ([]byte, error) {
	large := typ == jsonLargeObject || typ == jsonLargeArray
	object := typ == jsonSmallObject || typ == jsonLargeObject
	off := 2
	if large {
		off = 4
	}
	readN := func(p int) int {
		if large {
			return int(binary.LittleEndian.Uint32(data[p:]))
		}
		return int(binary.LittleEndian.Uint16(data[p:]))
	}
	count := readN(0)
	pos := 2 * off // count and size
	keyEntries := pos
	if object {
		pos += count * (off + 2)
	}
	valueEntries := pos
	open, close := byte('['), byte(']')
	if object {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	var err error
	for i := range count {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		if object {
			ke := keyEntries + i*(off+2)
			ko := readN(ke)
			kl := int(binary.LittleEndian.Uint16(data[ke+off:]))
			dst = appendQuoted(dst, data[ko:ko+kl])
			dst = append(dst, ": "...)
		}
		ve := valueEntries + i*(1+off)
		vt := data[ve]
		if inlined(vt, large) {
			dst, err = appendJSONValue(dst, vt, data[ve+1:], depth+1)
		} else {
			dst, err = appendJSONValue(dst, vt, data[readN(ve+1):], depth+1)
		}
		if err != nil {
			return dst, err
		}
	}
	return append(dst, close), nil
}

// inlined reports whether a value of type t is stored in its value entry.
func inlined(t byte, large bool) bool {
	switch t {
	case jsonLiteral, jsonInt16, jsonUint16:
		return true
	case jsonInt32, jsonUint32:
		return large
	}
	return false
}

// varLen reads a variable-length integer (7 bits per byte).
func varLen(b []byte) (n, size int) {
	for i := 0; i < 5; i++ {
		n |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return n, i + 1
		}
	}
	panic(errJSON)
}

// appendQuoted appends a JSON string the way MySQL quotes: ", \ and
// control characters escaped, everything else as is.
func appendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c >= utf8.RuneSelf:
			_, size := utf8.DecodeRune(s[i:])
			dst = append(dst, s[i:i+size]...)
			i += size
			continue
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONDouble writes a double as MySQL does in JSON: the shortest
// digits that read back as the value, in plain notation for moderate
// exponents, otherwise like 1e20 / 1.5e-7, and ".0" after an integral
// value written plainly.
func appendJSONDouble(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e15) {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
		// Go writes 1e+20 / 1e-07; MySQL writes 1e20 / 1e-7.
		for i := start; i < len(dst); i++ {
			if dst[i] == 'e' {
				j := i + 1
				if dst[j] == '+' {
					dst = append(dst[:j], dst[j+1:]...)
				} else if dst[j] == '-' {
					j++
				}
				for j < len(dst)-1 && dst[j] == '0' {
					dst = append(dst[:j], dst[j+1:]...)
				}
				break
			}
		}
		return dst
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// appendJSONOpaque writes a value of another MySQL type stored in JSON:
// DECIMAL as a number, temporal values as quoted strings, anything else as
// MySQL's "base64:typeN:..." string.
func appendJSONOpaque(dst, data []byte) ([]byte, error) {
	ft := data[0]
	n, l := varLen(data[1:])
	v := data[1+l : 1+l+n]
	switch ft {
	case gomysql.MYSQL_TYPE_NEWDECIMAL:
		if len(v) < 2 {
			return dst, errJSON
		}
		prec, scale := int(v[0]), int(v[1])
		if len(v) < 2+decimalSize(prec, scale) {
			return dst, errJSON
		}
		return appendDecimal(dst, v[2:2+decimalSize(prec, scale)], prec, scale), nil
	case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_TIMESTAMP,
		gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2, gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2:
		if len(v) < 8 {
			return dst, errJSON
		}
		packed := int64(binary.LittleEndian.Uint64(v))
		dst = append(dst, '"')
		dst = appendPackedTime(dst, ft, packed)
		return append(dst, '"'), nil
	}
	dst = append(dst, `"base64:type`...)
	dst = strconv.AppendInt(dst, int64(ft), 10)
	dst = append(dst, ':')
	dst = base64.StdEncoding.AppendEncode(dst, v)
	return append(dst, '"'), nil
}

// appendPackedTime formats MySQL's in-memory packed temporal value (the
// longlong of TIME_to_longlong_packed).
func appendPackedTime(dst []byte, ft byte, packed int64) []byte {
	neg := packed < 0
	if neg {
		packed = -packed
	}
	micros := int(packed % (1 << 24))
	v := packed >> 24
	switch ft {
	case gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2:
		return appendClock(dst, neg, int(v>>12%(1<<10)), int(v>>6%64), int(v%64), micros, 6)
	}
	ymd := v >> 17
	ym := ymd >> 5
	hms := v % (1 << 17)
	dst = appendDate(dst, int(ym/13), int(ym%13), int(ymd%32))
	if ft == gomysql.MYSQL_TYPE_DATE {
		return dst
	}
	dst = append(dst, ' ')
	return appendClock(dst, false, int(hms>>12), int(hms>>6%64), int(hms%64), micros, 6)
}

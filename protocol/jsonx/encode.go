// Package jsonx holds the allocation-free JSON primitives the connectors use
// on their hot paths: appending escaped strings to a reused buffer, skipping
// and validating values without building a tree, and iterating the fields of
// an object. Everything works on byte slices owned by the caller.
package jsonx

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// needsEscape[b] is true for the bytes that cannot appear verbatim inside a
// JSON string: the quote, the backslash and the ASCII control characters.
// Bytes >= 0x80 are handled separately so invalid UTF-8 can be replaced.
var needsEscape [256]bool

func init() {
	for i := 0; i < 0x20; i++ {
		needsEscape[i] = true
	}
	needsEscape['"'] = true
	needsEscape['\\'] = true
}

// AppendString appends s to dst as a quoted JSON string. Invalid UTF-8 is
// replaced by U+FFFD so the output is always valid JSON; HTML characters are
// not escaped.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscapedBytes(dst, stringBytes(s))
	return append(dst, '"')
}

// AppendBytesString is AppendString for a byte slice.
func AppendBytesString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	dst = appendEscapedBytes(dst, s)
	return append(dst, '"')
}

// AppendEscaped appends the escaped form of s without the surrounding quotes.
func AppendEscaped(dst []byte, s string) []byte { return appendEscapedBytes(dst, stringBytes(s)) }

// AppendEscapedBytes appends the escaped form of s without the surrounding quotes.
func AppendEscapedBytes(dst []byte, s []byte) []byte { return appendEscapedBytes(dst, s) }

// stringBytes views s as bytes without copying; the result is only read.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// appendEscapedBytes is the escaper behind every Append function, on the
// hot path of encoding text columns. It works eight bytes at a time: a
// chunk that needs no attention (no control character, quote, backslash or
// non-ASCII byte) is copied whole, and otherwise the scan jumps straight to
// the first byte that does. Two-byte UTF-8 sequences (the accents of
// Portuguese text) are checked inline; longer ones go through
// utf8.DecodeRune.
func appendEscapedBytes(dst []byte, s []byte) []byte {
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			m := attention8(binary.LittleEndian.Uint64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			// The lowest flagged byte is a true one: the tests' borrows
			// only carry upwards.
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !needsEscape[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapeByte(dst, c)
			i++
			start = i
			continue
		}
		if c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// attention8 returns a mask with the high bit set in each byte of x that
// may need attention: a control character, a quote, a backslash or a
// non-ASCII byte. Bytes above a flagged one may be flagged falsely; the
// lowest flagged byte never is.
func attention8(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	control := (x - lsb*0x20) & ^x & msb
	quote := x ^ (lsb * '"')
	quote = (quote - lsb) & ^quote & msb
	backslash := x ^ (lsb * '\\')
	backslash = (backslash - lsb) & ^backslash & msb
	return control | quote | backslash | x&msb
}

func appendEscapeByte(dst []byte, c byte) []byte {
	switch c {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// AppendFloatCount appends n as a JSON number that always carries a decimal
// point ("12.0"), as the protocol asks for AirbyteStateStats counts.
func AppendFloatCount(dst []byte, n int64) []byte {
	dst = appendInt(dst, n)
	return append(dst, '.', '0')
}

func appendInt(dst []byte, n int64) []byte {
	if n == 0 {
		return append(dst, '0')
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	for u > 0 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		dst = append(dst, '-')
	}
	return append(dst, buf[i:]...)
}

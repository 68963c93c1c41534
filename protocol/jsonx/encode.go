// Package jsonx holds the allocation-free JSON primitives the connectors use
// on their hot paths: appending escaped strings to a reused buffer, skipping
// and validating values without building a tree, and iterating the fields of
// an object. Everything works on byte slices owned by the caller.
package jsonx

import (
	"unicode/utf8"
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
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// AppendBytesString is AppendString for a byte slice.
func AppendBytesString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	dst = appendEscapedBytes(dst, s)
	return append(dst, '"')
}

// AppendEscaped appends the escaped form of s without the surrounding quotes.
func AppendEscaped(dst []byte, s string) []byte { return appendEscaped(dst, s) }

// AppendEscapedBytes appends the escaped form of s without the surrounding quotes.
func AppendEscapedBytes(dst []byte, s []byte) []byte { return appendEscapedBytes(dst, s) }

func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
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
		r, size := utf8.DecodeRuneInString(s[i:])
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

func appendEscapedBytes(dst []byte, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); {
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

package rowcodec

import (
	"encoding/binary"
	"unicode/utf8"
)

// appendJSONString appends s as a quoted JSON string, with the same output
// as jsonx.AppendBytesString (invalid UTF-8 becomes \ufffd), but skipping
// runs of plain ASCII eight bytes at a time: most column text needs no
// escaping, and this loop is the largest cost of encoding a row.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) && plain8(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, c)
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
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes of x needs attention: no
// control character, quote, backslash or non-ASCII byte. False positives
// only send bytes to the careful path.
func plain8(x uint64) bool {
	control := (x - lsb*0x20) & ^x & msb
	quote := (x ^ (lsb * '"'))
	quote = (quote - lsb) & ^quote & msb
	backslash := (x ^ (lsb * '\\'))
	backslash = (backslash - lsb) & ^backslash & msb
	return (control | quote | backslash | x&msb) == 0
}

const hex = "0123456789abcdef"

func appendEscape(dst []byte, c byte) []byte {
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
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

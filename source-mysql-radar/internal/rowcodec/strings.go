package rowcodec

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// appendJSONString appends s as a quoted JSON string, with the same output
// as jsonx.AppendBytesString (invalid UTF-8 becomes \ufffd). It is the
// largest cost of encoding text-heavy rows, so it works eight bytes at a
// time: a chunk that needs no attention (no control character, quote,
// backslash or non-ASCII byte) is skipped whole, and otherwise the scan
// jumps straight to the first byte that does. Two-byte UTF-8 sequences (the
// accents of Portuguese text) are checked inline.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
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
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// attention8 returns a mask with the high bit set in each byte of x that
// may need attention: a control character, a quote, a backslash or a
// non-ASCII byte. Bytes above a flagged one may be flagged falsely; the
// lowest flagged byte never is.
func attention8(x uint64) uint64 {
	control := (x - lsb*0x20) & ^x & msb
	quote := x ^ (lsb * '"')
	quote = (quote - lsb) & ^quote & msb
	backslash := x ^ (lsb * '\\')
	backslash = (backslash - lsb) & ^backslash & msb
	return control | quote | backslash | x&msb
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

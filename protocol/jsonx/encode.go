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
// hot path of encoding text columns. skipClean passes over the bytes that
// are copied as they are, eight at a time; the byte it stops at is escaped,
// replaced by U+FFFD (an invalid byte), or starts a valid sequence of three
// or four bytes, which utf8.DecodeRune checks.
func appendEscapedBytes(dst []byte, s []byte) []byte {
	start, i := 0, 0
	for {
		i = skipClean(s, i)
		if i >= len(s) {
			break
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

// skipClean returns the index of the first byte from i on that is not
// clean: clean bytes are ASCII other than control characters, quotes and
// backslashes, and complete two-byte UTF-8 sequences (the accents of
// Portuguese text). It returns len(s) if all are; i must not be inside a
// UTF-8 sequence. A window of eight clean bytes moves i by eight whatever
// its content (a lead in its top byte is carried into the next window's
// test), so the next load never waits for this one's test.
func skipClean(s []byte, i int) int {
	// ASCII text is tested by the cheaper half of the test alone, with a
	// branch. From the first window that needs the rest, every window is
	// tested whole without that branch, which accents every few windows
	// would make unpredictable: on Portuguese text that is not in the
	// cache (the source's rows come from the other core) the branch-free
	// loop ran 2.4 GB/s and the branching one 1.7 (in L2: 2.5 and 3.6).
	for i+8 <= len(s) {
		x := binary.LittleEndian.Uint64(s[i:])
		if special8(x)|x&0x8080808080808080 != 0 {
			break
		}
		i += 8
	}
	var carry uint64 // 0x80 when the byte before i leads a two-byte sequence
	for i+8 <= len(s) {
		x := binary.LittleEndian.Uint64(s[i:])
		bad, lead := check8(x, special8(x), carry)
		if bad != 0 {
			return i + firstUnclean(bad, lead, carry)
		}
		carry = lead >> 56
		i += 8
	}
	if carry != 0 {
		i-- // back to the lead: its continuation is in the tail, if anywhere
	}
	n := len(s) - i
	if n <= 0 {
		return i
	}
	if len(s) < 8 {
		for i < len(s) {
			c := s[i]
			switch {
			case c < utf8.RuneSelf && !needsEscape[c]:
				i++
			case c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
				i += 2
			default:
				return i
			}
		}
		return i
	}
	// The tail, loaded with the bytes before it, which are shifted out,
	// and padded with spaces.
	keep := ^uint64(0) >> ((64 - uint(n)*8) & 63)
	x := binary.LittleEndian.Uint64(s[len(s)-8:])>>((64-uint(n)*8)&63) | 0x2020202020202020&^keep
	sp := special8(x)
	if sp|x&0x8080808080808080 == 0 {
		return len(s)
	}
	bad, lead := check8(x, sp, 0)
	bad |= lead & (1 << 63) // a lead in the last byte has no continuation
	if bad == 0 {
		return len(s)
	}
	return i + min(firstUnclean(bad, lead, 0), n)
}

// check8 tests the eight bytes of x, read little-endian, whose special8
// is sp. bad has the high bit set in the lowest byte that is not clean
// (see skipClean), if any, and may have it in higher ones; lead has it in
// the bytes that lead a two-byte sequence. carry is 0x80 if the byte
// before x is such a lead.
func check8(x, sp, carry uint64) (bad, lead uint64) {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	hi := x & msb
	// The high bytes, by their next two bits: 10xxxxxx continues a
	// sequence, 110xxxxx leads a two-byte one (C0 and C1, whose bits
	// 4 to 1 are zero, only overlong ones), 111xxxxx leads a longer one
	// or is invalid.
	b6 := x << 1 & msb
	b5 := x << 2 & msb
	lead = hi & b6 &^ b5
	cont := hi &^ b6
	overlong := lead &^ ((x&(lsb*0x1E) + lsb*0x7F) & msb)
	// Each continuation must follow a lead and each lead be followed by
	// a continuation (a lead in the top byte is checked with the next
	// window).
	bad = sp | hi&b6&b5 | overlong | (cont ^ (lead<<8 | carry))
	return bad, lead
}

// firstUnclean returns the position in the window of the first byte that
// is not clean, from check8's results: the lowest flagged byte, or the
// lead just below it whose continuation it is not (-1 for the byte before
// the window).
func firstUnclean(bad, lead, carry uint64) int {
	k := bits.TrailingZeros64(bad) >> 3
	prev := lead<<8 | carry
	return k - int(prev>>(uint(k)*8+7)&1)
}

// special8 returns a mask with the high bit set in each byte of x that is
// a control character, a quote or a backslash. Bytes above a flagged one
// may be flagged falsely (the tests' borrows carry upwards); the lowest
// flagged byte never is, and with no such byte the mask is zero.
func special8(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	// A byte's high bit is set by the subtractions only where the byte is
	// below 0x20, equal to the quote or the backslash, or is borrowed from
	// by a flagged byte below; &^ x drops the bytes that had it already.
	t := (x - lsb*0x20) | (x ^ lsb*'"' - lsb) | (x ^ lsb*'\\' - lsb)
	return t &^ x & msb
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

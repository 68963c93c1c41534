package jsonx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects the scanner accepts.
// Deeper input is rejected instead of exhausting memory or the stack.
const MaxDepth = 10000

// SyntaxError describes malformed JSON. Offset is the byte position in the
// scanned slice. The message never quotes the input, which may be personal
// data.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

// ErrTooDeep is wrapped by errors for input nested deeper than MaxDepth.
var ErrTooDeep = errors.New("nesting deeper than the limit")

var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	return i
}

// ScanString scans the string literal that starts at b[i] (which must be a
// quote). It returns the raw content between the quotes, whether that content
// contains escape sequences, and the index just past the closing quote.
// Control characters and malformed escapes are errors.
func ScanString(b []byte, i int) (content []byte, escaped bool, end int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, false, i, syntaxErr(i, "expected string")
	}
	start := i + 1
	j := start
	for j < len(b) {
		// Skip 8 plain bytes at a time: no quote, backslash or control byte.
		for j+8 <= len(b) && !hasSpecial(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		// Then byte by byte through the chunk that holds a special byte.
		end := min(j+8, len(b))
		for j < end && !needsEscape[b[j]] {
			j++
		}
		if j == end {
			continue
		}
		c := b[j]
		switch {
		case c == '"':
			return b[start:j], escaped, j + 1, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(b) {
				return nil, false, j, syntaxErr(j, "unterminated escape")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex4(b[j+2:j+6]) {
					return nil, false, j, syntaxErr(j, "invalid \\u escape")
				}
				j += 6
			default:
				return nil, false, j, syntaxErr(j, "invalid escape character")
			}
		default:
			return nil, false, j, syntaxErr(j, "control character in string")
		}
	}
	return nil, false, len(b), syntaxErr(len(b), "unterminated string")
}

// scanString is ScanString that also reports whether the raw content holds
// a byte of 0x80 or above (it is not plain ASCII), noticed on the way
// (IndexObject's values). ScanString keeps a copy of the loop without it:
// making ScanString a wrapper of this cost the Reader 5 % per record
// (BenchmarkReaderRecord/learned 402 -> 428 ns/op).
func scanString(b []byte, i int) (content []byte, escaped, nonASCII bool, end int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, false, false, i, syntaxErr(i, "expected string")
	}
	start := i + 1
	j := start
	var high uint64 // the OR of the bytes passed, for the high bit
	for j < len(b) {
		// Skip 8 plain bytes at a time: no quote, backslash or control byte.
		for j+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[j:])
			if hasSpecial(v) {
				break
			}
			high |= v
			j += 8
		}
		// Then byte by byte through the chunk that holds a special byte.
		end := min(j+8, len(b))
		for j < end && !needsEscape[b[j]] {
			high |= uint64(b[j])
			j++
		}
		if j == end {
			continue
		}
		c := b[j]
		switch {
		case c == '"':
			return b[start:j], escaped, high&msb != 0, j + 1, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(b) {
				return nil, false, false, j, syntaxErr(j, "unterminated escape")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex4(b[j+2:j+6]) {
					return nil, false, false, j, syntaxErr(j, "invalid \\u escape")
				}
				j += 6
			default:
				return nil, false, false, j, syntaxErr(j, "invalid escape character")
			}
		default:
			return nil, false, false, j, syntaxErr(j, "control character in string")
		}
	}
	return nil, false, false, len(b), syntaxErr(len(b), "unterminated string")
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasSpecial reports whether any byte of v is a quote, a backslash or below
// 0x20 (SWAR: a byte-wise zero test on v^pattern and on v-0x20).
func hasSpecial(v uint64) bool {
	q := v ^ (lsb * '"')
	bs := v ^ (lsb * '\\')
	return ((q-lsb)&^q|(bs-lsb)&^bs|(v-lsb*0x20)&^v)&msb != 0
}

func isHex4(h []byte) bool {
	for _, c := range h {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// Unescape appends the decoded form of raw string content (as returned by
// ScanString) to dst. Lone surrogates become U+FFFD, as encoding/json does.
func Unescape(dst, content []byte) ([]byte, error) {
	for i := 0; i < len(content); {
		c := content[i]
		if c != '\\' {
			j := i + 1
			for j < len(content) && content[j] != '\\' {
				j++
			}
			dst = append(dst, content[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(content) {
			return dst, syntaxErr(i, "unterminated escape")
		}
		switch content[i+1] {
		case '"', '\\', '/':
			dst = append(dst, content[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+6 > len(content) || !isHex4(content[i+2:i+6]) {
				return dst, syntaxErr(i, "invalid \\u escape")
			}
			r := hexVal(content[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(content) && content[i] == '\\' && content[i+1] == 'u' && isHex4(content[i+2:i+6]) {
					r2 := hexVal(content[i+2 : i+6])
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, syntaxErr(i, "invalid escape character")
		}
		i += 2
	}
	return dst, nil
}

// ScanNumber scans the number that starts at b[i] and returns the index just
// past it. It enforces the JSON grammar (no leading zeros, no bare dot).
func ScanNumber(b []byte, i int) (int, error) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, syntaxErr(start, "invalid number")
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, syntaxErr(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, syntaxErr(start, "invalid number")
		}
	}
	return i, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, syntaxErr(i, "invalid literal")
	}
	return i + len(lit), nil
}

// SkipValue validates and skips the JSON value that starts at or after b[i]
// (leading whitespace is skipped) and returns the index just past it. It does
// not recurse, so arbitrarily deep input cannot overflow the stack; nesting
// beyond MaxDepth is an error wrapping ErrTooDeep.
func SkipValue(b []byte, i int) (int, error) { return skipValue(b, i, 0) }

// skipValue is SkipValue for a value nested in depth containers (which
// count towards MaxDepth).
func skipValue(b []byte, i int, depth int) (int, error) {
	// stack holds the open containers: '{' or '['.
	var small [32]byte
	stack := small[:0]
	i = SkipSpace(b, i)
	for {
		if i >= len(b) {
			return i, syntaxErr(i, "unexpected end of input")
		}
		// Parse one value at b[i].
		var err error
		switch c := b[i]; {
		case c == '"':
			_, _, i, err = ScanString(b, i)
		case c == '{' || c == '[':
			if len(stack)+depth >= MaxDepth {
				return i, fmt.Errorf("invalid JSON at byte %d: %w", i, ErrTooDeep)
			}
			stack = append(stack, c)
			i = SkipSpace(b, i+1)
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i < len(b) && b[i] == closer {
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				if i, err = skipKey(b, i); err != nil {
					return i, err
				}
			}
			continue
		case c == 't':
			i, err = scanLiteral(b, i, "true")
		case c == 'f':
			i, err = scanLiteral(b, i, "false")
		case c == 'n':
			i, err = scanLiteral(b, i, "null")
		case c == '-' || (c >= '0' && c <= '9'):
			i, err = ScanNumber(b, i)
		default:
			return i, syntaxErr(i, "unexpected character")
		}
		if err != nil {
			return i, err
		}
		// After a complete value: close containers or move to the next element.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return i, syntaxErr(i, "unexpected end of input")
			}
			top := stack[len(stack)-1]
			if b[i] == ',' {
				i = SkipSpace(b, i+1)
				if top == '{' {
					if i, err = skipKey(b, i); err != nil {
						return i, err
					}
				}
				break
			}
			if (top == '{' && b[i] == '}') || (top == '[' && b[i] == ']') {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return i, syntaxErr(i, "expected ',' or end of container")
		}
	}
}

// skipKey scans `"key" :` and returns the index of the value that follows.
func skipKey(b []byte, i int) (int, error) {
	_, _, i, err := ScanString(b, i)
	if err != nil {
		return i, err
	}
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, syntaxErr(i, "expected ':' after object key")
	}
	return SkipSpace(b, i+1), nil
}

// Valid reports whether b holds exactly one JSON value, surrounded only by
// whitespace.
func Valid(b []byte) error {
	end, err := SkipValue(b, 0)
	if err != nil {
		return err
	}
	if end = SkipSpace(b, end); end != len(b) {
		return syntaxErr(end, "trailing data after value")
	}
	return nil
}

// ObjectIter walks the fields of one JSON object without allocating. Keys
// with escape sequences are decoded into an internal buffer that is reused,
// so a key is valid only until the next call to Next.
//
//	var it jsonx.ObjectIter
//	it.Reset(obj)
//	for it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
type ObjectIter struct {
	b       []byte
	i       int
	started bool
	done    bool
	key     []byte
	val     []byte
	err     error
	scratch []byte
}

// Reset points the iterator at obj, which must start (after whitespace) with '{'.
func (it *ObjectIter) Reset(obj []byte) {
	*it = ObjectIter{b: obj, scratch: it.scratch[:0]}
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		it.err = syntaxErr(i, "expected object")
		it.done = true
		return
	}
	it.i = i + 1
}

// Next advances to the next field. It returns false at the end of the object
// or on error; check Err afterwards.
func (it *ObjectIter) Next() bool {
	if it.done {
		return false
	}
	b := it.b
	i := SkipSpace(b, it.i)
	if !it.started {
		it.started = true
		if i < len(b) && b[i] == '}' {
			it.i = i + 1
			it.done = true
			return false
		}
	} else {
		if i >= len(b) {
			return it.fail(syntaxErr(i, "unexpected end of object"))
		}
		if b[i] == '}' {
			it.i = i + 1
			it.done = true
			return false
		}
		if b[i] != ',' {
			return it.fail(syntaxErr(i, "expected ',' or '}'"))
		}
		i = SkipSpace(b, i+1)
	}
	content, escaped, j, err := ScanString(b, i)
	if err != nil {
		return it.fail(err)
	}
	if escaped {
		it.scratch, err = Unescape(it.scratch[:0], content)
		if err != nil {
			return it.fail(err)
		}
		it.key = it.scratch
	} else {
		it.key = content
	}
	j = SkipSpace(b, j)
	if j >= len(b) || b[j] != ':' {
		return it.fail(syntaxErr(j, "expected ':' after object key"))
	}
	vs := SkipSpace(b, j+1)
	ve, err := SkipValue(b, vs)
	if err != nil {
		return it.fail(err)
	}
	it.val = b[vs:ve]
	it.i = ve
	return true
}

func (it *ObjectIter) fail(err error) bool {
	it.err = err
	it.done = true
	return false
}

// Key returns the current field's decoded name.
func (it *ObjectIter) Key() []byte { return it.key }

// Value returns the current field's raw JSON value.
func (it *ObjectIter) Value() []byte { return it.val }

// Err returns the first syntax error met, if any.
func (it *ObjectIter) Err() error { return it.err }

// End returns the index just past the closing brace once Next has returned
// false without error.
func (it *ObjectIter) End() int { return it.i }

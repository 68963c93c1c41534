package ddl

import (
	"strings"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokWord   tokKind = iota // a bare word: keyword, identifier or number
	tokIdent                 // a `quoted` identifier
	tokString                // a 'quoted' or "quoted" string
	tokPunct                 // one character: ( ) , ; . = and the rest
)

// token is one lexical unit of a statement. text is the identifier or
// string with its quotes removed and escapes resolved.
type token struct {
	kind tokKind
	text string
}

// is reports whether t is the bare word kw (case-insensitive).
func (t token) is(kw string) bool { return t.kind == tokWord && strings.EqualFold(t.text, kw) }

// punct reports whether t is the punctuation character c.
func (t token) punct(c byte) bool { return t.kind == tokPunct && len(t.text) == 1 && t.text[0] == c }

// name is the text of an identifier-like token (a word, a `quoted`
// identifier or, as MySQL accepts in some places, a quoted string).
func (t token) name() (string, bool) {
	switch t.kind {
	case tokWord, tokIdent, tokString:
		return t.text, true
	}
	return "", false
}

// lex splits a statement into tokens. Comments are dropped, except the
// content of executable comments (/*! ... */ and MariaDB's /*M! ... */),
// which MySQL runs as part of the statement.
func lex(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#':
			i = skipLine(s, i)
		case c == '-' && i+2 < len(s) && s[i+1] == '-' && isSpace(s[i+2]), c == '-' && i+2 == len(s) && s[i+1] == '-':
			i = skipLine(s, i)
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			// /*! or /*M! : keep the content (after an optional version
			// number) and drop the closing */.
			j := i + 2
			exec := false
			if j < len(s) && s[j] == '!' {
				exec, j = true, j+1
			} else if j+1 < len(s) && s[j] == 'M' && s[j+1] == '!' {
				exec, j = true, j+2
			}
			if exec {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
				continue
			}
			end := strings.Index(s[j:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i = j + end + 2
			}
		case c == '*' && i+1 < len(s) && s[i+1] == '/':
			i += 2 // the end of an executable comment
		case c == '`':
			text, n := quoted(s[i:], '`', false)
			out = append(out, token{tokIdent, text})
			i += n
		case c == '\'' || c == '"':
			text, n := quoted(s[i:], c, true)
			out = append(out, token{tokString, text})
			i += n
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		default:
			out = append(out, token{tokPunct, s[i : i+1]})
			i++
		}
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipLine(s string, i int) int {
	j := strings.IndexByte(s[i:], '\n')
	if j < 0 {
		return len(s)
	}
	return i + j + 1
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// quoted reads a quoted token starting at s[0] (the quote) and returns its
// text and length. A doubled quote stands for itself; with escapes,
// backslash sequences are resolved as MySQL does in strings.
func quoted(s string, q byte, escapes bool) (string, int) {
	var b strings.Builder
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i += 2
		case c == q:
			return b.String(), i + 1
		case escapes && c == '\\' && i+1 < len(s):
			b.WriteString(unescape(s[i+1]))
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), len(s)
}

func unescape(c byte) string {
	switch c {
	case '0':
		return "\x00"
	case 'b':
		return "\b"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'Z':
		return "\x1a"
	case '%', '_':
		return "\\" + string(c) // kept, as in MySQL
	}
	return string(c)
}

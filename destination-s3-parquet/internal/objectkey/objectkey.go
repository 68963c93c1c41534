// Package objectkey turns s3_bucket_path, s3_path_format and
// file_name_pattern into object keys the way Airbyte's destination-s3 does,
// with its known defects fixed:
//
//   - every time variable uses one sync start time (UTC) for the whole sync;
//   - {timestamp:micros} is substituted (Airbyte left it as literal text);
//   - a key is never reused within a sync or over an object that already
//     exists: part numbers skip taken keys, and a pattern without
//     {part_number} gets a _N suffix when its key is taken.
//
// As in Airbyte, the file name is appended to the path without a separator
// (the default path format ends in "_"), and a pattern's key gets no
// extension unless the pattern contains {format_extension}.
package objectkey

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Extension is the format extension of Parquet objects.
const Extension = ".parquet"

// SuccessMarker is the name of the marker object written in each folder.
const SuccessMarker = "_SUCCESS"

// Template resolves object keys for one sync.
type Template struct {
	BucketPath      string
	PathFormat      string
	FileNamePattern string
	// Start is the sync start time; all ${...} time variables and {date} use it.
	Start time.Time
	// SyncID replaces {sync_id}.
	SyncID string
}

// ObjectPath returns the resolved path (bucket path and path format) of a
// stream's objects. uuid replaces ${UUID}.
func (t *Template) ObjectPath(namespace, stream, uuid string) string {
	s := t.Start.UTC()
	vars := map[string]string{
		"NAMESPACE":   S3Safe(namespace),
		"STREAM_NAME": S3Safe(stream),
		"YEAR":        strconv.Itoa(s.Year()),
		"MONTH":       fmt.Sprintf("%02d", int(s.Month())),
		"DAY":         fmt.Sprintf("%02d", s.Day()),
		"HOUR":        fmt.Sprintf("%02d", s.Hour()),
		"MINUTE":      fmt.Sprintf("%02d", s.Minute()),
		"SECOND":      fmt.Sprintf("%02d", s.Second()),
		"MILLISECOND": fmt.Sprintf("%04d", s.Nanosecond()/1e6),
		"EPOCH":       strconv.FormatInt(s.UnixMilli(), 10),
		"UUID":        uuid,
	}
	p := substituteDollar(t.joined(), func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	return collapseSlashes(p)
}

func (t *Template) joined() string {
	return strings.TrimLeft(strings.ToValidUTF8(t.BucketPath+"/"+t.PathFormat, "_"), "/")
}

// HasPartNumber reports whether file names carry a part number.
func (t *Template) HasPartNumber() bool {
	return t.FileNamePattern == "" || strings.Contains(t.FileNamePattern, "{part_number}")
}

// FileName returns the file name of part number part, created at now.
func (t *Template) FileName(part int, now time.Time) string {
	if strings.TrimSpace(t.FileNamePattern) == "" {
		return strconv.Itoa(part) + Extension
	}
	p := strings.ReplaceAll(strings.ToValidUTF8(t.FileNamePattern, "_"), " ", "_")
	return substituteBrace(p, func(name string) (string, bool) {
		switch {
		case name == "part_number":
			return strconv.Itoa(part), true
		case name == "format_extension":
			return Extension, true
		case name == "sync_id":
			return t.SyncID, true
		case name == "timestamp", name == "timestamp:millis":
			return strconv.FormatInt(now.UnixMilli(), 10), true
		case name == "timestamp:micros", name == "timestamp:micro":
			return strconv.FormatInt(now.UnixMicro(), 10), true
		case name == "date":
			return t.Start.UTC().Format("2006_01_02"), true
		case strings.HasPrefix(name, "date:"):
			return FormatJavaDate(t.Start.UTC(), name[len("date:"):]), true
		}
		return "", false
	})
}

// Disambiguate inserts _n before the extension of a file name (or appends it).
func Disambiguate(name string, n int) string {
	if strings.HasSuffix(name, Extension) {
		return strings.TrimSuffix(name, Extension) + "_" + strconv.Itoa(n) + Extension
	}
	return name + "_" + strconv.Itoa(n)
}

// MarkerKey returns the _SUCCESS marker key of the folder holding key.
func MarkerKey(key string) string {
	i := strings.LastIndexByte(key, '/')
	return key[:i+1] + SuccessMarker
}

// Matcher returns the longest constant prefix of a stream's object keys and
// a regular expression matching every key this template can produce for the
// stream in any sync (used by overwrite to find older objects).
func (t *Template) Matcher(namespace, stream string) (string, *regexp.Regexp) {
	p := t.Pattern(namespace, stream)
	var re strings.Builder
	re.WriteString("^")
	prefix, constant := "", true
	lit := func(s string) {
		re.WriteString(regexp.QuoteMeta(s))
		if constant {
			prefix += s
		}
	}
	pat := func(s string) {
		re.WriteString(s)
		constant = false
	}
	tokenize(p, '$', func(text string, isVar bool) {
		if !isVar {
			lit(text)
			return
		}
		switch text {
		case "YEAR", "MILLISECOND":
			pat("[0-9]{4}")
		case "MONTH", "DAY", "HOUR", "MINUTE", "SECOND":
			pat("[0-9]{2}")
		case "EPOCH":
			pat("[0-9]+")
		case "UUID":
			pat("[0-9a-fA-F-]+")
		default:
			lit("${" + text + "}")
		}
	})
	if strings.TrimSpace(t.FileNamePattern) == "" {
		pat(`[0-9]+(_[0-9]+)?\.parquet`)
	} else {
		fp := strings.ReplaceAll(strings.ToValidUTF8(t.FileNamePattern, "_"), " ", "_")
		type token struct {
			text  string
			isVar bool
		}
		var toks []token
		tokenize(fp, 0, func(text string, isVar bool) { toks = append(toks, token{text, isVar}) })
		// The _N suffix of a taken key goes before a final extension.
		suffixAt := len(toks)
		if n := len(toks); n > 0 {
			last := toks[n-1]
			switch {
			case last.isVar && last.text == "format_extension":
				suffixAt = n - 1
			case !last.isVar && strings.HasSuffix(last.text, Extension):
				toks[n-1].text = strings.TrimSuffix(last.text, Extension)
				toks = append(toks, token{Extension, false})
				suffixAt = n
			}
		}
		for i, tk := range toks {
			if i == suffixAt {
				pat("(_[0-9]+)?")
			}
			if !tk.isVar {
				lit(tk.text)
				continue
			}
			switch text := tk.text; {
			case text == "part_number", text == "timestamp", text == "timestamp:millis", text == "timestamp:micros", text == "timestamp:micro":
				pat("[0-9]+")
			case text == "format_extension":
				lit(Extension)
			case text == "sync_id":
				pat("[^/]*")
			case text == "date":
				pat("[0-9]{4}_[0-9]{2}_[0-9]{2}")
			case strings.HasPrefix(text, "date:"):
				pat("[^/]*?")
			default:
				lit("{" + text + "}")
			}
		}
		if suffixAt == len(toks) {
			pat("(_[0-9]+)?")
		}
	}
	re.WriteString("$")
	return prefix, regexp.MustCompile(re.String())
}

// Pattern returns a stream's path template: the bucket path and the path
// format joined, ${NAMESPACE} and ${STREAM_NAME} substituted and the other
// variables left as ${NAME}. The text after its last / begins the file names.
func (t *Template) Pattern(namespace, stream string) string {
	p := substituteDollar(t.joined(), func(name string) (string, bool) {
		switch name {
		case "NAMESPACE":
			return S3Safe(namespace), true
		case "STREAM_NAME":
			return S3Safe(stream), true
		}
		return "", false
	})
	return collapseSlashes(p)
}

// StreamInFolder reports whether ${STREAM_NAME} is in a folder of the path
// template (before its last /), so that no other stream writes there.
func (t *Template) StreamInFolder() bool {
	j := t.joined()
	return strings.Contains(j[:strings.LastIndexByte(j, '/')+1], "${STREAM_NAME}")
}

// Tokenize splits a pattern into literal text and ${NAME} variables (text
// is the name without ${}).
func Tokenize(pattern string, emit func(text string, isVar bool)) { tokenize(pattern, '$', emit) }

// tokenize splits s into literal text and variables: ${NAME} when dollar is
// '$', {name} when it is 0.
func tokenize(s string, dollar byte, emit func(text string, isVar bool)) {
	open := "{"
	if dollar == '$' {
		open = "${"
	}
	for {
		i := strings.Index(s, open)
		if i < 0 {
			if s != "" {
				emit(s, false)
			}
			return
		}
		j := strings.IndexByte(s[i+len(open):], '}')
		if j < 0 {
			emit(s, false)
			return
		}
		if i > 0 {
			emit(s[:i], false)
		}
		emit(s[i+len(open):i+len(open)+j], true)
		s = s[i+len(open)+j+1:]
	}
}

func substituteDollar(s string, lookup func(string) (string, bool)) string {
	return substitute(s, '$', lookup)
}

func substituteBrace(s string, lookup func(string) (string, bool)) string {
	return substitute(s, 0, lookup)
}

// substitute replaces known variables; unknown ones stay as literal text, as
// Apache Commons StringSubstitutor leaves them.
func substitute(s string, dollar byte, lookup func(string) (string, bool)) string {
	var b strings.Builder
	tokenize(s, dollar, func(text string, isVar bool) {
		if !isVar {
			b.WriteString(text)
			return
		}
		if v, ok := lookup(text); ok {
			b.WriteString(v)
			return
		}
		if dollar == '$' {
			b.WriteString("${" + text + "}")
		} else {
			b.WriteString("{" + text + "}")
		}
	})
	return b.String()
}

func collapseSlashes(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return strings.TrimLeft(s, "/")
}

// S3Safe applies Airbyte's S3NameTransformer: NFKD normalisation, combining
// marks removed, and every character outside the S3-safe set replaced by _.
func S3Safe(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < 0x80 && (isAlnum(byte(r)) || strings.ContainsRune("/!_.*')(&$@=;:+,?-", r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// FormatJavaDate formats t with a java.text.SimpleDateFormat pattern (the
// letters y, M, d, H, h, m, s, S, a and quoted literals).
func FormatJavaDate(t time.Time, pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := strings.IndexByte(pattern[i+1:], '\'')
			if j < 0 {
				b.WriteString(pattern[i+1:])
				break
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(pattern[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		i += n
		pad := func(v int) { fmt.Fprintf(&b, "%0*d", n, v) }
		switch c {
		case 'y':
			if n == 2 {
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			} else {
				pad(t.Year())
			}
		case 'M':
			pad(int(t.Month()))
		case 'd':
			pad(t.Day())
		case 'H':
			pad(t.Hour())
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h)
		case 'm':
			pad(t.Minute())
		case 's':
			pad(t.Second())
		case 'S':
			pad(t.Nanosecond() / 1e6)
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		default:
			b.WriteString(strings.Repeat(string(c), n))
		}
	}
	return b.String()
}

// Allocator hands out unique keys for one object path of one stream: part
// numbers start at 0 and skip keys that already exist or were handed out.
type Allocator struct {
	t        *Template
	path     string
	taken    map[string]bool
	nextPart int
	now      func() time.Time
}

// NewAllocator returns an allocator for path; existing lists the keys that
// already exist under it.
func NewAllocator(t *Template, path string, existing []string, now func() time.Time) *Allocator {
	a := &Allocator{t: t, path: path, taken: make(map[string]bool, len(existing)), now: now}
	for _, k := range existing {
		a.taken[k] = true
	}
	return a
}

// Next returns the next free key.
func (a *Allocator) Next() string {
	now := a.now()
	if a.t.HasPartNumber() {
		for {
			key := a.path + a.t.FileName(a.nextPart, now)
			a.nextPart++
			if !a.taken[key] {
				a.taken[key] = true
				return key
			}
		}
	}
	name := a.t.FileName(a.nextPart, now)
	key := a.path + name
	for n := 1; a.taken[key]; n++ {
		key = a.path + Disambiguate(name, n)
	}
	a.taken[key] = true
	return key
}

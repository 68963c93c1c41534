package protocol

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// Mask replaces a secret in everything the connectors print.
const Mask = "****"

// Redactor removes secrets from text. It knows each secret in the forms it
// takes when quoted in JSON, in a URL (query or path escaped) or in a DSN,
// and is safe for concurrent use.
//
// Secrets shorter than four bytes are only replaced where they stand as a
// whole word, so that a one-letter password does not mangle every message.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]struct{}
	long    []string // variants to replace anywhere, longest first
	short   []string // variants replaced only as whole words
}

// NewRedactor returns a Redactor that knows the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{secrets: map[string]struct{}{}}
	r.Add(secrets...)
	return r
}

const minSubstringSecret = 4

// Add registers more secrets. Empty strings are ignored.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if s == "" || s == Mask {
			continue
		}
		for _, v := range variants(s) {
			if _, ok := r.secrets[v]; ok || v == "" {
				continue
			}
			r.secrets[v] = struct{}{}
			changed = true
		}
	}
	if !changed {
		return
	}
	r.long, r.short = r.long[:0], r.short[:0]
	for v := range r.secrets {
		if len(v) >= minSubstringSecret {
			r.long = append(r.long, v)
		} else {
			r.short = append(r.short, v)
		}
	}
	sort.Slice(r.long, func(i, j int) bool { return len(r.long[i]) > len(r.long[j]) })
	sort.Slice(r.short, func(i, j int) bool { return len(r.short[i]) > len(r.short[j]) })
}

// variants lists the spellings a secret can take in printed text.
func variants(s string) []string {
	out := []string{s}
	add := func(v string) {
		for _, x := range out {
			if x == v {
				return
			}
		}
		out = append(out, v)
	}
	add(url.QueryEscape(s))
	add(url.PathEscape(s))
	add(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"))
	add(strings.TrimPrefix(url.UserPassword("", s).String(), ":"))
	base := append([]string(nil), out...)
	for _, v := range base {
		add(string(jsonx.AppendEscaped(nil, v)))
		// encoding/json's default HTML escaping (\u0026 for &, ...).
		if q, err := json.Marshal(v); err == nil && len(q) >= 2 {
			add(string(q[1 : len(q)-1]))
		}
	}
	// A secret printed with %q (Go quoting) escapes like JSON for the common
	// cases; multi-line PEM keys are also redacted line by line.
	if strings.Contains(s, "\n") {
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				add(line)
			}
		}
	}
	return out
}

// Empty reports whether no secret is registered.
func (r *Redactor) Empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.secrets) == 0
}

// String returns s with every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.long {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	for _, v := range r.short {
		s = replaceWord(s, v)
	}
	return s
}

// Bytes returns b with every secret replaced by Mask. It returns b itself
// when nothing matched.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	r.mu.RLock()
	n := len(r.long) + len(r.short)
	r.mu.RUnlock()
	if n == 0 {
		return b
	}
	s := string(b)
	out := r.String(s)
	if out == s {
		return b
	}
	return []byte(out)
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func replaceWord(s, w string) string {
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], w)
		if j < 0 {
			break
		}
		j += i
		end := j + len(w)
		before := j == 0 || !isWordByte(s[j-1])
		after := end == len(s) || !isWordByte(s[end])
		if before && after {
			b.WriteString(s[i:j])
			b.WriteString(Mask)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	if i == 0 {
		return s
	}
	b.WriteString(s[i:])
	return b.String()
}

// RedactingWriter wraps w so that whole lines are redacted before they are
// written. Partial lines are held until a newline or Flush.
type RedactingWriter struct {
	mu  sync.Mutex
	w   interface{ Write([]byte) (int, error) }
	r   *Redactor
	buf bytes.Buffer
}

// NewRedactingWriter returns a line-buffered redacting writer over w.
func NewRedactingWriter(w interface{ Write([]byte) (int, error) }, r *Redactor) *RedactingWriter {
	return &RedactingWriter{w: w, r: r}
}

// Write buffers p and writes out every complete line, redacted.
func (rw *RedactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf.Write(p)
	for {
		data := rw.buf.Bytes()
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := rw.r.Bytes(data[:i+1])
		if _, err := rw.w.Write(line); err != nil {
			return len(p), err
		}
		rw.buf.Next(i + 1)
	}
	if rw.buf.Len() > 1<<20 {
		return len(p), rw.flushLocked()
	}
	return len(p), nil
}

// Flush writes any partial line.
func (rw *RedactingWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.flushLocked()
}

func (rw *RedactingWriter) flushLocked() error {
	if rw.buf.Len() == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.r.Bytes(rw.buf.Bytes()))
	rw.buf.Reset()
	return err
}

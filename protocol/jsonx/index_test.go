package jsonx

import (
	"fmt"
	"strings"
	"testing"
)

// checkIndex compares IndexObject with SkipValue (same end, same error)
// and its members with ObjectIter's.
func checkIndex(t *testing.T, b []byte) {
	t.Helper()
	fields, end, err := IndexObject(b, 0, nil)
	wantEnd, wantErr := SkipValue(b, 0)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || (err == nil && end != wantEnd) {
		t.Fatalf("IndexObject(%q) = %d, %v; SkipValue = %d, %v", b, end, err, wantEnd, wantErr)
	}
	if err != nil {
		return
	}
	var it ObjectIter
	it.Reset(b[:end])
	n := 0
	for it.Next() {
		if n >= len(fields) {
			t.Fatalf("IndexObject(%q): %d members, ObjectIter has more", b, len(fields))
		}
		f := fields[n]
		key := f.Key
		if f.KeyEscaped {
			key, _ = Unescape(nil, f.Key)
		}
		if string(key) != string(it.Key()) || string(f.Value) != string(it.Value()) {
			t.Fatalf("IndexObject(%q) member %d = %q: %q, ObjectIter %q: %q", b, n, key, f.Value, it.Key(), it.Value())
		}
		if f.KeyEscaped != strings.Contains(string(f.Key), `\`) {
			t.Fatalf("IndexObject(%q) member %d: KeyEscaped %v", b, n, f.KeyEscaped)
		}
		if esc := len(f.Value) > 0 && f.Value[0] == '"' && strings.Contains(string(f.Value), `\`); f.ValueEscaped != esc {
			t.Fatalf("IndexObject(%q) member %d: ValueEscaped %v", b, n, f.ValueEscaped)
		}
		high := len(f.Value) > 0 && f.Value[0] == '"' && strings.IndexFunc(string(f.Value), func(r rune) bool { return r >= 0x80 }) >= 0
		if f.ValueNonASCII != high {
			t.Fatalf("IndexObject(%q) member %d: ValueNonASCII %v", b, n, f.ValueNonASCII)
		}
		n++
	}
	if it.Err() != nil || n != len(fields) {
		t.Fatalf("IndexObject(%q): %d members, ObjectIter %d (%v)", b, len(fields), n, it.Err())
	}
}

func TestIndexObject(t *testing.T) {
	for _, c := range []string{
		`{}`, ` {}`, `{ }`, `{"a":1}`, `{ "a" : 1 , "b\u0041" : {"x":[1,2]} , "c":"s\n", "d":"", "e":[], "f":true, "g":null }`,
		`{"a":1,}`, `{"a"}`, `{"a":}`, `{"a":1 "b":2}`, `{1:2}`, `{"a":"x`, `{"a":01}`, `{"a":[}`, `{"a":1`, `{"a":1]`,
		`{"a":"` + "\x01" + `"}`, `{"a\q":1}`, `{`, `{"a":{"b":{}}}x`, `{"":""}`,
		`{"a":"ação","b":"abcdefghijklmnoé","c":"abcdefgh\"ijklmnopq\u00e9rstu","d":"` + "\xff\xfe" + `","e":"São Paulo, \"Centro\"", "f":"plain text here!!", "g":["é"]}`,
	} {
		checkIndex(t, []byte(c))
	}
	// Depth counts the object itself, as SkipValue does.
	for _, d := range []int{MaxDepth - 1, MaxDepth} {
		checkIndex(t, []byte(`{"a":`+strings.Repeat("[", d)+strings.Repeat("]", d)+`}`))
	}
	if _, _, err := IndexObject([]byte(` [1]`), 0, nil); err == nil {
		t.Errorf("IndexObject accepted an array")
	}
	fields, end, err := IndexObject([]byte(`{"a":1}`), 0, make([]Field, 3))
	if err != nil || end != 7 || len(fields) != 4 || string(fields[3].Key) != "a" {
		t.Errorf("IndexObject appends: %v %d %d", err, end, len(fields))
	}
}

func FuzzIndexObject(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"\u00e9"}`, `{"a":"Florianópolis","b":"x\"é"}`, `{"x":1e5,"y":-0.5}`, `{"a":"x`, `{`, `{"a":{"b":[[[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '{' {
			return
		}
		checkIndex(t, b)
	})
}

package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x00\x1f\x7f", "Farmácia ✓ 😀", "<&>", "bad \xff utf8 \xc3", "\u2028"} {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s is not valid JSON: %v", s, got, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("round trip of %q = %q", s, back)
		}
		if string(AppendBytesString(nil, []byte(s))) != string(got) {
			t.Errorf("AppendBytesString differs for %q", s)
		}
	}
}

func TestScanAndUnescape(t *testing.T) {
	in := []byte(`"a\"b\\c\/d\u00e9\ud83d\ude00\ud800x\n"`)
	content, escaped, end, err := ScanString(in, 0)
	if err != nil || !escaped || end != len(in) {
		t.Fatalf("ScanString: %v %v %d", err, escaped, end)
	}
	got, err := Unescape(nil, content)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	_ = json.Unmarshal(in, &want)
	if string(got) != want {
		t.Errorf("Unescape = %q, encoding/json = %q", got, want)
	}
}

func TestSkipValueAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `{"a":[1,2.5,-0,1e10,-1.5E-3,true,false,null,"x",{"b":{}}]}`, ` "s" `,
		`{"a":1,}`, `[1,]`, `{"a"}`, `{"a":}`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`, `"abc`, `{"a":1 "b":2}`,
		`[1 2]`, `{1:2}`, `"\x"`, "\"\x01\"", `[[[]]]`, `[[[]]`, `{"a":{"b":[{"c":"d"}]}}`, `"\u12"`, `""`, ` `,
	}
	for _, c := range cases {
		err := Valid([]byte(c))
		if (err == nil) != json.Valid([]byte(c)) {
			t.Errorf("Valid(%q) = %v, encoding/json says %v", c, err, json.Valid([]byte(c)))
		}
	}
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if err := Valid([]byte(deep)); err == nil {
		t.Errorf("nesting beyond MaxDepth accepted")
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := Valid([]byte(ok)); err != nil {
		t.Errorf("nesting at MaxDepth rejected: %v", err)
	}
}

func TestObjectIter(t *testing.T) {
	var it ObjectIter
	it.Reset([]byte(` { "a" : 1 , "b\u0041" : {"x":[1,2]} , "c":"s" } `))
	var keys, vals []string
	for it.Next() {
		keys = append(keys, string(it.Key()))
		vals = append(vals, string(it.Value()))
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	if strings.Join(keys, ",") != "a,bA,c" || strings.Join(vals, "|") != `1|{"x":[1,2]}|"s"` {
		t.Errorf("keys %q vals %q", keys, vals)
	}
	for _, bad := range []string{`[1]`, `{"a":1`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`} {
		it.Reset([]byte(bad))
		for it.Next() {
		}
		if it.Err() == nil {
			t.Errorf("ObjectIter accepted %q", bad)
		}
	}
	it.Reset([]byte(`{}`))
	if it.Next() || it.Err() != nil {
		t.Errorf("empty object")
	}
}

func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}]}`, `[1e5,-0.5,"\u00e9"]`, `"x`, `{`, `[[[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Valid(b)
		if utf8.Valid(b) && (err == nil) != json.Valid(b) {
			t.Fatalf("Valid(%q) = %v, encoding/json = %v", b, err, json.Valid(b))
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := "Farmácia Souza Oliveira ME - Rua das Flores, 123 \"centro\""
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendString(buf[:0], s)
	}
}

// FuzzAppendString checks the escaper against encoding/json: the output is
// valid JSON and decodes to the same string encoding/json makes of the
// input (each invalid UTF-8 byte becomes U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"Farmácia \"São\" João\n", "\xff\xfe ascii \x01", "😀 é ç ã \\ /", "12345678\"abcdefg\xc3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := AppendBytesString(nil, b)
		var ours string
		if err := json.Unmarshal(got, &ours); err != nil {
			t.Fatalf("AppendBytesString(%q) = %s is not valid JSON: %v", b, got, err)
		}
		want, _ := json.Marshal(string(b))
		var theirs string
		json.Unmarshal(want, &theirs)
		if ours != theirs {
			t.Fatalf("AppendBytesString(%q) decodes to %q, encoding/json gives %q", b, ours, theirs)
		}
	})
}

func BenchmarkAppendStringText(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii", strings.Repeat("Indicado para o tratamento de sintomas. Uso adulto e pediatrico. ", 12)},
		{"portuguese", strings.Repeat("Indicado para o tratamento de sintomas. Uso adulto e pediátrico; não exceder a dose. ", 10)},
		{"dense", strings.Repeat("comprimido revestido pediátrico alívio febre hipertensão contém solução cápsulas não fórmula médico farmacêutico após açúcar glúten ", 6)},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := []byte(c.s)
			buf := make([]byte, 0, 4096)
			b.SetBytes(int64(len(s)))
			for i := 0; i < b.N; i++ {
				buf = AppendBytesString(buf[:0], s)
			}
		})
	}
}

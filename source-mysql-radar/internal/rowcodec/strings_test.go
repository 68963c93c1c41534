package rowcodec

import (
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

func TestAppendJSONStringCases(t *testing.T) {
	cases := []string{
		"", "plain ascii text that is longer than eight bytes",
		"Farmácia São João — atende convênio 🏥 \"aspas\" e \\barra\\ e\ttab\nnova linha",
		"ção", "é\x01", "\x00\x1f\x7f", "a\xffb", "\xc3", "ok ok ok é \xff ok ok ok \"",
		strings.Repeat("Observação: remédio genérico. ", 40), strings.Repeat("x", 7) + "é" + strings.Repeat("\"", 9),
	}
	for _, c := range cases {
		got := string(appendJSONString(nil, []byte(c)))
		want := string(jsonx.AppendBytesString(nil, []byte(c)))
		if got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", c, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add([]byte("Farmácia \"São\" João\n"))
	f.Add([]byte("\xff\xfe ascii \x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := string(appendJSONString(nil, b)), string(jsonx.AppendBytesString(nil, b)); got != want {
			t.Fatalf("appendJSONString(%q) = %s, want %s", b, got, want)
		}
	})
}

func BenchmarkAppendJSONString(b *testing.B) {
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
				buf = appendJSONString(buf[:0], s)
			}
		})
	}
}

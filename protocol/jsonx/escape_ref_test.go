package jsonx

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refEscape is the escaper as it was before two-byte UTF-8 sequences were
// validated a window at a time (commit 9eec13e), kept as the reference the
// current one must match byte for byte.
func refEscape(dst []byte, s []byte) []byte {
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			m := refAttention8(binary.LittleEndian.Uint64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
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
	return append(dst, s[start:]...)
}

func refAttention8(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	control := (x - lsb*0x20) & ^x & msb
	quote := x ^ (lsb * '"')
	quote = (quote - lsb) & ^quote & msb
	backslash := x ^ (lsb * '\\')
	backslash = (backslash - lsb) & ^backslash & msb
	return control | quote | backslash | x&msb
}

func checkAgainstRef(t *testing.T, s []byte) {
	t.Helper()
	got := appendEscapedBytes([]byte("x"), s)
	want := refEscape([]byte("x"), s)
	if !bytes.Equal(got, want) {
		t.Fatalf("appendEscapedBytes(%q) = %q, reference %q", s, got, want)
	}
}

// TestEscapeMatchesReference puts every one- and two-byte sequence, and
// three- and four-byte sequences from every class of lead byte, at every
// offset of a 16-byte window padded with ASCII or accented text, so each
// path of the window test (and the tail after the last window) is taken.
func TestEscapeMatchesReference(t *testing.T) {
	pads := []string{"abcdefghijklmnopqrstuvwx", "çãoé ñú ácontém ü", "\"\\\n\x00\x1f", "ãã\xc3", "é"}
	var seqs [][]byte
	for a := 0; a < 256; a++ {
		seqs = append(seqs, []byte{byte(a)})
		for b := 0; b < 256; b++ {
			if a >= 0x80 || b >= 0x80 || needsEscape[a] || needsEscape[b] {
				seqs = append(seqs, []byte{byte(a), byte(b)})
			}
		}
	}
	for _, lead := range []byte{0xE0, 0xE1, 0xE2, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF} {
		for _, c := range []byte{0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0} {
			seqs = append(seqs, []byte{lead, c, 0x80}, []byte{lead, 0x80, c}, []byte{lead, c, 0x80, 0x80}, []byte{lead, 0x90, 0x80, c})
		}
	}
	seqs = append(seqs, []byte("\u2028\u2029"), []byte("😀"))
	for _, pad := range pads {
		for _, seq := range seqs {
			for off := 0; off < 17; off++ {
				for _, tail := range []int{0, 1, 7, 9} {
					s := make([]byte, 0, 64)
					s = append(s, pad[:min(off, len(pad))]...)
					s = append(s, seq...)
					s = append(s, pad[:min(tail, len(pad))]...)
					checkAgainstRef(t, s)
				}
			}
		}
	}
}

func TestEscapeMatchesReferenceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := [][]byte{[]byte("a"), []byte(" "), []byte("é"), []byte("ç"), []byte("ã"), []byte("\""), []byte("\\"), []byte("\n"), []byte("\x01"),
		[]byte("€"), []byte("😀"), []byte("\u2028"), {0xC3}, {0xA9}, {0xC0}, {0xC1, 0x80}, {0xE2, 0x82}, {0xFF}, {0xDF, 0xBF}, {0xC2, 0x80}}
	var s []byte
	for n := 0; n < 200000; n++ {
		s = s[:0]
		for k := r.IntN(40); k > 0; k-- {
			if r.IntN(3) == 0 {
				s = append(s, alphabet[r.IntN(len(alphabet))]...)
			} else {
				s = append(s, "abcdefgh"[:1+r.IntN(8)]...)
			}
		}
		checkAgainstRef(t, s)
	}
}

// FuzzEscapeMatchesReference compares the escaper with the reference on
// arbitrary bytes.
func FuzzEscapeMatchesReference(f *testing.F) {
	for _, s := range []string{"Farmácia \"São\" João\n", "\xff\xfe ascii \x01", "😀 é ç ã \\ /", "12345678\"abcdefg\xc3", "abcdefgé\xc3\xa9abc", "\u2028\u2029"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAgainstRef(t, b) })
}

// catalogueText is text like text_heavy's descriptions (integration_tests/
// bench/tables.go): Portuguese pharmacy vocabulary with sentence
// punctuation, about one accented letter per 25 bytes.
func catalogueText(n int) string {
	words := strings.Fields("comprimido revestido uso adulto pediátrico indicado para alívio dor febre tratamento hipertensão " +
		"arterial colesterol embalagem contém frasco com ml de solução oral gotas cápsulas não utilizar em caso " +
		"hipersensibilidade aos componentes da fórmula consulte o médico farmacêutico mantenha fora do alcance das " +
		"crianças armazenar temperatura ambiente proteger luz umidade registro MS lote validade meses após fabricação " +
		"princípio ativo excipientes q.s.p. posologia via administração sabor morango laranja sem açúcar glúten lactose")
	r := rand.New(rand.NewPCG(3, 3))
	var b []byte
	for len(b) < n {
		if len(b) > 0 {
			switch r.IntN(12) {
			case 0:
				b = append(b, ". "...)
			case 1:
				b = append(b, ", "...)
			default:
				b = append(b, ' ')
			}
		}
		b = append(b, words[r.IntN(len(words))]...)
	}
	return string(b)
}

func BenchmarkAppendStringCatalogue(b *testing.B) {
	for _, n := range []int{30, 500, 64 << 10} {
		s := []byte(catalogueText(n))
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf := make([]byte, 0, 2*len(s)+16)
			b.SetBytes(int64(len(s)))
			for i := 0; i < b.N; i++ {
				buf = AppendBytesString(buf[:0], s)
			}
		})
	}
}

package protocol

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// parseDigits must agree with a digit-by-digit parse.
func checkDigits(t *testing.T, s string) {
	t.Helper()
	got, ok := parseDigits([]byte(s))
	var want int64
	wok := len(s) > 0 && len(s) <= 18
	for i := 0; wok && i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			wok = false
		}
		want = want*10 + int64(s[i]-'0')
	}
	if ok != wok || (ok && got != want) {
		t.Fatalf("parseDigits(%q) = %d, %v; want %d, %v", s, got, ok, want, wok)
	}
}

func TestParseDigits(t *testing.T) {
	for _, s := range []string{"", "0", "1719000000123", "12345678", "123456789012345678", "1234567890123456789", "1234567:", "/2345678", "-1", "1e3", "0000000000000"} {
		checkDigits(t, s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := []byte(strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10))
		if rng.IntN(4) == 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		checkDigits(t, string(b))
	}
}

func FuzzParseDigits(f *testing.F) {
	f.Add("1719000000123")
	f.Fuzz(func(t *testing.T, s string) { checkDigits(t, s) })
}

package appender

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestNumberConversions(t *testing.T) {
	ints := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"9007199254740993", 9007199254740993, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"18446744073709551615", 0, false},
		{"1.5e1", 15, true},
		{"1500e-2", 15, true},
		{"0.0", 0, true},
		{"1.25", 0, false},
		{"1e30", 0, false},
	}
	var n number
	for _, tt := range ints {
		if !splitNumber([]byte(tt.in), &n) {
			t.Fatalf("splitNumber(%q) failed", tt.in)
		}
		got, ok, _ := n.toInt64()
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("toInt64(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	decs := []struct {
		in   string
		p, s int32
		want string
		ok   bool
	}{
		{"1234567890123456789012345678.0123456789", 38, 10, "1234567890123456789012345678.0123456789", true},
		{"-0.5", 12, 2, "-0.50", true},
		{"1e2", 5, 2, "100.00", true},
		{"123.4567", 10, 2, "", false},
		{"99999999999999999999", 20, 0, "99999999999999999999", true},
		{"100000000000000000000", 20, 0, "", false},
	}
	for _, tt := range decs {
		if !splitNumber([]byte(tt.in), &n) {
			t.Fatalf("splitNumber(%q) failed", tt.in)
		}
		digits, ok := n.unscaled(nil, tt.p, tt.s)
		if ok != tt.ok {
			t.Errorf("unscaled(%q, %d, %d) ok = %v", tt.in, tt.p, tt.s, ok)
			continue
		}
		if !ok {
			continue
		}
		if got := decimal128Of(digits, n.neg).ToString(tt.s); got != tt.want {
			t.Errorf("decimal(%q, %d, %d) = %s, want %s", tt.in, tt.p, tt.s, got, tt.want)
		}
	}
	// Numeric strings are read leniently (".5", "1."), garbage is not.
	for _, bad := range []string{"", "-", "1e", "abc", "1-2", "0x10", "1 2"} {
		if splitNumber([]byte(bad), &n) {
			t.Errorf("splitNumber(%q) accepted", bad)
		}
	}
}

func TestTimeParsing(t *testing.T) {
	ts := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1970-01-01T00:00:00Z", 0, true},
		{"1969-12-31T23:59:59.999999Z", -1, true},
		{"2024-02-29 12:00:00+02:00", 1709200800000000, true},
		{"2024-01-02T03:04:05.1234567", 1704164645123456, true},
		{"2023-02-29T00:00:00", 0, false},
		{"2024-01-02T24:00:00", 0, false},
		{"2024-01-02T03:04", 1704164640000000, true},
		{"02/01/2024", 0, false},
	}
	for _, tt := range ts {
		got, ok := parseTimestamp([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseTimestamp(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	times := []struct {
		in, want string
		ok       bool
	}{
		{"00:00:00", "00:00:00.000000", true},
		{"23:59:59.999999", "23:59:59.999999", true},
		{"24:00:00", "24:00:00.000000", true},
		{"-838:59:59.000000", "-838:59:59.000000", true},
		{"838:59:59", "838:59:59.000000", true},
		{"-00:00:01.5", "-00:00:01.500000", true},
		{"-00:00:00.000001", "-00:00:00.000001", true},
		{"7:05", "07:05:00.000000", true},
		{"12:00:00,25", "12:00:00.250000", true},
		{"12:00:00.123456789", "12:00:00.123456789", true},
		{"23:59:60", "23:59:60.000000", true},
		{"1000:00:00", "", false},
		{"01:00:00+02:00", "", false},
		{"12:60:00", "", false},
		{"12:00:61", "", false},
		{"12:00:00.", "", false},
		{"-", "", false},
		{"", "", false},
		{"12", "", false},
		{"ab:cd:ef", "", false},
	}
	for _, tt := range times {
		got, ok := appendTimeText([]byte("x"), []byte(tt.in))
		want := "x" + tt.want
		if ok != tt.ok || string(got) != want {
			t.Errorf("appendTimeText(x, %q) = %q, %v; want %q, %v", tt.in, got, ok, want, tt.ok)
		}
	}
}

// parseFloatExact must give strconv.ParseFloat's bits whenever it answers.
func checkFloatExact(t *testing.T, s string) {
	t.Helper()
	for _, bits := range []int{32, 64} {
		f, ok := parseFloatExact([]byte(s), bits)
		if !ok {
			continue
		}
		want, err := strconv.ParseFloat(s, bits)
		if err != nil || math.Float64bits(f) != math.Float64bits(want) {
			t.Fatalf("parseFloatExact(%q, %d) = %v (%x); strconv %v (%x), %v", s, bits, f, math.Float64bits(f), want, math.Float64bits(want), err)
		}
	}
}

func TestParseFloatExact(t *testing.T) {
	for _, s := range []string{"0", "-0", "-0.0", "1.5", "0.1", "-12.345678", "4503599627370495", "4503599627370496", "9007199254740993",
		"0.0000000000000000000001", "1.00000000000000000000001", "8388607.5", "8388608.5", "3.4", "49.99999999", "-89.123456", "179.999999",
		"", "-", ".", "1.", ".5", "-.5", "1e5", "1.5E-3", "+1", "1_0", "1..2", "Inf", "NaN", "0x10", " 1", "00012.50", "12345678901234567890"} {
		checkFloatExact(t, s)
		if _, ok := parseFloat([]byte(s), 64); ok {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				t.Errorf("parseFloat(%q) accepted what strconv rejects", s)
			}
		}
	}
	for _, s := range []string{"1.5", "-0.25", "17"} {
		if _, ok := parseFloatExact([]byte(s), 64); !ok {
			t.Errorf("parseFloatExact(%q) took the slow path", s)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var s string
		switch rng.IntN(4) {
		case 0:
			s = strconv.FormatFloat(rng.Float64()*360-180, 'f', rng.IntN(18), 64)
		case 1:
			s = strconv.FormatFloat(rng.Float64()*50, 'f', -1, 64)
		case 2:
			s = strconv.FormatFloat(float64(rng.Float32()*5), 'f', -1, 32)
		default:
			s = strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10) + "." + strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10)
		}
		checkFloatExact(t, s)
	}
}

func FuzzParseFloatExact(f *testing.F) {
	for _, s := range []string{"1.5", "-0.0", "123456.789", "9007199254740993.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkFloatExact(t, s) })
}

// parseIntSlow is parseIntFast one digit at a time.
func parseIntSlow(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func checkIntFast(t *testing.T, s string) {
	t.Helper()
	v, ok := parseIntFast([]byte(s))
	w, wok := parseIntSlow([]byte(s))
	if v != w || ok != wok {
		t.Fatalf("parseIntFast(%q) = %d, %v; want %d, %v", s, v, ok, w, wok)
	}
}

func TestParseIntFast(t *testing.T) {
	for _, s := range []string{"", "-", "0", "-0", "7", "12345678", "123456789", "999999999999999999", "-999999999999999999", "1000000000000000000",
		"1234567/", "1234567:", "12345678a", "a2345678", "1234 678", "12345678901234567" + "\x00", "-12345678\xb0", "00000000", "0000000000000001", `"1234567"`} {
		checkIntFast(t, s)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		b := []byte(strconv.FormatInt(rng.Int64()>>rng.IntN(63), 10))
		if rng.IntN(4) == 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		checkIntFast(t, string(b))
	}
}

func FuzzParseIntFast(f *testing.F) {
	for _, s := range []string{"123456789012", "-1", "12345678x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkIntFast(t, s) })
}

// decimalFast must agree with splitNumber + unscaled whenever it answers.
func checkDecimalFast(t *testing.T, s string, p, sc int32) {
	t.Helper()
	u, neg, ok := decimalFast([]byte(s), p, sc)
	if !ok {
		return
	}
	var n number
	if !splitNumber([]byte(s), &n) {
		t.Fatalf("decimalFast(%q, %d, %d) accepted what splitNumber rejects", s, p, sc)
	}
	digits, dok := n.unscaled(nil, p, sc)
	if !dok {
		t.Fatalf("decimalFast(%q, %d, %d) = %d; unscaled rejects it", s, p, sc, u)
	}
	want := decimal128Of(digits, n.neg)
	got := decimal128.New(0, u)
	if neg {
		got = got.Negate()
	}
	if got != want {
		t.Fatalf("decimalFast(%q, %d, %d) = %v; want %v", s, p, sc, got, want)
	}
}

func TestDecimalFast(t *testing.T) {
	cases := []string{"0", "-0", "-0.00", "0.5", "12.34", "-12.34", "12.345", "12.340", "1234567890.12", "9999999999.99", "10000000000.00",
		"999999999999999999", "1e2", "+1", ".5", "1.", "1..2", "00012.30", "-", "", "123456789012345678.9"}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		s := strconv.FormatInt(rng.Int64()>>rng.IntN(64), 10)
		if k := rng.IntN(6); k > 0 && k < len(s) {
			s = s[:len(s)-k] + "." + s[len(s)-k:]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		for _, ps := range [][2]int32{{12, 2}, {5, 2}, {15, 2}, {18, 0}, {18, 18}, {3, 3}, {10, 4}, {1, 0}} {
			checkDecimalFast(t, s, ps[0], ps[1])
		}
	}
	if _, _, ok := decimalFast([]byte("12.34"), 12, 2); !ok {
		t.Errorf("decimalFast took the slow path for 12.34")
	}
}

func FuzzDecimalFast(f *testing.F) {
	f.Add("12.34", int32(12), int32(2))
	f.Fuzz(func(t *testing.T, s string, p, sc int32) {
		if p < 1 || p > 38 || sc < 0 || sc > p {
			return
		}
		checkDecimalFast(t, s, p, sc)
	})
}

package appender

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

// bstr views b as a string without copying; the string must not outlive b.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// number is JSON number text split into sign, significant digits (no
// leading zeros) and a power of ten: value = ±digits × 10^exp.
type number struct {
	neg    bool
	digits []byte
	exp    int
}

// maxExp bounds exponents so that absurd ones cannot make us allocate.
const maxExp = 400

// splitNumber parses JSON number text (also accepted inside a JSON string)
// into n, reusing n.digits.
func splitNumber(b []byte, n *number) bool {
	n.neg, n.digits, n.exp = false, n.digits[:0], 0
	i := 0
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		n.neg = b[i] == '-'
		i++
	}
	sawDigit := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		sawDigit = true
		if len(n.digits) > 0 || b[i] != '0' {
			n.digits = append(n.digits, b[i])
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			sawDigit = true
			n.exp--
			if len(n.digits) > 0 || b[i] != '0' {
				n.digits = append(n.digits, b[i])
			}
		}
	}
	if !sawDigit {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i >= len(b) {
			return false
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		n.exp += e
	}
	if i != len(b) {
		return false
	}
	// Drop trailing zeros into the exponent: 1500 = 15e2.
	for len(n.digits) > 0 && n.digits[len(n.digits)-1] == '0' {
		n.digits = n.digits[:len(n.digits)-1]
		n.exp++
	}
	if len(n.digits) == 0 {
		n.exp = 0
	}
	return true
}

// parseIntFast parses a plain JSON integer of at most 18 digits, eight
// digits at a time where it can.
func parseIntFast(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for len(b) >= 8 {
		d, ok := eightDigits(binary.LittleEndian.Uint64(b))
		if !ok {
			return 0, false
		}
		v = v*1e8 + int64(d)
		b = b[8:]
	}
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

// eightDigits returns the value of eight ASCII digits loaded little-endian
// (the first digit in the lowest byte), or ok=false if any byte is not a
// digit.
func eightDigits(x uint64) (uint32, bool) {
	const lo, hi = 0x0f0f0f0f0f0f0f0f, 0xf0f0f0f0f0f0f0f0
	// High nibble 3 and low nibble at most 9 in every byte.
	if x&hi != 0x3030303030303030 || ((x&lo)+0x0606060606060606)&hi != 0 {
		return 0, false
	}
	x &= lo
	x = (x * (10<<8 + 1)) >> 8                           // pairs of digits in every other byte
	x = ((x & 0x00ff00ff00ff00ff) * (100<<16 + 1)) >> 16 // groups of four in every other 16 bits
	return uint32(((x & 0x0000ffff0000ffff) * (10000<<32 + 1)) >> 32), true
}

// toInt64 converts an exact integral number to int64. It returns ok=false
// with fractional=true when the number has a non-zero fraction.
func (n *number) toInt64() (v int64, ok bool, fractional bool) {
	if len(n.digits) == 0 {
		return 0, true, false
	}
	if n.exp < 0 {
		return 0, false, true // trailing zeros were dropped, so a fraction remains
	}
	if len(n.digits)+n.exp > 19 {
		return 0, false, false
	}
	var u uint64
	for _, c := range n.digits {
		u = u*10 + uint64(c-'0')
	}
	for e := 0; e < n.exp; e++ {
		hi, lo := bits.Mul64(u, 10)
		if hi != 0 {
			return 0, false, false
		}
		u = lo
	}
	if n.neg {
		if u > 1<<63 {
			return 0, false, false
		}
		return -int64(u), true, false
	}
	if u > math.MaxInt64 {
		return 0, false, false
	}
	return int64(u), true, false
}

// unscaled returns the digits of n scaled by 10^scale as an integer digit
// string in buf. ok is false when digits would be lost (more fraction digits
// than the scale) or the result has more than precision digits.
func (n *number) unscaled(buf []byte, precision, scale int32) ([]byte, bool) {
	buf = append(buf[:0], n.digits...)
	shift := n.exp + int(scale)
	if shift < 0 {
		return buf, false // non-zero digits beyond the scale (trailing zeros were dropped)
	}
	if len(buf)+shift > int(precision) {
		return buf, false
	}
	if len(buf) == 0 {
		return buf, true
	}
	for ; shift > 0; shift-- {
		buf = append(buf, '0')
	}
	return buf, true
}

// decimal128Of converts a digit string of at most 38 digits.
func decimal128Of(digits []byte, neg bool) decimal128.Num {
	var hi, lo uint64
	for _, c := range digits {
		// (hi,lo) = (hi,lo)*10 + d
		h1, l1 := bits.Mul64(lo, 10)
		hi = hi*10 + h1
		var carry uint64
		lo, carry = bits.Add64(l1, uint64(c-'0'), 0)
		hi += carry
	}
	v := decimal128.New(int64(hi), lo)
	if neg {
		v = v.Negate()
	}
	return v
}

// decimal256Of converts a digit string of at most 76 digits.
func decimal256Of(digits []byte, neg bool) decimal256.Num {
	var bi big.Int
	bi.SetString(string(digits), 10)
	if neg {
		bi.Neg(&bi)
	}
	return decimal256.FromBigInt(&bi)
}

// parseFloat parses number text as a float64.
func parseFloat(b []byte, bitSize int) (float64, bool) {
	if f, ok := parseFloatExact(b, bitSize); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(bstr(b), bitSize)
	if err != nil {
		return 0, false
	}
	return f, true
}

// float64Pow10 and float32Pow10 are the powers of ten that float64 and
// float32 hold exactly.
var (
	float64Pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
	float32Pow10 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}
)

// parseFloatExact parses the common form of a number, [-]digits[.digits]
// without exponent, when its digits make an integer that the float type
// holds exactly and the fraction has few enough digits that the power of
// ten is exact too: then one division gives the correctly rounded value,
// the same bits as strconv.ParseFloat (whose own fast path this is, after
// a slower general scan). ok is false for anything else.
func parseFloatExact(b []byte, bitSize int) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var u uint64
	i, n, frac := 0, 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			if frac >= 0 || i == 0 {
				return 0, false
			}
			frac = i + 1
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if n++; n > 19 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	k := 0 // digits after the point
	if frac >= 0 {
		if k = len(b) - frac; k == 0 {
			return 0, false
		}
	} else if len(b) == 0 {
		return 0, false
	}
	var f float64
	if bitSize == 32 {
		if u>>23 != 0 || k >= len(float32Pow10) {
			return 0, false
		}
		f = float64(float32(u) / float32Pow10[k])
	} else {
		if u>>52 != 0 || k >= len(float64Pow10) {
			return 0, false
		}
		f = float64(u) / float64Pow10[k]
	}
	if neg {
		f = -f
	}
	return f, true
}

// ---- dates and times ----

func digits2(b []byte, i int) (int, bool) {
	if i+2 > len(b) {
		return 0, false
	}
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}

func digits4(b []byte, i int) (int, bool) {
	a, ok1 := digits2(b, i)
	c, ok2 := digits2(b, i+2)
	return a*100 + c, ok1 && ok2
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDate parses YYYY-MM-DD at b[0:] and returns epoch days and the end index.
func parseDate(b []byte) (int64, int, bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, false
	}
	y, ok1 := digits4(b, 0)
	m, ok2 := digits2(b, 5)
	d, ok3 := digits2(b, 8)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, false
	}
	return daysFromCivil(y, m, d), 10, true
}

// parseClock parses HH:MM[:SS[.fraction]] at b[i:] and returns microseconds
// since midnight and the end index. Hours beyond 23 are rejected.
func parseClock(b []byte, i int) (int64, int, bool) {
	h, ok1 := digits2(b, i)
	if !ok1 || i+2 >= len(b) || b[i+2] != ':' {
		return 0, i, false
	}
	m, ok2 := digits2(b, i+3)
	if !ok2 || h > 23 || m > 59 {
		return 0, i, false
	}
	i += 5
	s := 0
	var frac int64
	if i < len(b) && b[i] == ':' {
		var ok bool
		if s, ok = digits2(b, i+1); !ok || s > 60 {
			return 0, i, false
		}
		if s == 60 {
			s = 59 // a leap second is stored as :59
		}
		i += 3
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			start := i
			scale := int64(100000)
			for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				frac += int64(b[i]-'0') * scale
				scale /= 10
			}
			if i == start {
				return 0, i, false
			}
		}
	}
	return (int64(h)*3600+int64(m)*60+int64(s))*1e6 + frac, i, true
}

// parseZone parses Z, z, ±HH, ±HHMM or ±HH:MM at b[i:] (or nothing) and
// returns the offset in microseconds, whether a zone was present and the end.
func parseZone(b []byte, i int) (int64, bool, int, bool) {
	if i >= len(b) {
		return 0, false, i, true
	}
	if b[i] == ' ' && i+1 < len(b) { // "2024-01-02 03:04:05 +01:00" / " UTC"
		i++
		if string(b[i:]) == "UTC" {
			return 0, true, len(b), true
		}
	}
	switch b[i] {
	case 'Z', 'z':
		return 0, true, i + 1, true
	case '+', '-':
		sign := int64(1)
		if b[i] == '-' {
			sign = -1
		}
		h, ok := digits2(b, i+1)
		if !ok || h > 23 {
			return 0, false, i, false
		}
		j := i + 3
		m := 0
		if j < len(b) && b[j] == ':' {
			j++
		}
		if j < len(b) {
			if m, ok = digits2(b, j); !ok || m > 59 {
				return 0, false, i, false
			}
			j += 2
		}
		return sign * (int64(h)*3600 + int64(m)*60) * 1e6, true, j, true
	}
	return 0, false, i, false
}

// parseTimestamp parses an ISO-8601 date-time (T or space separator,
// optional seconds, fraction and zone; a date alone is midnight) into
// microseconds since the epoch in UTC. A value without zone is taken as UTC.
func parseTimestamp(b []byte) (int64, bool) {
	days, i, ok := parseDate(b)
	if !ok {
		return 0, false
	}
	us := days * 86400e6
	if i == len(b) {
		return us, true
	}
	if b[i] != 'T' && b[i] != 't' && b[i] != ' ' {
		return 0, false
	}
	clock, i, ok := parseClock(b, i+1)
	if !ok {
		return 0, false
	}
	off, _, i, ok := parseZone(b, i)
	if !ok || i != len(b) {
		return 0, false
	}
	return us + clock - off, true
}

// maxTimeHourDigits bounds the hours of a time value: MySQL's TIME runs
// from -838:59:59 to 838:59:59, so three digits hold every value.
const maxTimeHourDigits = 3

// appendTimeText appends the canonical text of a time value,
// "[-]HH:MM:SS.ffffff" (at least two hour digits, at least six fraction
// digits, more kept as given), to dst. b is [-]H[HH]:MM[:SS[.fraction]]
// with minutes and seconds 00-59 (a leap second 60 is kept); the sign and
// hours beyond 23 (MySQL's -838:59:59 to 838:59:59) are kept exactly. A
// value with a zone or in any other form is refused (ok=false): the
// column is text because Athena cannot declare TIME (see TYPES.md).
func appendTimeText(dst, b []byte) ([]byte, bool) {
	start := len(dst)
	i := 0
	if len(b) > 0 && b[0] == '-' {
		dst = append(dst, '-')
		i++
	}
	h := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == h || i-h > maxTimeHourDigits || i >= len(b) || b[i] != ':' {
		return dst[:start], false
	}
	if i-h == 1 {
		dst = append(dst, '0')
	}
	dst = append(dst, b[h:i]...)
	m, ok := digits2(b, i+1)
	if !ok || m > 59 {
		return dst[:start], false
	}
	dst = append(dst, b[i:i+3]...)
	i += 3
	if i == len(b) {
		return append(dst, ":00.000000"...), true
	}
	if b[i] != ':' {
		return dst[:start], false
	}
	if s, ok := digits2(b, i+1); !ok || s > 60 {
		return dst[:start], false
	}
	dst = append(dst, b[i:i+3]...)
	i += 3
	dst = append(dst, '.')
	n := 0
	if i < len(b) {
		if b[i] != '.' && b[i] != ',' {
			return dst[:start], false
		}
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			dst = append(dst, b[i])
			n++
		}
		if n == 0 || i != len(b) {
			return dst[:start], false
		}
	}
	for ; n < 6; n++ {
		dst = append(dst, '0')
	}
	return dst, true
}

package rowcodec

// Temporal values arrive in the text protocol as
//
//	DATE       YYYY-MM-DD
//	DATETIME   YYYY-MM-DD hh:mm:ss[.f{1,6}]
//	TIMESTAMP  same, in the session time zone (the connector sets UTC)
//	TIME       [-]h{2,3}:mm:ss[.f{1,6}]
//
// and are written with exactly six fractional digits, as Airbyte's
// source-mysql 3.0.0 does.

// dateEncoder writes a DATE as "YYYY-MM-DD"; zero and invalid dates are
// nulled.
type dateEncoder struct{}

func (dateEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	if len(text) != 10 || !validDate(text) {
		return append(dst, null...), false
	}
	dst = append(dst, '"')
	dst = append(dst, text...)
	return append(dst, '"'), true
}

// datetimeEncoder writes DATETIME as "YYYY-MM-DDThh:mm:ss.ffffff" and, with
// utc, TIMESTAMP as the same followed by "Z".
type datetimeEncoder struct{ utc bool }

func (e datetimeEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	frac, ok := splitDatetime(text)
	if !ok {
		return append(dst, null...), false
	}
	dst = append(dst, '"')
	dst = append(dst, text[:10]...)
	dst = append(dst, 'T')
	dst = append(dst, text[11:19]...)
	dst = appendFraction(dst, frac)
	if e.utc {
		dst = append(dst, 'Z')
	}
	return append(dst, '"'), true
}

// splitDatetime validates "YYYY-MM-DD hh:mm:ss[.f]" and returns the
// fractional digits.
func splitDatetime(b []byte) (frac []byte, ok bool) {
	if len(b) < 19 || (b[10] != ' ' && b[10] != 'T') || !validDate(b[:10]) || !validClock(b[11:19]) {
		return nil, false
	}
	rest := b[19:]
	if len(rest) == 0 {
		return nil, true
	}
	if rest[0] != '.' || len(rest) > 7 || !allDigits(rest[1:]) {
		return nil, false
	}
	return rest[1:], true
}

// appendFraction appends '.' and frac padded with zeros to six digits.
func appendFraction(dst, frac []byte) []byte {
	dst = append(dst, '.')
	dst = append(dst, frac...)
	for i := len(frac); i < 6; i++ {
		dst = append(dst, '0')
	}
	return dst
}

func validDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(m, y)
}

func validClock(b []byte) bool {
	if len(b) != 8 || b[2] != ':' || b[5] != ':' {
		return false
	}
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	s, ok3 := digits(b[6:8])
	return ok1 && ok2 && ok3 && h < 24 && m < 60 && s < 60
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m, y int) int {
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

// timeEncoder writes TIME as "[-]hh:mm:ss.ffffff", keeping the sign and
// hours beyond 24 (MySQL's range is -838:59:59 to 838:59:59).
type timeEncoder struct{}

func (timeEncoder) AppendJSON(dst, text []byte) ([]byte, bool) {
	if text == nil {
		return append(dst, null...), true
	}
	neg, hours, clock, frac, ok := splitTime(text)
	if !ok {
		return append(dst, null...), false
	}
	dst = append(dst, '"')
	if neg {
		dst = append(dst, '-')
	}
	if len(hours) < 2 {
		dst = append(dst, '0')
	}
	dst = append(dst, hours...)
	dst = append(dst, clock...)
	dst = appendFraction(dst, frac)
	return append(dst, '"'), true
}

// splitTime parses "[-]h+:mm:ss[.f]" into its parts; clock is ":mm:ss".
func splitTime(b []byte) (neg bool, hours, clock, frac []byte, ok bool) {
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i > 3 || len(b) < i+6 {
		return false, nil, nil, nil, false
	}
	hours, clock = b[:i], b[i:i+6]
	if clock[0] != ':' || clock[3] != ':' {
		return false, nil, nil, nil, false
	}
	m, ok1 := digits(clock[1:3])
	s, ok2 := digits(clock[4:6])
	if !ok1 || !ok2 || m > 59 || s > 59 {
		return false, nil, nil, nil, false
	}
	rest := b[i+6:]
	if len(rest) > 0 {
		if rest[0] != '.' || len(rest) > 7 || len(rest) < 2 || !allDigits(rest[1:]) {
			return false, nil, nil, nil, false
		}
		frac = rest[1:]
	}
	return neg, hours, clock, frac, true
}

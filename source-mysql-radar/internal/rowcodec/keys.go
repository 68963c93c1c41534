package rowcodec

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// Key and cursor values travel three ways: as text-protocol bytes while a
// table is read, as strings inside state blobs, and as bound query
// arguments. The functions below convert between them so that a value read
// from a row compares equal to itself when bound back into a query.

// StateString returns the state form of a text-protocol value: the value as
// it appears in records for temporal types (ISO 8601, as Airbyte stores
// cursors), base64 for binary types, the unsigned integer for bit types,
// and the text itself otherwise.
func StateString(c *column.Column, text []byte) string {
	switch c.Kind {
	case column.KindBinary:
		return base64.StdEncoding.EncodeToString(text)
	case column.KindBits, column.KindBoolBit:
		return strconv.FormatUint(bitsValue(text), 10)
	case column.KindDate, column.KindDatetime, column.KindTimestamp, column.KindTime:
		out, ok := For(c).AppendJSON(nil, text)
		if ok && len(out) >= 2 && out[0] == '"' {
			return string(out[1 : len(out)-1])
		}
	}
	return string(text)
}

// ParseStateString converts a state value back to the column's text form.
// It accepts what StateString writes and the forms Airbyte's connectors
// wrote: "2024-01-02T03:04:05.000000Z", "2024-01-02 03:04:05", offsets such
// as "+02:00" (converted to UTC for TIMESTAMP), and plain numbers.
func ParseStateString(c *column.Column, s string) ([]byte, error) {
	switch c.Kind {
	case column.KindBinary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("value of %s is not base64: %w", c.Name, err)
		}
		return b, nil
	case column.KindBits, column.KindBoolBit:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("value of %s is not an unsigned integer", c.Name)
		}
		width := (c.Bits() + 7) / 8
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], n)
		return append([]byte(nil), buf[8-width:]...), nil
	case column.KindDatetime, column.KindTimestamp, column.KindDate:
		return parseTemporalState(c, s)
	case column.KindTime:
		return []byte(s), nil
	case column.KindInt, column.KindYear, column.KindBoolInt:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("value of %s is not an integer", c.Name)
		}
	case column.KindUint64:
		if _, err := strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fmt.Errorf("value of %s is not an unsigned integer", c.Name)
		}
	case column.KindFloat, column.KindDouble:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("value of %s is not a number", c.Name)
		}
	case column.KindDecimal, column.KindDecimalInt:
		if _, ok := decimalEncoder.AppendJSON(decimalEncoder{}, nil, []byte(s)); !ok {
			return nil, fmt.Errorf("value of %s is not a decimal number", c.Name)
		}
	}
	return []byte(s), nil
}

func parseTemporalState(c *column.Column, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if c.Kind == column.KindDate && len(s) == 10 {
		return []byte(s), nil
	}
	// An explicit offset: convert to UTC (TIMESTAMP) or drop it (DATETIME,
	// which has no zone).
	if i := offsetStart(s); i > 0 {
		t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", strings.Replace(s, " ", "T", 1))
		if err != nil {
			return nil, fmt.Errorf("value of %s is not a date-time", c.Name)
		}
		if c.Kind == column.KindTimestamp {
			t = t.UTC()
		}
		return []byte(t.Format("2006-01-02 15:04:05.000000")), nil
	}
	if len(s) < 19 {
		if len(s) == 10 {
			return []byte(s + " 00:00:00"), nil
		}
		return nil, fmt.Errorf("value of %s is not a date-time", c.Name)
	}
	b := []byte(s)
	if b[10] == 'T' {
		b[10] = ' '
	}
	return b, nil
}

// offsetStart returns the index of a trailing "Z" or "±hh:mm" zone, or -1.
func offsetStart(s string) int {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return len(s) - 1
	}
	if len(s) >= 25 {
		i := len(s) - 6
		if (s[i] == '+' || s[i] == '-') && s[i+3] == ':' {
			return i
		}
	}
	return -1
}

// ParamSQL returns the placeholder that compares a bound argument with the
// column exactly: DECIMAL values are cast to the column's own type so the
// comparison is decimal, not floating point.
func ParamSQL(c *column.Column) string {
	if c.Kind == column.KindDecimal || c.Kind == column.KindDecimalInt {
		p, s := c.Precision, c.Scale
		if p <= 0 || p > 65 {
			p = 65
		}
		if s < 0 {
			s = 0
		}
		return "CAST(? AS DECIMAL(" + strconv.FormatInt(p, 10) + "," + strconv.FormatInt(s, 10) + "))"
	}
	return "?"
}

// BindArg converts a text-protocol value into the query argument for
// ParamSQL: integers as int64/uint64, floating point as float64, bit values
// as their unsigned integer, binary as []byte, everything else as string.
func BindArg(c *column.Column, text []byte) (any, error) {
	if text == nil {
		return nil, errors.New("a key or cursor value is NULL")
	}
	switch c.Kind {
	case column.KindInt, column.KindYear, column.KindBoolInt:
		n, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s value as integer: %w", c.Name, err)
		}
		return n, nil
	case column.KindUint64:
		n, err := strconv.ParseUint(string(text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s value as unsigned integer: %w", c.Name, err)
		}
		return n, nil
	case column.KindFloat, column.KindDouble:
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s value as number: %w", c.Name, err)
		}
		return f, nil
	case column.KindBits, column.KindBoolBit:
		return bitsValue(text), nil
	case column.KindBinary:
		return append([]byte{}, text...), nil
	}
	return string(text), nil
}

// bitsValue reads a BIT value (big-endian bytes, at most 8) as an integer.
func bitsValue(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

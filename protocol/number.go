package protocol

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Count is a record count. The protocol types it as a double that "should
// always have a decimal point", so it marshals as 100.0, never 100 or 1e+06.
type Count float64

// MarshalJSON writes the count with a decimal point.
func (c Count) MarshalJSON() ([]byte, error) { return appendDecimal(nil, float64(c)), nil }

// Int returns the count as an integer.
func (c Count) Int() int64 { return int64(math.Round(float64(c))) }

// Millis is a time in milliseconds since the epoch, written as a JSON number
// with a decimal point (TRACE and CONTROL emitted_at).
type Millis float64

// MarshalJSON writes the value with a decimal point.
func (m Millis) MarshalJSON() ([]byte, error) { return appendDecimal(nil, float64(m)), nil }

// MillisOf converts t to Millis.
func MillisOf(t time.Time) Millis { return Millis(t.UnixMilli()) }

func appendDecimal(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, '0', '.', '0')
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		dst = strconv.AppendInt(dst, int64(f), 10)
		return append(dst, '.', '0')
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if !bytes.ContainsAny(dst[start:], ".") {
		dst = append(dst, '.', '0')
	}
	return dst
}

var (
	_ json.Marshaler = Count(0)
	_ json.Marshaler = Millis(0)
)

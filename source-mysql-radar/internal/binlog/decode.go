package binlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// ColumnSpec says how to turn one column of a row image into the text the
// MySQL text protocol would return for it.
type ColumnSpec struct {
	// Type and Meta are the column's binlog type and metadata, from the
	// TABLE_MAP event.
	Type byte
	Meta uint16
	// Unsigned integers are printed unsigned.
	Unsigned bool
	// Convert converts text to UTF-8 (nil: the bytes are UTF-8 or binary).
	Convert Converter
	// Elements are the members of an ENUM or SET column.
	Elements []string
	// PadTo pads BINARY(n) values with zero bytes to n bytes: the binary
	// log drops trailing zeros, the text protocol returns all n bytes.
	PadTo int
	// Format is set for MariaDB types stored in binary whose text form is
	// formatted by the server: FormatUUID, FormatInet6, FormatInet4.
	Format byte
	// Needed columns are converted; the others are only skipped over.
	Needed bool
}

// Text formats of MariaDB's binary-stored types.
const (
	FormatUUID  byte = 'u'
	FormatInet6 byte = '6'
	FormatInet4 byte = '4'
)

// ErrPartialImage is returned for a row image that lacks a needed column
// (binlog_row_image is not FULL).
var ErrPartialImage = errors.New("the row image lacks columns (binlog_row_image is not FULL)")

type op uint8

const (
	opNull op = iota
	opInt
	opYear
	opFloat
	opDouble
	opDecimal
	opBit
	opDate
	opTime
	opTime2
	opDatetime
	opDatetime2
	opTimestamp
	opTimestamp2
	opEnum
	opSet
	opBlob    // length prefix of size bytes
	opVarchar // length prefix of size (1 or 2) bytes
	opString  // CHAR/BINARY: length prefix of size (1 or 2) bytes
	opJSON    // MySQL binary JSON, length prefix of size bytes
)

type colDec struct {
	op       op
	size     int // fixed size, or the size of the length prefix
	dec      int // fractional digits (temporal types)
	prec     int // DECIMAL precision and scale
	scale    int
	unsigned bool
	conv     Converter
	elems    []string
	pad      int
	format   byte
	need     bool
}

// RowDecoder decodes the row images of one table's row events. It is
// built once per table map and reused for every row; not safe for
// concurrent use.
type RowDecoder struct {
	cols   []colDec
	values [][]byte
	buf    []byte
	// ends[i] >= 0: value i is buf[starts[i]:ends[i]]; -1: values[i] is set.
	starts, ends []int
	lastPresent  []byte
	lastCount    int
}

// NewRowDecoder prepares a decoder for columns.
func NewRowDecoder(cols []ColumnSpec) (*RowDecoder, error) {
	d := &RowDecoder{
		cols:   make([]colDec, len(cols)),
		values: make([][]byte, len(cols)),
		starts: make([]int, len(cols)),
		ends:   make([]int, len(cols)),
		buf:    make([]byte, 0, 1024),
	}
	for i, c := range cols {
		cd, err := prepare(c)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i+1, err)
		}
		d.cols[i] = cd
	}
	return d, nil
}

func prepare(c ColumnSpec) (colDec, error) {
	d := colDec{unsigned: c.Unsigned, conv: c.Convert, elems: c.Elements, pad: c.PadTo, format: c.Format, need: c.Needed}
	switch c.Format {
	case FormatUUID, FormatInet6:
		d.pad = 16
	case FormatInet4:
		d.pad = 4
	}
	meta := c.Meta
	switch c.Type {
	case gomysql.MYSQL_TYPE_NULL:
		d.op = opNull
	case gomysql.MYSQL_TYPE_TINY:
		d.op, d.size = opInt, 1
	case gomysql.MYSQL_TYPE_SHORT:
		d.op, d.size = opInt, 2
	case gomysql.MYSQL_TYPE_INT24:
		d.op, d.size = opInt, 3
	case gomysql.MYSQL_TYPE_LONG:
		d.op, d.size = opInt, 4
	case gomysql.MYSQL_TYPE_LONGLONG:
		d.op, d.size = opInt, 8
	case gomysql.MYSQL_TYPE_YEAR:
		d.op, d.size = opYear, 1
	case gomysql.MYSQL_TYPE_FLOAT:
		d.op, d.size = opFloat, 4
	case gomysql.MYSQL_TYPE_DOUBLE:
		d.op, d.size = opDouble, 8
	case gomysql.MYSQL_TYPE_NEWDECIMAL:
		d.op, d.prec, d.scale = opDecimal, int(meta>>8), int(meta&0xff)
		if d.prec < 1 || d.prec > 65 || d.scale > 30 || d.scale > d.prec {
			return d, fmt.Errorf("DECIMAL(%d,%d) out of range", d.prec, d.scale)
		}
		d.size = decimalSize(d.prec, d.scale)
	case gomysql.MYSQL_TYPE_BIT:
		nbits := int(meta>>8)*8 + int(meta&0xff)
		d.op, d.size = opBit, (nbits+7)/8
	case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE:
		d.op, d.size = opDate, 3
	case gomysql.MYSQL_TYPE_TIME:
		d.op, d.size = opTime, 3
	case gomysql.MYSQL_TYPE_TIME2:
		d.op, d.dec = opTime2, int(meta)
		d.size = 3 + (d.dec+1)/2
	case gomysql.MYSQL_TYPE_DATETIME:
		d.op, d.size = opDatetime, 8
	case gomysql.MYSQL_TYPE_DATETIME2:
		d.op, d.dec = opDatetime2, int(meta)
		d.size = 5 + (d.dec+1)/2
	case gomysql.MYSQL_TYPE_TIMESTAMP:
		d.op, d.size = opTimestamp, 4
	case gomysql.MYSQL_TYPE_TIMESTAMP2:
		d.op, d.dec = opTimestamp2, int(meta)
		d.size = 4 + (d.dec+1)/2
	case gomysql.MYSQL_TYPE_BLOB, gomysql.MYSQL_TYPE_GEOMETRY, gomysql.MYSQL_TYPE_VECTOR:
		d.op, d.size = opBlob, int(meta)
	case gomysql.MYSQL_TYPE_JSON:
		d.op, d.size = opJSON, int(meta)
	case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING:
		d.op, d.size = opVarchar, 1
		if meta >= 256 {
			d.size = 2
		}
	case gomysql.MYSQL_TYPE_STRING:
		real, length := byte(gomysql.MYSQL_TYPE_STRING), int(meta)
		if meta >= 256 {
			b0, b1 := byte(meta>>8), int(meta&0xff)
			if b0&0x30 != 0x30 {
				length = b1 | int((b0&0x30)^0x30)<<4
				real = b0 | 0x30
			} else {
				length = b1
				real = b0
			}
		}
		switch real {
		case gomysql.MYSQL_TYPE_ENUM:
			d.op, d.size = opEnum, length
		case gomysql.MYSQL_TYPE_SET:
			d.op, d.size = opSet, length
		default:
			d.op, d.size = opString, 1
			if length >= 256 {
				d.size = 2
			}
		}
	case gomysql.MYSQL_TYPE_ENUM:
		d.op, d.size = opEnum, int(meta&0xff)
	case gomysql.MYSQL_TYPE_SET:
		d.op, d.size = opSet, int(meta&0xff)
	default:
		return d, fmt.Errorf("binlog column type %d is not supported", c.Type)
	}
	if (d.op == opBlob || d.op == opJSON) && (d.size < 1 || d.size > 4) {
		return d, fmt.Errorf("length prefix of %d bytes", d.size)
	}
	if (d.op == opEnum && d.size != 1 && d.size != 2) || (d.op == opSet && (d.size < 1 || d.size > 8)) {
		return d, fmt.Errorf("ENUM/SET of %d bytes", d.size)
	}
	return d, nil
}

// Values returns the values of the last decoded image, one per column:
// the text-protocol form of needed columns, nil for SQL NULL (and for
// columns that are not needed). The slices are valid until the next call
// of Image and may point into the event's data.
func (d *RowDecoder) Values() [][]byte { return d.values }

// Image decodes one row image at the start of data, whose columns are
// marked in the present bitmap, and returns its length in bytes. With
// keep false nothing is converted (the before image of an update).
//
// Image panics on truncated data; callers decode a row event under
// DecodeRows, which turns that into an error.
func (d *RowDecoder) Image(data, present []byte, keep bool) (n int, err error) {
	count := d.presentCount(present)
	nulls := data[:(count+7)/8]
	pos := len(nulls)
	d.buf = d.buf[:0]
	ni := 0
	for i := range d.cols {
		c := &d.cols[i]
		d.values[i], d.ends[i] = nil, -1
		if !isSet(present, i) {
			if keep && c.need {
				return 0, ErrPartialImage
			}
			continue
		}
		null := isSet(nulls, ni)
		ni++
		if null || c.op == opNull {
			continue
		}
		if !keep || !c.need {
			pos += c.skip(data[pos:])
			continue
		}
		start := len(d.buf)
		var sz int
		var direct []byte
		sz, direct, d.buf, err = c.decode(data[pos:], d.buf)
		if err != nil {
			return 0, err
		}
		pos += sz
		if direct != nil {
			d.values[i] = direct
		} else {
			d.starts[i], d.ends[i] = start, len(d.buf)
		}
	}
	for i, e := range d.ends {
		if e >= 0 {
			d.values[i] = d.buf[d.starts[i]:e:e]
		}
	}
	return pos, nil
}

// presentCount counts the columns of a present bitmap, remembering the
// last bitmap (all row images of a table usually have the same one).
func (d *RowDecoder) presentCount(present []byte) int {
	if d.lastPresent != nil && string(d.lastPresent) == string(present) {
		return d.lastCount
	}
	count := 0
	for i := range d.cols {
		if isSet(present, i) {
			count++
		}
	}
	d.lastPresent = append(d.lastPresent[:0], present...)
	d.lastCount = count
	return count
}

// DecodeRows calls fn for every row image of a row event's data (before
// and after images for updates), turning a panic on corrupt or truncated
// data into an error.
func DecodeRows(data []byte, fn func(data []byte) (int, error)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt row image: %v", r)
		}
	}()
	data = data[:len(data):len(data)] // reading past the end panics
	for pos := 0; pos < len(data); {
		n, err := fn(data[pos:])
		if err != nil {
			return err
		}
		if n <= 0 {
			return errors.New("corrupt row image: empty")
		}
		pos += n
	}
	return nil
}

func isSet(bitmap []byte, i int) bool { return bitmap[i>>3]&(1<<(uint(i)&7)) != 0 }

// skip returns the size of a value without converting it.
func (c *colDec) skip(b []byte) int {
	switch c.op {
	case opBlob, opJSON, opVarchar, opString:
		return c.size + int(leUint(b[:c.size]))
	}
	return c.size
}

// decode converts one value: either appended to buf (direct == nil) or
// returned as a slice of b.
func (c *colDec) decode(b, buf []byte) (size int, direct, out []byte, err error) {
	switch c.op {
	case opInt:
		u := leUint(b[:c.size])
		if c.unsigned {
			buf = strconv.AppendUint(buf, u, 10)
		} else {
			shift := 64 - 8*uint(c.size)
			buf = strconv.AppendInt(buf, int64(u<<shift)>>shift, 10)
		}
		return c.size, nil, buf, nil
	case opYear:
		y := int64(b[0])
		if y != 0 {
			y += 1900
		}
		buf = strconv.AppendInt(buf, y, 10)
		return 1, nil, buf, nil
	case opFloat:
		f := math.Float32frombits(binary.LittleEndian.Uint32(b))
		// The float64 of a float32 is exact; its shortest form parses back
		// to the same float32 (the FLOAT encoder rounds to single).
		buf = strconv.AppendFloat(buf, float64(f), 'g', -1, 64)
		return 4, nil, buf, nil
	case opDouble:
		buf = strconv.AppendFloat(buf, math.Float64frombits(binary.LittleEndian.Uint64(b)), 'g', -1, 64)
		return 8, nil, buf, nil
	case opDecimal:
		buf = appendDecimal(buf, b[:c.size], c.prec, c.scale)
		return c.size, nil, buf, nil
	case opBit:
		return c.size, b[:c.size:c.size], buf, nil
	case opDate:
		v := leUint(b[:3])
		buf = appendDate(buf, int(v>>9), int(v>>5&15), int(v&31))
		return 3, nil, buf, nil
	case opTime:
		v := int64(leUint(b[:3])<<40) >> 40
		neg := v < 0
		if neg {
			v = -v
		}
		buf = appendClock(buf, neg, int(v/10000), int(v/100%100), int(v%100), 0, 0)
		return 3, nil, buf, nil
	case opTime2:
		buf = appendTime2(buf, b[:c.size], c.dec)
		return c.size, nil, buf, nil
	case opDatetime:
		v := binary.LittleEndian.Uint64(b)
		dpart, tpart := v/1000000, v%1000000
		buf = appendDate(buf, int(dpart/10000), int(dpart%10000/100), int(dpart%100))
		buf = append(buf, ' ')
		buf = appendClock(buf, false, int(tpart/10000), int(tpart%10000/100), int(tpart%100), 0, 0)
		return 8, nil, buf, nil
	case opDatetime2:
		buf = appendDatetime2(buf, b[:c.size], c.dec)
		return c.size, nil, buf, nil
	case opTimestamp:
		buf = appendTimestamp(buf, int64(binary.LittleEndian.Uint32(b)), 0, 0)
		return 4, nil, buf, nil
	case opTimestamp2:
		sec := int64(binary.BigEndian.Uint32(b))
		buf = appendTimestamp(buf, sec, fraction(b[4:c.size], c.dec), c.dec)
		return c.size, nil, buf, nil
	case opEnum:
		idx := int(leUint(b[:c.size]))
		if idx >= 1 && idx <= len(c.elems) {
			buf = append(buf, c.elems[idx-1]...)
		}
		return c.size, nil, buf, nil
	case opSet:
		bits := leUint(b[:c.size])
		first := true
		for i, e := range c.elems {
			if i < 64 && bits&(1<<uint(i)) != 0 {
				if !first {
					buf = append(buf, ',')
				}
				buf = append(buf, e...)
				first = false
			}
		}
		return c.size, nil, buf, nil
	case opBlob, opVarchar, opString:
		l := int(leUint(b[:c.size]))
		v := b[c.size : c.size+l : c.size+l]
		switch {
		case c.format != 0 && l <= c.pad:
			var raw [16]byte
			copy(raw[:], v)
			buf = appendFormatted(buf, c.format, raw[:c.pad])
		case c.conv != nil:
			buf = c.conv.AppendUTF8(buf, v)
		case c.pad > l:
			buf = append(buf, v...)
			for range c.pad - l {
				buf = append(buf, 0)
			}
		default:
			return c.size + l, v, buf, nil
		}
		return c.size + l, nil, buf, nil
	case opJSON:
		l := int(leUint(b[:c.size]))
		v := b[c.size : c.size+l]
		if l == 0 {
			buf = append(buf, "null"...)
		} else {
			buf, err = AppendMySQLJSON(buf, v)
			if err != nil {
				return 0, nil, buf, err
			}
		}
		return c.size + l, nil, buf, nil
	}
	return 0, nil, buf, fmt.Errorf("cannot decode op %d", c.op)
}

// leUint reads a little-endian unsigned integer of 1 to 8 bytes.
func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// beUint reads a big-endian unsigned integer of 1 to 8 bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

var dig2bytes = [10]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}

// decimalSize is the binary size of DECIMAL(prec, scale).
func decimalSize(prec, scale int) int {
	intg := prec - scale
	return intg/9*4 + dig2bytes[intg%9] + scale/9*4 + dig2bytes[scale%9]
}

// appendDecimal appends MySQL's binary DECIMAL as text, exactly, with the
// column's scale ("-1.50"), the way the server prints it.
func appendDecimal(dst, b []byte, prec, scale int) []byte {
	var tmp [40]byte
	d := tmp[:len(b)]
	copy(d, b)
	neg := d[0]&0x80 == 0
	d[0] ^= 0x80
	if neg {
		for i := range d {
			d[i] ^= 0xff
		}
	}
	intg := prec - scale
	intg0, intg0x := intg/9, intg%9
	frac0, frac0x := scale/9, scale%9
	signAt := len(dst)
	if neg {
		dst = append(dst, '-')
	}
	digitsAt := len(dst)
	pos := 0
	read := func(n int) uint64 {
		v := beUint(d[pos : pos+n])
		pos += n
		return v
	}
	printed := false
	if intg0x > 0 {
		if v := read(dig2bytes[intg0x]); v != 0 {
			dst = strconv.AppendUint(dst, v, 10)
			printed = true
		}
	}
	for range intg0 {
		v := read(4)
		switch {
		case printed:
			dst = appendPadded(dst, v, 9)
		case v != 0:
			dst = strconv.AppendUint(dst, v, 10)
			printed = true
		}
	}
	if !printed {
		dst = append(dst, '0')
	}
	if scale > 0 {
		dst = append(dst, '.')
		for range frac0 {
			dst = appendPadded(dst, read(4), 9)
		}
		if frac0x > 0 {
			dst = appendPadded(dst, read(dig2bytes[frac0x]), frac0x)
		}
	}
	if neg {
		zero := true
		for _, c := range dst[digitsAt:] {
			if c != '0' && c != '.' {
				zero = false
				break
			}
		}
		if zero {
			dst = append(dst[:signAt], dst[digitsAt:]...)
		}
	}
	return dst
}

// append2 appends v (0-99) as two digits.
func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10%10), byte('0'+v%10))
}

// appendPadded appends v with at least width digits.
func appendPadded(dst []byte, v uint64, width int) []byte {
	if width == 4 && v < 10000 {
		return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
	}
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func appendDate(dst []byte, y, m, d int) []byte {
	dst = appendPadded(dst, uint64(y), 4)
	dst = append(dst, '-')
	dst = append2(dst, m%100)
	dst = append(dst, '-')
	return append2(dst, d%100)
}

// appendClock appends [-]hh:mm:ss and, with dec > 0, the first dec digits
// of the six-digit microseconds.
func appendClock(dst []byte, neg bool, h, m, s, micros, dec int) []byte {
	if neg {
		dst = append(dst, '-')
	}
	if h < 100 {
		dst = append2(dst, h)
	} else {
		dst = strconv.AppendInt(dst, int64(h), 10)
	}
	dst = append(dst, ':')
	dst = append2(dst, m%100)
	dst = append(dst, ':')
	dst = append2(dst, s%100)
	return appendFrac(dst, micros, dec)
}

func appendFrac(dst []byte, micros, dec int) []byte {
	if dec <= 0 {
		return dst
	}
	var tmp [8]byte
	f := appendPadded(tmp[:0], uint64(micros), 6)
	dst = append(dst, '.')
	return append(dst, f[:min(dec, 6)]...)
}

// fraction reads the fractional part stored after a temporal value, in
// microseconds.
func fraction(b []byte, dec int) int {
	switch dec {
	case 1, 2:
		return int(b[0]) * 10000
	case 3, 4:
		return int(binary.BigEndian.Uint16(b)) * 100
	case 5, 6:
		return int(beUint(b[:3]))
	}
	return 0
}

// appendDatetime2 decodes DATETIME(dec) (MySQL 5.6.4+ format).
func appendDatetime2(dst, b []byte, dec int) []byte {
	v := int64(beUint(b[:5])) - 0x8000000000
	frac := fraction(b[5:], dec)
	if v < 0 {
		v = -v // not produced by valid values; printed as its magnitude
	}
	ymd := v >> 17
	ym := ymd >> 5
	hms := v & (1<<17 - 1)
	dst = appendDate(dst, int(ym/13), int(ym%13), int(ymd&31))
	dst = append(dst, ' ')
	return appendClock(dst, false, int(hms>>12), int(hms>>6&63), int(hms&63), frac, dec)
}

// appendTime2 decodes TIME(dec) (MySQL 5.6.4+ format), keeping the sign
// and hours beyond 24.
func appendTime2(dst, b []byte, dec int) []byte {
	var tmp int64
	switch dec {
	case 1, 2:
		ip := int64(beUint(b[:3])) - 0x800000
		frac := int64(b[3])
		if ip < 0 && frac != 0 {
			ip++
			frac -= 0x100
		}
		tmp = ip<<24 + frac*10000
	case 3, 4:
		ip := int64(beUint(b[:3])) - 0x800000
		frac := int64(binary.BigEndian.Uint16(b[3:5]))
		if ip < 0 && frac != 0 {
			ip++
			frac -= 0x10000
		}
		tmp = ip<<24 + frac*100
	case 5, 6:
		tmp = int64(beUint(b[:6])) - 0x800000000000
	default:
		tmp = (int64(beUint(b[:3])) - 0x800000) << 24
	}
	neg := tmp < 0
	if neg {
		tmp = -tmp
	}
	hms := tmp >> 24
	return appendClock(dst, neg, int(hms>>12%1024), int(hms>>6%64), int(hms%64), int(tmp%(1<<24)), dec)
}

// appendTimestamp formats seconds since the epoch in UTC, as the snapshot
// reads TIMESTAMP with the session time zone set to UTC. Zero is MySQL's
// zero timestamp.
func appendTimestamp(dst []byte, sec int64, micros, dec int) []byte {
	if sec == 0 {
		dst = append(dst, "0000-00-00 00:00:00"...)
		return appendFrac(dst, micros, dec)
	}
	t := time.Unix(sec, 0).UTC()
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendDate(dst, y, int(m), d)
	dst = append(dst, ' ')
	return appendClock(dst, false, h, mi, s, micros, dec)
}

// appendFormatted writes MariaDB's UUID, INET6 and INET4 values as the
// server prints them.
func appendFormatted(dst []byte, format byte, b []byte) []byte {
	switch format {
	case FormatUUID:
		for i, c := range b {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				dst = append(dst, '-')
			}
			dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
		}
		return dst
	case FormatInet6:
		return netip.AddrFrom16([16]byte(b)).AppendTo(dst)
	case FormatInet4:
		return netip.AddrFrom4([4]byte(b)).AppendTo(dst)
	}
	return append(dst, b...)
}

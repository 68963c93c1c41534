package rowcodec

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// ProtoRow encodes rows of a fixed column list, plus extra named fields the
// caller fills (the CDC metadata columns _ab_cdc_*), as data-channel record
// values (speed mode, PROTOBUF format).
//
// A record's values are one per property of the stream's json_schema, in
// the order of the property names sorted by bytes (sort.Strings), as the
// Bulk CDK's AirbyteValueProtobufEncoder
// (airbyte-cdk/bulk/core/base/.../protocol/AirbyteValueProtobufEncoder.kt)
// and its decoder expect. Each value carries exactly what the JSON path
// (RowEncoder) writes for the same text-protocol value:
//
//	KindString                 string (each byte that is not valid UTF-8 becomes U+FFFD, as jsonx writes \ufffd)
//	KindBoolInt, KindBoolBit   boolean
//	KindInt, KindYear          integer (big_integer if it did not fit int64)
//	KindUint64, KindDecimalInt integer if it fits int64, else big_integer (the JSON path's digits)
//	KindDecimal                big_decimal, the JSON path's number text ("-0.50", scale kept)
//	KindFloat, KindDouble      number: the float64 of the JSON path's number text
//	KindDate                   date (days since 1970-01-01, proleptic Gregorian)
//	KindDatetime               timestamp_without_timezone (days, nanos of day; microsecond precision)
//	KindTimestamp              timestamp_with_timezone (epoch second, nano, offset 0: UTC)
//	KindTime                   time_without_timezone (nanos of day) for 00:00:00 <= t < 24:00:00,
//	                           else string, the JSON path's text ("-01:00:00.000000", "25:00:00.000000")
//	KindBinary, KindBits       string, the JSON path's base64 text (standard, padded)
//	SQL NULL                   null
//
// A number prints back as the JSON path's text when formatted as the
// shortest float64, JavaScript style (appendFloat), except DOUBLE text that
// the JSON path copies as the server wrote it when that is not the
// shortest spelling ("1.50", "0.00000001" against 1e-8): the same float64,
// another spelling. MySQL and MariaDB print the shortest spelling.
//
// A value the JSON path nulls (zero or invalid dates, malformed numbers) is
// null here too and reported by Changes. Encode does not write the
// record's meta: the caller adds Changes with RecordEncoder.Change, as it
// does for the JSON path. A ProtoRow is not safe for concurrent use.
type ProtoRow struct {
	slots   []protoSlot // in sorted property order
	names   []string    // column names, by column index
	scratch []byte
	changes []protocol.MetaChange
}

// protoSlot is one property: a column (col >= 0) or an extra field.
type protoSlot struct {
	col   int // column index, or -1
	extra int // extra index when col < 0
	op    protoOp
}

type protoOp uint8

const (
	opString protoOp = iota
	opBoolInt
	opBoolBit
	opInteger
	opDecimal
	opFloat32
	opFloat64
	opDate
	opDatetime
	opTimestamp
	opTime
	opBase64
)

func protoOpOf(k column.Kind) protoOp {
	switch k {
	case column.KindBoolInt:
		return opBoolInt
	case column.KindBoolBit:
		return opBoolBit
	case column.KindInt, column.KindUint64, column.KindYear, column.KindDecimalInt:
		return opInteger
	case column.KindDecimal:
		return opDecimal
	case column.KindFloat:
		return opFloat32
	case column.KindDouble:
		return opFloat64
	case column.KindDate:
		return opDate
	case column.KindDatetime:
		return opDatetime
	case column.KindTimestamp:
		return opTimestamp
	case column.KindTime:
		return opTime
	case column.KindBinary, column.KindBits:
		return opBase64
	}
	return opString
}

// NewProtoRow returns an encoder for rows whose values come in the order of
// cols, with the extra fields extra interleaved at their sorted positions.
func NewProtoRow(cols []*column.Column, extra []string) *ProtoRow {
	p := &ProtoRow{}
	type named struct {
		name string
		slot protoSlot
	}
	all := make([]named, 0, len(cols)+len(extra))
	for i, c := range cols {
		p.names = append(p.names, c.Name)
		all = append(all, named{c.Name, protoSlot{col: i, op: protoOpOf(c.Kind)}})
	}
	for j, n := range extra {
		all = append(all, named{n, protoSlot{col: -1, extra: j}})
	}
	slices.SortStableFunc(all, func(a, b named) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	for _, n := range all {
		p.slots = append(p.slots, n.slot)
	}
	return p
}

// Encode appends the row's values to e, between the caller's e.Begin and
// e.Finish. values holds one text-protocol value per column (nil for SQL
// NULL); values past the columns are ignored. At each extra field's sorted
// position it calls fill(e, i), i indexing extra, which must add exactly
// one value. It resets Changes.
func (p *ProtoRow) Encode(e *datachannel.RecordEncoder, values [][]byte, fill func(e *datachannel.RecordEncoder, i int)) {
	p.changes = p.changes[:0]
	for _, s := range p.slots {
		if s.col < 0 {
			fill(e, s.extra)
			continue
		}
		v := values[s.col]
		if v == nil {
			e.Null()
			continue
		}
		if !p.value(e, s.op, v) {
			e.Null()
			p.changes = append(p.changes, protocol.MetaChange{
				Field: p.names[s.col], Change: protocol.ChangeNulled, Reason: protocol.ReasonSourceSerializationError,
			})
		}
	}
}

// Changes returns the fields nulled by the last Encode, in property order;
// the slice is valid until the next call.
func (p *ProtoRow) Changes() []protocol.MetaChange { return p.changes }

// value adds the value of non-NULL text, or returns false without adding
// anything when the JSON path would null it.
func (p *ProtoRow) value(e *datachannel.RecordEncoder, op protoOp, v []byte) bool {
	switch op {
	case opString:
		appendUTF8String(e, v)
	case opBoolInt:
		e.Bool(!isZeroInteger(v))
	case opBoolBit:
		b := false
		for _, c := range v {
			if c != 0 {
				b = true
				break
			}
		}
		e.Bool(b)
	case opInteger:
		return p.integer(e, v)
	case opDecimal:
		out, ok := decimalEncoder{}.AppendJSON(p.scratch[:0], v)
		p.scratch = out
		if !ok {
			return false
		}
		e.BigDecimal(out)
	case opFloat32, opFloat64:
		bits := 64
		if op == opFloat32 {
			bits = 32
		}
		out, ok := floatEncoder{bits: bits}.AppendJSON(p.scratch[:0], v)
		p.scratch = out
		if !ok {
			return false
		}
		// The JSON path's text is a valid finite JSON number, so parsing
		// it cannot fail. ParseFloat does not keep its argument.
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(out), len(out)), 64)
		if err != nil {
			return false
		}
		e.Number(f)
	case opDate:
		if len(v) != 10 || !validDate(v) {
			return false
		}
		e.Date(civilDays(v))
	case opDatetime, opTimestamp:
		frac, ok := splitDatetime(v)
		if !ok {
			return false
		}
		days := civilDays(v[:10])
		secs := clockSeconds(v[11:19])
		micros := fracMicros(frac)
		if op == opDatetime {
			e.TimestampWithoutTimezone(days, uint64(secs)*1e9+uint64(micros)*1e3)
		} else {
			e.TimestampWithTimezone(days*86400+secs, uint32(micros)*1e3, 0)
		}
	case opTime:
		neg, hours, clock, frac, ok := splitTime(v)
		if !ok {
			return false
		}
		h, _ := digits(hours)
		if !neg && h < 24 {
			m, _ := digits(clock[1:3])
			s, _ := digits(clock[4:6])
			e.TimeWithoutTimezone(uint64(h*3600+m*60+s)*1e9 + uint64(fracMicros(frac))*1e3)
			return true
		}
		out, _ := timeEncoder{}.AppendJSON(p.scratch[:0], v)
		p.scratch = out
		e.String(out[1 : len(out)-1]) // without the quotes
	case opBase64:
		n := base64.StdEncoding.EncodedLen(len(v))
		b := e.BeginString(n)
		b = base64.StdEncoding.AppendEncode(b, v)
		e.EndString(b, n)
	}
	return true
}

// integer adds the value integerEncoder writes: an Integer when it fits
// int64, else a BigInteger of the same digits.
func (p *ProtoRow) integer(e *datachannel.RecordEncoder, v []byte) bool {
	if len(v) == 0 {
		return false
	}
	neg := v[0] == '-'
	d := v
	if neg || v[0] == '+' {
		d = v[1:]
	}
	if len(d) == 0 || !allDigits(d) {
		return false
	}
	d = trimLeadingZeros(d)
	if len(d) <= 19 {
		var u uint64
		for _, c := range d {
			u = u*10 + uint64(c-'0')
		}
		switch {
		case !neg && u <= math.MaxInt64:
			e.Integer(int64(u))
			return true
		case neg && u <= 1<<63:
			e.Integer(int64(-u)) // -(1<<63) wraps to MinInt64
			return true
		}
	}
	out, _ := integerEncoder{}.AppendJSON(p.scratch[:0], v)
	p.scratch = out
	e.BigInteger(out)
	return true
}

// appendUTF8String adds v as a string, with each byte that is not part of
// a valid UTF-8 sequence replaced by U+FFFD, as jsonx.AppendBytesString
// escapes it to \ufffd.
func appendUTF8String(e *datachannel.RecordEncoder, v []byte) {
	if utf8.Valid(v) {
		e.String(v)
		return
	}
	n := 0
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			n += utf8.RuneLen(utf8.RuneError)
		} else {
			n += size
		}
		i += size
	}
	b := e.BeginString(n)
	start := 0
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, v[start:i]...)
			b = utf8.AppendRune(b, utf8.RuneError)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, v[start:]...)
	e.EndString(b, n)
}

// civilDays returns the days since 1970-01-01 of a validated "YYYY-MM-DD"
// in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func civilDays(b []byte) int64 {
	y, _ := digits(b[0:4])
	m, _ := digits(b[5:7])
	d, _ := digits(b[8:10])
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// clockSeconds returns the seconds of a validated "hh:mm:ss".
func clockSeconds(b []byte) int64 {
	h, _ := digits(b[0:2])
	m, _ := digits(b[3:5])
	s, _ := digits(b[6:8])
	return int64(h*3600 + m*60 + s)
}

// fracMicros returns up to six validated fractional digits as
// microseconds, padding as appendFraction does.
func fracMicros(frac []byte) int {
	n, _ := digits(frac)
	for i := len(frac); i < 6; i++ {
		n *= 10
	}
	return n
}

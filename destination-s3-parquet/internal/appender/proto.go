package appender

import (
	"math"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// Records from the data channel (speed mode, DATA_CHANNEL_FORMAT=PROTOBUF)
// carry no field names: record.data holds one typed value per property of
// the stream's json_schema, in the order of the property names sorted, a
// null for a property the source had no value for. That is the contract of
// the Bulk CDK's destination side (airbytehq/airbyte,
// airbyte-cdk/bulk/core/load: DestinationStream.airbyteValueProxyFieldAccessors
// sorts the schema's properties by name and numbers them; ProtobufConverter
// reads value data.getOrNull(accessor.index), so a missing value is null and
// values past the properties are ignored). Kotlin sorts by UTF-16 code
// units and sort.Strings by bytes: the orders differ only between names
// with characters above U+FFFF and names with characters from U+E000 to
// U+FFFF at the same place; the source (rowcodec.ProtoRow) sorts by bytes.
//
// AppendProto turns each typed value into the JSON text the source's JSON
// path writes for it (source-mysql-radar/internal/rowcodec, encoder.go and
// temporal.go) and hands that text to the same appenders as Append, so a
// record gives the same cells whichever way it came.

// protoState is the per-stream, per-record scratch of AppendProto.
type protoState struct {
	// cols[k] is the column (index in the root fieldSet) of the k-th
	// value: the k-th property name in byte order.
	cols []int
	// slots[i] is column i's value when slots[i].gen is the record's
	// gen; tok holds the JSON text of a value.
	tok   []byte
	slots []protoSlot
	gen   uint32
	meta  []byte
}

type protoSlot struct {
	gen uint32
	v   datachannel.Value
}

func (r *Record) protoColumns() []int {
	if r.proto.cols != nil || len(r.fs.cols) == 0 {
		return r.proto.cols
	}
	idx := make([]int, len(r.fs.cols))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return string(r.fs.cols[idx[a]].name) < string(r.fs.cols[idx[b]].name) })
	r.proto.cols = idx
	return idx
}

// AppendProto appends one record read from the data channel. Values past
// the stream's properties are ignored. The values are appended in the
// order of the schema's properties, the order the source writes a JSON
// record's fields in, so that the destination's own changes (values it
// nulls) are listed in _airbyte_meta in the same order as for JSON. It
// returns the error of a malformed value or change (the record is then
// appended with what was read).
func (r *Record) AppendProto(rv *datachannel.RecordView) error {
	meta, err := r.protoMeta(rv)
	r.appendMeta(rv.EmittedAtMs, meta)
	if e := r.protoCollect(rv); err == nil {
		err = e
	}
	p := &r.proto
	fs := &r.fs
	row := &r.row
	fs.begin()
	extraOpen := false
	n := 0
	for i := range p.slots {
		s := &p.slots[i]
		if s.gen != p.gen {
			continue
		}
		if appendDirect(fs.cols[i].app, &s.v, row) {
			fs.seen[i] = fs.gen
			fs.next = i + 1
			n += 16
			continue
		}
		p.tok = p.tok[:0]
		plain, ascii, ok := r.protoToken(&s.v)
		if !ok {
			continue // end() appends the null
		}
		n += len(p.tok)
		row.plain, row.ascii = plain, ascii
		fs.appendField(i, fs.cols[i].name, p.tok, row, &extraOpen)
		row.plain, row.ascii = false, false
	}
	fs.end(extraOpen)
	r.rows++
	r.bytes += int64(n) + 64
	return err
}

// ProtoJSON returns the record.data JSON object and the record.meta JSON
// (nil without changes) that Append turns into the same row as
// AppendProto(rv): the fields in schema order, null values left out. data
// is appended to dst; meta is valid until the next call. The destination
// stages records in this form when many files are open.
func (r *Record) ProtoJSON(dst []byte, rv *datachannel.RecordView) (data, meta []byte, err error) {
	meta, err = r.protoMeta(rv)
	if e := r.protoCollect(rv); err == nil {
		err = e
	}
	p := &r.proto
	start := len(dst)
	dst = append(dst, '{')
	for i := range p.slots {
		s := &p.slots[i]
		if s.gen != p.gen {
			continue
		}
		p.tok = p.tok[:0]
		if _, _, ok := r.protoToken(&s.v); !ok {
			continue
		}
		if len(dst) > start+1 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendBytesString(dst, r.fs.cols[i].name)
		dst = append(dst, ':')
		dst = append(dst, p.tok...)
	}
	dst = append(dst, '}')
	return dst, meta, err
}

// protoCollect notes in p.slots the value of each column the record has
// (null values left out).
func (r *Record) protoCollect(rv *datachannel.RecordView) error {
	cols := r.protoColumns()
	p := &r.proto
	if len(p.slots) != len(r.fs.cols) {
		p.slots = make([]protoSlot, len(r.fs.cols))
	}
	p.gen++
	if p.gen == 0 {
		for i := range p.slots {
			p.slots[i].gen = 0
		}
		p.gen = 1
	}
	k := 0
	it := rv.Values()
	for it.Next() {
		if k >= len(cols) {
			continue
		}
		idx := cols[k]
		k++
		v := it.Value()
		if v.Kind == datachannel.ValueNull {
			continue // end() appends the null
		}
		s := &p.slots[idx]
		s.gen = p.gen
		s.v = *v
	}
	return it.Err()
}

// The days of 0000-01-01 and 9999-12-31, the dates parseDate reads.
var (
	minTextDay = daysFromCivil(0, 1, 1)
	maxTextDay = daysFromCivil(9999, 12, 31)
)

// appendDirect appends v straight into a top-level column when that gives
// the cell its JSON text would (TestAppendProtoMatchesJSON): an integer
// into an integer column, a string into a string column, a date or a
// timestamp of whole microseconds in the range the text parsers read into
// a date or timestamp column. It reports false for anything else.
func appendDirect(app appender, v *datachannel.Value, row *row) bool {
	switch a := app.(type) {
	case *int64Appender:
		if v.Kind != datachannel.ValueInteger {
			return false
		}
		if a.b.Len() < a.b.Cap() {
			a.b.UnsafeAppend(v.Int)
		} else {
			a.b.Append(v.Int)
		}
		return true
	case *float64Appender:
		// The JSON path formats the double in its shortest form and parses
		// it back: the same bits, which this appends without the round trip.
		if v.Kind != datachannel.ValueNumber || math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return false
		}
		if a.b.Len() < a.b.Cap() {
			a.b.UnsafeAppend(v.Float)
		} else {
			a.b.Append(v.Float)
		}
		return true
	case *stringAppender:
		if v.Kind != datachannel.ValueString {
			return false
		}
		// The JSON path gets the text with each invalid byte escaped as
		// \ufffd by the source (jsonx), which validText also does.
		appendBinary(a.b.BinaryBuilder, validText(v.Bytes, row, ""))
		return true
	case *dateAppender:
		if v.Kind != datachannel.ValueDate || v.Int < minTextDay || v.Int > maxTextDay {
			return false
		}
		a.b.Append(arrow.Date32(v.Int))
		return true
	case *timestampAppender:
		var us int64
		switch v.Kind {
		case datachannel.ValueTimestampWithoutTimezone:
			if v.Nanos >= 86400e9 || v.Nanos%1000 != 0 || v.Int < minTextDay || v.Int > maxTextDay {
				return false
			}
			us = v.Int*86400e6 + int64(v.Nanos/1000)
		case datachannel.ValueTimestampWithTimezone:
			if v.Nanos >= 1e9 || v.Nanos%1000 != 0 || v.Offset%60 != 0 || v.Offset <= -86400 || v.Offset >= 86400 {
				return false
			}
			if d := floorDiv(v.Int+int64(v.Offset), 86400); d < minTextDay || d > maxTextDay {
				return false
			}
			us = v.Int*1e6 + int64(v.Nanos/1000)
		default:
			return false
		}
		if a.b.Len() < a.b.Cap() {
			a.b.UnsafeAppend(arrow.Timestamp(us))
		} else {
			a.b.Append(arrow.Timestamp(us))
		}
		return true
	}
	return false
}

// protoToken appends to r.proto.tok the JSON text of v, as the source's
// JSON path writes it. For a string, plain reports that its content has
// no escape sequence and ascii that it is plain ASCII (row.plain and
// row.ascii). ok is false for a value that has no JSON form (a NaN or
// infinite number): it is null.
func (r *Record) protoToken(v *datachannel.Value) (plain, ascii, ok bool) {
	t := r.proto.tok
	start := len(t)
	switch v.Kind {
	case datachannel.ValueBool:
		if v.Bool {
			t = append(t, "true"...)
		} else {
			t = append(t, "false"...)
		}
	case datachannel.ValueString:
		t = jsonx.AppendBytesString(t, v.Bytes)
		// No escape was needed: the content is the raw text.
		plain = len(t)-start == len(v.Bytes)+2
		ascii = isASCII(t[start+1 : len(t)-1])
	case datachannel.ValueInteger:
		t = strconv.AppendInt(t, v.Int, 10)
	case datachannel.ValueBigInteger, datachannel.ValueBigDecimal:
		if end, err := jsonx.ScanNumber(v.Bytes, 0); err == nil && end == len(v.Bytes) {
			t = append(t, v.Bytes...)
		} else {
			// Not a JSON number ("NaN", "+1"): kept as text, which the
			// numeric appenders parse or null like a string from JSON.
			t = jsonx.AppendBytesString(t, v.Bytes)
		}
	case datachannel.ValueNumber:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			r.proto.tok = t
			return false, false, false
		}
		t = appendJSFloat(t, v.Float)
	case datachannel.ValueDate:
		t = append(t, '"')
		t = appendCivilDate(t, v.Int)
		t = append(t, '"')
	case datachannel.ValueTimeWithoutTimezone:
		t = append(t, '"')
		t = appendClock(t, v.Nanos)
		t = append(t, '"')
	case datachannel.ValueTimeWithTimezone:
		t = append(t, '"')
		t = appendClock(t, v.Nanos)
		t = appendOffset(t, v.Offset)
		t = append(t, '"')
	case datachannel.ValueTimestampWithoutTimezone:
		t = append(t, '"')
		t = appendCivilDate(t, v.Int)
		t = append(t, 'T')
		t = appendClock(t, v.Nanos)
		t = append(t, '"')
	case datachannel.ValueTimestampWithTimezone:
		// The wall clock at the offset, then the offset (Z for UTC).
		local := v.Int + int64(v.Offset)
		days := floorDiv(local, 86400)
		secs := local - days*86400
		t = append(t, '"')
		t = appendCivilDate(t, days)
		t = append(t, 'T')
		t = appendClock(t, uint64(secs)*1e9+v.Nanos%1e9)
		t = appendOffset(t, v.Offset)
		t = append(t, '"')
	case datachannel.ValueJSON:
		if len(v.Bytes) == 0 || jsonx.Valid(v.Bytes) != nil {
			// Not JSON: kept as a string, as an invalid value cannot be
			// scanned by the appenders.
			t = jsonx.AppendBytesString(t, v.Bytes)
		} else {
			t = append(t, v.Bytes...)
		}
	default:
		r.proto.tok = t
		return false, false, false
	}
	r.proto.tok = t
	return plain, ascii, true
}

// appendJSFloat formats f as the source's JSON path does (rowcodec
// appendFloat): the shortest decimal that parses back to f, in plain
// digits between 1e-7 and 1e21 and in exponent form outside.
func appendJSFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-7 && abs < 1e21) {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, f, 'e', -1, 64)
}

// appendCivilDate appends YYYY-MM-DD of a day count from 1970-01-01
// (proleptic Gregorian calendar; years outside 0..9999 are written with
// their sign and digits, which the date appenders reject as JSON would).
func appendCivilDate(dst []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(m), 2)
	dst = append(dst, '-')
	return appendPadded(dst, int64(d), 2)
}

// civilFromDays converts days since 1970-01-01 to a (year, month, day),
// by the era arithmetic of the proleptic Gregorian calendar (400-year
// cycles of 146097 days, years starting in March).
func civilFromDays(z int64) (int64, int, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendClock appends hh:mm:ss.ffffff of nanoseconds of the day: six
// fraction digits, as the source writes them, or nine when the value has
// nanoseconds. Hours past 23 are kept (a value past the day is refused by
// the parsers, as its text would be).
func appendClock(dst []byte, nanos uint64) []byte {
	secs := nanos / 1e9
	frac := nanos % 1e9
	h := secs / 3600
	dst = appendPadded(dst, int64(h), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(secs/60%60), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(secs%60), 2)
	dst = append(dst, '.')
	if frac%1000 == 0 {
		return appendPadded(dst, int64(frac/1000), 6)
	}
	return appendPadded(dst, int64(frac), 9)
}

// appendOffset appends Z for UTC, else ±hh:mm (and :ss when not whole
// minutes).
func appendOffset(dst []byte, off int32) []byte {
	if off == 0 {
		return append(dst, 'Z')
	}
	o := int64(off)
	if o < 0 {
		dst = append(dst, '-')
		o = -o
	} else {
		dst = append(dst, '+')
	}
	dst = appendPadded(dst, o/3600, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, o/60%60, 2)
	if o%60 != 0 {
		dst = append(dst, ':')
		dst = appendPadded(dst, o%60, 2)
	}
	return dst
}

// appendPadded appends v (not negative) with at least width digits.
func appendPadded(dst []byte, v int64, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// changeReasons are the protocol names of pb.ChangeReason, by number.
var changeReasons = [...]string{
	"SOURCE_RECORD_SIZE_LIMITATION",
	"DESTINATION_RECORD_SIZE_LIMITATION",
	"PLATFORM_RECORD_SIZE_LIMITATION",
	"SOURCE_FIELD_SIZE_LIMITATION",
	"DESTINATION_FIELD_SIZE_LIMITATION",
	"PLATFORM_FIELD_SIZE_LIMITATION",
	"SOURCE_SERIALIZATION_ERROR",
	"DESTINATION_SERIALIZATION_ERROR",
	"PLATFORM_SERIALIZATION_ERROR",
	"SOURCE_RETRIEVAL_ERROR",
	"DESTINATION_TYPECAST_ERROR",
}

// protoMeta returns the record.meta JSON the JSON path would have had for
// the record's changes, or nil when it has none.
func (r *Record) protoMeta(rv *datachannel.RecordView) ([]byte, error) {
	m := r.proto.meta[:0]
	err := rv.Changes(func(field []byte, change datachannel.ChangeType, reason datachannel.ChangeReason) {
		if len(m) == 0 {
			m = append(m, `{"changes":[`...)
		} else {
			m = append(m, ',')
		}
		m = append(m, `{"field":`...)
		m = jsonx.AppendBytesString(m, field)
		m = append(m, `,"change":"`...)
		if change == datachannel.ChangeTruncated {
			m = append(m, "TRUNCATED"...)
		} else {
			m = append(m, "NULLED"...)
		}
		m = append(m, `","reason":"`...)
		if int(reason) >= 0 && int(reason) < len(changeReasons) {
			m = append(m, changeReasons[reason]...)
		} else {
			m = append(m, "SOURCE_SERIALIZATION_ERROR"...)
		}
		m = append(m, `"}`...)
	})
	r.proto.meta = m
	if len(m) == 0 {
		return nil, err
	}
	m = append(m, "]}"...)
	r.proto.meta = m
	return m, err
}

package rowcodec

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

func colPS(dataType, columnType string, precision, scale int64) *column.Column {
	c := &column.Column{Name: "c", DataType: dataType, ColumnType: columnType, Precision: precision, Scale: scale}
	c.Classify(column.Options{})
	return c
}

func epochDays(date string) int64 {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		panic(err)
	}
	return int64(math.Floor(float64(t.Unix()) / 86400))
}

func epochSeconds(datetime string) int64 {
	t, err := time.Parse("2006-01-02 15:04:05", datetime)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func bigDec(s string) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueBigDecimal, Bytes: []byte(s)}
}
func bigInt(s string) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueBigInteger, Bytes: []byte(s)}
}
func str(s string) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueString, Bytes: []byte(s)}
}
func integer(v int64) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueInteger, Int: v}
}
func boolean(v bool) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueBool, Bool: v}
}
func number(v float64) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueNumber, Float: v}
}
func date(s string) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueDate, Int: epochDays(s)}
}
func timeOfDay(nanos uint64) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueTimeWithoutTimezone, Nanos: nanos}
}
func localTS(d string, nanosOfDay uint64) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueTimestampWithoutTimezone, Int: epochDays(d), Nanos: nanosOfDay}
}
func instant(dt string, nano uint64) datachannel.Value {
	return datachannel.Value{Kind: datachannel.ValueTimestampWithTimezone, Int: epochSeconds(dt), Nanos: nano}
}

var nullValue = datachannel.Value{}

type protoCase struct {
	c      *column.Column
	in     string
	null   bool // SQL NULL (in ignored)
	want   datachannel.Value
	nulled bool // reported as a change
}

func protoCases() []protoCase {
	const h = uint64(time.Hour)
	return []protoCase{
		// strings
		{c: col("varchar", "varchar(5)"), null: true, want: nullValue},
		{c: col("varchar", "varchar(5)"), in: "", want: str("")},
		{c: col("varchar", "varchar(50)"), in: `Farmácia "Souza"`, want: str(`Farmácia "Souza"`)},
		{c: col("varchar", "varchar(5)"), in: "😀 日本", want: str("😀 日本")},
		{c: col("varchar", "varchar(5)"), in: "a\x00\xff", want: str("a\x00\uFFFD")},
		{c: col("varchar", "varchar(5)"), in: "\xed\xa0\x80é\xc3", want: str("\uFFFD\uFFFD\uFFFDé\uFFFD")},
		{c: col("varchar", "varchar(5)"), in: "\xef\xbf\xbd", want: str("\uFFFD")},
		{c: col("json", "json"), in: `{"a": [1, 2]}`, want: str(`{"a": [1, 2]}`)},
		// booleans
		{c: col("tinyint", "tinyint(1)"), in: "1", want: boolean(true)},
		{c: col("tinyint", "tinyint(1)"), in: "0", want: boolean(false)},
		{c: col("tinyint", "tinyint(1)"), in: "-0", want: boolean(false)},
		{c: col("tinyint", "tinyint(1)"), in: "00", want: boolean(false)},
		{c: col("tinyint", "tinyint(1)"), in: "-5", want: boolean(true)},
		{c: col("tinyint", "tinyint(1)"), null: true, want: nullValue},
		{c: col("bit", "bit(1)"), in: "\x00", want: boolean(false)},
		{c: col("bit", "bit(1)"), in: "\x01", want: boolean(true)},
		// integers
		{c: col("int", "int"), in: "123", want: integer(123)},
		{c: col("int", "int"), in: "-0", want: integer(0)},
		{c: col("int", "int"), in: "00042", want: integer(42)},
		{c: col("int", "int"), in: "+7", want: integer(7)},
		{c: col("int", "int"), in: "12a", want: nullValue, nulled: true},
		{c: col("int", "int"), in: "", want: nullValue, nulled: true},
		{c: col("int", "int"), in: "-", want: nullValue, nulled: true},
		{c: col("bigint", "bigint"), in: "-9223372036854775808", want: integer(math.MinInt64)},
		{c: col("bigint", "bigint"), in: "9223372036854775807", want: integer(math.MaxInt64)},
		{c: col("bigint", "bigint unsigned"), in: "9223372036854775807", want: integer(math.MaxInt64)},
		{c: col("bigint", "bigint unsigned"), in: "9223372036854775808", want: bigInt("9223372036854775808")},
		{c: col("bigint", "bigint unsigned"), in: "18446744073709551615", want: bigInt("18446744073709551615")},
		{c: col("bigint", "bigint unsigned"), in: "00018446744073709551615", want: bigInt("18446744073709551615")},
		{c: col("bigint", "bigint unsigned"), in: "0", want: integer(0)},
		{c: colPS("decimal", "decimal(65,0)", 65, 0), in: "-00012345678901234567890123", want: bigInt("-12345678901234567890123")},
		{c: colPS("decimal", "decimal(65,0)", 65, 0), in: "-9223372036854775809", want: bigInt("-9223372036854775809")},
		{c: colPS("decimal", "decimal(65,0)", 65, 0), in: "-0000", want: integer(0)},
		{c: colPS("decimal", "decimal(65,0)", 65, 0), in: "99999999999999999999", want: bigInt("99999999999999999999")},
		{c: col("year", "year"), in: "0000", want: integer(0)},
		{c: col("year", "year"), in: "2024", want: integer(2024)},
		// decimals
		{c: col("decimal", "decimal(10,2)"), in: "123.45", want: bigDec("123.45")},
		{c: col("decimal", "decimal(10,2)"), in: "-000.50", want: bigDec("-0.50")},
		{c: col("decimal", "decimal(10,2)"), in: "1234.50", want: bigDec("1234.50")},
		{c: col("decimal", "decimal(10,2)"), in: "1.", want: nullValue, nulled: true},
		{c: colPS("decimal", "decimal(65,30)", 65, 30), in: "12345678901234567890123456789012345.123456789012345678901234567890",
			want: bigDec("12345678901234567890123456789012345.123456789012345678901234567890")},
		// floats: FLOAT is the float64 of float32's shortest text
		{c: col("float", "float"), in: "1.100000023841858", want: number(1.1)},
		{c: col("float", "float"), in: "1.1", want: number(1.1)},
		{c: col("float", "float"), in: "0.10000000149011612", want: number(0.1)},
		{c: col("float", "float"), in: "123.45670318603516", want: number(123.4567)},
		{c: col("float", "float"), in: "3.4028234663852886e38", want: number(3.4028235e+38)},
		{c: col("float", "float"), in: "1e39", want: nullValue, nulled: true},
		{c: col("float", "float"), in: "nan", want: nullValue, nulled: true},
		{c: col("double", "double"), in: "-10.967056", want: number(-10.967056)},
		{c: col("double", "double"), in: "1e308", want: number(1e308)},
		{c: col("double", "double"), in: "1.7976931348623157e308", want: number(math.MaxFloat64)},
		{c: col("double", "double"), in: "5e-324", want: number(5e-324)},
		{c: col("double", "double"), in: "-0", want: number(math.Copysign(0, -1))},
		{c: col("double", "double"), in: "1.50", want: number(1.5)},
		{c: col("double", "double"), in: "0.30000000000000004", want: number(0.30000000000000004)},
		{c: col("double", "double"), in: "1e309", want: nullValue, nulled: true},
		{c: col("double", "double"), in: "-inf", want: nullValue, nulled: true},
		// dates
		{c: col("date", "date"), in: "2024-01-02", want: date("2024-01-02")},
		{c: col("date", "date"), in: "1970-01-01", want: date("1970-01-01")},
		{c: col("date", "date"), in: "1969-12-31", want: date("1969-12-31")},
		{c: col("date", "date"), in: "0001-01-01", want: date("0001-01-01")},
		{c: col("date", "date"), in: "0000-01-01", want: datachannel.Value{Kind: datachannel.ValueDate, Int: -719528}},
		{c: col("date", "date"), in: "0000-02-29", want: datachannel.Value{Kind: datachannel.ValueDate, Int: -719528 + 59}},
		{c: col("date", "date"), in: "1000-03-01", want: date("1000-03-01")},
		{c: col("date", "date"), in: "9999-12-31", want: date("9999-12-31")},
		{c: col("date", "date"), in: "2000-02-29", want: date("2000-02-29")},
		{c: col("date", "date"), in: "0000-00-00", want: nullValue, nulled: true},
		{c: col("date", "date"), in: "2100-02-29", want: nullValue, nulled: true},
		{c: col("date", "date"), in: "2024-1-02", want: nullValue, nulled: true},
		{c: col("date", "date"), null: true, want: nullValue},
		// datetimes
		{c: col("datetime", "datetime(6)"), in: "2024-01-02 03:04:05.123456", want: localTS("2024-01-02", 3*h+4*60e9+5e9+123456e3)},
		{c: col("datetime", "datetime(6)"), in: "2024-01-02T03:04:05.1", want: localTS("2024-01-02", 3*h+4*60e9+5e9+100e6)},
		{c: col("datetime", "datetime"), in: "1970-01-01 00:00:00", want: localTS("1970-01-01", 0)},
		{c: col("datetime", "datetime(6)"), in: "1969-12-31 23:59:59.999999", want: localTS("1969-12-31", 24*h-1000)},
		{c: col("datetime", "datetime"), in: "1000-01-01 00:00:00", want: localTS("1000-01-01", 0)},
		{c: col("datetime", "datetime"), in: "0000-03-01 00:00:01", want: datachannel.Value{Kind: datachannel.ValueTimestampWithoutTimezone, Int: -719528 + 60, Nanos: 1e9}},
		{c: col("timestamp", "timestamp"), in: "9999-12-31 23:59:59", want: instant("9999-12-31 23:59:59", 0)},
		{c: col("datetime", "datetime"), in: "0000-00-00 00:00:00", want: nullValue, nulled: true},
		{c: col("datetime", "datetime"), in: "2024-02-30 00:00:00", want: nullValue, nulled: true},
		{c: col("datetime", "datetime"), in: "2000-02-29 24:00:00", want: nullValue, nulled: true},
		// timestamps (the session is UTC)
		{c: col("timestamp", "timestamp"), in: "1970-01-01 00:00:01", want: instant("1970-01-01 00:00:01", 0)},
		{c: col("timestamp", "timestamp(6)"), in: "2038-01-19 03:14:07.5", want: instant("2038-01-19 03:14:07", 500e6)},
		{c: col("timestamp", "timestamp(3)"), in: "2024-06-30 12:00:00.001", want: instant("2024-06-30 12:00:00", 1e6)},
		{c: col("timestamp", "timestamp"), in: "0000-00-00 00:00:00", want: nullValue, nulled: true},
		// times
		{c: col("time", "time"), in: "05:00:00", want: timeOfDay(5 * h)},
		{c: col("time", "time"), in: "5:00:00", want: timeOfDay(5 * h)},
		{c: col("time", "time"), in: "00:00:00", want: timeOfDay(0)},
		{c: col("time", "time(6)"), in: "23:59:59.999999", want: timeOfDay(24*h - 1000)},
		{c: col("time", "time(2)"), in: "12:34:56.78", want: timeOfDay(12*h + 34*60e9 + 56e9 + 780e6)},
		{c: col("time", "time"), in: "24:00:00", want: str("24:00:00.000000")},
		{c: col("time", "time"), in: "25:00:00", want: str("25:00:00.000000")},
		{c: col("time", "time"), in: "838:59:59", want: str("838:59:59.000000")},
		{c: col("time", "time"), in: "-01:00:00", want: str("-01:00:00.000000")},
		{c: col("time", "time"), in: "-00:00:01", want: str("-00:00:01.000000")},
		{c: col("time", "time"), in: "-00:00:00", want: str("-00:00:00.000000")},
		{c: col("time", "time(6)"), in: "-838:59:59.999999", want: str("-838:59:59.999999")},
		{c: col("time", "time"), in: "-5:00:00", want: str("-05:00:00.000000")},
		{c: col("time", "time"), in: "12:60:00", want: nullValue, nulled: true},
		{c: col("time", "time"), in: "12:00", want: nullValue, nulled: true},
		// binary and bits: base64
		{c: col("blob", "blob"), in: "\x00\x01\x02", want: str("AAEC")},
		{c: col("varbinary", "varbinary(4)"), in: "\x00\xff", want: str("AP8=")},
		{c: col("varbinary", "varbinary(4)"), in: "", want: str("")},
		{c: col("binary", "binary(4)"), in: "abcd", want: str("YWJjZA==")},
		{c: col("bit", "bit(12)"), in: "\x0f\xff", want: str("D/8=")},
		{c: col("blob", "blob"), null: true, want: nullValue},
	}
}

func (tt protoCase) input() []byte {
	if tt.null {
		return nil
	}
	return []byte(tt.in)
}

// encodeOne encodes a record of one column and returns its decoded value
// and changes.
func encodeOne(t *testing.T, c *column.Column, in []byte) (datachannel.Value, []string) {
	t.Helper()
	p := NewProtoRow([]*column.Column{c}, nil)
	var e datachannel.RecordEncoder
	e.Begin(datachannel.NewStreamPrefix("db", "t"), 1, nil)
	p.Encode(&e, [][]byte{in}, nil)
	var changed []string
	for _, ch := range p.Changes() {
		changed = append(changed, ch.Field)
		e.Change(ch.Field, datachannel.ChangeNulled, datachannel.ReasonSourceSerializationError)
	}
	frame := e.Finish()
	_, n := decodeUvarint(frame)
	m, err := datachannel.Parse(frame[n:])
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if m.Record.Fields != 1 {
		t.Fatalf("%d values, want 1", m.Record.Fields)
	}
	it := m.Record.Values()
	if !it.Next() {
		t.Fatalf("no value: %v", it.Err())
	}
	v := *it.Value()
	v.Bytes = bytes.Clone(v.Bytes)
	var metaChanged []string
	if err := m.Record.Changes(func(f []byte, _ datachannel.ChangeType, _ datachannel.ChangeReason) {
		metaChanged = append(metaChanged, string(f))
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, metaChanged) {
		t.Errorf("meta changes %q, want %q", metaChanged, changed)
	}
	return v, changed
}

func decodeUvarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

func sameValue(a, b datachannel.Value) bool {
	if a.Kind == datachannel.ValueNumber && b.Kind == datachannel.ValueNumber {
		return math.Float64bits(a.Float) == math.Float64bits(b.Float)
	}
	return a.Kind == b.Kind && a.Bool == b.Bool && a.Int == b.Int && a.Nanos == b.Nanos &&
		a.Offset == b.Offset && bytes.Equal(a.Bytes, b.Bytes)
}

// TestProtoRowValues checks the decoded value of every kind and edge case.
func TestProtoRowValues(t *testing.T) {
	for _, tt := range protoCases() {
		got, changed := encodeOne(t, tt.c, tt.input())
		if !sameValue(got, tt.want) {
			t.Errorf("%s %q: got %+v (%s), want %+v (%s)", tt.c.ColumnType, tt.in, got, got.Bytes, tt.want, tt.want.Bytes)
		}
		if tt.nulled != (len(changed) == 1) {
			t.Errorf("%s %q: changes %q, want nulled=%v", tt.c.ColumnType, tt.in, changed, tt.nulled)
		}
		if got.Kind == datachannel.ValueString && !utf8.Valid(got.Bytes) {
			t.Errorf("%s %q: string is not valid UTF-8", tt.c.ColumnType, tt.in)
		}
	}
}

// destinationJSON turns a decoded value back into JSON text the way the
// destination does: the inverse of ProtoRow's mapping.
func destinationJSON(v datachannel.Value) string {
	switch v.Kind {
	case datachannel.ValueNull:
		return "null"
	case datachannel.ValueBool:
		return strconv.FormatBool(v.Bool)
	case datachannel.ValueString:
		return string(jsonx.AppendBytesString(nil, v.Bytes))
	case datachannel.ValueInteger:
		return strconv.FormatInt(v.Int, 10)
	case datachannel.ValueBigInteger, datachannel.ValueBigDecimal:
		return string(v.Bytes)
	case datachannel.ValueNumber:
		return string(appendFloat(nil, v.Float, 64))
	case datachannel.ValueDate:
		return `"` + time.Unix(v.Int*86400, 0).UTC().Format("2006-01-02") + `"`
	case datachannel.ValueTimeWithoutTimezone:
		return `"` + time.Unix(0, int64(v.Nanos)).UTC().Format("15:04:05.000000") + `"`
	case datachannel.ValueTimestampWithoutTimezone:
		return `"` + time.Unix(v.Int*86400, int64(v.Nanos)).UTC().Format("2006-01-02T15:04:05.000000") + `"`
	case datachannel.ValueTimestampWithTimezone:
		return `"` + time.Unix(v.Int, int64(v.Nanos)).UTC().Format("2006-01-02T15:04:05.000000") + `Z"`
	}
	return "unsupported " + v.Kind.String()
}

// sameJSON compares JSON values: the texts are equal, or they are the
// same string (escaping differs: \ufffd against the character), or the
// same float64 when the value is a Number (DOUBLE text such as "1.50" is
// copied by the JSON path, while a Number prints shortest).
func sameJSON(a, b string, kind datachannel.ValueKind) bool {
	if a == b {
		return true
	}
	var sa, sb string
	if json.Unmarshal([]byte(a), &sa) == nil && json.Unmarshal([]byte(b), &sb) == nil {
		return sa == sb
	}
	if kind == datachannel.ValueNumber {
		fa, err1 := strconv.ParseFloat(a, 64)
		fb, err2 := strconv.ParseFloat(b, 64)
		return err1 == nil && err2 == nil && math.Float64bits(fa) == math.Float64bits(fb)
	}
	return false
}

// TestProtoRowMatchesJSON: for every case, the value decoded from protobuf
// and turned back into JSON text equals what RowEncoder writes for the
// same row, and the same fields are reported as nulled.
func TestProtoRowMatchesJSON(t *testing.T) {
	cases := protoCases()
	var cols []*column.Column
	var row [][]byte
	for i, tt := range cases {
		c := *tt.c
		c.Name = "f" + strconv.Itoa(1000+i) // sorted like the column order
		cols = append(cols, &c)
		row = append(row, tt.input())
	}
	r := NewRowEncoder(cols)
	obj := r.AppendObject(nil, row)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(obj, &fields); err != nil {
		t.Fatalf("JSON path output %s: %v", obj, err)
	}
	var jsonNulled []string
	for _, ch := range r.Changes() {
		jsonNulled = append(jsonNulled, ch.Field)
	}

	p := NewProtoRow(cols, nil)
	var e datachannel.RecordEncoder
	e.Begin(datachannel.NewStreamPrefix("", "t"), 0, nil)
	p.Encode(&e, row, nil)
	var protoNulled []string
	for _, ch := range p.Changes() {
		protoNulled = append(protoNulled, ch.Field)
	}
	frame := e.Finish()
	_, n := decodeUvarint(frame)
	m, err := datachannel.Parse(frame[n:])
	if err != nil {
		t.Fatal(err)
	}
	it := m.Record.Values()
	i := 0
	for ; it.Next(); i++ {
		v := *it.Value()
		got := destinationJSON(v)
		// The JSON path's text, compacted as the destination reads it.
		want := string(fields[cols[i].Name])
		if !sameJSON(got, want, v.Kind) {
			t.Errorf("%s %q: protobuf %s gives %s, JSON path wrote %s", cases[i].c.ColumnType, cases[i].in, v.Kind, got, want)
		}
		if v.Kind == datachannel.ValueNumber && got != want && !hasTrailingZeroFraction(want) {
			t.Errorf("%s %q: number text %s, JSON path wrote %s", cases[i].c.ColumnType, cases[i].in, got, want)
		}
	}
	if it.Err() != nil || i != len(cols) {
		t.Fatalf("%d values, err %v; want %d", i, it.Err(), len(cols))
	}
	if !slices.Equal(jsonNulled, protoNulled) {
		t.Errorf("nulled %q, JSON path nulled %q", protoNulled, jsonNulled)
	}
}

// hasTrailingZeroFraction reports number text like "1.50", which the JSON
// path copies from a DOUBLE and a float64 does not print.
func hasTrailingZeroFraction(s string) bool {
	return bytes.IndexByte([]byte(s), '.') >= 0 && s[len(s)-1] == '0'
}

// TestProtoRowOrder: values come in the order of the sorted property
// names, the extra fields interleaved at their positions.
func TestProtoRowOrder(t *testing.T) {
	tests := []struct {
		cols, extra, want []string
	}{
		{[]string{"b", "a"}, []string{"_ab_cdc_log_pos"}, []string{"_ab_cdc_log_pos", "a", "b"}},
		{[]string{"id", "Zeta", "_id", "name", "é"}, []string{"_ab_cdc_updated_at", "_ab_cdc_log_file", "_ab_cdc_deleted_at", "_ab_cdc_cursor", "_ab_cdc_log_pos"},
			[]string{"Zeta", "_ab_cdc_cursor", "_ab_cdc_deleted_at", "_ab_cdc_log_file", "_ab_cdc_log_pos", "_ab_cdc_updated_at", "_id", "id", "name", "é"}},
		{[]string{"z", "y"}, nil, []string{"y", "z"}},
		{nil, []string{"b", "a"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		var cols []*column.Column
		var row [][]byte
		for _, n := range tt.cols {
			c := col("varchar", "varchar(10)")
			c.Name = n
			cols = append(cols, c)
			row = append(row, []byte(n))
		}
		row = append(row, []byte("ignored extra value"))
		p := NewProtoRow(cols, tt.extra)
		var e datachannel.RecordEncoder
		e.Begin(datachannel.NewStreamPrefix("", "t"), 0, nil)
		p.Encode(&e, row, func(e *datachannel.RecordEncoder, i int) { e.String([]byte(tt.extra[i])) })
		frame := e.Finish()
		_, n := decodeUvarint(frame)
		m, err := datachannel.Parse(frame[n:])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for it := m.Record.Values(); it.Next(); {
			got = append(got, string(it.Value().Bytes))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("cols %q extra %q: order %q, want %q", tt.cols, tt.extra, got, tt.want)
		}
		if !slices.IsSorted(got) {
			t.Errorf("order %q is not sorted", got)
		}
	}
}

// TestProtoRowAllocations: encoding a row allocates nothing once the
// buffers have grown, whatever the kinds and slow paths.
func TestProtoRowAllocations(t *testing.T) {
	cols := []*column.Column{col("int", "int"), col("varchar", "varchar(50)"), col("datetime", "datetime(6)"),
		col("decimal", "decimal(10,2)"), col("double", "double"), col("float", "float"), col("tinyint", "tinyint(1)"),
		col("timestamp", "timestamp"), col("date", "date"), col("blob", "blob"), col("time", "time"),
		col("time", "time"), col("bigint", "bigint unsigned"), col("varchar", "varchar(5)"), col("bit", "bit(1)"),
		col("double", "double"), col("timestamp", "timestamp(6)"), col("year", "year")}
	for i, c := range cols {
		c.Name = string(rune('a' + i))
	}
	row := [][]byte{[]byte("123"), []byte("Farmácia \"Souza\""), []byte("2024-01-02 03:04:05.123456"), []byte("1234.50"),
		[]byte("-23.5505"), []byte("123.45670318603516"), []byte("1"), []byte("0000-00-00 00:00:00"), []byte("2024-01-02"),
		[]byte{0, 1, 2}, nil, []byte("-838:59:59.5"), []byte("18446744073709551615"), []byte("a\xffb"), []byte{1},
		[]byte("0.000000000000000000000000000000000000123456789012345"), []byte("2024-01-02 03:04:05.5"), []byte("2024")}
	p := NewProtoRow(cols, []string{"_ab_cdc_updated_at", "_ab_cdc_log_pos"})
	prefix := datachannel.NewStreamPrefix("db", "store")
	updated := []byte("2024-01-02T03:04:05.000000Z")
	fill := func(e *datachannel.RecordEncoder, i int) {
		if i == 0 {
			e.String(updated)
		} else {
			e.Integer(12345)
		}
	}
	var e datachannel.RecordEncoder
	var frame []byte
	allocs := testing.AllocsPerRun(1000, func() {
		e.Begin(prefix, 1700000000000, nil)
		p.Encode(&e, row, fill)
		for _, ch := range p.Changes() {
			e.Change(ch.Field, datachannel.ChangeNulled, datachannel.ReasonSourceSerializationError)
		}
		frame = e.Finish()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per row", allocs)
	}
	if ch := p.Changes(); len(ch) != 1 || ch[0].Field != "h" {
		t.Errorf("changes %+v", ch)
	}
	_, n := decodeUvarint(frame)
	m, err := datachannel.Parse(frame[n:])
	if err != nil {
		t.Fatal(err)
	}
	if m.Record.Fields != len(cols)+2 {
		t.Errorf("%d values, want %d", m.Record.Fields, len(cols)+2)
	}
}

// TestProtoRowRandomMatchesJSON compares random strings (mostly invalid
// UTF-8) and integer texts (signs, leading zeros, any length) with the
// JSON path.
func TestProtoRowRandomMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "é", "日", "😀", "\x00", "\"", "\\", "\xff", "\xc3", "\xe6\x97", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\uFFFD", "\u2028"}
	kinds := []*column.Column{col("varchar", "varchar(50)"), col("bigint", "bigint unsigned"), colPS("decimal", "decimal(65,0)", 65, 0)}
	for n := 0; n < 3000; n++ {
		c := kinds[n%len(kinds)]
		var in []byte
		if c.Kind == column.KindString {
			for range rng.IntN(8) {
				in = append(in, pieces[rng.IntN(len(pieces))]...)
			}
		} else {
			in = append(in, "-+"[rng.IntN(2)])[:rng.IntN(2)]
			for range rng.IntN(4) {
				in = append(in, '0')
			}
			for range rng.IntN(25) {
				in = append(in, byte('0'+rng.IntN(10)))
			}
		}
		got, _ := encodeOne(t, c, in)
		want, ok := For(c).AppendJSON(nil, in)
		if !ok {
			want = []byte("null")
		}
		if g := destinationJSON(got); !sameJSON(g, string(want), got.Kind) {
			t.Fatalf("%s %q: protobuf %s gives %s, JSON path wrote %s", c.ColumnType, in, got.Kind, g, want)
		}
		if got.Kind == datachannel.ValueString && !utf8.Valid(got.Bytes) {
			t.Fatalf("%q: invalid UTF-8 string %q", in, got.Bytes)
		}
	}
}

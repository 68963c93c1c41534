package binlog

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// TestDecodeMariaDBRow decodes a row image captured from MariaDB 10.11 for
//
//	CREATE TABLE t (id int primary key, b binary(4), c char(5), v varchar(10) character set latin1,
//	  e enum('a','b c'), s set('x','y','z'), bt bit(9), t time(3), dt datetime(6), ts timestamp(6) null,
//	  j json, y year, dd date, f float, db double, dc decimal(10,2));
//	INSERT INTO t VALUES (1, X'00FF10', 'ab  ', 'café', 'b c', 'x,z', b'100000001', '-00:00:01.5',
//	  '2024-01-02 03:04:05.123456', '2038-01-19 03:14:07.999999', '{"a": [1, 2.5]}', 0, '2024-02-29',
//	  123.4567, 0.1, -1.5);
func TestDecodeMariaDBRow(t *testing.T) {
	types := []byte{3, 254, 254, 15, 254, 254, 16, 19, 18, 17, 252, 13, 10, 4, 5, 246}
	meta := []uint16{0, 65028, 65029, 10, 63233, 63489, 257, 3, 6, 6, 4, 0, 0, 4, 8, 2562}
	raw, _ := hex.DecodeString("0000010000000300ff1002616204636166e9020501017ffffeec7899b244310501e2407fffffff0f423f0f0000007b2261223a205b312c20322e355d7d005dd00fd5e9f6429a9999999999b93f7ffffffecd")
	specs := make([]ColumnSpec, len(types))
	for i := range types {
		specs[i] = ColumnSpec{Type: types[i], Meta: meta[i], Needed: true}
	}
	specs[1].PadTo = 4
	specs[3].Convert, _ = ConverterFor("latin1")
	specs[4].Elements = []string{"a", "b c"}
	specs[5].Elements = []string{"x", "y", "z"}
	d, err := NewRowDecoder(specs)
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.Image(raw, []byte{0xff, 0xff}, true)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(raw) {
		t.Errorf("consumed %d of %d bytes", n, len(raw))
	}
	want := []string{"1", "\x00\xff\x10\x00", "ab", "café", "b c", "x,z", "\x01\x01", "-00:00:01.500",
		"2024-01-02 03:04:05.123456", "2038-01-19 03:14:07.999999", `{"a": [1, 2.5]}`, "0", "2024-02-29",
		"123.45670318603516", "0.1", "-1.50"}
	for i, v := range d.Values() {
		if string(v) != want[i] {
			t.Errorf("column %d: %q, want %q", i+1, v, want[i])
		}
	}
	// Skipping (the before image of an update) consumes the same bytes.
	if n2, err := d.Image(raw, []byte{0xff, 0xff}, false); err != nil || n2 != n {
		t.Errorf("skip: %d, %v", n2, err)
	}
	// A row image without a needed column is refused.
	if _, err := d.Image(raw, []byte{0xfe, 0xff}, true); err != ErrPartialImage {
		t.Errorf("partial image: %v", err)
	}
	// Truncated data is an error, not a panic, under DecodeRows.
	err = DecodeRows(raw[:len(raw)-3], func(b []byte) (int, error) { return d.Image(b, []byte{0xff, 0xff}, true) })
	if err == nil || !strings.Contains(err.Error(), "corrupt row image") {
		t.Errorf("truncated row: %v", err)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		prec, scale int
		hex, want   string
	}{
		{10, 2, "8000000132", "1.50"},
		{10, 2, "7ffffffecd", "-1.50"},
		{10, 2, "8000000000", "0.00"},
		{10, 0, "8000000000", "0"},
		{5, 2, "800005", "0.05"},
		{18, 9, "800000010000000a", "1.000000010"},
		{3, 3, "83e7", "0.999"}, // 3 fractional digits in 2 bytes
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		if got := string(appendDecimal(nil, b, tt.prec, tt.scale)); got != tt.want {
			t.Errorf("decimal(%d,%d) %s = %q, want %q", tt.prec, tt.scale, tt.hex, got, tt.want)
		}
		if decimalSize(tt.prec, tt.scale) != len(b) {
			t.Errorf("decimal(%d,%d): size %d, want %d", tt.prec, tt.scale, decimalSize(tt.prec, tt.scale), len(b))
		}
	}
}

func TestTemporal(t *testing.T) {
	// TIME(0) 838:59:59 and -838:59:59; TIME(6) -00:00:00.000001.
	enc := func(h, m, s int64, neg bool) []byte {
		v := h<<12 | m<<6 | s
		if neg {
			v = -v
		}
		v += 0x800000
		return []byte{byte(v >> 16), byte(v >> 8), byte(v)}
	}
	if got := string(appendTime2(nil, enc(838, 59, 59, false), 0)); got != "838:59:59" {
		t.Errorf("max time %q", got)
	}
	if got := string(appendTime2(nil, enc(838, 59, 59, true), 0)); got != "-838:59:59" {
		t.Errorf("min time %q", got)
	}
	v := int64(0x800000000000) - 1
	b6 := []byte{byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	if got := string(appendTime2(nil, b6, 6)); got != "-00:00:00.000001" {
		t.Errorf("time(6) -1us %q", got)
	}
	if got := string(appendTimestamp(nil, 0, 0, 0)); got != "0000-00-00 00:00:00" {
		t.Errorf("zero timestamp %q", got)
	}
	if got := string(appendTimestamp(nil, 1, 500000, 3)); got != "1970-01-01 00:00:01.500" {
		t.Errorf("timestamp %q", got)
	}
}

func TestIntegers(t *testing.T) {
	d, err := NewRowDecoder([]ColumnSpec{
		{Type: gomysql.MYSQL_TYPE_TINY, Needed: true}, {Type: gomysql.MYSQL_TYPE_TINY, Unsigned: true, Needed: true},
		{Type: gomysql.MYSQL_TYPE_INT24, Needed: true}, {Type: gomysql.MYSQL_TYPE_LONGLONG, Unsigned: true, Needed: true},
		{Type: gomysql.MYSQL_TYPE_LONGLONG, Needed: true}, {Type: gomysql.MYSQL_TYPE_DOUBLE, Needed: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	row := []byte{0x00, 0xff, 0xff, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 0, 0, 0, 0, 0x80}
	bits := math.Float64bits(-1.7976931348623157e308)
	for i := range 8 {
		row = append(row, byte(bits>>(8*i)))
	}
	if _, err := d.Image(row, []byte{0x3f}, true); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range d.Values() {
		got = append(got, string(v))
	}
	want := "-1 255 -8388608 18446744073709551615 -9223372036854775808 -1.7976931348623157e+308"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
}

// jsonDoc builds small binary JSON documents for the tests.
func TestMySQLJSON(t *testing.T) {
	// {"a": [1, 2.5], "bb": "x\"y"} in MySQL's small format.
	// Array [1, 2.5]: count 2, size, entries (int16 inline 1, double at offset), then the double.
	arr := []byte{2, 0, 0, 0, jsonInt16, 1, 0, jsonDouble, 0, 0}
	arrLen := len(arr) + 8
	arr[2] = byte(arrLen)
	arr[8] = byte(len(arr)) // offset of the double
	d := math.Float64bits(2.5)
	for i := range 8 {
		arr = append(arr, byte(d>>(8*i)))
	}
	str := []byte{4, 'x', '"', 'y', '\n'}
	// Object: count 2, size, key entries (offset, len) x2, value entries x2, keys, values.
	hdr := 4 + 2*4 + 2*3
	keys := []byte("abb")
	obj := []byte{2, 0, 0, 0}
	obj = append(obj, byte(hdr), 0, 1, 0, byte(hdr+1), 0, 2, 0)
	valOff := hdr + len(keys)
	obj = append(obj, jsonSmallArray, byte(valOff), 0, jsonString, byte(valOff+len(arr)), 0)
	obj = append(obj, keys...)
	obj = append(obj, arr...)
	obj = append(obj, str...)
	obj[2] = byte(len(obj))
	got, err := AppendMySQLJSON(nil, append([]byte{jsonSmallObject}, obj...))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a": [1, 2.5], "bb": "x\"y\n"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{{1, "1.0"}, {-0.5, "-0.5"}, {1e20, "1e20"}, {1.5e-7, "1.5e-7"}, {123456789012345, "123456789012345.0"}} {
		if got := string(appendJSONDouble(nil, tc.f)); got != tc.want {
			t.Errorf("double %v: %s, want %s", tc.f, got, tc.want)
		}
	}
	if _, err := AppendMySQLJSON(nil, []byte{jsonSmallObject, 5, 0}); err == nil {
		t.Error("a truncated document was accepted")
	}
}

func TestCharsets(t *testing.T) {
	c, ok := ConverterFor("latin1")
	if !ok || c == nil {
		t.Fatal("latin1")
	}
	if got := string(c.AppendUTF8(nil, []byte{'c', 0xe9, 0x80, 0x81})); got != "cé€\u0081" {
		t.Errorf("latin1: %q", got)
	}
	if c, ok := ConverterFor("utf8mb4"); !ok || c != nil {
		t.Error("utf8mb4 must pass through")
	}
	if _, ok := ConverterFor("klingon"); ok {
		t.Error("an unknown charset is reported supported")
	}
	u, _ := ConverterFor("ucs2")
	if got := string(u.AppendUTF8(nil, []byte{0, 'h', 0x00, 0xe9})); got != "hé" {
		t.Errorf("ucs2: %q", got)
	}
}

func TestPositionCompare(t *testing.T) {
	a := Position{"mysql-bin.999999", 500}
	b := Position{"mysql-bin.1000000", 4}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("file sequence order")
	}
	if (Position{"b.000001", 5}).Compare(Position{"b.000001", 9}) != -1 {
		t.Error("offset order")
	}
	p, err := ParsePosition("bin.000003:123")
	if err != nil || p != (Position{"bin.000003", 123}) {
		t.Errorf("parse: %v %v", p, err)
	}
}

// TestMariaDBTypes decodes MariaDB 10.11's uuid, inet6 and inet4 (binary
// in the binary log, with trailing zeros dropped) as the server prints them.
func TestMariaDBTypes(t *testing.T) {
	raw, _ := hex.DecodeString("f0010000000f123e4567e89b12d3a45642661417401000000000000000000000ffff01020304040a000001")
	d, err := NewRowDecoder([]ColumnSpec{{Type: 3, Needed: true}, {Type: 254, Meta: 65040, Format: FormatUUID, Needed: true},
		{Type: 254, Meta: 65040, Format: FormatInet6, Needed: true}, {Type: 254, Meta: 65028, Format: FormatInet4, Needed: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Image(raw, []byte{0x0f}, true); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range d.Values() {
		got = append(got, string(v))
	}
	if want := "1 123e4567-e89b-12d3-a456-426614174000 ::ffff:1.2.3.4 10.0.0.1"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
}

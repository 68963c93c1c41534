package rowcodec

import (
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

func col(dataType, columnType string) *column.Column {
	c := &column.Column{Name: "c", DataType: dataType, ColumnType: columnType, Precision: -1, Scale: -1}
	if dataType == "decimal" {
		c.Precision, c.Scale = 10, 2
	}
	c.Classify(column.Options{})
	return c
}

// TestEncoders covers text-protocol forms the TYPES.md contract test cannot
// produce on MariaDB (other servers' spellings, malformed input).
func TestEncoders(t *testing.T) {
	tests := []struct {
		c      *column.Column
		in     string
		null   bool
		want   string
		wantOK bool
	}{
		{col("int", "int"), "", true, "null", true},
		{col("int", "int"), "-0", false, "0", true},
		{col("int", "int"), "00042", false, "42", true},
		{col("int", "int"), "12a", false, "null", false},
		{col("decimal", "decimal(10,2)"), "-000.50", false, "-0.50", true},
		{col("decimal", "decimal(10,2)"), "1.", false, "null", false},
		{col("double", "double"), "1e308", false, "1e+308", true},
		{col("double", "double"), "-0", false, "-0", true},
		{col("double", "double"), "nan", false, "null", false},
		{col("float", "float"), "3.4028234663852886e38", false, "3.4028235e+38", true},
		{col("float", "float"), "0.10000000149011612", false, "0.1", true},
		{col("datetime", "datetime(6)"), "2024-01-02T03:04:05.1", false, `"2024-01-02T03:04:05.100000"`, true},
		{col("datetime", "datetime"), "2024-02-30 00:00:00", false, "null", false},
		{col("datetime", "datetime"), "2023-02-29 00:00:00", false, "null", false},
		{col("datetime", "datetime"), "2000-02-29 24:00:00", false, "null", false},
		{col("timestamp", "timestamp"), "1970-01-01 00:00:01", false, `"1970-01-01T00:00:01.000000Z"`, true},
		{col("date", "date"), "2100-02-29", false, "null", false},
		{col("time", "time"), "5:00:00", false, `"05:00:00.000000"`, true},
		{col("time", "time"), "-838:59:59.999999", false, `"-838:59:59.999999"`, true},
		{col("time", "time"), "12:60:00", false, "null", false},
		{col("tinyint", "tinyint(1)"), "00", false, "false", true},
		{col("bit", "bit(1)"), "\x00", false, "false", true},
		{col("varchar", "varchar(5)"), "a\x00\xff", false, `"a\u0000\ufffd"`, true},
		{col("uuid", "uuid"), "123e4567-e89b-12d3-a456-426614174000", false, `"123e4567-e89b-12d3-a456-426614174000"`, true},
	}
	for _, tt := range tests {
		var in []byte
		if !tt.null {
			in = []byte(tt.in)
		}
		got, ok := For(tt.c).AppendJSON(nil, in)
		if string(got) != tt.want || ok != tt.wantOK {
			t.Errorf("%s %q: got %s ok=%v, want %s ok=%v", tt.c.ColumnType, tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStateStringRoundTrip(t *testing.T) {
	tests := []struct {
		c     *column.Column
		text  string
		state string
	}{
		{col("datetime", "datetime(6)"), "2024-01-02 03:04:05.123456", "2024-01-02T03:04:05.123456"},
		{col("timestamp", "timestamp"), "2024-01-02 03:04:05", "2024-01-02T03:04:05.000000Z"},
		{col("varbinary", "varbinary(4)"), "\x00\xff", "AP8="},
		{col("bit", "bit(12)"), "\x0f\xff", "4095"},
		{col("bigint", "bigint unsigned"), "18446744073709551615", "18446744073709551615"},
		{col("varchar", "varchar(5)"), "é'", "é'"},
	}
	for _, tt := range tests {
		s := StateString(tt.c, []byte(tt.text))
		if s != tt.state {
			t.Errorf("StateString(%s, %q) = %q, want %q", tt.c.ColumnType, tt.text, s, tt.state)
		}
		back, err := ParseStateString(tt.c, s)
		if err != nil {
			t.Errorf("ParseStateString(%s, %q): %v", tt.c.ColumnType, s, err)
			continue
		}
		// Temporal values come back in MySQL's input syntax, which binds
		// to the same value.
		again := StateString(tt.c, back)
		if again != s {
			t.Errorf("round trip of %q: %q -> %q", tt.text, s, again)
		}
	}
	if _, err := ParseStateString(col("int", "int"), "x"); err == nil {
		t.Error("ParseStateString accepted a non-integer for an int column")
	}
}

func TestBindArgTypes(t *testing.T) {
	if v, _ := BindArg(col("bigint", "bigint unsigned"), []byte("18446744073709551615")); v != uint64(18446744073709551615) {
		t.Errorf("bigint unsigned arg %T %v", v, v)
	}
	if v, _ := BindArg(col("bit", "bit(9)"), []byte{1, 1}); v != uint64(257) {
		t.Errorf("bit arg %v", v)
	}
	if got := ParamSQL(col("decimal", "decimal(10,2)")); got != "CAST(? AS DECIMAL(10,2))" {
		t.Errorf("decimal placeholder %s", got)
	}
	if _, err := BindArg(col("int", "int"), nil); err == nil {
		t.Error("BindArg accepted NULL")
	}
}

// TestRowEncoderAllocations: encoding a row allocates nothing once the
// buffer has grown.
func TestRowEncoderAllocations(t *testing.T) {
	cols := []*column.Column{col("int", "int"), col("varchar", "varchar(50)"), col("datetime", "datetime(6)"),
		col("decimal", "decimal(10,2)"), col("double", "double"), col("float", "float"), col("tinyint", "tinyint(1)"),
		col("timestamp", "timestamp"), col("date", "date"), col("blob", "blob"), col("time", "time")}
	for i, c := range cols {
		c.Name = string(rune('a' + i))
	}
	r := NewRowEncoder(cols)
	row := [][]byte{[]byte("123"), []byte("Farmácia \"Souza\""), []byte("2024-01-02 03:04:05.123456"), []byte("1234.50"),
		[]byte("-23.5505"), []byte("123.45670318603516"), []byte("1"), []byte("0000-00-00 00:00:00"), []byte("2024-01-02"), []byte{0, 1, 2}, nil}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(1000, func() {
		buf = r.AppendObject(buf[:0], row)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per row", allocs)
	}
	want := `{"a":123,"b":"Farmácia \"Souza\"","c":"2024-01-02T03:04:05.123456","d":1234.50,"e":-23.5505,"f":123.4567,"g":true,"h":null,"i":"2024-01-02","j":"AAEC","k":null}`
	if string(buf) != want {
		t.Errorf("row\n%s\nwant\n%s", buf, want)
	}
	if ch := r.Changes(); len(ch) != 1 || ch[0].Field != "h" {
		t.Errorf("changes %+v", ch)
	}
}

func BenchmarkRowEncoder(b *testing.B) {
	cols := []*column.Column{col("int", "int"), col("varchar", "varchar(50)"), col("datetime", "datetime(6)"),
		col("decimal", "decimal(10,2)"), col("double", "double"), col("tinyint", "tinyint(1)")}
	for i, c := range cols {
		c.Name = string(rune('a' + i))
	}
	r := NewRowEncoder(cols)
	row := [][]byte{[]byte("123"), []byte("Nissei Moema - Loja 1"), []byte("2024-01-02 03:04:05.123456"), []byte("1234.50"), []byte("-23.5505"), []byte("1")}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendObject(buf[:0], row)
	}
}

package appender_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// fuzzSchema has a column of every kind the appenders convert to (see
// TYPES.md), including nested objects, arrays, unions and wide decimals.
const fuzzSchema = `{"type":"object","properties":{
 "s":{"type":["null","string"]},
 "b":{"type":"boolean"},
 "i":{"type":["null","integer"]},
 "u":{"type":"number","airbyte_type":"integer","precision":20,"scale":0},
 "n":{"type":"number"},
 "f":{"type":"number","airbyte_type":"float"},
 "d":{"type":["null","number"],"precision":12,"scale":2},
 "w":{"type":"number","precision":65,"scale":30},
 "big":{"type":"string","airbyte_type":"big_integer"},
 "ts":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
 "tn":{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"},
 "dt":{"type":"string","format":"date"},
 "tm":{"type":"string","format":"time","airbyte_type":"time_without_timezone"},
 "bin":{"type":"string","contentEncoding":"base64"},
 "j":{"type":["null","string"],"x-mysql-type":"json"},
 "o":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"},"deep":{"type":"object","properties":{"x":{"type":"array","items":{"type":"number"}}}}}},
 "oo":{"type":"object"},
 "a":{"type":"array","items":{"type":"integer"}},
 "ad":{"type":"array","items":{"type":"string","format":"date"}},
 "ao":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}}}},
 "any":{"type":"array"},
 "un":{"type":["null","string","integer"]},
 "one":{"oneOf":[{"type":"string"},{"type":"number"},{"type":"object","properties":{"q":{"type":"boolean"}}}]},
 "none":{"description":"no type"}
}}`

// FuzzAppend converts arbitrary record data (anything the protocol reader
// accepts as a JSON object, including invalid UTF-8) and record meta into
// Arrow in both layouts and writes it as Parquet. It must never panic,
// always append exactly one row, write only valid UTF-8 into string
// columns, report every nulled value (a change in the current layout, a
// callback in the 0.3.x one), and produce a file pqarrow reads back. The
// record is appended twice, from its raw data (Append) and from the fields
// the protocol reader locates (AppendRecord): both rows must be equal.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"s":"x","b":true,"i":5,"u":"18446744073709551615","n":1.5e300,"f":"NaN","d":"12.34","w":"-1e-30","big":"123456789012345678901234567890"}`,
		`{"ts":"2024-01-02T03:04:05.123456+05:30","tn":"2024-01-02 03:04:05","dt":"2024-02-29","tm":"23:59:59.999999","bin":"aGVsbG8="}`,
		`{"o":{"city":"Asunción","zip":"1209","deep":{"x":[1,2.5,"3",null]},"extra":[1]},"oo":{"k":[1,{"z":null}]},"a":[1,"2",3.0,null],"ad":["2024-01-01","nope"],"ao":[{"k":"v","x":1},null,3]}`,
		`{"any":[1,"a",{"b":[]}],"un":7,"one":{"q":true},"none":{"x":1},"j":"{\"a\":1}"}`,
		`{"i":{"x":1},"b":[true],"n":"abc","d":123.456,"ts":"not a date","tm":"-838:59:59","bin":"!!!","a":{"x":1},"o":[1],"un":[1],"one":true}`,
		`{"s":"\ud800 lone surrogate","i":1.5,"u":-1,"dt":"2023-02-29","w":"1e100"}`,
		"{\"s\":\"\xff\xfe bad utf8\",\"j\":\"\xc3\",\"o\":{\"city\":\"\xe2\x82\"},\"\xff\":\"\xfe\"}",
		`{"s":"dup","s":"dup again","i":1,"i":2}`,
		`{"a":[[[[[[[[[[1]]]]]]]]]],"o":{"deep":{"x":[[1]]}}}`,
	} {
		f.Add([]byte(s), []byte(`{"changes":[{"field":"s","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}`), false)
		f.Add([]byte(s), []byte(nil), true)
	}
	current, err := arrowschema.Resolve([]byte(fuzzSchema), arrowschema.Current)
	if err != nil {
		f.Fatal(err)
	}
	legacy, err := arrowschema.Resolve([]byte(fuzzSchema), arrowschema.Legacy)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data, meta []byte, useLegacy bool) {
		// What the protocol reader hands over: a syntactically valid JSON
		// object (invalid UTF-8 passes), and meta valid JSON or absent.
		if len(data) == 0 || data[0] != '{' || jsonx.Valid(data) != nil {
			return
		}
		if len(meta) > 0 && jsonx.Valid(meta) != nil {
			meta = nil
		}
		schema := current
		if useLegacy {
			schema = legacy
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		nulled, invalid := 0, 0
		rec := appender.New(mem, schema, appender.Options{
			OnBadValue:    func(string, protocol.ChangeReason) { nulled++ },
			OnInvalidUTF8: func(string) { invalid++ },
		})
		rec.Append(data, 1700000000000, meta)
		nulled1, invalid1 := nulled, invalid
		fields, _, err := jsonx.IndexObject(data, 0, nil)
		if err != nil {
			t.Fatalf("IndexObject: %v", err)
		}
		if fields == nil {
			fields = []jsonx.Field{}
		}
		rec.AppendRecord(&protocol.RecordView{Data: data, Fields: fields, EmittedAt: 1700000000000, Meta: meta})
		if nulled != 2*nulled1 || invalid != 2*invalid1 {
			t.Fatalf("reports: %d nulled and %d invalid from Append, then %d and %d from AppendRecord", nulled1, invalid1, nulled-nulled1, invalid-invalid1)
		}
		batch := rec.NewRecordBatch()
		if batch.NumRows() != 2 {
			t.Fatalf("%d rows, want 2", batch.NumRows())
		}
		for i, col := range batch.Columns() {
			if col.Len() != 2 {
				t.Fatalf("column %s has %d values", batch.Schema().Field(i).Name, col.Len())
			}
			if err := checkUTF8(col); err != "" {
				t.Fatalf("column %s: %s", batch.Schema().Field(i).Name, err)
			}
			if i > 0 && !array.SliceApproxEqual(col, 0, 1, col, 1, 2, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
				t.Fatalf("column %s: Append gave %v, AppendRecord %v", batch.Schema().Field(i).Name, array.NewSlice(col, 0, 1), array.NewSlice(col, 1, 2))
			}
		}
		if useLegacy && nulled > 0 && schema.Layout != arrowschema.Legacy {
			t.Fatal("OnBadValue called in the current layout")
		}
		_ = invalid
		var buf bytes.Buffer
		pw, err := parquetfile.New(schema.Schema, &buf, parquetfile.Options{
			Codec: compress.Codecs.Snappy, PageSize: 1 << 20, DictPageSize: 1 << 20, Dictionary: true, Mem: mem, RootName: "fuzz",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(batch); err != nil {
			t.Fatalf("write parquet: %v", err)
		}
		if err := pw.Close(); err != nil {
			t.Fatalf("close parquet: %v", err)
		}
		batch.Release()
		rec.Release()
		pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.NewGoAllocator())
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		tbl, err := fr.ReadTable(t.Context())
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if tbl.NumRows() != 2 {
			t.Fatalf("read back %d rows", tbl.NumRows())
		}
		tbl.Release()
		mem.AssertSize(t, 0)
	})
}

// checkUTF8 returns a description of the first string value that is not
// valid UTF-8 in arr (at any depth), or "".
func checkUTF8(arr arrow.Array) string {
	switch a := arr.(type) {
	case *array.String:
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) && !utf8.ValidString(a.Value(i)) {
				return "invalid UTF-8 in row " + strconv.Itoa(i)
			}
		}
	case *array.Struct:
		for j := 0; j < a.NumField(); j++ {
			if e := checkUTF8(a.Field(j)); e != "" {
				return a.DataType().(*arrow.StructType).Field(j).Name + ": " + e
			}
		}
	case *array.Map:
		if e := checkUTF8(a.Keys()); e != "" {
			return "map key: " + e
		}
		return checkUTF8(a.Items())
	case *array.List:
		return checkUTF8(a.ListValues())
	}
	return ""
}

// TestInvalidUTF8 checks that invalid UTF-8 in every kind of text column
// (strings, JSON text, nested strings, 0.3.x additional properties) is
// written with U+FFFD and reported with the field's path, never the value.
func TestInvalidUTF8(t *testing.T) {
	for _, layout := range []arrowschema.Layout{arrowschema.Current, arrowschema.Legacy} {
		schema, err := arrowschema.Resolve([]byte(fuzzSchema), layout)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		rec := appender.New(memory.NewGoAllocator(), schema, appender.Options{OnInvalidUTF8: func(p string) { paths = append(paths, p) }})
		rec.Append([]byte("{\"s\":\"a\xffb\",\"j\":\"\xc3\",\"o\":{\"city\":\"\xe2\x82\",\"x\":\"\xfe\"},\"oo\":{\"k\":\"\xff\"},\"ok\":\"fine\"}"), 1, nil)
		batch := rec.NewRecordBatch()
		for i, col := range batch.Columns() {
			if e := checkUTF8(col); e != "" {
				t.Errorf("layout %v, column %s: %s", layout, batch.Schema().Field(i).Name, e)
			}
		}
		s := batch.Column(batch.Schema().FieldIndices("s")[0]).(*array.String).Value(0)
		if s != "a\uFFFDb" {
			t.Errorf("layout %v: s = %q, want a U+FFFD b", layout, s)
		}
		want := []string{"s", "j", "o.city"}
		if layout == arrowschema.Legacy {
			want = append(want, "o._airbyte_additional_properties")
		}
		got := strings.Join(paths, ",")
		for _, w := range want {
			if !strings.Contains(","+got+",", ","+w+",") {
				t.Errorf("layout %v: reported paths %q lack %q", layout, got, w)
			}
		}
		batch.Release()
		rec.Release()
	}
}

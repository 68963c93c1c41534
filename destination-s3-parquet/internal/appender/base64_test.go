package appender_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
)

// TestBase64Binary appends base64 text with and without padding, of every
// length modulo 4, into a contentEncoding base64 column. Unpadded text
// decodes to more bytes than StdEncoding.DecodedLen reserves for it: the
// appender once wrote past its buffer and panicked on "YWJjZA".
func TestBase64Binary(t *testing.T) {
	const schema = `{"type":"object","properties":{"bin":{"type":"string","contentEncoding":"base64"}}}`
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`"aGVsbG8="`, "hello", true},
		{`"aGVsbG8"`, "hello", true},
		{`"YWJjZA=="`, "abcd", true},
		{`"YWJjZA"`, "abcd", true},
		{`"YWJjZGVmZ2g"`, "abcdefgh", true},
		{`"YWJj"`, "abc", true},
		{`""`, "", true},
		{`"!!!"`, "", false},
		{`"Y"`, "", false},
	}
	// The 0.3.x layout keeps such a column as its text; only the current
	// layout decodes it into a binary column.
	for _, layout := range []arrowschema.Layout{arrowschema.Current} {
		s, err := arrowschema.Resolve([]byte(schema), layout)
		if err != nil {
			t.Fatal(err)
		}
		rec := appender.New(memory.NewGoAllocator(), s, appender.Options{})
		for _, c := range cases {
			rec.Append([]byte(`{"bin":`+c.in+`}`), 1, nil)
		}
		batch := rec.NewRecordBatch()
		col, ok := batch.Column(batch.Schema().FieldIndices("bin")[0]).(*array.Binary)
		if !ok {
			t.Fatalf("layout %v: bin is %s, want binary", layout, batch.Column(batch.Schema().FieldIndices("bin")[0]).DataType())
		}
		for i, c := range cases {
			switch {
			case !c.ok && !col.IsNull(i):
				t.Errorf("layout %v: %s appended %q, want null", layout, c.in, col.Value(i))
			case c.ok && (col.IsNull(i) || string(col.Value(i)) != c.want):
				t.Errorf("layout %v: %s appended %q (null %v), want %q", layout, c.in, col.Value(i), col.IsNull(i), c.want)
			}
		}
		batch.Release()
		rec.Release()
	}
}

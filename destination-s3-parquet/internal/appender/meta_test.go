package appender_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
)

// TestMetaChanges: rows without changes get their _airbyte_meta entry and
// empty changes list in bulk; rows with the source's changes, nulled
// values or both, anywhere among them (also past a bulk chunk), keep
// theirs in order.
func TestMetaChanges(t *testing.T) {
	schema, err := arrowschema.Resolve([]byte(fuzzSchema), arrowschema.Current)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rec := appender.New(mem, schema, appender.Options{SyncID: 3})
	defer rec.Release()
	srcMeta := []byte(`{"changes":[{"field":"x","change":"NULLED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}`)
	for round := 0; round < 2; round++ {
		var want []string
		for i := 0; i < 1300; i++ {
			data, meta, w := []byte(`{"i":1}`), []byte(nil), ""
			switch {
			case i%97 == 2 || i == 1299:
				data, w = []byte(`{"u":"abc"}`), "u"
			case i%131 == 3:
				meta, w = srcMeta, "x"
			case i%211 == 5 || i == 0:
				data, meta, w = []byte(`{"u":"abc"}`), srcMeta, "x,u"
			case i%7 == 1:
				meta = []byte(`{}`)
			}
			rec.Append(data, int64(i), meta)
			want = append(want, w)
		}
		batch := rec.NewRecordBatch()
		metaCol := batch.Column(3).(*array.Struct)
		changes := metaCol.Field(1).(*array.List)
		fields := changes.ListValues().(*array.Struct).Field(0).(*array.String)
		if metaCol.Len() != len(want) || metaCol.NullN() != 0 || changes.NullN() != 0 {
			t.Fatalf("round %d: %d meta entries (%d null, %d null lists), want %d", round, metaCol.Len(), metaCol.NullN(), changes.NullN(), len(want))
		}
		for i, w := range want {
			start, end := changes.ValueOffsets(i)
			got := ""
			for k := start; k < end; k++ {
				if k > start {
					got += ","
				}
				got += fields.Value(int(k))
			}
			if got != w {
				t.Fatalf("round %d row %d: changes %q, want %q", round, i, got, w)
			}
		}
		if fmt.Sprint(metaCol.Field(0).(*array.Int64).Value(len(want)-1)) != "3" {
			t.Fatalf("sync id")
		}
		batch.Release()
	}
}

package appender_test

import (
	"encoding/binary"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
)

// TestRawIDs: every row gets a distinct version 7 UUID, in both layouts:
// increasing within a batch, with a timestamp taken when the batch is
// made, distinct over many batches and between Records writing at the
// same time; the generation and sync ids filled in one go are right.
func TestRawIDs(t *testing.T) {
	v7 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, layout := range []arrowschema.Layout{arrowschema.Current, arrowschema.Legacy} {
		schema, err := arrowschema.Resolve([]byte(`{"type":"object","properties":{"a":{"type":"integer"}}}`), layout)
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		// Two Records, as two streams (or two processes) in the same ms.
		recs := []*appender.Record{
			appender.New(mem, schema, appender.Options{GenerationID: 7, SyncID: 42}),
			appender.New(mem, schema, appender.Options{GenerationID: 7, SyncID: 42}),
		}
		seen := map[string]bool{}
		sizes := []int{5000, 0, 1, 2}
		for range 200 {
			sizes = append(sizes, 100)
		}
		for batch, n := range sizes {
			for _, rec := range recs {
				for i := 0; i < n; i++ {
					rec.Append([]byte(`{"a":1}`), 1, nil)
				}
				if got := rec.PendingBytes(); got == 0 && n > 0 {
					t.Errorf("PendingBytes = 0 with %d rows", n)
				}
				before := time.Now().UnixMilli()
				b := rec.NewRecordBatch()
				after := time.Now().UnixMilli()
				if b.NumRows() != int64(n) {
					t.Fatalf("%d rows, want %d", b.NumRows(), n)
				}
				ids := b.Column(0).(*array.String)
				for i := 0; i < ids.Len(); i++ {
					id := ids.Value(i)
					u, err := uuid.Parse(id)
					if !v7.MatchString(id) || err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
						t.Fatalf("batch %d, row %d: id %q is not a version 7 UUID (%v)", batch, i, id, err)
					}
					// Within a batch the ids increase; the timestamp is the
					// batch's (a counter carry may add 1 ms).
					if ms := int64(binary.BigEndian.Uint64(u[:8]) >> 16); i == 0 && (ms < before || ms > after) {
						t.Fatalf("batch %d: id %s has time %d ms, batch made between %d and %d", batch, id, ms, before, after)
					}
					if i > 0 && id <= ids.Value(i-1) {
						t.Fatalf("batch %d, row %d: id %s after %s", batch, i, id, ids.Value(i-1))
					}
					if seen[id] {
						t.Fatalf("id %q repeated", id)
					}
					seen[id] = true
				}
				if layout == arrowschema.Current {
					gen := b.Column(2).(*array.Int64)
					meta := b.Column(3).(*array.Struct)
					sync := meta.Field(0).(*array.Int64)
					for i := 0; i < n; i++ {
						if gen.Value(i) != 7 || sync.Value(i) != 42 || gen.IsNull(i) || sync.IsNull(i) {
							t.Fatalf("row %d: generation %d, sync id %d", i, gen.Value(i), sync.Value(i))
						}
					}
				}
				b.Release()
			}
		}
		for _, rec := range recs {
			rec.Release()
		}
		mem.AssertSize(t, 0)
	}
}

// TestReserve: sizing the builders ahead (for more rows than come, fewer,
// or in the middle of a batch) changes nothing in the batches.
func TestReserve(t *testing.T) {
	rows := []string{
		`{}`,
		`{"s":"x","b":true,"i":5,"u":"18446744073709551615","n":1.5e300,"f":"NaN","d":"12.34","w":"-1e-30","big":"123456789012345678901234567890"}`,
		`{"ts":"2024-01-02T03:04:05.123456+05:30","tn":"2024-01-02 03:04:05","dt":"2024-02-29","tm":"23:59:59.999999","bin":"aGVsbG8="}`,
		`{"o":{"city":"Asunción","zip":"1209","deep":{"x":[1,2.5,"3",null]},"extra":[1]},"oo":{"k":[1,{"z":null}]},"a":[1,"2",3.0,null],"ad":["2024-01-01","nope"],"ao":[{"k":"v","x":1},null,3]}`,
		`{"any":[1,"a",{"b":[]}],"un":7,"one":{"q":true},"none":{"x":1},"j":"{\"a\":1}","s":"a longer text value than the others"}`,
	}
	for _, layout := range []arrowschema.Layout{arrowschema.Current, arrowschema.Legacy} {
		schema, err := arrowschema.Resolve([]byte(fuzzSchema), layout)
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		plain := appender.New(mem, schema, appender.Options{SyncID: 3})
		sized := appender.New(mem, schema, appender.Options{SyncID: 3})
		for round, reserve := range []int{0, 1000, 3, 2} {
			if reserve > 0 {
				sized.Reserve(reserve, 1<<20)
			}
			for i := 0; i < 12; i++ {
				data := []byte(rows[(i+round)%len(rows)])
				plain.Append(data, int64(i), nil)
				sized.Append(data, int64(i), nil)
				if i == 6 {
					sized.Reserve(4, 1<<20) // in the middle of a batch
				}
			}
			a, b := plain.NewRecordBatch(), sized.NewRecordBatch()
			for c := 1; c < int(a.NumCols()); c++ {
				if !array.ApproxEqual(a.Column(c), b.Column(c), array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
					t.Errorf("layout %v, round %d, column %s: %v with Reserve, %v without", layout, round, a.Schema().Field(c).Name, b.Column(c), a.Column(c))
				}
			}
			a.Release()
			b.Release()
		}
		plain.Release()
		sized.Release()
		mem.AssertSize(t, 0)
	}
}

// TestReserveAfterHugeValue: a batch with a huge text value does not make
// the next reservation huge: text is reserved up to the cap given.
func TestReserveAfterHugeValue(t *testing.T) {
	schema, err := arrowschema.Resolve([]byte(`{"type":"object","properties":{"id":{"type":"integer"},"s":{"type":"string"}}}`), arrowschema.Current)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rec := appender.New(mem, schema, appender.Options{})
	defer rec.Release()
	rec.Append([]byte(`{"id":1,"s":"`+strings.Repeat("x", 10<<20)+`"}`), 1, nil)
	rec.NewRecordBatch().Release()
	before := mem.CurrentAlloc()
	rec.Reserve(64, 1<<20)
	if grew := mem.CurrentAlloc() - before; grew > 1<<20+64<<10 {
		t.Errorf("Reserve(64) after a 10 MiB value allocated %d bytes, want at most about 1 MiB", grew)
	}
}

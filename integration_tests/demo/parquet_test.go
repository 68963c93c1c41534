package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeParquet writes ids [from, to) with a name column, rowGroup rows per
// row group, SNAPPY.
func writeParquet(t *testing.T, path string, from, to, rowGroup int) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)),
		pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	for start := from; start < to; start += rowGroup {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := start; i < min(start+rowGroup, to); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			if i%2 == 0 {
				b.Field(1).(*array.StringBuilder).Append("loja ç " + strings.Repeat("x", i%3))
			} else {
				b.Field(1).AppendNull()
			}
		}
		rec := b.NewRecordBatch()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		b.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadStream(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	writeParquet(t, filepath.Join(dir, "cog_dt_ingestion=2026-11-25", "file_store0.parquet"), 0, 250, 100)
	writeParquet(t, filepath.Join(dir, "cog_dt_ingestion=2026-11-25", "file_store1.parquet"), 250, 300, 100)
	if err := os.WriteFile(filepath.Join(dir, "cog_dt_ingestion=2026-11-25", "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := ReadStream(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Rows != 300 || len(ps.Files) != 2 || ps.Files[0].Rows != 250 || ps.Files[0].RowGroups != 3 {
		t.Fatalf("read %d rows in %d files: %+v", ps.Rows, len(ps.Files), ps.Files)
	}
	var size int64
	for _, f := range ps.Files {
		fi, _ := os.Stat(f.Path)
		size += fi.Size()
		if f.Codec != "SNAPPY" {
			t.Errorf("%s: codec %q", f.Path, f.Codec)
		}
	}
	if ps.Bytes != size {
		t.Errorf("bytes %d, files hold %d", ps.Bytes, size)
	}
	want := []Field{{"id", "0"}, {"name", "loja ç "}}
	if len(ps.Sample) != 2 || ps.Sample[0] != want[0] || ps.Sample[1] != want[1] {
		t.Errorf("sample %+v, want %+v", ps.Sample, want)
	}

	// A stream folder that holds something that is not Parquet is an error.
	if err := os.WriteFile(filepath.Join(dir, "cog_dt_ingestion=2026-11-25", "file_store2.parquet"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStream(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "file_store2.parquet") {
		t.Errorf("a broken file gave %v", err)
	}
	// A missing folder (a stream that wrote nothing) is an error too.
	if _, err := ReadStream(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder gave no error")
	}
}

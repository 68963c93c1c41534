package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func writeParquet(t *testing.T, path string, rows, perGroup int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(int64(perGroup))), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for i := range rows {
		b.Append(int64(i))
	}
	arr := b.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(rows))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestParquetSummary(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "s", "cog_dt_ingestion=2026-11-25", "file_s0.parquet"), 1000, 300)
	writeParquet(t, filepath.Join(dir, "s", "cog_dt_ingestion=2026-11-25", "file_s1.parquet"), 500, 1000)
	if err := os.WriteFile(filepath.Join(dir, "s", "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s", "notes.txt"), []byte("PAR0 not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := ParquetSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Files != 2 || info.Rows != 1500 || info.RowGroups != 5 || info.Bytes <= 0 {
		t.Errorf("summary %+v, want 2 files, 1500 rows, 5 row groups", info)
	}
}

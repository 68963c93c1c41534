package demo

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ParquetFile is one Parquet object read back from disk.
type ParquetFile struct {
	Path      string
	Rows      int64
	Bytes     int64
	RowGroups int
	// Codec is the compression of the first column chunk ("SNAPPY").
	Codec string
}

// Field is one column value of a sample row, rendered as text.
type Field struct {
	Name, Value string
}

// ParquetStream is what a stream's folder holds.
type ParquetStream struct {
	Files []ParquetFile
	Rows  int64
	Bytes int64
	// Sample is the first row of the first file.
	Sample []Field
}

// ReadStream reads every Parquet file under dir (a stream's folder) with
// the pure-Go Arrow reader: it sums the row counts from the footers and
// decodes the first row of the first file. Marker objects (_SUCCESS) and
// hidden files are skipped; any other file that is not Parquet is an error.
func ReadStream(ctx context.Context, dir string) (*ParquetStream, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), "_") && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(paths)
	out := &ParquetStream{}
	for i, p := range paths {
		f, sample, err := readParquet(ctx, p, i == 0)
		if err != nil {
			return nil, err
		}
		out.Files = append(out.Files, *f)
		out.Rows += f.Rows
		out.Bytes += f.Bytes
		if i == 0 {
			out.Sample = sample
		}
	}
	return out, nil
}

func readParquet(ctx context.Context, path string, wantSample bool) (*ParquetFile, []Field, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s as Parquet: %w", path, err)
	}
	defer rdr.Close()
	pf := &ParquetFile{Path: path, Rows: rdr.NumRows(), Bytes: fi.Size(), RowGroups: rdr.NumRowGroups()}
	if pf.RowGroups > 0 {
		if cc, err := rdr.MetaData().RowGroup(0).ColumnChunk(0); err == nil {
			pf.Codec = strings.ToUpper(cc.Compression().String())
		}
	}
	if !wantSample || pf.Rows == 0 {
		return pf, nil, nil
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1}, memory.DefaultAllocator)
	if err != nil {
		return nil, nil, fmt.Errorf("read the Arrow schema of %s: %w", path, err)
	}
	rr, err := fr.GetRecordReader(ctx, nil, []int{0})
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer rr.Release()
	if !rr.Next() {
		if err := rr.Err(); err != nil {
			return nil, nil, fmt.Errorf("read the first row of %s: %w", path, err)
		}
		return nil, nil, fmt.Errorf("%s: the footer counts %d rows but none could be read", path, pf.Rows)
	}
	rec := rr.RecordBatch()
	var sample []Field
	for i, col := range rec.Columns() {
		v := "null"
		if col.IsValid(0) {
			v = col.ValueStr(0)
		}
		sample = append(sample, Field{Name: rec.ColumnName(i), Value: v})
	}
	return pf, sample, nil
}

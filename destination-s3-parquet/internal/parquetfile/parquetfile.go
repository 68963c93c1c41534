// Package parquetfile writes Arrow record batches as one Parquet file into
// an io.Writer with pqarrow: the configured codec, page and dictionary
// settings, and row groups cut by size. Batches go into a buffered row group
// (encoded and compressed as they arrive), so a row group costs memory in
// its compressed size, not in Arrow's.
package parquetfile

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Options are the Parquet writer settings.
type Options struct {
	Codec          compress.Compression
	PageSize       int64
	DictPageSize   int64
	Dictionary     bool
	RowGroupTarget int64 // bytes of encoded, compressed column data
	CreatedBy      string
	RootName       string
	Mem            memory.Allocator
}

// Writer is one Parquet file being written.
type Writer struct {
	fw     *pqarrow.FileWriter
	target int64
	rows   int64
	groups int
}

// noClose hides the sink's Close (pqarrow closes a sink that has one).
type noClose struct{ w io.Writer }

func (n noClose) Write(p []byte) (int, error) { return n.w.Write(p) }

// New starts a file with schema on w.
func New(schema *arrow.Schema, w io.Writer, o Options) (*Writer, error) {
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(o.Mem),
		parquet.WithCompression(o.Codec),
		parquet.WithDataPageSize(o.PageSize),
		parquet.WithDictionaryDefault(o.Dictionary),
		parquet.WithDictionaryPageSizeLimit(o.DictPageSize),
		parquet.WithMaxRowGroupLength(1<<40),
		parquet.WithCreatedBy(o.CreatedBy),
		parquet.WithRootName(o.RootName),
		parquet.WithStats(true),
	)
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(o.Mem))
	fw, err := pqarrow.NewFileWriter(schema, noClose{w}, props, aprops)
	if err != nil {
		return nil, fmt.Errorf("start parquet file: %w", err)
	}
	return &Writer{fw: fw, target: o.RowGroupTarget}, nil
}

// Write adds a batch to the current row group and starts a new row group
// once the current one reaches the target size.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if err := w.fw.WriteBuffered(rec); err != nil {
		return fmt.Errorf("write parquet row group: %w", err)
	}
	w.rows += rec.NumRows()
	if w.RowGroupBytes() >= w.target {
		return w.CutRowGroup()
	}
	return nil
}

// RowGroupBytes returns the encoded bytes of the current row group.
func (w *Writer) RowGroupBytes() int64 { return w.fw.RowGroupTotalBytesWritten() }

// CutRowGroup writes the current row group out; the next batch starts a new one.
func (w *Writer) CutRowGroup() error {
	if n, _ := w.fw.RowGroupNumRows(); n == 0 {
		return nil
	}
	if err := w.fw.NewBufferedRowGroupChecked(); err != nil {
		return fmt.Errorf("write parquet row group: %w", err)
	}
	w.groups++
	return nil
}

// Rows returns the rows written.
func (w *Writer) Rows() int64 { return w.rows }

// Close writes the last row group and the footer.
func (w *Writer) Close() error {
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("write parquet footer: %w", err)
	}
	return nil
}

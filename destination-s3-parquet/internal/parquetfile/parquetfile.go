// Package parquetfile writes Arrow record batches as one Parquet file into
// an io.Writer with pqarrow: the configured codec, page and dictionary
// settings, one row group per batch. Each row group is encoded, compressed
// and written out at once, so no column writer outlives a call and memory
// is the Arrow batch plus the pages of one column chunk.
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
	Codec        compress.Compression
	PageSize     int64
	DictPageSize int64
	Dictionary   bool
	CreatedBy    string
	RootName     string
	Mem          memory.Allocator
	// NoDictionary lists columns written without a dictionary even when
	// Dictionary is set (see HighCardinalityColumns).
	NoDictionary []string
	// Delta writes the values not dictionary-encoded with the delta
	// encodings of parquet-mr's PARQUET_2_0 writer: DELTA_BINARY_PACKED
	// for INT32 and INT64 columns (integers, dates, times, timestamps),
	// DELTA_BYTE_ARRAY for BYTE_ARRAY ones (strings, JSON, binary).
	// Floats, decimals and booleans stay PLAIN. Smaller files, but some
	// readers cannot read them (Athena engine 2, Presto, Spark before
	// 3.3's vectorized reader, so Glue 3.0).
	Delta bool
}

// Writer is one Parquet file being written.
type Writer struct {
	fw *pqarrow.FileWriter
}

// noClose hides the sink's Close (pqarrow closes a sink that has one).
type noClose struct{ w io.Writer }

func (n noClose) Write(p []byte) (int, error) { return n.w.Write(p) }

// New starts a file with schema on w.
func New(schema *arrow.Schema, w io.Writer, o Options) (*Writer, error) {
	wp := []parquet.WriterProperty{
		parquet.WithAllocator(o.Mem),
		parquet.WithCompression(o.Codec),
		parquet.WithDataPageSize(o.PageSize),
		parquet.WithDictionaryDefault(o.Dictionary),
		parquet.WithDictionaryPageSizeLimit(o.DictPageSize),
		parquet.WithMaxRowGroupLength(1 << 40),
		parquet.WithCreatedBy(o.CreatedBy),
		parquet.WithRootName(o.RootName),
		parquet.WithStats(true),
	}
	if o.Dictionary {
		for _, c := range o.NoDictionary {
			if c != "" {
				wp = append(wp, parquet.WithDictionaryFor(c, false))
			}
		}
	}
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(o.Mem))
	if o.Delta {
		enc, err := deltaEncodings(schema, o.RootName, aprops)
		if err != nil {
			return nil, err
		}
		wp = append(wp, enc...)
	}
	props := parquet.NewWriterProperties(wp...)
	fw, err := pqarrow.NewFileWriter(schema, noClose{w}, props, aprops)
	if err != nil {
		return nil, fmt.Errorf("start parquet file: %w", err)
	}
	return &Writer{fw: fw}, nil
}

// deltaEncodings returns the Delta option's encoding of each column.
func deltaEncodings(schema *arrow.Schema, root string, aprops pqarrow.ArrowWriterProperties) ([]parquet.WriterProperty, error) {
	sc, err := pqarrow.ToParquet(schema, parquet.NewWriterProperties(parquet.WithRootName(root)), aprops)
	if err != nil {
		return nil, fmt.Errorf("start parquet file: %w", err)
	}
	var wp []parquet.WriterProperty
	for i := 0; i < sc.NumColumns(); i++ {
		c := sc.Column(i)
		switch c.PhysicalType() {
		case parquet.Types.Int32, parquet.Types.Int64:
			wp = append(wp, parquet.WithEncodingPath(c.ColumnPath(), parquet.Encodings.DeltaBinaryPacked))
		case parquet.Types.ByteArray:
			wp = append(wp, parquet.WithEncodingPath(c.ColumnPath(), parquet.Encodings.DeltaByteArray))
		}
	}
	return wp, nil
}

// Write writes a batch as one row group.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("write parquet row group: %w", err)
	}
	return nil
}

// Close writes the footer.
func (w *Writer) Close() error {
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("write parquet footer: %w", err)
	}
	return nil
}

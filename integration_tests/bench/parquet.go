package bench

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// OutputInfo sums the Parquet files under a folder.
type OutputInfo struct {
	Files     int
	Bytes     int64
	Rows      int64
	RowGroups int
}

// ParquetSummary walks dir and reads the footer of every Parquet file in
// it (files are recognised by their magic bytes, not their names).
func ParquetSummary(dir string) (OutputInfo, error) {
	var info OutputInfo
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ok, err := isParquet(path)
		if err != nil || !ok {
			return err
		}
		r, err := file.OpenParquetFile(path, false)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		defer r.Close()
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		info.Files++
		info.Bytes += st.Size()
		info.Rows += r.NumRows()
		info.RowGroups += r.NumRowGroups()
		return nil
	})
	return info, err
}

func isParquet(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return false, nil
	}
	return bytes.Equal(head, []byte("PAR1")), nil
}

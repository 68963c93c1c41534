package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	pqfile "github.com/apache/arrow-go/v18/parquet/file"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// TestSizeReport writes SIZE_ROWS (default 1M) records of the bench's
// narrow table (integration_tests/bench/tables.go: id sequential, a, b, c
// random, as the source emits them, about 1,000 records per emitted_at ms)
// through the whole write path (protocol reader, appenders, the Parquet
// writer with the default config: SNAPPY, dictionaries, row groups sized
// by the memory budget) into the fake S3, then prints each column's
// compressed size (column chunk total_compressed_size summed over row
// groups) and encodings, and the file size. It is a measurement, skipped
// under -short:
//
//	go test ./internal/destination/ -run TestSizeReport -count=1 -v
//
// SIZE_FORMAT adds format settings as JSON, e.g. {"delta_encoding":true}.
func TestSizeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	rows := 1_000_000
	if v := os.Getenv("SIZE_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	format := map[string]any{"format_type": "Parquet"}
	if v := os.Getenv("SIZE_FORMAT"); v != "" {
		if err := json.Unmarshal([]byte(v), &format); err != nil {
			t.Fatal(err)
		}
	}
	srv := s3test.Start(t)
	dir := t.TempDir()
	cfg := writeJSON(t, dir, "config.json", srv.Config(map[string]any{"format": format}))
	cat := writeJSON(t, dir, "catalog.json", catalog(catalogStream{name: "narrow", namespace: "bench", schema: narrowSchema}))
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(1, 1))
		var b []byte
		for i := int64(0); i < int64(rows); i++ {
			b = narrowRecord(b[:0], rng, i)
			if _, err := pw.Write(b); err != nil {
				return
			}
		}
		pw.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	code := airbytecli.RunDestination(ctx, New("test"), airbytecli.Options{Name: "destination-s3-parquet"},
		[]string{"destination-s3-parquet", "write", "--config", cfg, "--catalog", cat}, pr, io.Discard, &stderr)
	pr.Close()
	if code != 0 {
		t.Fatalf("write exit %d: %s", code, stderr.Bytes())
	}
	keys := parquetKeys(t, srv, "airbyte/raw/bench/narrow/")
	if len(keys) == 0 {
		t.Fatal("no file written")
	}
	local := srv.Download(t, keys)
	var paths []string
	for _, k := range keys {
		paths = append(paths, local[k])
	}
	reportSizes(t, paths)
}

// narrowRecord appends row i of the bench's narrow table as a RECORD line.
func narrowRecord(b []byte, rng *rand.Rand, i int64) []byte {
	b = append(b, `{"type":"RECORD","record":{"namespace":"bench","stream":"narrow","emitted_at":`...)
	b = strconv.AppendInt(b, 1764123456789+i/1000, 10)
	b = append(b, `,"data":{"id":`...)
	b = strconv.AppendInt(b, i+1, 10)
	b = append(b, `,"a":`...)
	b = strconv.AppendInt(b, rng.Int64N(1_000_000_000_000), 10)
	b = append(b, `,"b":`...)
	b = strconv.AppendInt(b, int64(rng.Int32()), 10)
	b = append(b, `,"c":`...)
	b = strconv.AppendInt(b, 1_600_000_000_000+i*37+rng.Int64N(37), 10)
	return append(b, "}}}\n"...)
}

// columnSize is one column's share of the files.
type columnSize struct {
	path      string
	bytes     int64
	encodings map[string]bool
}

// reportSizes prints the per-column compressed sizes of Parquet files.
func reportSizes(t *testing.T, paths []string) (total int64, cols []columnSize) {
	t.Helper()
	var rowsN int64
	groups := 0
	for _, p := range paths {
		r, err := pqfile.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		md := r.MetaData()
		rowsN += md.NumRows
		for g := 0; g < md.NumRowGroups(); g++ {
			groups++
			rg := md.RowGroup(g)
			for c := 0; c < rg.NumColumns(); c++ {
				cc, err := rg.ColumnChunk(c)
				if err != nil {
					t.Fatal(err)
				}
				if c >= len(cols) {
					cols = append(cols, columnSize{path: cc.PathInSchema().String(), encodings: map[string]bool{}})
				}
				cols[c].bytes += cc.TotalCompressedSize()
				for _, e := range cc.Encodings() {
					cols[c].encodings[e.String()] = true
				}
			}
		}
		r.Close()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
	}
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "column\tMiB\tbytes/row\tencodings\t\n")
	for _, c := range cols {
		var enc []string
		for e := range c.encodings {
			enc = append(enc, e)
		}
		sort.Strings(enc)
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%s\t\n", c.path, float64(c.bytes)/(1<<20), float64(c.bytes)/float64(max(rowsN, 1)), strings.Join(enc, ","))
	}
	fmt.Fprintf(tw, "file(s)\t%.2f\t%.2f\t%d rows, %d row groups, %d file(s), %.1f MB\t\n", float64(total)/(1<<20), float64(total)/float64(max(rowsN, 1)),
		rowsN, groups, len(paths), float64(total)/1e6)
	tw.Flush()
	t.Logf("%s:\n%s", filepath.Base(paths[0]), sb.String())
	return total, cols
}

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
	"runtime"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// BenchmarkWriteInProcess runs write in this process (for profiles:
// -cpuprofile, -memprofile); the fake S3 shares the process, so use the
// binary benchmark in the module root for throughput and RSS figures.
func BenchmarkWriteInProcess(b *testing.B) {
	n := 200_000
	if v := os.Getenv("BENCH_RECORDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var input []byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		input = s3test.AppendStoreRecord(input, rng, "store", i)
	}
	input = append(input, `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store","namespace":"radar"},"stream_state":{"pk":1}},"id":1}}`+"\n"...)
	srv := s3test.Start(b)
	dir := b.TempDir()
	cfg, _ := json.Marshal(srv.Config(nil))
	cat, _ := json.Marshal(catalog(catalogStream{name: "store", namespace: "radar", schema: s3test.StoreSchema}))
	os.WriteFile(filepath.Join(dir, "c.json"), cfg, 0o600)
	os.WriteFile(filepath.Join(dir, "k.json"), cat, 0o600)
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		code := airbytecli.RunDestination(context.Background(), New("bench"), airbytecli.Options{Name: "d"},
			[]string{"d", "write", "--config", filepath.Join(dir, "c.json"), "--catalog", filepath.Join(dir, "k.json")},
			bytes.NewReader(input), io.Discard, os.Stderr)
		if code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/record")
}

// BenchmarkConvert measures the per-record path without S3: protocol
// reader, appenders into Arrow, a Parquet row group per 64Ki records
// (SNAPPY) into io.Discard. It reports allocations per record. "fields" is
// the write path (the reader locates each record's fields, the appenders
// convert them); "raw" converts the raw data as staged records are.
func BenchmarkConvert(b *testing.B) {
	const n = 100_000
	var store, narrow []byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		store = s3test.AppendStoreRecord(store, rng, "store", i)
	}
	for i := 0; i < 4*n; i++ {
		narrow = fmt.Appendf(narrow, `{"type":"RECORD","record":{"namespace":"radar","stream":"narrow","emitted_at":%d,"data":{"id":%d,"a":%d,"b":%d,"c":%d}}}`+"\n",
			1764123456789+int64(i/1000), i+1, rng.Int64N(1_000_000_000_000), rng.Int32(), 1_600_000_000_000+int64(i)*37+rng.Int64N(37))
	}
	b.Run("fields", func(b *testing.B) { benchmarkConvert(b, false, store, s3test.StoreSchema, n, arrowschema.Current) })
	b.Run("raw", func(b *testing.B) { benchmarkConvert(b, true, store, s3test.StoreSchema, n, arrowschema.Current) })
	b.Run("narrow", func(b *testing.B) { benchmarkConvert(b, false, narrow, narrowSchema, 4*n, arrowschema.Current) })
	// The 0.3.x layout: its DOUBLE columns check each value's round trip.
	b.Run("legacy", func(b *testing.B) { benchmarkConvert(b, false, store, s3test.StoreSchema, n, arrowschema.Legacy) })
}

// narrowSchema is the bench's narrow table (an integer key and 3 integers).
const narrowSchema = `{"type":"object","properties":{"id":{"type":"integer"},"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}}`

func benchmarkConvert(b *testing.B, noIndex bool, input []byte, schema string, n int, layout arrowschema.Layout) {
	stream, err := arrowschema.Resolve([]byte(schema), layout)
	if err != nil {
		b.Fatal(err)
	}
	pool := newPoolAllocator(8 << 20)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := appender.New(pool, stream, appender.Options{})
		var pw *parquetfile.Writer
		write := func() {
			batch := rec.NewRecordBatch()
			defer batch.Release()
			if pw == nil { // as the destination does: dictionaries chosen from the first row group
				var err error
				pw, err = parquetfile.New(stream.Schema, io.Discard, parquetfile.Options{
					Codec: compress.Codecs.Snappy, PageSize: 1 << 20, DictPageSize: 1 << 20, Dictionary: true, Mem: pool,
					NoDictionary: parquetfile.HighCardinalityColumns(batch),
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if err := pw.Write(batch); err != nil {
				b.Fatal(err)
			}
		}
		r := protocol.NewReader(bytes.NewReader(input))
		r.IndexRecordData(!noIndex)
		for {
			env, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if noIndex {
				rec.Append(env.Record.Data, env.Record.EmittedAt, env.Record.Meta)
			} else {
				rec.AppendRecord(&env.Record)
			}
			if rec.Rows() == 65536 {
				write()
			}
		}
		write()
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/record")
	runtime.KeepAlive(input)
}

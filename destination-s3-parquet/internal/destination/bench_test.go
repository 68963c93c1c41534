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
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
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
		write, closeFile := discardWriter(b, stream, pool, rec)
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
		closeFile()
		rec.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/record")
	runtime.KeepAlive(input)
}

// BenchmarkConvertProto is BenchmarkConvert's store and narrow cases with
// the records as data-channel protobuf frames (socket mode, PROTOBUF):
// frame reader, Parse, AppendProto, Parquet into io.Discard. Against
// BenchmarkConvert it shows what protobuf saves (or costs) per record.
func BenchmarkConvertProto(b *testing.B) {
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
	b.Run("store", func(b *testing.B) {
		benchmarkConvertProto(b, framesOf(b, store, s3test.StoreSchema), s3test.StoreSchema, n)
	})
	b.Run("narrow", func(b *testing.B) { benchmarkConvertProto(b, framesOf(b, narrow, narrowSchema), narrowSchema, 4*n) })
}

// framesOf re-encodes JSON RECORD lines as protobuf frames, each value
// typed from the schema as the source's ProtoRow types it.
func framesOf(b *testing.B, lines []byte, schema string) []byte {
	var sch struct {
		Properties map[string]struct {
			Type        any    `json:"type"`
			Format      string `json:"format"`
			AirbyteType string `json:"airbyte_type"`
			Precision   int    `json:"precision"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(schema), &sch); err != nil {
		b.Fatal(err)
	}
	var names []string
	for k := range sch.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []byte
	var e datachannel.RecordEncoder
	prefix := datachannel.NewStreamPrefix("radar", "bench")
	for _, line := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var m struct {
			Record struct {
				EmittedAt int64                      `json:"emitted_at"`
				Data      map[string]json.RawMessage `json:"data"`
			} `json:"record"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			b.Fatal(err)
		}
		e.Begin(prefix, m.Record.EmittedAt, []byte("abcd"))
		for _, name := range names {
			raw, p := m.Record.Data[name], sch.Properties[name]
			if len(raw) == 0 || string(raw) == "null" {
				e.Null()
				continue
			}
			typ := fmt.Sprint(p.Type)
			var s string
			_ = json.Unmarshal(raw, &s)
			switch {
			case p.AirbyteType == "integer" || strings.Contains(typ, "integer"):
				v, _ := strconv.ParseInt(string(raw), 10, 64)
				e.Integer(v)
			case strings.Contains(typ, "boolean"):
				e.Bool(string(raw) == "true")
			case strings.Contains(typ, "number") && p.Precision > 0:
				e.BigDecimal(raw)
			case strings.Contains(typ, "number"):
				v, _ := strconv.ParseFloat(string(raw), 64)
				e.Number(v)
			case p.Format == "date":
				t, _ := time.Parse("2006-01-02", s)
				e.Date(t.Unix() / 86400)
			case p.AirbyteType == "timestamp_without_timezone":
				t, _ := time.Parse("2006-01-02T15:04:05.999999", s)
				days := t.Unix() / 86400
				e.TimestampWithoutTimezone(days, uint64(t.Sub(time.Unix(days*86400, 0).UTC())))
			case p.AirbyteType == "timestamp_with_timezone":
				t, _ := time.Parse(time.RFC3339Nano, s)
				e.TimestampWithTimezone(t.Unix(), uint32(t.Nanosecond()), 0)
			case p.AirbyteType == "time_without_timezone":
				t, _ := time.Parse("15:04:05.999999", s)
				e.TimeWithoutTimezone(uint64(t.Hour()*3600+t.Minute()*60+t.Second())*1e9 + uint64(t.Nanosecond()))
			default:
				e.String([]byte(s))
			}
		}
		out = append(out, e.Finish()...)
	}
	return out
}

func benchmarkConvertProto(b *testing.B, frames []byte, schema string, n int) {
	stream, err := arrowschema.Resolve([]byte(schema), arrowschema.Current)
	if err != nil {
		b.Fatal(err)
	}
	pool := newPoolAllocator(8 << 20)
	b.SetBytes(int64(len(frames)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := appender.New(pool, stream, appender.Options{})
		write, closeFile := discardWriter(b, stream, pool, rec)
		fr := datachannel.NewFrameReader(bytes.NewReader(frames), 256<<10)
		for {
			f, err := fr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			m, err := datachannel.Parse(f)
			if err != nil {
				b.Fatal(err)
			}
			if err := rec.AppendProto(&m.Record); err != nil {
				b.Fatal(err)
			}
			if rec.Rows() == 65536 {
				write()
			}
		}
		write()
		closeFile()
		rec.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/record")
}

// discardWriter returns write, which hands rec's rows to a Parquet writer
// into io.Discard as a row group, and closeFile. The writer is created at
// the first row group, as the destination does: dictionaries are chosen
// from it.
func discardWriter(b *testing.B, stream *arrowschema.Stream, pool memory.Allocator, rec *appender.Record) (write, closeFile func()) {
	var pw *parquetfile.Writer
	write = func() {
		batch := rec.NewRecordBatch()
		defer batch.Release()
		if pw == nil {
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
	closeFile = func() {
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return write, closeFile
}

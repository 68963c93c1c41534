package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
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

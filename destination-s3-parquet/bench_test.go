package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

var benchFiles sync.Map

// storeInput writes (once per run) n records spread round-robin over
// streams streams, with a STATE per stream every 10,000 of its records.
func storeInput(b *testing.B, n, streams int) (string, map[string]any) {
	key := fmt.Sprint(n, "/", streams)
	var cat []any
	for s := 0; s < streams; s++ {
		cat = append(cat, map[string]any{
			"stream":    map[string]any{"name": streamName(s, streams), "namespace": "radar", "json_schema": json.RawMessage(s3test.StoreSchema), "supported_sync_modes": []string{"full_refresh"}},
			"sync_mode": "full_refresh", "destination_sync_mode": "append",
		})
	}
	catalog := map[string]any{"streams": cat}
	if p, ok := benchFiles.Load(key); ok {
		return p.(string), catalog
	}
	dir := os.Getenv("BENCH_CACHE")
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("radar-store-%d-%d.jsonl", n, streams))
	if _, err := os.Stat(path); err != nil {
		f, err := os.Create(path + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		var line []byte
		perStream := make([]int, streams)
		for i := 0; i < n; i++ {
			s := i % streams
			line = s3test.AppendStoreRecord(line[:0], rng, streamName(s, streams), i)
			w.Write(line)
			perStream[s]++
			if perStream[s]%10000 == 0 {
				fmt.Fprintf(w, `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"%s","namespace":"radar"},"stream_state":{"pk":%d}},"id":%d}}`+"\n", streamName(s, streams), i, i)
			}
		}
		for s := 0; s < streams; s++ {
			fmt.Fprintf(w, `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"%s","namespace":"radar"},"stream_state":{"pk":"end"}},"id":%d}}`+"\n", streamName(s, streams), n+s)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if err := os.Rename(path+".tmp", path); err != nil {
			b.Fatal(err)
		}
	}
	benchFiles.Store(key, path)
	if os.Getenv("BENCH_CACHE") == "" {
		b.Cleanup(func() { os.Remove(path) })
	}
	return path, catalog
}

func streamName(s, streams int) string {
	if streams == 1 {
		return "store"
	}
	return fmt.Sprintf("store_%02d", s)
}

// BenchmarkWrite runs the built binary on GOMAXPROCS=1 against an
// in-process gofakes3, feeding a generated JSONL file on stdin, and
// reports records/s, CPU ns per record and the child's peak RSS.
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 1x .
func BenchmarkWrite(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("BENCH_RECORDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Skip("needs /usr/bin/time (Debian package time) to measure the child's CPU time and peak RSS")
	}
	for _, streams := range []int{1, 80} {
		b.Run(fmt.Sprintf("store24/streams=%d", streams), func(b *testing.B) {
			input, cat := storeInput(b, n, streams)
			runWriteBench(b, input, cat, n, streams)
		})
	}
}

// BenchmarkWriteNarrow is BenchmarkWrite on the bench's narrow shape (an
// integer key and 3 integers, the envelope the source writes), where the
// envelope and the raw id column dominate.
//
//	go test -run '^$' -bench BenchmarkWriteNarrow -benchtime 2x .
func BenchmarkWriteNarrow(b *testing.B) {
	n := 2_000_000
	if v := os.Getenv("BENCH_RECORDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Skip("needs /usr/bin/time (Debian package time) to measure the child's CPU time and peak RSS")
	}
	input, cat := narrowInput(b, n)
	runWriteBench(b, input, cat, n, 1)
}

// narrowSchema is the narrow table as the source describes it.
const narrowSchema = `{"type":"object","properties":{"id":{"type":"integer"},"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}}`

// narrowInput writes (once per run) n narrow records as the source writes
// them, with a STATE every 10,000.
func narrowInput(b *testing.B, n int) (string, map[string]any) {
	catalog := map[string]any{"streams": []any{map[string]any{
		"stream":    map[string]any{"name": "narrow", "namespace": "radar", "json_schema": json.RawMessage(narrowSchema), "supported_sync_modes": []string{"full_refresh"}},
		"sync_mode": "full_refresh", "destination_sync_mode": "append",
	}}}
	dir := os.Getenv("BENCH_CACHE")
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("radar-narrow-%d.jsonl", n))
	if _, err := os.Stat(path); err != nil {
		f, err := os.Create(path + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, `{"type":"RECORD","record":{"namespace":"radar","stream":"narrow","emitted_at":%d,"data":{"id":%d,"a":%d,"b":%d,"c":%d}}}`+"\n",
				1764123456789+int64(i/1000), i+1, rng.Int64N(1_000_000_000_000), rng.Int32(), 1_600_000_000_000+int64(i)*37+rng.Int64N(37))
			if (i+1)%10000 == 0 {
				fmt.Fprintf(w, `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"narrow","namespace":"radar"},"stream_state":{"pk":%d}},"id":%d}}`+"\n", i, i)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if err := os.Rename(path+".tmp", path); err != nil {
			b.Fatal(err)
		}
	}
	if os.Getenv("BENCH_CACHE") == "" {
		b.Cleanup(func() { os.Remove(path) })
	}
	return path, catalog
}

// runWriteBench runs the binary b.N times on input and reports records/s,
// CPU ns per record and the child's peak RSS.
func runWriteBench(b *testing.B, input string, cat map[string]any, n, streams int) {
	srv := s3test.Start(b)
	cfgPath := filepath.Join(b.TempDir(), "config.json")
	cfgJSON, _ := json.Marshal(srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY"}}))
	os.WriteFile(cfgPath, cfgJSON, 0o600)
	catPath := filepath.Join(b.TempDir(), "catalog.json")
	catJSON, _ := json.Marshal(cat)
	os.WriteFile(catPath, catJSON, 0o600)
	// BENCH_BINARIES=old,new compares binaries built elsewhere: each
	// iteration runs each of them in turn (so both see the same machine),
	// and each gets its own metrics, suffixed with its index.
	bins := []string{binary}
	if v := os.Getenv("BENCH_BINARIES"); v != "" {
		bins = strings.Split(v, ",")
	}
	wall := make([]time.Duration, len(bins))
	cpu := make([]time.Duration, len(bins))
	maxRSS := make([]int64, len(bins))
	b.ResetTimer()
	for i := 0; i < b.N*len(bins); i++ {
		bi := i % len(bins)
		f, err := os.Open(input)
		if err != nil {
			b.Fatal(err)
		}
		// The child's own figures come from /usr/bin/time: the
		// rusage Go gets from wait4 starts from this process's peak
		// RSS (the child is spawned sharing our memory until exec).
		cmd := exec.Command("/usr/bin/time", "-f", "%U %S %M", bins[bi], "write", "--config", cfgPath, "--catalog", catPath)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.Stdin = f
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err = cmd.Run()
		wall[bi] += time.Since(start)
		f.Close()
		if err != nil {
			b.Fatalf("write: %v\n%s\n%s", err, tail(out.String()), tail(errb.String()))
		}
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		var user, sys float64
		var rssKB int64
		if _, err := fmt.Sscanf(lines[len(lines)-1], "%f %f %d", &user, &sys, &rssKB); err != nil {
			b.Fatalf("parse /usr/bin/time output %q: %v", lines[len(lines)-1], err)
		}
		cpu[bi] += time.Duration((user + sys) * float64(time.Second))
		maxRSS[bi] = max(maxRSS[bi], rssKB*1024)
		if got := strings.Count(out.String(), `"type":"STATE"`); got < streams {
			b.Fatalf("%d states echoed", got)
		}
	}
	b.StopTimer()
	recs := float64(n) * float64(b.N)
	for bi := range bins {
		suffix := ""
		if len(bins) > 1 {
			suffix = fmt.Sprint("-", bi)
		}
		b.ReportMetric(recs/wall[bi].Seconds(), "records/s"+suffix)
		b.ReportMetric(float64(cpu[bi].Nanoseconds())/recs, "cpu-ns/record"+suffix)
		b.ReportMetric(float64(maxRSS[bi])/(1<<20), "peak-RSS-MB"+suffix)
	}
	b.ReportMetric(0, "ns/op")
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStreamOf(t *testing.T) {
	for line, want := range map[string]string{
		`{"type":"RECORD","record":{"namespace":"db","stream":"store80_01","emitted_at":1,"data":{"name":"x"}}}`:                  "store80_01",
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store80_02","namespace":"db"}}}}`:        "store80_02",
		`{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"stream_descriptor":{"name":"a"},"status":"STARTED"}}}`: "a",
		`{"type":"LOG","log":{"level":"INFO","message":"hello"}}`:                                                                 "",
	} {
		if got := string(streamOf([]byte(line))); got != want {
			t.Errorf("streamOf(%s) = %q, want %q", line, got, want)
		}
	}
}

func TestInterleave(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	in.WriteString(`{"type":"LOG","log":{"level":"INFO","message":"start"}}` + "\n")
	counts := map[string]int{"a": 3, "b": 1, "c": 2}
	for _, s := range []string{"a", "b", "c"} {
		fmt.Fprintf(&in, `{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"stream_descriptor":{"name":"%s"},"status":"STARTED"}}}`+"\n", s)
		for i := range counts[s] {
			fmt.Fprintf(&in, `{"type":"RECORD","record":{"stream":"%s","data":{"i":%d}}}`+"\n", s, i)
		}
	}
	src, dst := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(src, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Interleave(src, dst, dir); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		s := string(streamOf([]byte(l)))
		if strings.Contains(l, `"RECORD"`) {
			s += strings.TrimSuffix(l[strings.Index(l, `"i":`)+4:], "}}}")
		} else if s != "" {
			s += "!"
		} else {
			s = "log"
		}
		got = append(got, s)
	}
	want := "log a! b! c! a0 b0 c0 a1 c1 a2"
	if strings.Join(got, " ") != want {
		t.Errorf("interleaved order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

// result is what one command printed.
type result struct {
	code   int
	stdout []byte
	stderr []byte
	msgs   []protocol.Message
}

func writeJSON(t testing.TB, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a destination command in-process through the command frame and
// validates every printed line against the protocol schema.
func run(t testing.TB, ctx context.Context, args []string, stdin io.Reader) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := airbytecli.RunDestination(ctx, New("test"), airbytecli.Options{Name: "destination-s3-parquet", Version: "test"},
		append([]string{"destination-s3-parquet"}, args...), stdin, &out, &errb)
	r := result{code: code, stdout: out.Bytes(), stderr: errb.Bytes()}
	r.msgs = protocoltest.ValidateOutput(t, r.stdout)
	for _, b := range [][]byte{r.stdout, r.stderr} {
		if bytes.Contains(b, []byte(s3test.SecretKey)) || bytes.Contains(b, []byte(s3test.AccessKey)) {
			t.Errorf("output contains a secret:\n%s", b)
		}
	}
	return r
}

// write runs write with a config and catalog on input.
func write(t testing.TB, cfg map[string]any, cat any, input string) result {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return run(t, ctx, []string{"write", "--config", writeJSON(t, dir, "config.json", cfg), "--catalog", writeJSON(t, dir, "catalog.json", cat)}, strings.NewReader(input))
}

func check(t testing.TB, cfg map[string]any) result {
	t.Helper()
	dir := t.TempDir()
	return run(t, context.Background(), []string{"check", "--config", writeJSON(t, dir, "config.json", cfg)}, nil)
}

// stateLines returns the STATE lines printed, as raw JSON.
func stateLines(r result) []string {
	var out []string
	for _, l := range strings.Split(string(r.stdout), "\n") {
		var m struct{ Type string }
		if json.Unmarshal([]byte(l), &m) == nil && m.Type == "STATE" {
			out = append(out, l)
		}
	}
	return out
}

func traceError(r result) *protocol.ErrorTrace {
	for _, m := range r.msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError {
			return m.Trace.Error
		}
	}
	return nil
}

// catalogStream describes one configured stream for tests.
type catalogStream struct {
	name, namespace string
	schema          string
	mode            string
	generation      *int64
	minGeneration   *int64
	syncID          *int64
	primaryKey      [][]string
	cursor          []string
}

func catalog(streams ...catalogStream) map[string]any {
	var out []any
	for _, s := range streams {
		st := map[string]any{"name": s.name, "json_schema": json.RawMessage(s.schema), "supported_sync_modes": []string{"full_refresh", "incremental"}}
		if s.namespace != "" {
			st["namespace"] = s.namespace
		}
		mode := s.mode
		if mode == "" {
			mode = "append"
		}
		cs := map[string]any{"stream": st, "sync_mode": "full_refresh", "destination_sync_mode": mode}
		if s.generation != nil {
			cs["generation_id"] = *s.generation
		}
		if s.minGeneration != nil {
			cs["minimum_generation_id"] = *s.minGeneration
		}
		if s.syncID != nil {
			cs["sync_id"] = *s.syncID
		}
		if s.primaryKey != nil {
			cs["primary_key"] = s.primaryKey
		}
		if s.cursor != nil {
			cs["sync_mode"], cs["cursor_field"] = "incremental", s.cursor
		}
		out = append(out, cs)
	}
	return map[string]any{"streams": out}
}

func i64(v int64) *int64 { return &v }

// recordLine builds a RECORD line.
func recordLine(ns, stream, data string, emittedAt int64) string {
	m := map[string]any{"stream": stream, "data": json.RawMessage(data), "emitted_at": emittedAt}
	if ns != "" {
		m["namespace"] = ns
	}
	b, _ := json.Marshal(map[string]any{"type": "RECORD", "record": m})
	return string(b) + "\n"
}

// streamState builds a STREAM STATE line with a platform id.
func streamState(ns, stream string, id int, cursor string) string {
	d := map[string]any{"name": stream}
	if ns != "" {
		d["namespace"] = ns
	}
	b, _ := json.Marshal(map[string]any{"type": "STATE", "state": map[string]any{
		"type": "STREAM", "stream": map[string]any{"stream_descriptor": d, "stream_state": map[string]any{"cursor": cursor}},
		"sourceStats": map[string]any{"recordCount": 1.5}, "id": id,
	}})
	return string(b) + "\n"
}

// parquetKeys returns the keys of Parquet objects (not markers) under prefix.
func parquetKeys(t testing.TB, srv *s3test.Server, prefix string) []string {
	var out []string
	for _, k := range srv.Keys(t, prefix) {
		if !strings.HasSuffix(k, "/_SUCCESS") && !strings.Contains(k, "_airbyte_connection_test_") {
			out = append(out, k)
		}
	}
	return out
}

// readAll downloads the objects and returns the DuckDB read_parquet source.
func readSource(t testing.TB, srv *s3test.Server, keys []string) string {
	t.Helper()
	if len(keys) == 0 {
		t.Fatal("no objects to read")
	}
	local := srv.Download(t, keys)
	var paths []string
	for _, k := range keys {
		paths = append(paths, local[k])
	}
	return "read_parquet(" + s3test.FileList(paths) + ")"
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/destination"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

var binary string

// TestMain builds the connector binary the way the Makefile does.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "destination-s3-parquet-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "destination-s3-parquet")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=test-binary", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeFile(t *testing.T, name string, v any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runBinary runs the built binary with stdin piped from input and checks
// every stdout line against the protocol schema.
func runBinary(t *testing.T, input string, args ...string) (int, []byte) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	protocoltest.ValidateOutput(t, out.Bytes())
	for _, b := range [][]byte{out.Bytes(), errb.Bytes()} {
		if bytes.Contains(b, []byte(s3test.SecretKey)) {
			t.Errorf("a secret was printed:\n%s", b)
		}
	}
	return code, out.Bytes()
}

func TestBinarySpecCheckWrite(t *testing.T) {
	srv := s3test.Start(t)
	code, out := runBinary(t, "", "spec")
	if code != 0 || !bytes.Contains(out, []byte(`"supported_destination_sync_modes":["overwrite","append","append_dedup"]`)) {
		t.Fatalf("spec: exit %d\n%s", code, out)
	}
	cfg := writeFile(t, "config.json", srv.Config(nil))
	if code, out := runBinary(t, "", "check", "--config", cfg); code != 0 || !bytes.Contains(out, []byte(`"status":"SUCCEEDED"`)) {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	cat := writeFile(t, "catalog.json", map[string]any{"streams": []any{map[string]any{
		"stream":                map[string]any{"name": "users", "namespace": "radar", "json_schema": json.RawMessage(`{"type":"object","properties":{"id":{"type":"integer"},"at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}}}`), "supported_sync_modes": []string{"full_refresh"}},
		"sync_mode":             "full_refresh",
		"destination_sync_mode": "overwrite", "generation_id": 1, "minimum_generation_id": 1, "sync_id": 77,
	}}})
	var in strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&in, `{"type":"RECORD","record":{"namespace":"radar","stream":"users","data":{"id":%d,"at":"2024-05-06T07:08:09Z"},"emitted_at":1700000000000}}`+"\n", i)
	}
	in.WriteString(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users","namespace":"radar"},"stream_state":{"pk":999}},"id":12}}` + "\n")
	code, out = runBinary(t, in.String(), "write", "--config", cfg, "--catalog", cat)
	if code != 0 || !bytes.Contains(out, []byte(`"id":12,"destinationStats":{"recordCount":1000.0}`)) {
		t.Fatalf("write: exit %d\n%s", code, out)
	}
	keys := srv.Keys(t, "airbyte/raw/radar/users/")
	if len(keys) != 2 { // one file and its _SUCCESS marker
		t.Fatalf("keys = %v", keys)
	}
	var data string
	for _, k := range keys {
		if strings.HasSuffix(k, ".parquet") {
			data = k
		}
	}
	db := s3test.DuckDB(t)
	local := srv.Download(t, []string{data})
	got := s3test.Query(t, db, "SELECT count(*), sum(id), max(_airbyte_meta.sync_id) FROM read_parquet('"+local[data]+"')")[0]
	if strings.Join(got, ",") != "1000,499500,77" {
		t.Errorf("rows = %v", got)
	}
	created := s3test.Query(t, db, "SELECT DISTINCT created_by FROM parquet_file_metadata('"+local[data]+"')")[0][0]
	if !strings.Contains(created, "test-binary") {
		t.Errorf("created_by = %q", created)
	}
}

// TestBinarySIGTERM: the process stops promptly on SIGTERM with exit 143
// and leaves no multipart upload behind.
func TestBinarySIGTERM(t *testing.T) {
	srv := s3test.Start(t)
	cfg := writeFile(t, "config.json", srv.Config(map[string]any{"upload_part_size_mb": 5,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1}}))
	cat := writeFile(t, "catalog.json", map[string]any{"streams": []any{map[string]any{
		"stream":    map[string]any{"name": "blobs", "json_schema": json.RawMessage(`{"type":"object","properties":{"payload":{"type":"string"}}}`), "supported_sync_modes": []string{"full_refresh"}},
		"sync_mode": "full_refresh", "destination_sync_mode": "append",
	}}})
	cmd := exec.Command(binary, "write", "--config", cfg, "--catalog", cat)
	stdin, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	payload := strings.Repeat("0123456789abcdef", 64)
	go func() {
		for i := 0; ; i++ {
			line := fmt.Sprintf(`{"type":"RECORD","record":{"stream":"blobs","data":{"payload":"%d%s"},"emitted_at":1}}`+"\n", i, payload)
			if _, err := io.WriteString(stdin, line); err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for srv.Requests("UploadPart") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 143 {
			t.Errorf("exit = %v, want 143", err)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the process did not stop after SIGTERM")
	}
	stdin.Close()
	protocoltest.ValidateOutput(t, out.Bytes())
	if ups := srv.MultipartUploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left: %v", ups)
	}
	if keys := srv.Keys(t, ""); len(keys) != 0 {
		t.Errorf("objects left: %v", keys)
	}
}

// TestHelp checks that --help describes the binary and every command, lists
// every environment variable the code reads, and links to our docs.
func TestHelp(t *testing.T) {
	help := func(args ...string) string {
		var out, errb bytes.Buffer
		argv := append([]string{"destination-s3-parquet"}, args...)
		if code := airbytecli.RunDestination(context.Background(), destination.New("test"), options(), argv, strings.NewReader(""), &out, &errb); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		return out.String() + errb.String()
	}
	protocoltest.CheckHelp(t, help, ".", "https://github.com/cognitivo/radar-connectors/blob/main/docs/destination-s3-parquet.md")
}

package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

// TestStateEcho checks that states come back in order, byte for byte with
// destinationStats added, with per-stream and global record counts; that a
// reset (null stream_state) is echoed; and that other messages are ignored.
func TestStateEcho(t *testing.T) {
	srv := s3test.Start(t)
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema}, catalogStream{name: "vouchers", namespace: "radar", schema: smallSchema})
	reset := `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"vouchers","namespace":"radar"},"stream_state":null},"id":5,"unknown_field":{"kept":[1,2.50]}}}`
	global := `{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"binlog":"mysql-bin.000003:154"},"stream_states":[]},"id":9}}`
	var in strings.Builder
	in.WriteString(records("radar", "users", 0, 3))
	in.WriteString(streamState("radar", "users", 1, "3"))
	in.WriteString(records("radar", "vouchers", 0, 2))
	in.WriteString(`{"type":"LOG","log":{"level":"INFO","message":"ignored"}}` + "\n")
	in.WriteString(`{"type":"TRACE","trace":{"type":"ESTIMATE","emitted_at":1.0,"estimate":{"name":"users","type":"STREAM","row_estimate":1}}}` + "\n")
	in.WriteString(records("radar", "users", 3, 1))
	in.WriteString(streamState("radar", "vouchers", 2, "2"))
	in.WriteString(streamState("radar", "users", 3, "4"))
	in.WriteString(reset + "\n")
	in.WriteString("\n")
	in.WriteString(records("radar", "users", 4, 2))
	in.WriteString(global + "\n")
	inputStates := []string{}
	for _, l := range strings.Split(in.String(), "\n") {
		if strings.Contains(l, `"type":"STATE"`) {
			inputStates = append(inputStates, l)
		}
	}
	r := write(t, srv.Config(nil), cat, in.String())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	got := stateLines(r)
	wantCounts := []string{"3.0", "2.0", "1.0", "0.0", "8.0"}
	if len(got) != len(inputStates) {
		t.Fatalf("got %d states, want %d:\n%s", len(got), len(inputStates), r.stdout)
	}
	for i, g := range got {
		// The echo is the input line with destinationStats inserted last in the state object.
		in := inputStates[i]
		want := strings.TrimSuffix(in, "}}") + `,"destinationStats":{"recordCount":` + wantCounts[i] + `}}}`
		if strings.HasSuffix(in, `"type":"STATE"}`) { // json.Marshal puts "type" last
			idx := strings.LastIndex(in, `},"type":"STATE"}`)
			want = in[:idx] + `,"destinationStats":{"recordCount":` + wantCounts[i] + `}},"type":"STATE"}`
		}
		if g != want {
			t.Errorf("state %d:\n got  %s\n want %s", i, g, want)
		}
	}
	var m protocol.Message
	if err := json.Unmarshal([]byte(got[0]), &m); err != nil || m.State.Stream.StreamDescriptor.Name != "users" {
		t.Errorf("first state is not users': %s", got[0])
	}
}

// TestUnknownStreamAndMalformedLine: the sync fails, naming the line (and
// the stream) but no value, and no state after the bad line is echoed.
func TestUnknownStreamAndMalformedLine(t *testing.T) {
	tests := []struct {
		name, bad, wantMsg, failure string
	}{
		{"unknown stream", recordLine("radar", "secrets", `{"ssn":"123-45-6789"}`, 1), "line 4 is a record of stream radar.secrets", "config_error"},
		{"malformed line", `{"type":"RECORD","record":{"stream":"users","data":{"ssn":"123-45-6789"` + "\n", "input line 4", "system_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := s3test.Start(t)
			cat := catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema})
			input := records("radar", "users", 0, 2) + streamState("radar", "users", 1, "a") + tt.bad + records("radar", "users", 2, 1) + streamState("radar", "users", 2, "b")
			r := write(t, srv.Config(nil), cat, input)
			te := traceError(r)
			if r.code != 1 || te == nil {
				t.Fatalf("exit %d, trace %v\n%s", r.code, te, r.stdout)
			}
			if !strings.Contains(te.Message, tt.wantMsg) || string(te.FailureType) != tt.failure {
				t.Errorf("trace = %+v, want message with %q and %s", te, tt.wantMsg, tt.failure)
			}
			if bytes.Contains(r.stdout, []byte("123-45-6789")) || bytes.Contains(r.stderr, []byte("123-45-6789")) {
				t.Errorf("a record value leaked:\n%s", r.stdout)
			}
			for _, s := range stateLines(r) {
				if strings.Contains(s, `"id":2`) {
					t.Errorf("a state after the bad line was echoed: %s", s)
				}
			}
			if ups := srv.MultipartUploads(t); len(ups) != 0 {
				t.Errorf("multipart uploads left: %v", ups)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// pipeRun runs write with a pipe as stdin; the returned function closes
// stdin (or not) and waits for the exit code.
type pipeRun struct {
	in     *io.PipeWriter
	out    *syncBuffer
	done   chan int
	cancel context.CancelFunc
}

func startWrite(t *testing.T, cfg map[string]any, cat any) *pipeRun {
	t.Helper()
	dir := t.TempDir()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pipeRun{in: pw, out: &syncBuffer{}, done: make(chan int, 1), cancel: cancel}
	args := []string{"destination-s3-parquet", "write", "--config", writeJSON(t, dir, "config.json", cfg), "--catalog", writeJSON(t, dir, "catalog.json", cat)}
	go func() {
		p.done <- airbytecli.RunDestination(ctx, New("test"), airbytecli.Options{Name: "destination-s3-parquet"}, args, pr, p.out, io.Discard)
	}()
	t.Cleanup(func() { cancel(); pw.Close() })
	return p
}

func (p *pipeRun) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(p.in, s); err != nil {
		t.Fatal(err)
	}
}

func (p *pipeRun) states() []string { return stateLines(result{stdout: p.out.Bytes()}) }

func (p *pipeRun) waitStates(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(p.states()) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d states after %s, want %d:\n%s", len(p.states()), within, n, p.out.Bytes())
}

// TestAcksWaitForFiles: a state is held while the file holding its records
// is open, and echoed once the stream goes idle (or the time bound passes),
// before the input ends.
func TestAcksWaitForFiles(t *testing.T) {
	t.Run("idle stream", func(t *testing.T) {
		srv := s3test.Start(t)
		cfg := srv.Config(map[string]any{"idle_stream_close_seconds": 0.4, "max_ack_delay_seconds": 600})
		p := startWrite(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}))
		p.send(t, records("", "users", 0, 5)+streamState("", "users", 1, "5"))
		time.Sleep(150 * time.Millisecond)
		if s := p.states(); len(s) != 0 {
			t.Fatalf("state echoed while its file is open: %v", s)
		}
		if k := parquetKeys(t, srv, ""); len(k) != 0 {
			t.Fatalf("objects before the file was closed: %v", k)
		}
		p.waitStates(t, 1, 5*time.Second)
		if k := parquetKeys(t, srv, ""); len(k) != 1 {
			t.Fatalf("objects after the idle close: %v", k)
		}
		p.send(t, records("", "users", 5, 2)+streamState("", "users", 2, "7"))
		p.in.Close()
		if code := <-p.done; code != 0 {
			t.Fatalf("exit %d: %s", code, p.out.Bytes())
		}
		protocoltest.ValidateOutput(t, p.out.Bytes())
		if n := len(p.states()); n != 2 {
			t.Fatalf("states = %d", n)
		}
	})
	t.Run("time bound", func(t *testing.T) {
		srv := s3test.Start(t)
		cfg := srv.Config(map[string]any{"idle_stream_close_seconds": 600, "max_ack_delay_seconds": 0.5})
		p := startWrite(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}))
		stop := make(chan struct{})
		go func() { // a stream that never goes idle
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := io.WriteString(p.in, records("", "users", 100+i, 1)); err != nil {
					return
				}
			}
		}()
		p.send(t, records("", "users", 0, 5)+streamState("", "users", 1, "5"))
		p.waitStates(t, 1, 5*time.Second)
		close(stop)
		p.cancel()
		<-p.done
	})
}

// TestCancelAbortsUploads: cancelling (SIGTERM) mid-file stops promptly,
// echoes nothing beyond durable data and leaves no multipart upload.
func TestCancelAbortsUploads(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{"upload_part_size_mb": 5, "format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1}})
	p := startWrite(t, cfg, catalog(catalogStream{name: "blobs", schema: blobSchema}))
	p.send(t, blobRecords("blobs", 0, 12000)+streamState("", "blobs", 1, "x"))
	deadline := time.Now().Add(10 * time.Second)
	for srv.Requests("UploadPart") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Requests("UploadPart") == 0 {
		t.Fatal("no part was uploaded")
	}
	start := time.Now()
	p.cancel()
	select {
	case code := <-p.done:
		if code != airbytecli.ExitInterrupted {
			t.Errorf("exit %d, want %d", code, airbytecli.ExitInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write did not stop after cancellation")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopping took %s", d)
	}
	if s := p.states(); len(s) != 0 {
		t.Errorf("states echoed: %v", s)
	}
	if ups := srv.MultipartUploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left: %v", ups)
	}
	if k := srv.Keys(t, ""); len(k) != 0 {
		t.Errorf("objects left: %v", k)
	}
}

package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

// binary is the connector built by TestMain, run as a process by the tests
// that exercise the real command line.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "srcradar-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "source-mysql-radar")
	build := exec.Command("go", "build", "-o", binary, "github.com/cognitivo/radar-connectors/source-mysql-radar")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the connector: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	stopCDCServer()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one connector command printed.
type result struct {
	stdout, stderr []byte
	code           int
	msgs           []protocol.Message
}

// writeJSON writes v into a temporary file and returns its path.
func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// cmdArgs builds the command line of a command.
func cmdArgs(t *testing.T, command string, config, catalog, state any) []string {
	args := []string{command}
	if config != nil {
		args = append(args, "--config", writeJSON(t, "config.json", config))
	}
	if catalog != nil {
		args = append(args, "--catalog", writeJSON(t, "catalog.json", catalog))
	}
	if state != nil {
		args = append(args, "--state", writeJSON(t, "state.json", state))
	}
	return args
}

// runBinary runs the built connector and validates every printed line.
func runBinary(t *testing.T, command string, config, catalog, state any) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, cmdArgs(t, command, config, catalog, state)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := &result{stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run connector: %v", err)
	}
	r.msgs = protocoltest.ValidateOutput(t, r.stdout)
	return r
}

// runInProcess runs a command through the same frame in this process, with
// a fast retry backoff, and validates every printed line.
func runInProcess(t *testing.T, command string, config, catalog, state any) *result {
	t.Helper()
	src := New()
	src.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	var out, errb bytes.Buffer
	args := append([]string{"source-mysql-radar"}, cmdArgs(t, command, config, catalog, state)...)
	code := airbytecli.RunSource(context.Background(), src, airbytecli.Options{Name: "source-mysql-radar", Version: "test"}, args, strings.NewReader(""), &out, &errb)
	r := &result{stdout: out.Bytes(), stderr: errb.Bytes(), code: code}
	r.msgs = protocoltest.ValidateOutput(t, r.stdout)
	return r
}

// records returns the data of the records of one stream, in order.
func (r *result) records(stream string) []map[string]any {
	var out []map[string]any
	for _, m := range r.msgs {
		if m.Type == protocol.TypeRecord && m.Record.Stream == stream {
			out = append(out, decodeNumbers(m.Record.Data))
		}
	}
	return out
}

// rawRecords returns the raw data JSON of one stream's records.
func (r *result) rawRecords(stream string) []string {
	var out []string
	for _, m := range r.msgs {
		if m.Type == protocol.TypeRecord && m.Record.Stream == stream {
			out = append(out, string(m.Record.Data))
		}
	}
	return out
}

// states returns the stream states of one stream, in order.
func (r *result) states(stream string) []*protocol.StateMessage {
	var out []*protocol.StateMessage
	for _, m := range r.msgs {
		if m.Type == protocol.TypeState && m.State.Stream != nil && m.State.Stream.StreamDescriptor.Name == stream {
			out = append(out, m.State)
		}
	}
	return out
}

// lastStateInput returns the platform's --state input for the next sync:
// the last state of every stream.
func (r *result) lastStateInput() []byte {
	last := map[string]*protocol.StateMessage{}
	var order []string
	for _, m := range r.msgs {
		if m.Type == protocol.TypeState && m.State.Stream != nil {
			n := m.State.Stream.StreamDescriptor.Name
			if last[n] == nil {
				order = append(order, n)
			}
			last[n] = m.State
		}
	}
	var arr []*protocol.StateMessage
	for _, n := range order {
		arr = append(arr, last[n])
	}
	b, _ := json.Marshal(arr)
	return b
}

// traceError returns the first TRACE ERROR, or nil.
func (r *result) traceError() *protocol.ErrorTrace {
	for _, m := range r.msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError {
			return m.Trace.Error
		}
	}
	return nil
}

// connectionStatus returns the single CONNECTION_STATUS.
func (r *result) connectionStatus(t *testing.T) *protocol.ConnectionStatus {
	t.Helper()
	var cs []*protocol.ConnectionStatus
	for _, m := range r.msgs {
		if m.Type == protocol.TypeConnectionStatus {
			cs = append(cs, m.ConnectionStatus)
		}
	}
	if len(cs) != 1 {
		t.Fatalf("got %d CONNECTION_STATUS messages, want 1; stdout:\n%s", len(cs), r.stdout)
	}
	return cs[0]
}

func decodeNumbers(b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// checkReadProtocol checks what every successful read must print: per
// configured stream STARTED, one ESTIMATE, RUNNING before its first record,
// at least one STATE after RUNNING, COMPLETE last; every STATE with
// sourceStats.recordCount equal to the stream's records since its previous
// STATE; no record after a stream's COMPLETE.
func checkReadProtocol(t *testing.T, r *result, streams ...string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("read exited %d; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range streams {
		var statuses []protocol.StreamStatus
		estimates, states := 0, 0
		var since int64
		for _, m := range r.msgs {
			switch {
			case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus && m.Trace.StreamStatus.StreamDescriptor.Name == s:
				statuses = append(statuses, m.Trace.StreamStatus.Status)
			case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceEstimate && m.Trace.Estimate.Name == s:
				estimates++
			case m.Type == protocol.TypeRecord && m.Record.Stream == s:
				if len(statuses) != 2 || statuses[1] != protocol.StreamRunning {
					t.Errorf("stream %s: record before RUNNING (statuses so far %v)", s, statuses)
				}
				since++
			case m.Type == protocol.TypeState && m.State.Stream != nil && m.State.Stream.StreamDescriptor.Name == s:
				states++
				if m.State.SourceStats == nil || m.State.SourceStats.RecordCount == nil {
					t.Errorf("stream %s: STATE without sourceStats.recordCount", s)
				} else if got := m.State.SourceStats.RecordCount.Int(); got != since {
					t.Errorf("stream %s: STATE recordCount %d, want %d", s, got, since)
				}
				since = 0
			}
		}
		want := []protocol.StreamStatus{protocol.StreamStarted, protocol.StreamRunning, protocol.StreamComplete}
		if fmt.Sprint(statuses) != fmt.Sprint(want) {
			t.Errorf("stream %s: statuses %v, want %v", s, statuses, want)
		}
		if estimates != 1 {
			t.Errorf("stream %s: %d ESTIMATE messages, want 1", s, estimates)
		}
		if states == 0 {
			t.Errorf("stream %s: no STATE", s)
		}
		if since != 0 {
			t.Errorf("stream %s: %d records after the last STATE", s, since)
		}
	}
}

// catalogFor builds a configured catalog from a discover result.
func catalogFor(t *testing.T, discovered *result, modes map[string]string, cursors map[string]string) map[string]any {
	t.Helper()
	var cat *protocol.Catalog
	for _, m := range discovered.msgs {
		if m.Type == protocol.TypeCatalog {
			cat = m.Catalog
		}
	}
	if cat == nil {
		t.Fatalf("discover printed no CATALOG; stdout:\n%s", discovered.stdout)
	}
	var streams []any
	for _, s := range cat.Streams {
		mode, ok := modes[s.Name]
		if !ok {
			if modes != nil {
				continue
			}
			mode = "full_refresh"
		}
		cs := map[string]any{"stream": s, "sync_mode": mode, "destination_sync_mode": "append"}
		if c := cursors[s.Name]; c != "" {
			cs["cursor_field"] = []string{c}
		}
		streams = append(streams, cs)
	}
	return map[string]any{"streams": streams}
}

// noSecret fails if secret appears in anything the command printed.
func noSecret(t *testing.T, r *result, secret string) {
	t.Helper()
	if secret == "" {
		return
	}
	if bytes.Contains(r.stdout, []byte(secret)) || bytes.Contains(r.stderr, []byte(secret)) {
		t.Errorf("output contains the secret %q", secret)
	}
}

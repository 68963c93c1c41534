package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

// Result is what one connector command produced.
type Result struct {
	Code     int
	Stdout   []byte
	Stderr   []byte
	Messages []protocol.Message
	// Invalid lists stdout lines that are not valid protocol messages.
	Invalid []string
	// PeakRSS is the process's peak resident memory in bytes (Linux).
	PeakRSS int64
}

// OfType returns the messages of one type.
func (r *Result) OfType(t protocol.Type) []protocol.Message {
	return protocoltest.OfType(r.Messages, t)
}

// Traces returns the TRACE ERROR payloads.
func (r *Result) Errors() []*protocol.ErrorTrace {
	var out []*protocol.ErrorTrace
	for _, m := range r.OfType(protocol.TypeTrace) {
		if m.Trace.Type == protocol.TraceError {
			out = append(out, m.Trace.Error)
		}
	}
	return out
}

// Command runs a connector binary with args, feeding stdin, and validates
// every stdout line against the protocol schema.
func Command(ctx context.Context, bin string, stdin []byte, env []string, args ...string) (*Result, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	r := &Result{Stdout: out.Bytes(), Stderr: errOut.Bytes()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.PeakRSS = ru.Maxrss << 10 // kilobytes on Linux
		}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		return nil, fmt.Errorf("run %s: %w", filepath.Base(bin), err)
	}
	r.Messages, r.Invalid = ValidateLines(out.Bytes())
	return r, nil
}

// ValidateLines validates each line against the protocol schema.
func ValidateLines(out []byte) ([]protocol.Message, []string) {
	var msgs []protocol.Message
	var invalid []string
	v := protocoltest.Default()
	for i, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		m, err := v.ValidateLine(line)
		if err != nil {
			invalid = append(invalid, fmt.Sprintf("line %d: %v: %.300s", i+1, err, line))
			continue
		}
		msgs = append(msgs, *m)
	}
	return msgs, invalid
}

// Run is Command for tests: it writes the given values as JSON files for
// the --config/--catalog/--state flags, fails the test on invalid output,
// and returns the result.
func Run(t testing.TB, bin string, args ...string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := Command(ctx, bin, nil, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range r.Invalid {
		t.Errorf("%s %v printed an invalid protocol line: %s", filepath.Base(bin), args, inv)
	}
	return r
}

// WriteJSON marshals v (or writes it as-is if it is []byte or
// json.RawMessage) to a file in a test temp dir and returns its path.
func WriteJSON(t testing.TB, name string, v any) string {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case json.RawMessage:
		b = x
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.MarshalIndent(v, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

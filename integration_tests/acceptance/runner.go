package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Runner runs the acceptance suites of one connector.
type Runner struct {
	// Dir is the connector folder holding acceptance-test-config.yml,
	// metadata.yaml and integration_tests/.
	Dir string
	// Binary is the connector executable.
	Binary string
	// Image, if set, is a connector image run instead of Binary, through
	// its ENTRYPOINT as CAT runs it (harness.ImageCommand).
	Image string
	// Paths maps paths as written in the config (e.g. secrets/config.json)
	// to real files, so tests can supply configs outside the repository.
	Paths map[string]string
	// Env is added to the connector's environment.
	Env []string
	// DataChannel, when set (JSONL or PROTOBUF), runs every read in socket
	// mode over Sockets sockets (default 1), the runner reading the
	// sockets as a destination does (see socketRead).
	DataChannel datachannel.Format
	Sockets     int

	cfg *Config
}

// Status of one test.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Result is the outcome of one acceptance test.
type Result struct {
	Suite    string
	Name     string
	Status   Status
	Problems []string
	Note     string
}

func (r Result) String() string {
	s := fmt.Sprintf("%-8s %s/%s", r.Status, r.Suite, r.Name)
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	for _, p := range r.Problems {
		s += "\n    - " + p
	}
	return s
}

// tc collects the outcome of one test.
type tc struct {
	res  Result
	skip bool
}

func (t *tc) errorf(format string, args ...any) {
	t.res.Problems = append(t.res.Problems, fmt.Sprintf(format, args...))
}

func (t *tc) skipf(format string, args ...any) {
	t.skip = true
	t.res.Note = fmt.Sprintf(format, args...)
}

// Load reads the connector's acceptance config.
func (r *Runner) Load() error {
	cfg, err := LoadConfig(r.Dir)
	if err != nil {
		return err
	}
	r.cfg = cfg
	return nil
}

// Config returns the loaded config.
func (r *Runner) Config() *Config { return r.cfg }

func (r *Runner) path(p string) string {
	if m, ok := r.Paths[p]; ok {
		return m
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.Dir, r.cfg.BasePath, p)
}

func (r *Runner) exec(ctx context.Context, timeout int, args ...string) (*harness.Result, error) {
	d := 10 * time.Minute
	if timeout > 0 {
		d = time.Duration(timeout) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if r.Image != "" {
		return harness.ImageCommand(ctx, r.Image, nil, r.Env, args...)
	}
	return harness.Command(ctx, r.Binary, nil, r.Env, args...)
}

func (r *Runner) checkOutput(t *tc, what string, res *harness.Result) {
	for _, inv := range res.Invalid {
		t.errorf("%s printed an invalid protocol line: %s", what, inv)
	}
	if bytes.Contains(res.Stdout, []byte("goroutine ")) && bytes.Contains(res.Stdout, []byte("panic")) && !bytes.Contains(res.Stdout, []byte(`"stack_trace"`)) {
		t.errorf("%s printed a Go stack dump on stdout", what)
	}
}

// Run runs every suite the config declares, in CAT order, and returns one
// result per test.
func (r *Runner) Run(ctx context.Context) ([]Result, error) {
	if r.cfg == nil {
		if err := r.Load(); err != nil {
			return nil, err
		}
	}
	var out []Result
	add := func(suite, name string, fn func(t *tc)) {
		t := &tc{res: Result{Suite: suite, Name: name}}
		fn(t)
		switch {
		case len(t.res.Problems) > 0:
			t.res.Status = Failed
		case t.skip:
			t.res.Status = Skipped
		default:
			t.res.Status = Passed
		}
		out = append(out, t.res)
	}
	at := r.cfg.AcceptanceTests
	bypass := func(suite, reason string) {
		if reason != "" {
			out = append(out, Result{Suite: suite, Name: "*", Status: Skipped, Note: "bypassed: " + reason})
		}
	}
	bypass("spec", at.Spec.BypassReason)
	for i, st := range at.Spec.Tests {
		r.specSuite(ctx, add, fmt.Sprintf("spec[%d]", i), st)
	}
	bypass("connection", at.Connection.BypassReason)
	for i, ct := range at.Connection.Tests {
		ct := ct
		add("connection", fmt.Sprintf("test_check[%d:%s]", i, ct.Status), func(t *tc) { r.testCheck(ctx, t, ct) })
	}
	bypass("discovery", at.Discovery.BypassReason)
	for i, dt := range at.Discovery.Tests {
		r.discoverySuite(ctx, add, fmt.Sprintf("discovery[%d]", i), dt)
	}
	bypass("basic_read", at.BasicRead.BypassReason)
	for i, bt := range at.BasicRead.Tests {
		r.basicReadSuite(ctx, add, fmt.Sprintf("basic_read[%d]", i), bt)
	}
	bypass("full_refresh", at.FullRefresh.BypassReason)
	for i, ft := range at.FullRefresh.Tests {
		ft := ft
		add(fmt.Sprintf("full_refresh[%d]", i), "test_sequential_reads", func(t *tc) { r.testSequentialReads(ctx, t, ft) })
	}
	bypass("incremental", at.Incremental.BypassReason)
	for i, it := range at.Incremental.Tests {
		r.incrementalSuite(ctx, add, fmt.Sprintf("incremental[%d]", i), it)
	}
	return out, nil
}

// Failed returns the failed results.
func Failures(results []Result) []Result {
	var out []Result
	for _, r := range results {
		if r.Status == Failed {
			out = append(out, r)
		}
	}
	return out
}

func readJSONFile(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", p, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func truncateStr(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

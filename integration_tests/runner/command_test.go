package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// TestCommandLine runs the built airbyte-sync with the command line the
// README and the local-pipe DAG use: exit 0, the summary JSON, a state file
// that read --state accepts, and one "object written" LOG line (at the
// default level) for every Parquet object in the bucket.
func TestCommandLine(t *testing.T) {
	e := setup(t)
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "airbyte-sync")
	build := exec.Command("go", "build", "-o", bin, "./cmd/airbyte-sync")
	build.Dir = filepath.Join(root, "protocol")
	build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build airbyte-sync: %v\n%s", err, out)
	}
	summary := filepath.Join(t.TempDir(), "summary.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--source", e.src, "--source-config", e.srcCfg,
		"--destination", e.dst, "--destination-config", e.dstCfg, "--catalog", e.catalog,
		"--state", e.statePath, "--summary", summary, "--max-attempts", "1", "--progress-interval", "100ms")
	cmd.Env = append(os.Environ(), "LOG_LEVEL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("airbyte-sync: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	var res runner.Result
	b, err := os.ReadFile(summary)
	if err != nil || json.Unmarshal(b, &res) != nil || res.Outcome != "succeeded" || len(res.Streams) != 2 {
		t.Fatalf("summary %s: %v", b, err)
	}
	for _, s := range res.Streams {
		if s.Rows != 500 || s.CommittedRows != 500 || !strings.Contains(stdout.String(), s.Name) {
			t.Errorf("summary of %s: %+v (stdout %s)", s.Name, s, stdout.String())
		}
	}
	state, _ := os.ReadFile(e.statePath)
	if in, err := protocol.ParseInputState(state); err != nil || len(in.Messages) != 2 {
		t.Errorf("state file %s: %v, want 2 stream states", state, err)
	}
	var objects []string
	filepath.WalkDir(e.s3.BucketDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			rel, _ := filepath.Rel(e.s3.BucketDir, p)
			objects = append(objects, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(objects) < 2 {
		t.Fatalf("objects in the bucket: %v", objects)
	}
	logged := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		if i := strings.Index(line, "object written: "); i >= 0 && strings.HasPrefix(line, "destination") {
			o, ok := protocol.ParseObjectWritten(line[i:])
			if !ok {
				t.Errorf("unparsable object line: %s", line)
				continue
			}
			logged++
			found := false
			for _, k := range objects {
				found = found || k == o.Key
			}
			if !found {
				t.Errorf("logged object %s is not in the bucket %v", o.Key, objects)
			}
		}
	}
	if logged != len(objects) {
		t.Errorf("%d objects logged, %d in the bucket:\n%s", logged, len(objects), stderr.String())
	}
	if !strings.Contains(stderr.String(), "source      INFO") || !strings.Contains(stderr.String(), "succeeded in") {
		t.Errorf("stderr lacks the source's LOG lines or the final line:\n%s", stderr.String())
	}
}

package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildHelper builds cmd/bench/rusage for the test.
func buildHelper(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "rusage")
	cmd := exec.Command("go", "build", "-o", out, "../cmd/bench/rusage")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build rusage helper: %v\n%s", err, b)
	}
	return out
}

// TestProcMeasuresTheChildNotTheParent: a child that allocates ~40 MiB
// reports about that much through the helper, and a tiny one reports a few
// MiB even though this test process is much larger.
func TestProcMeasuresTheChildNotTheParent(t *testing.T) {
	helper := buildHelper(t)
	// Make this process large, so that a child started directly would
	// inherit its peak RSS.
	ballast := make([]byte, 200<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	defer func() { _ = ballast[len(ballast)-1] }()

	small := newProc(helper, "true", "/bin/true", nil, nil)
	st, _, err := small.run(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxRSS <= 0 || st.MaxRSS > 50<<20 {
		t.Errorf("/bin/true peak RSS %d MiB through the helper, want a few MiB", st.MaxRSS>>20)
	}
	direct := newProc("", "true", "/bin/true", nil, nil)
	dst, _, err := direct.run(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS of /bin/true: %d KiB through the helper, %d KiB started directly by a %d MiB process", st.MaxRSS>>10, dst.MaxRSS>>10, len(ballast)>>20)

	// A shell that fails: the exit code and stderr come back.
	fail := newProc(helper, "sh", "/bin/sh", []string{"-c", "echo nope >&2; exit 3"}, nil)
	fst, _, err := fail.run(time.Minute)
	if err == nil || fst.Exit != 3 || !strings.Contains(err.Error(), "nope") {
		t.Errorf("failing child: exit %d, err %v; want exit 3 quoting its stderr", fst.Exit, err)
	}
	// CPU time is the child's: a busy loop of ~0.3 s.
	busy := newProc(helper, "sh", "/bin/sh", []string{"-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}, nil)
	bst, wall, err := busy.run(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if bst.CPU <= 0 || bst.CPU > wall+50*time.Millisecond {
		t.Errorf("busy child: CPU %v in %v wall", bst.CPU, wall)
	}
}

func TestProcCPUOfThisProcess(t *testing.T) {
	c, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if c < 0 {
		t.Errorf("CPU %v", c)
	}
}

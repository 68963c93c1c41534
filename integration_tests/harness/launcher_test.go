package harness

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestLauncherScripts compares the wrapper scripts with goldens under
// testdata/ (regenerate with -update and review the diff against
// ContainerCommandFactory.kt), checks the trimIndent quirks the Kotlin
// produces, and checks each script parses with sh -n.
func TestLauncherScripts(t *testing.T) {
	tests := []struct {
		golden string
		script string
		// want are lines that must appear exactly (with their indent).
		want []string
	}{
		{"source.sh", SourceScript(), []string{
			// The inner command starts at column 0, so the outer template
			// keeps its 4-space indent and the comment follows "(".
			"    (# only provide the state flag if present",
			"if [ ! -f /source/inputState.json ]; then",
			`  eval "$AIRBYTE_ENTRYPOINT read --config /source/connectorConfig.json --catalog /source/catalog.json --state /source/inputState.json" 2> stderr > stdout`,
			"fi) &",
			"    mv TEMP_EXIT_CODE.txt exitCode.txt",
		}},
		{"destination.sh", DestinationScript(), []string{
			`(eval "$AIRBYTE_ENTRYPOINT write --config /dest/connectorConfig.json --catalog /dest/catalog.json" 2> stderr > stdout < stdin) &`,
			"(while true; do if [ -f TERMINATED ]; then kill $CHILD_PID; exit 0; fi; sleep 10; done) &",
			"mv TEMP_EXIT_CODE.txt exitCode.txt",
		}},
		{"spec.sh", OperationScriptFor("spec"), []string{
			`(eval "$AIRBYTE_ENTRYPOINT spec  " > /config/jobOutput.json) &`,
		}},
		{"check.sh", OperationScriptFor("check"), []string{
			`(eval "$AIRBYTE_ENTRYPOINT check  --config /config/connectionConfiguration.json" > /config/jobOutput.json) &`,
		}},
		{"discover.sh", OperationScriptFor("discover"), []string{
			`(eval "$AIRBYTE_ENTRYPOINT discover  --config /config/connectionConfiguration.json" > /config/jobOutput.json) &`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			path := filepath.Join("testdata", "launcher", tt.golden)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.script), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if string(golden) != tt.script {
				t.Errorf("script differs from %s (rerun with -update and review):\n%s", path, tt.script)
			}
			lines := strings.Split(tt.script, "\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("no line %q in:\n%s", w, tt.script)
				}
			}
			if strings.HasPrefix(tt.script, "\n") || strings.HasSuffix(tt.script, "\n") {
				t.Errorf("trimIndent drops the blank first and last lines")
			}
			if sh, err := exec.LookPath("sh"); err == nil {
				if out, err := exec.Command(sh, "-n", "-c", tt.script).CombinedOutput(); err != nil {
					t.Errorf("sh -n: %v: %s", err, out)
				}
			}
		})
	}
}

func contains(lines []string, w string) bool {
	for _, l := range lines {
		if l == w {
			return true
		}
	}
	return false
}

func TestKotlinTrimIndent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\n    a\n      b\n    ", "a\n  b"},
		{"\n    a\n\n    b\n    ", "a\n\nb"},
		{"    a\nb", "    a\nb"},      // a line at column 0 keeps the others' indent
		{"  \n  x  \n  ", "x  "},      // blank first and last lines dropped
		{"\n  a\n \n  b\n", "a\n\nb"}, // a blank line shorter than the indent becomes empty
		{"x", "x"},
	}
	for _, tt := range tests {
		if got := kotlinTrimIndent(tt.in); got != tt.want {
			t.Errorf("kotlinTrimIndent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWrapperRunsConnector runs the destination wrapper with the host's sh
// and a stand-in entrypoint (cat): it must copy stdin to stdout through the
// FIFO names, write exitCode.txt through TEMP_EXIT_CODE.txt, and exit with
// the connector's code; without AIRBYTE_ENTRYPOINT it exits 127.
func TestWrapperRunsConnector(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	for _, f := range []string{"stdin"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("hello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runWrapper(t, sh, dir, "PATH=/usr/bin:/bin", "AIRBYTE_ENTRYPOINT=sh -c 'cat; exit 3' sh")
	if code := exitCode(err); code != 3 {
		t.Fatalf("exit %d, want 3: %s", code, out)
	}
	if !strings.Contains(string(out), "Using AIRBYTE_ENTRYPOINT: sh -c 'cat; exit 3' sh") {
		t.Errorf("output %q", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stdout")); string(b) != "hello\n" {
		t.Errorf("stdout file %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ExitCodeFile)); string(b) != "3\n" {
		t.Errorf("exitCode.txt %q", b)
	}
	out, err = runWrapper(t, sh, dir, "PATH=/usr/bin:/bin")
	if code := exitCode(err); code != 127 || !strings.Contains(string(out), "Entrypoint was not set!") {
		t.Errorf("without AIRBYTE_ENTRYPOINT: exit %d, %q", code, out)
	}
}

// runWrapper runs the destination wrapper in its own process group and
// kills the group afterwards: the wrapper's TERMINATED loop runs in the
// background and outlives it (in a container, PID 1's exit ends it).
func runWrapper(t *testing.T, sh, dir string, env ...string) ([]byte, error) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", DestinationScript())
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	b, _ := os.ReadFile(out.Name())
	return b, werr
}

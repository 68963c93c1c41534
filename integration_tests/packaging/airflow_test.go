package packaging

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// TestAirflowDAGs runs the example DAGs' Python tests
// (examples/airflow/tests), which import each DAG against the Airflow
// stand-in kept there and assert the task graph, the trigger rules and what
// a failed sync does to the DAG run.
func TestAirflowDAGs(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIP: python3 is not installed; the Airflow DAG tests (examples/airflow/tests) did not run")
	}
	if out, err := exec.Command(py, "-c", "import jinja2").CombinedOutput(); err != nil {
		t.Skipf("SKIP: python3 has no jinja2 (Airflow renders templates with it); the Airflow DAG tests did not run: %s", out)
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "unittest", "discover", "-v",
		"-s", filepath.Join(root, "examples", "airflow", "tests"), "-t", filepath.Join(root, "examples", "airflow", "tests"))
	cmd.Dir = root
	// Keep the compiled files out of the repository.
	cmd.Env = append(os.Environ(), "PYTHONPYCACHEPREFIX="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Airflow DAG tests failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestLocalPipeDAGMatchesRunner checks that every flag the local-pipe DAG
// passes to airbyte-sync is one the runner's `run --help` lists. It builds
// protocol/cmd/airbyte-sync and is skipped where that command is absent.
func TestLocalPipeDAGMatchesRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds airbyte-sync")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIP: python3 is not installed")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmdDir := filepath.Join(root, "protocol", "cmd", "airbyte-sync")
	if _, err := os.Stat(cmdDir); err != nil {
		t.Skip("SKIP: protocol/cmd/airbyte-sync is not in this tree; the DAG's command line was not checked against the runner")
	}
	bin := filepath.Join(t.TempDir(), "airbyte-sync")
	build := exec.Command("go", "build", "-o", bin, "./cmd/airbyte-sync")
	build.Dir = filepath.Join(root, "protocol")
	build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build airbyte-sync: %v\n%s", err, out)
	}
	help, _ := exec.Command(bin, "run", "--help").CombinedOutput()
	// The command line the DAG builds, from the DAG module itself.
	script := `import json, sys, importlib.util
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("dag", sys.argv[2])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
print(json.dumps(mod.sync_command("/radar", "/bin", "s3://b/k.json", "/tmp/summary.json")))`
	cmd := exec.Command(py, "-c", script, filepath.Join(root, "examples", "airflow", "tests", "stubs"),
		filepath.Join(root, "examples", "airflow", "dags", "dag_sync_radar_local_pipe.py"))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("load the DAG's command line: %v", err)
	}
	var argv []string
	if err := json.Unmarshal(out, &argv); err != nil {
		t.Fatal(err)
	}
	if len(argv) < 2 || filepath.Base(argv[0]) != "airbyte-sync" || argv[1] != "run" {
		t.Fatalf("the DAG runs %v, not airbyte-sync run", argv)
	}
	for _, a := range argv[2:] {
		if strings.HasPrefix(a, "--") && !strings.Contains(string(help), a) {
			t.Errorf("the DAG passes %s, which `airbyte-sync run --help` does not list:\n%s", a, help)
		}
	}
}

package packaging

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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

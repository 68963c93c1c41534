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

	"go.yaml.in/yaml/v3"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/protocol/testenv"
)

// specOf runs a connector's spec command and loads the result.
func specOf(t *testing.T, bin string) *connspec.Spec {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := harness.Command(ctx, bin, nil, nil, "spec")
	if err != nil {
		t.Fatal(err)
	}
	specs := res.OfType(protocol.TypeSpec)
	if len(specs) != 1 {
		t.Fatalf("%s spec printed %d SPEC messages", bin, len(specs))
	}
	b, _ := json.Marshal(specs[0].Spec)
	s, err := connspec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// builtConnectors skips the test in -short mode (building both connectors
// takes a while), else returns the repository root and the built binaries.
func builtConnectors(t *testing.T) (root, src, dst string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds both connectors")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, dst, err = harness.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	return root, src, dst
}

// TestExamples parses every example and validates every config against the
// connector it is for; the DAGs and scripts must at least compile.
func TestExamples(t *testing.T) {
	root, src, dst := builtConnectors(t)
	specs := map[string]*connspec.Spec{"source": specOf(t, src), "destination": specOf(t, dst)}
	dir := filepath.Join(root, "examples")
	var pyFiles []string
	checked := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var doc any
		switch filepath.Ext(p) {
		case ".json":
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Errorf("%s: not valid JSON: %v", rel, err)
				return nil
			}
		case ".yaml", ".yml":
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Errorf("%s: not valid YAML: %v", rel, err)
				return nil
			}
		case ".py":
			pyFiles = append(pyFiles, p)
			return nil
		default:
			return nil
		}
		if filepath.Base(rel) == "catalog.json" {
			if err := protocoltest.Default().ValidateConfiguredCatalog(b); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			if _, err := protocol.ParseConfiguredCatalog(b, true); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			checked["catalog"]++
			return nil
		}
		kind, cfg := exampleConfig(rel, doc)
		if kind != "source" && kind != "destination" {
			return nil
		}
		raw, _ := json.Marshal(cfg)
		if err := specs[kind].Validate(raw); err != nil {
			t.Errorf("%s: the %s config does not validate against the connector's spec: %v", rel, kind, err)
		}
		checked[kind]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The connection is examples/terraform's (TestTerraformExample).
	if checked["source"] < 1 || checked["destination"] < 2 || checked["catalog"] < 1 {
		t.Errorf("validated %v; examples are missing", checked)
	}
	if len(pyFiles) < 3 {
		t.Errorf("found %d Python files (two DAGs and the registration script expected)", len(pyFiles))
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.SkipUnavailable(t, "python3", "not in PATH: the DAGs were not compiled")
	}
	for _, f := range pyFiles {
		cmd := exec.Command(py, "-m", "py_compile", f)
		// Keep the compiled files out of the repository.
		cmd.Env = append(os.Environ(), "PYTHONPYCACHEPREFIX="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s does not compile: %v\n%s", f, err, out)
		}
	}
}

// exampleConfig tells which connector an example configures, by its file
// name, and returns its config.
func exampleConfig(rel string, doc any) (string, any) {
	m, _ := doc.(map[string]any)
	if m == nil {
		return "", nil
	}
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(base, "source") && strings.HasSuffix(base, ".json"):
		return "source", m
	case strings.HasPrefix(base, "destination") && strings.HasSuffix(base, ".json"):
		return "destination", m
	}
	return "", nil
}

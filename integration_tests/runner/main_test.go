package runner

import (
	"os"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// TestMain removes the connector binaries harness.Binaries built.
func TestMain(m *testing.M) {
	code := m.Run()
	harness.CleanupBinaries()
	os.Exit(code)
}

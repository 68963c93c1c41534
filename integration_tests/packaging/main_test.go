package packaging

import (
	"os"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// TestMain removes the binaries harness.Binaries built for this package.
func TestMain(m *testing.M) {
	code := m.Run()
	harness.CleanupBinaries()
	os.Exit(code)
}

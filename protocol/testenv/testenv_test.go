package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSkipUnavailable runs SkipUnavailable in a subtest and checks the skip
// and the line it appends to the skip log.
func TestSkipUnavailable(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipLogEnv, log)
	t.Setenv(RequireEnv, "")
	t.Setenv("CI", "")
	t.Run("inner", func(t *testing.T) {
		SkipUnavailable(t, "MariaDB", "not reachable on\n127.0.0.1:3306")
		t.Error("SkipUnavailable returned")
	})
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.Getwd()
	if want := "MariaDB\t" + dir + "\tTestSkipUnavailable/inner\tnot reachable on 127.0.0.1:3306\n"; string(b) != want {
		t.Errorf("skip log %q, want %q", b, want)
	}
	if !strings.HasSuffix(string(b), "\n") || strings.Count(string(b), "\n") != 1 {
		t.Errorf("skip log is not one line: %q", b)
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		req, ci string
		want    bool
	}{{"", "", false}, {"1", "", true}, {"", "true", true}, {"0", "", false}} {
		t.Setenv(RequireEnv, tc.req)
		t.Setenv("CI", tc.ci)
		if got := Required(); got != tc.want {
			t.Errorf("%s=%q CI=%q: %v", RequireEnv, tc.req, tc.ci, got)
		}
	}
}

// Package testenv is how the repository's tests skip when a service they
// need is not there (MariaDB, a mariadbd binary, python3, ...), so that
// `make test` can end with one line saying what was skipped and why.
//
// SkipUnavailable skips the test with its reason and appends one line to
// the file named by $RADAR_SKIP_LOG (the Makefile's test target sets it and
// prints the summary with `go run ./protocol/testenv/skipsummary`). With
// RADAR_REQUIRE_SERVICES=1, or CI=true, the skip is a failure instead: CI
// provides every service, and a suite that silently did not run there
// would be a green build that tested nothing.
//
// Skips that are a choice (-short, a 100 MB input) stay plain t.Skip.
package testenv

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Environment variables.
const (
	// SkipLogEnv names the file skips are appended to.
	SkipLogEnv = "RADAR_SKIP_LOG"
	// RequireEnv, set to 1, turns a skip into a failure.
	RequireEnv = "RADAR_REQUIRE_SERVICES"
)

// Required reports whether a missing service fails the test:
// RADAR_REQUIRE_SERVICES=1 or CI=true.
func Required() bool {
	return os.Getenv(RequireEnv) == "1" || os.Getenv("CI") == "true"
}

// SkipUnavailable skips t (or fails it, see Required) because service is
// not available; reason says why, for the test's log. service is a short
// name the summary groups by ("MariaDB", "mariadbd binary", "python3").
func SkipUnavailable(t testing.TB, service, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (%s=1 or CI=true) but unavailable: %s", service, RequireEnv, reason)
	}
	record(t.Name(), service, reason)
	t.Skipf("%s unavailable: %s", service, reason)
}

// record appends "service \t package dir \t test \t reason" to the skip
// log. A line is one write on an O_APPEND file, so that test binaries
// running in parallel do not interleave.
func record(test, service, reason string) {
	path := os.Getenv(SkipLogEnv)
	if path == "" {
		return
	}
	dir, _ := os.Getwd()
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	line := fmt.Sprintf("%s\t%s\t%s\t%s\n", clean(service), dir, clean(test), clean(reason))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	_, _ = f.WriteString(line)
	_ = f.Close()
}

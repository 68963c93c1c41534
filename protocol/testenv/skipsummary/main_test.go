package main

import "testing"

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ name, log, want string }{
		{"nothing", "", "make test: no suite skipped for a missing service"},
		{"grouped", "MariaDB\t/r/source-mysql-radar/internal/source\tTestA\tnot reachable on 127.0.0.1:3306\n" +
			"MariaDB\t/r/source-mysql-radar/internal/source\tTestB\tnot reachable on 127.0.0.1:3306\n" +
			"python3\t/r/integration_tests/packaging\tTestExamples\tnot in PATH\n" +
			"MariaDB\t/r/integration_tests/e2e\tTestC\tno server\n",
			"make test: SKIPPED 4 tests in 3 suites: MariaDB unavailable (not reachable on 127.0.0.1:3306) in 3 tests " +
				"[source-mysql-radar/internal/source, integration_tests/e2e]; python3 unavailable (not in PATH) in 1 test [integration_tests/packaging]"},
	} {
		if got := summary(tc.log, "/r"); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

package acceptance_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/acceptance"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// sourceRunner loads the connector's seed into radar_acceptance and returns
// a runner whose secrets/config.json points at it.
func sourceRunner(t *testing.T, dir string) *acceptance.Runner {
	t.Helper()
	src, _, err := harness.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	my := harness.SharedMySQL(t)
	seed, err := os.ReadFile(filepath.Join(dir, "integration_tests", "seed.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := my.Root.Exec("DROP DATABASE IF EXISTS radar_acceptance; CREATE DATABASE radar_acceptance CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	db, err := my.Open("radar_acceptance")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(seed)); err != nil {
		t.Fatalf("load seed.sql: %v", err)
	}
	cfg := harness.WriteJSON(t, "config.json", map[string]any{
		"host": my.Host, "port": my.Port, "database": "radar_acceptance", "username": my.User, "password": my.Password,
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"}, "tunnel_method": map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD", "initial_waiting_seconds": 300},
		"jdbc_url_params":    "allowPublicKeyRetrieval=true&useSSL=false",
	})
	r := &acceptance.Runner{Dir: dir, Binary: src, Paths: map[string]string{"secrets/config.json": cfg}}
	useImage(t, r, *sourceImage)
	return r
}

func connectorDir(t *testing.T, name string) string {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, name)
}

func TestSourceAcceptance(t *testing.T) {
	r := sourceRunner(t, connectorDir(t, harness.SourceName))
	results, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, res := range results {
		t.Log(res.String())
		if res.Status == acceptance.Failed {
			t.Errorf("%s", res)
		}
		if res.Status == acceptance.Passed {
			passed++
		}
	}
	if passed < 30 {
		t.Errorf("only %d acceptance tests passed; the suites did not run", passed)
	}
}

// TestSourceAcceptanceSocket runs the same suites with every read in
// socket mode (Airbyte's data channel over 2 sockets), in PROTOBUF and in
// JSONL: the records the suites check are those the sockets carried.
func TestSourceAcceptanceSocket(t *testing.T) {
	if *sourceImage != "" {
		t.Skip("socket mode is checked on the binary")
	}
	for _, format := range []datachannel.Format{datachannel.FormatProtobuf, datachannel.FormatJSONL} {
		t.Run(string(format), func(t *testing.T) {
			r := sourceRunner(t, connectorDir(t, harness.SourceName))
			r.DataChannel, r.Sockets = format, 2
			results, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			passed := 0
			for _, res := range results {
				if res.Status == acceptance.Failed {
					t.Errorf("%s", res)
				}
				if res.Status == acceptance.Passed {
					passed++
				}
			}
			if passed < 30 {
				t.Errorf("only %d acceptance tests passed; the suites did not run", passed)
			}
		})
	}
}

// TestSuiteCatchesWrongExpectations runs basic_read against a copy of the
// connector folder whose expected records are wrong: the suite must fail.
func TestSuiteCatchesWrongExpectations(t *testing.T) {
	orig := connectorDir(t, harness.SourceName)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(orig)); err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(dir, "integration_tests", "expected_records.jsonl")
	b, _ := os.ReadFile(exp)
	os.WriteFile(exp, []byte(strings.Replace(string(b), `"Revenue": 0.00`, `"Revenue": 0.01`, 1)), 0o644)
	r := sourceRunner(t, dir)
	results, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range acceptance.Failures(results) {
		for _, p := range f.Problems {
			if strings.Contains(p, "Id=2") && strings.Contains(p, "differs") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("a wrong expected record was not reported: %v", acceptance.Failures(results))
	}
}

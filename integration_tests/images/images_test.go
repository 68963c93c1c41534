// Package images checks the two connector images as the Airbyte platform
// runs them: as uid 1000:1000 with every capability dropped and no
// privilege escalation. The images come from harness.Images (`make images`
// when they are missing); the tests skip when no Docker daemon answers.
package images

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
)

// platformFlags are the security settings of the platform's connector
// containers (airbyte-workload-launcher WorkloadSecurityContextProvider:
// runAsUser/runAsGroup 1000, capabilities drop ALL,
// allowPrivilegeEscalation false).
var platformFlags = []string{"--rm", "--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"}

type image struct {
	name, ref string
}

func images(t *testing.T) []image {
	t.Helper()
	src, dst := imageRefs(t)
	return []image{{harness.SourceName, src}, {harness.DestinationName, dst}}
}

// imageRefs skips in -short mode (a cold `make images` takes minutes).
func imageRefs(t *testing.T) (source, destination string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the Docker images (make images when missing)")
	}
	return harness.Images(t)
}

// dockerRun runs the image with the platform's flags plus extra docker
// flags, then args, and validates stdout as protocol lines.
func dockerRun(t *testing.T, ref string, flags []string, args ...string) *harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append(append(append([]string{"run"}, platformFlags...), flags...), ref)
	res, err := harness.Command(ctx, "docker", nil, nil, append(all, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSpec(t *testing.T) {
	for _, img := range images(t) {
		t.Run(img.name, func(t *testing.T) {
			res := dockerRun(t, img.ref, nil, "spec")
			if res.Code != 0 {
				t.Fatalf("spec exited %d: %s %s", res.Code, res.Stdout, res.Stderr)
			}
			for _, inv := range res.Invalid {
				t.Errorf("spec printed an invalid protocol line: %s", inv)
			}
			if n := len(res.OfType(protocol.TypeSpec)); n != 1 {
				t.Fatalf("spec printed %d SPEC messages, want 1: %s", n, res.Stdout)
			}
		})
	}
}

// TestRuntime checks, inside each image as uid 1000, what the platform's
// wrapper needs: /bin/sh, the user it runs as, a writable working
// directory and the CA bundle for TLS to RDS and S3.
func TestRuntime(t *testing.T) {
	script := `set -e
id -u; id -g; pwd
echo probe >"$PWD/.write-probe" && rm "$PWD/.write-probe" && echo writable
test -s /etc/ssl/certs/ca-certificates.crt && grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt`
	for _, img := range images(t) {
		t.Run(img.name, func(t *testing.T) {
			res := dockerRun(t, img.ref, []string{"--entrypoint", "/bin/sh"}, "-c", script)
			if res.Code != 0 {
				t.Fatalf("/bin/sh -c probe exited %d: %s %s", res.Code, res.Stdout, res.Stderr)
			}
			lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
			if len(lines) != 5 {
				t.Fatalf("probe printed %q, want 5 lines", lines)
			}
			if lines[0] != "1000" || lines[1] != "1000" {
				t.Errorf("runs as uid %s gid %s, want 1000 1000", lines[0], lines[1])
			}
			if lines[2] != "/airbyte" {
				t.Errorf("working directory %s, want /airbyte", lines[2])
			}
			if lines[3] != "writable" {
				t.Errorf("working directory is not writable by uid 1000: %s", lines[3])
			}
			if n := lines[4]; n == "0" || len(n) < 2 {
				t.Errorf("CA bundle holds %s certificates, want the Mozilla set (100+)", n)
			}
		})
	}
}

type inspected struct {
	Config struct {
		User       string
		Env        []string
		Entrypoint []string
		WorkingDir string
		Labels     map[string]string
	}
	Size int64
}

func inspect(t *testing.T, ref string) inspected {
	t.Helper()
	out, err := exec.Command("docker", "image", "inspect", ref).Output()
	if err != nil {
		t.Fatalf("docker image inspect %s: %v", ref, err)
	}
	var got []inspected
	if err := json.Unmarshal(out, &got); err != nil || len(got) != 1 {
		t.Fatalf("docker image inspect %s: %v (%d images)", ref, err, len(got))
	}
	return got[0]
}

// TestConfigMatchesMetadata checks AIRBYTE_ENTRYPOINT == ENTRYPOINT (the
// launcher's wrapper evals $AIRBYTE_ENTRYPOINT) and the io.airbyte.* labels
// against each connector's metadata.yaml.
func TestConfigMatchesMetadata(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range images(t) {
		t.Run(img.name, func(t *testing.T) {
			got := inspect(t, img.ref)
			var ep string
			for _, e := range got.Config.Env {
				if v, ok := strings.CutPrefix(e, "AIRBYTE_ENTRYPOINT="); ok {
					ep = v
				}
			}
			if ep == "" || ep != strings.Join(got.Config.Entrypoint, " ") {
				t.Errorf("AIRBYTE_ENTRYPOINT %q != ENTRYPOINT %q", ep, got.Config.Entrypoint)
			}
			if got.Config.User != "1000:1000" {
				t.Errorf("USER %q, want 1000:1000", got.Config.User)
			}
			b, err := os.ReadFile(filepath.Join(root, img.name, "metadata.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var md struct {
				Data struct {
					DockerRepository string `yaml:"dockerRepository"`
					DockerImageTag   string `yaml:"dockerImageTag"`
				} `yaml:"data"`
			}
			if err := yaml.Unmarshal(b, &md); err != nil {
				t.Fatalf("parse metadata.yaml: %v", err)
			}
			labels := got.Config.Labels
			if labels["io.airbyte.name"] != md.Data.DockerRepository {
				t.Errorf("label io.airbyte.name %q != metadata dockerRepository %q", labels["io.airbyte.name"], md.Data.DockerRepository)
			}
			if labels["io.airbyte.version"] != md.Data.DockerImageTag {
				t.Errorf("label io.airbyte.version %q != metadata dockerImageTag %q", labels["io.airbyte.version"], md.Data.DockerImageTag)
			}
			t.Logf("%s: %d bytes", img.ref, got.Size)
		})
	}
}

// TestSourceCheckMariaDB runs the source image's check against the host's
// MariaDB (host network), with the config mounted read-only as the
// platform mounts its files.
func TestSourceCheckMariaDB(t *testing.T) {
	src, _ := imageRefs(t)
	m := harness.SharedMySQL(t)
	db := m.CreateDatabase(t, "images_check")
	if _, err := m.Root.Exec("CREATE TABLE `" + db + "`.store (id INT PRIMARY KEY, name VARCHAR(20))"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, cfg map[string]any) {
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := map[string]any{
		"host": m.Host, "port": m.Port, "database": db, "username": m.User, "password": m.Password,
		"ssl_mode":           map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD"},
	}
	write("good.json", base)
	bad := map[string]any{}
	for k, v := range base {
		bad[k] = v
	}
	bad["database"] = db + "_missing"
	write("bad.json", bad)

	tests := []struct {
		file, want string
	}{
		{"good.json", "SUCCEEDED"},
		{"bad.json", "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := dockerRun(t, src, []string{"--network", "host", "-v", dir + ":/config:ro"}, "check", "--config", "/config/"+tt.file)
			for _, inv := range res.Invalid {
				t.Errorf("check printed an invalid protocol line: %s", inv)
			}
			st := res.OfType(protocol.TypeConnectionStatus)
			if len(st) != 1 {
				t.Fatalf("check printed %d CONNECTION_STATUS messages (exit %d): %s %s", len(st), res.Code, res.Stdout, res.Stderr)
			}
			if got := string(st[0].ConnectionStatus.Status); got != tt.want {
				t.Errorf("check status %s, want %s: %s", got, tt.want, st[0].ConnectionStatus.Message)
			}
		})
	}
}

// TestLocalBasesIdempotent runs .docker/local-bases.sh twice: the second run
// must name the same two tags, find both, and import nothing.
func TestLocalBasesIdempotent(t *testing.T) {
	imageRefs(t)
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	run := func() (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, ".docker", "local-bases.sh"))
		var errb strings.Builder
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("local-bases.sh: %v\n%s", err, errb.String())
		}
		return string(out), errb.String()
	}
	first, _ := run()
	second, log := run()
	if first != second {
		t.Errorf("second run names other images:\n%s\nwant\n%s", second, first)
	}
	for _, want := range []string{"BUILD_IMAGE=radar-local/go:", "RUNTIME_IMAGE=radar-local/busybox:"} {
		if !strings.Contains(second, want) {
			t.Errorf("output lacks %s: %s", want, second)
		}
	}
	if strings.Count(log, " exists") != 2 || strings.Contains(log, "imported") {
		t.Errorf("second run did not find both tags, or imported again:\n%s", log)
	}
}

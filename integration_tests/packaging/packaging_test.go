// Package packaging checks the Docker images' recipes and the registry
// metadata without a Docker engine: it parses both Dockerfiles, compares
// them with each connector's metadata.yaml and the Makefile's version,
// builds the binaries with exactly the Dockerfile's command, and runs
// their spec.
package packaging

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// dockerfile is the part of a Dockerfile the checks need.
type dockerfile struct {
	stages     []string // FROM images, in order
	finalEnv   map[string]string
	entrypoint []string
	labels     map[string]string
	user       string
	runs       []string // RUN commands of every stage
	finalRuns  []string
	copies     []string
}

// parseDockerfile reads instructions, joining continuation lines.
func parseDockerfile(t *testing.T, path string) *dockerfile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	d := &dockerfile{finalEnv: map[string]string{}, labels: map[string]string{}}
	args := map[string]string{} // ARG defaults before the first FROM
	for _, l := range lines {
		inst, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(inst) {
		case "ARG":
			if len(d.stages) == 0 {
				k, v, _ := strings.Cut(rest, "=")
				args[k] = v
			}
		case "FROM":
			// The base images are build arguments; their defaults are the
			// public images `make docker` builds on.
			img := strings.Fields(rest)[0]
			if strings.HasPrefix(img, "${") && strings.HasSuffix(img, "}") {
				img = args[img[2:len(img)-1]]
			}
			d.stages = append(d.stages, img)
			d.finalEnv, d.labels, d.entrypoint, d.user, d.finalRuns = map[string]string{}, map[string]string{}, nil, "", nil
		case "ENV":
			k, v, _ := strings.Cut(rest, "=")
			d.finalEnv[k] = strings.Trim(v, `"`)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("%s: ENTRYPOINT must use the exec (JSON) form: %v", path, err)
			}
		case "LABEL":
			for _, kv := range regexp.MustCompile(`\S+=("[^"]*"|\S+)`).FindAllString(rest, -1) {
				k, v, _ := strings.Cut(kv, "=")
				d.labels[k] = strings.Trim(v, `"`)
			}
		case "USER":
			d.user = rest
		case "RUN":
			d.runs = append(d.runs, rest)
			d.finalRuns = append(d.finalRuns, rest)
		case "COPY":
			d.copies = append(d.copies, rest)
		}
	}
	return d
}

type metadata struct {
	MetadataSpecVersion string         `yaml:"metadataSpecVersion"`
	Data                map[string]any `yaml:"data"`
}

// Keys of ConnectorMetadataDefinitionV0.data (additionalProperties: false).
var metadataKeys = map[string]bool{
	"name": true, "icon": true, "definitionId": true, "connectorType": true, "dockerRepository": true, "dockerImageTag": true,
	"supportsDbt": true, "supportsNormalization": true, "license": true, "documentationUrl": true, "githubIssueLabel": true,
	"maxSecondsBetweenMessages": true, "releaseDate": true, "protocolVersion": true, "erdUrl": true, "connectorSubtype": true,
	"releaseStage": true, "supportLevel": true, "tags": true, "registries": true, "registryOverrides": true, "allowedHosts": true,
	"releases": true, "normalizationConfig": true, "suggestedStreams": true, "resourceRequirements": true, "ab_internal": true,
	"remoteRegistries": true, "supportsRefreshes": true, "generated": true, "supportsFileTransfer": true, "supportsDataActivation": true,
	"connectorBuildOptions": true, "connectorTestSuitesOptions": true, "externalDocumentationUrls": true, "connectorIPCOptions": true,
}

func readMetadata(t *testing.T, path string) metadata {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m metadata
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return m
}

func makefileVersion(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VERSION \?= (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("Makefile has no VERSION ?= line")
	}
	return string(m[1])
}

var connectors = []struct {
	kind, name, dockerfile string
}{
	{"source", harness.SourceName, "Dockerfile.source"},
	{"destination", harness.DestinationName, "Dockerfile.destination"},
}

func TestDockerfilesAndMetadata(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	version := makefileVersion(t, root)
	for _, c := range connectors {
		t.Run(c.name, func(t *testing.T) {
			d := parseDockerfile(t, filepath.Join(root, c.dockerfile))
			md := readMetadata(t, filepath.Join(root, c.name, "metadata.yaml"))

			if len(d.stages) < 2 {
				t.Errorf("want a multi-stage build, got stages %v", d.stages)
			}
			final := d.stages[len(d.stages)-1]
			if final == "scratch" || strings.Contains(final, "distroless") {
				t.Errorf("runtime image %s has no /bin/sh; the platform starts connectors with sh -c", final)
			}
			if !regexp.MustCompile(`^(alpine|debian|busybox|ubuntu)`).MatchString(final) {
				t.Errorf("runtime image %s is not a known small image with /bin/sh", final)
			}
			ep := d.finalEnv["AIRBYTE_ENTRYPOINT"]
			if ep == "" || !strings.HasPrefix(ep, "/") {
				t.Errorf("AIRBYTE_ENTRYPOINT %q must be an absolute path", ep)
			}
			if ep != strings.Join(d.entrypoint, " ") {
				t.Errorf("AIRBYTE_ENTRYPOINT %q differs from ENTRYPOINT %v", ep, d.entrypoint)
			}
			if !strings.HasSuffix(ep, "/"+c.name) {
				t.Errorf("entrypoint %q does not run %s", ep, c.name)
			}
			if d.user != "1000:1000" && d.user != "1000" && d.user != "airbyte" {
				t.Errorf("USER %q: want the non-root uid 1000", d.user)
			}
			usersOK := false
			for _, r := range d.finalRuns {
				if strings.Contains(r, "airbyte:x:1000:1000:") && strings.Contains(r, "/etc/passwd") && strings.Contains(r, "chown -R 1000:1000 /airbyte") {
					usersOK = true
				}
			}
			if !usersOK {
				t.Errorf("the runtime stage must create uid 1000 with a writable /airbyte")
			}
			// The CA bundle is the runtime base's own (alpine's, or the
			// local busybox base's); the build fails when it is missing.
			certs := false
			for _, r := range d.finalRuns {
				if strings.Contains(r, "test -s /etc/ssl/certs/ca-certificates.crt") {
					certs = true
				}
			}
			if !certs {
				t.Errorf("the runtime image gets no CA certificates")
			}

			data := md.Data
			if md.MetadataSpecVersion != "1.0" {
				t.Errorf("metadataSpecVersion = %q", md.MetadataSpecVersion)
			}
			for _, k := range []string{"name", "definitionId", "connectorType", "dockerRepository", "dockerImageTag", "license", "documentationUrl", "githubIssueLabel", "connectorSubtype", "releaseStage"} {
				if data[k] == nil || data[k] == "" {
					t.Errorf("metadata.yaml lacks required data.%s", k)
				}
			}
			for k := range data {
				if !metadataKeys[k] {
					t.Errorf("metadata.yaml has data.%s, which the registry schema does not allow", k)
				}
			}
			if data["connectorType"] != c.kind {
				t.Errorf("connectorType = %v, want %s", data["connectorType"], c.kind)
			}
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(data["definitionId"].(string)) {
				t.Errorf("definitionId %v is not a UUID", data["definitionId"])
			}
			if d.labels["io.airbyte.name"] != data["dockerRepository"] {
				t.Errorf("LABEL io.airbyte.name %q != metadata dockerRepository %v", d.labels["io.airbyte.name"], data["dockerRepository"])
			}
			if d.labels["io.airbyte.version"] != data["dockerImageTag"] {
				t.Errorf("LABEL io.airbyte.version %q != metadata dockerImageTag %v", d.labels["io.airbyte.version"], data["dockerImageTag"])
			}
			if data["dockerImageTag"] != version {
				t.Errorf("metadata dockerImageTag %v != Makefile VERSION %s", data["dockerImageTag"], version)
			}
			if hosts, _ := data["allowedHosts"].(map[string]any); hosts == nil || hosts["hosts"] == nil {
				t.Errorf("metadata.yaml lacks allowedHosts.hosts")
			}
			// The image labels the runner reads repeat connectorIPCOptions.
			ipc, _ := data["connectorIPCOptions"].(map[string]any)
			dc, _ := ipc["dataChannel"].(map[string]any)
			if dc == nil {
				t.Errorf("metadata.yaml lacks connectorIPCOptions.dataChannel")
			} else {
				join := func(v any) string {
					var parts []string
					for _, x := range v.([]any) {
						parts = append(parts, fmt.Sprint(x))
					}
					return strings.Join(parts, ",")
				}
				for label, want := range map[string]string{
					"radar.data-channel.version":       fmt.Sprint(dc["version"]),
					"radar.data-channel.serialization": join(dc["supportedSerialization"]),
					"radar.data-channel.transport":     join(dc["supportedTransport"]),
				} {
					if d.labels[label] != want {
						t.Errorf("LABEL %s %q != metadata connectorIPCOptions %q", label, d.labels[label], want)
					}
				}
			}
		})
	}
}

// goBuildRe finds the Dockerfile's build command.
var goBuildRe = regexp.MustCompile(`cd (\S+) && (.*?go build .*)$`)

func TestBinariesBuiltAsInDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both connectors")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	version := makefileVersion(t, root)
	mk, _ := os.ReadFile(filepath.Join(root, "Makefile"))
	for _, c := range connectors {
		t.Run(c.name, func(t *testing.T) {
			d := parseDockerfile(t, filepath.Join(root, c.dockerfile))
			var build string
			var dir string
			for _, r := range d.runs {
				if m := goBuildRe.FindStringSubmatch(r); m != nil {
					dir, build = m[1], m[2]
				}
			}
			if build == "" {
				t.Fatalf("no `cd <module> && ... go build` RUN line in %s", c.dockerfile)
			}
			for _, flag := range []string{"CGO_ENABLED=0", "GOWORK=off", "-trimpath", "-s -w", "-X main.version="} {
				if !strings.Contains(build, flag) {
					t.Errorf("the Dockerfile build lacks %s: %s", flag, build)
				}
				if !strings.Contains(string(mk), flag) {
					t.Errorf("the Makefile build lacks %s", flag)
				}
			}
			// Run the very same command, with the Dockerfile's ARG value and
			// /out pointing to a temp dir.
			out := t.TempDir()
			cmdline := strings.ReplaceAll(build, "${VERSION}", version)
			cmdline = strings.ReplaceAll(cmdline, "/out/", out+"/")
			cmd := exec.Command("sh", "-c", cmdline)
			cmd.Dir = filepath.Join(root, dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmdline, err, b)
			}
			bin := filepath.Join(out, c.name)
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked", c.name)
				}
			}
			f.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := harness.Command(ctx, bin, nil, nil, "spec")
			if err != nil {
				t.Fatal(err)
			}
			for _, inv := range res.Invalid {
				t.Errorf("spec printed an invalid line: %s", inv)
			}
			if res.Code != 0 || len(res.OfType(protocol.TypeSpec)) != 1 {
				t.Fatalf("spec: exit %d, output %s %s", res.Code, res.Stdout, res.Stderr)
			}
			v, err := harness.Command(ctx, bin, nil, nil, "--version")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(v.Stdout)+string(v.Stderr), version) {
				t.Errorf("--version does not print %s: %s %s", version, v.Stdout, v.Stderr)
			}
		})
	}
}

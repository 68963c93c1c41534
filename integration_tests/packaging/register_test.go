package packaging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// fakeAirbyte is an in-memory Airbyte public API (/api/public/v1) that
// records every request and checks it, and every answer it gives, against
// the published OpenAPI document.
type fakeAirbyte struct {
	mu         sync.Mutex
	api        *openAPI
	workspace  string
	token      string
	requests   []string // "METHOD /path"
	violations []string
	ids        int
	defs       map[string][]map[string]any // "sources"/"destinations"
	actors     map[string][]map[string]any
	conns      []map[string]any
	streams    []map[string]any
	fail       map[string]string // "METHOD /path" -> detail of a 400 answer
}

const fakePrefix = "/api/public/v1"

func newFakeAirbyte(t *testing.T, api *openAPI, catalogPath string) (*fakeAirbyte, *httptest.Server) {
	t.Helper()
	f := &fakeAirbyte{api: api, workspace: "7b5ad6a4-0c1e-4b7e-9a53-3f6f5c7d9e10", token: "fake-token-1",
		defs: map[string][]map[string]any{}, actors: map[string][]map[string]any{}, fail: map[string]string{}}
	b, err := os.ReadFile(catalogPath)
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Streams []struct {
			Stream struct {
				Name                    string     `json:"name"`
				Namespace               string     `json:"namespace"`
				SourceDefinedPrimaryKey [][]string `json:"source_defined_primary_key"`
				SourceDefinedCursor     bool       `json:"source_defined_cursor"`
				DefaultCursorField      []string   `json:"default_cursor_field"`
				SupportedSyncModes      []string   `json:"supported_sync_modes"`
			} `json:"stream"`
			PrimaryKey [][]string `json:"primary_key"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	for _, s := range cat.Streams {
		// What the platform's /streams answers for our source: its discover
		// declares no cursor (sourceDefinedCursorField false, no default).
		pk := s.Stream.SourceDefinedPrimaryKey
		if pk == nil {
			pk = s.PrimaryKey
		}
		f.streams = append(f.streams, map[string]any{
			"streamName": s.Stream.Name, "streamnamespace": s.Stream.Namespace,
			"syncModes":                []string{"full_refresh_overwrite", "full_refresh_append", "incremental_append", "incremental_deduped_history"},
			"sourceDefinedCursorField": s.Stream.SourceDefinedCursor, "defaultCursorField": append([]string{}, s.Stream.DefaultCursorField...),
			"sourceDefinedPrimaryKey": pk,
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAirbyte) id() string {
	f.ids++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.ids)
}

func (f *fakeAirbyte) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	path, ok := strings.CutPrefix(r.URL.Path, fakePrefix)
	if !ok {
		http.Error(w, "not under "+fakePrefix, http.StatusNotFound)
		return
	}
	key := r.Method + " " + path
	f.requests = append(f.requests, key)
	f.violations = append(f.violations, f.api.checkRequest(r.Method, path, r.URL.Query(), r.Header.Get("Content-Type"), body)...)
	if path != "/applications/token" && r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if detail, ok := f.fail[key]; ok {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"type": "https://reference.airbyte.com/reference/errors", "title": "bad-request", "status": 400, "detail": detail})
		return
	}
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	out, status := f.answer(r, path, in)
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	raw, _ := json.Marshal(out)
	if err := f.api.checkResponse(r.Method, path, raw); err != nil {
		f.violations = append(f.violations, fmt.Sprintf("the fake's answer to %s does not match the API: %v", key, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(raw)
}

func (f *fakeAirbyte) answer(r *http.Request, path string, in map[string]any) (any, int) {
	q := r.URL.Query()
	defsPrefix := "/workspaces/" + f.workspace + "/definitions/"
	switch {
	case r.Method == "POST" && path == "/applications/token":
		return map[string]any{"access_token": f.token, "token_type": "Bearer", "expires_in": 180}, 200
	case strings.HasPrefix(path, defsPrefix):
		kind, defID, _ := strings.Cut(strings.TrimPrefix(path, defsPrefix), "/")
		switch r.Method {
		case "GET":
			return map[string]any{"data": orEmpty(f.defs[kind])}, 200
		case "POST":
			d := map[string]any{"id": f.id(), "name": in["name"], "dockerRepository": in["dockerRepository"],
				"dockerImageTag": in["dockerImageTag"], "documentationUrl": in["documentationUrl"]}
			f.defs[kind] = append(f.defs[kind], d)
			return d, 200
		case "PUT":
			for _, d := range f.defs[kind] {
				if d["id"] == defID {
					d["dockerImageTag"], d["name"] = in["dockerImageTag"], in["name"]
					return d, 200
				}
			}
			return nil, 404
		}
	case path == "/sources" || path == "/destinations":
		kind := strings.TrimPrefix(path, "/")
		idKey := strings.TrimSuffix(kind, "s") + "Id"
		if r.Method == "GET" {
			return f.page(path, f.actors[kind], q), 200
		}
		a := map[string]any{idKey: f.id(), "name": in["name"], strings.TrimSuffix(kind, "s") + "Type": "custom",
			"definitionId": in["definitionId"], "workspaceId": in["workspaceId"], "configuration": map[string]any{}, "createdAt": 1767225600}
		f.actors[kind] = append(f.actors[kind], a)
		return a, 200
	case r.Method == "GET" && path == "/streams":
		return f.streams, 200
	case path == "/connections":
		if r.Method == "GET" {
			return f.page(path, f.conns, q), 200
		}
		c := map[string]any{"connectionId": f.id(), "name": in["name"], "sourceId": in["sourceId"], "destinationId": in["destinationId"],
			"workspaceId": f.workspace, "status": "active", "schedule": map[string]any{"scheduleType": "manual"},
			"configurations": in["configurations"], "namespaceDefinition": in["namespaceDefinition"], "createdAt": 1767225600,
			"tags": []any{}}
		f.conns = append(f.conns, c)
		return c, 200
	}
	return nil, 404
}

// page answers a list call with limit/offset as the public API does.
func (f *fakeAirbyte) page(path string, all []map[string]any, q map[string][]string) map[string]any {
	limit, offset := 20, 0
	if v := first(q["limit"]); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := first(q["offset"]); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	end := min(offset+limit, len(all))
	out := map[string]any{"data": orEmpty(all[min(offset, len(all)):end])}
	if end < len(all) {
		out["next"] = fmt.Sprintf("http://fake%s%s?limit=%d&offset=%d", fakePrefix, path, limit, end)
	}
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func (f *fakeAirbyte) take() (requests, violations []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	requests, violations = f.requests, f.violations
	f.requests, f.violations = nil, nil
	return requests, violations
}

// TestRegisterConnectors runs examples/airbyte/register_connectors.py
// against the fake Airbyte: every request must match Airbyte's published
// public-API document, incremental streams carry their cursor fields, a
// second run creates nothing, and errors name the call without secrets.
func TestRegisterConnectors(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIP: python3 is not installed; register_connectors.py was not run")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	api, err := loadOpenAPI(airbyteAPISubset)
	if err != nil {
		t.Fatal(err)
	}
	catalog := filepath.Join(root, "examples", "local", "catalog.json")
	const password = "s3cr3t-radar-pw"
	dir := t.TempDir()
	var src map[string]any
	b, err := os.ReadFile(filepath.Join(root, "examples", "local", "source.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &src); err != nil {
		t.Fatal(err)
	}
	src["password"] = password
	b, _ = json.Marshal(src)
	srcCfg := filepath.Join(dir, "source.json")
	if err := os.WriteFile(srcCfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dstCfg := filepath.Join(root, "examples", "local", "destination.json")
	script := filepath.Join(root, "examples", "airbyte", "register_connectors.py")

	run := func(t *testing.T, f *fakeAirbyte, srv *httptest.Server, args ...string) (string, string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, py, append([]string{script, "--source-config", srcCfg, "--destination-config", dstCfg}, args...)...)
		cmd.Env = append(os.Environ(), "AIRBYTE_URL="+srv.URL+fakePrefix, "AIRBYTE_CLIENT_ID=radar-client",
			"AIRBYTE_CLIENT_SECRET=radar-client-secret", "AIRBYTE_WORKSPACE_ID="+f.workspace, "PYTHONDONTWRITEBYTECODE=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	posts := func(reqs []string) []string {
		var out []string
		for _, r := range reqs {
			if !strings.HasPrefix(r, "GET ") && r != "POST /applications/token" {
				out = append(out, r)
			}
		}
		return out
	}
	checkValid := func(t *testing.T, f *fakeAirbyte) []string {
		t.Helper()
		reqs, violations := f.take()
		for _, v := range violations {
			t.Error(v)
		}
		if len(reqs) == 0 {
			t.Fatal("the script made no request")
		}
		return reqs
	}

	t.Run("catalog twice", func(t *testing.T) {
		f, srv := newFakeAirbyte(t, api, catalog)
		// Other sources fill the first page: the second run must page on
		// to find its own.
		for i := 0; i < 120; i++ {
			f.actors["sources"] = append(f.actors["sources"], map[string]any{"sourceId": f.id(), "name": fmt.Sprintf("other_%d", i),
				"sourceType": "postgres", "definitionId": f.id(), "workspaceId": f.workspace, "configuration": map[string]any{}, "createdAt": 1767225600})
		}
		out, stderr, code := run(t, f, srv, "--catalog", catalog)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		reqs := checkValid(t, f)
		ws := "/workspaces/" + f.workspace
		want := []string{"POST " + ws + "/definitions/sources", "POST " + ws + "/definitions/destinations", "POST /sources",
			"POST /destinations", "POST /connections"}
		if got := posts(reqs); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("first run's changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var ids map[string]any
		if err := json.Unmarshal([]byte(out), &ids); err != nil {
			t.Fatalf("the output is not JSON: %v\n%s", err, out)
		}
		if len(f.conns) != 1 || ids["connectionId"] != f.conns[0]["connectionId"] {
			t.Fatalf("connections %v, printed %v", f.conns, ids["connectionId"])
		}
		streams := f.conns[0]["configurations"].(map[string]any)["streams"].([]any)
		cursors := map[string]string{}
		for _, s := range streams {
			m := s.(map[string]any)
			if strings.HasPrefix(m["syncMode"].(string), "incremental") {
				cf, _ := m["cursorField"].([]any)
				if len(cf) != 1 {
					t.Errorf("incremental stream %s has cursorField %v", m["name"], m["cursorField"])
					continue
				}
				cursors[m["name"].(string)] = cf[0].(string)
			}
			if m["primaryKey"] == nil {
				t.Errorf("stream %s has no primaryKey", m["name"])
			}
		}
		if len(streams) != len(f.streams) || cursors["transacoes"] != "atualizado_em" || cursors["user_access"] != "accessed_at" {
			t.Errorf("%d streams, cursors %v", len(streams), cursors)
		}

		out2, stderr2, code := run(t, f, srv, "--catalog", catalog)
		if code != 0 {
			t.Fatalf("second run: exit %d\n%s", code, stderr2)
		}
		reqs = checkValid(t, f)
		if got := posts(reqs); len(got) != 0 {
			t.Errorf("the second run changed: %v", got)
		}
		var ids2 map[string]any
		json.Unmarshal([]byte(out2), &ids2)
		for _, k := range []string{"sourceDefinitionId", "destinationDefinitionId", "sourceId", "destinationId", "connectionId"} {
			if ids2[k] != ids[k] {
				t.Errorf("second run: %s %v, first %v", k, ids2[k], ids[k])
			}
		}
		if strings.Contains(stderr2, "differ") {
			t.Errorf("the second run found the connection different: %s", stderr2)
		}
	})

	t.Run("new image tag moves the definitions", func(t *testing.T) {
		f, srv := newFakeAirbyte(t, api, catalog)
		if _, stderr, code := run(t, f, srv, "--catalog", catalog); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		checkValid(t, f)
		if _, stderr, code := run(t, f, srv, "--catalog", catalog, "--image-tag", "0.2.0"); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		reqs := checkValid(t, f)
		got := posts(reqs)
		if len(got) != 2 || !strings.HasPrefix(got[0], "PUT ") || !strings.HasPrefix(got[1], "PUT ") {
			t.Errorf("want two PUTs of the definitions, got %v", got)
		}
	})

	t.Run("incremental without a cursor", func(t *testing.T) {
		f, srv := newFakeAirbyte(t, api, catalog)
		_, stderr, code := run(t, f, srv, "--streams", "store,transacoes", "--incremental")
		if code == 0 {
			t.Fatal("the script accepted incremental streams without a cursor field")
		}
		if !strings.Contains(stderr, "--cursor-field transacoes=") || strings.Contains(stderr, "Traceback") {
			t.Errorf("unclear error:\n%s", stderr)
		}
		for _, r := range checkValid(t, f) {
			if r == "POST /connections" {
				t.Error("a connection was created")
			}
		}
		_, stderr, code = run(t, f, srv, "--streams", "store,transacoes", "--incremental",
			"--cursor-field", "transacoes=atualizado_em", "--cursor-field", "store=Modified_At")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		checkValid(t, f)
		if len(f.conns) != 1 {
			t.Fatalf("%d connections", len(f.conns))
		}
		for _, s := range f.conns[0]["configurations"].(map[string]any)["streams"].([]any) {
			m := s.(map[string]any)
			if m["syncMode"] != "incremental_append" || m["cursorField"] == nil {
				t.Errorf("stream %v", m)
			}
		}
	})

	t.Run("errors name the call without secrets", func(t *testing.T) {
		f, srv := newFakeAirbyte(t, api, catalog)
		f.fail["POST /sources"] = `The provided configuration does not fulfill the specification: {"password":"` + password + `"} is not valid`
		out, stderr, code := run(t, f, srv, "--catalog", catalog)
		checkValid(t, f)
		if code == 0 {
			t.Fatal("exit 0 after an HTTP 400")
		}
		for _, want := range []string{"POST /sources", "HTTP 400", "does not fulfill the specification"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("the error lacks %q:\n%s", want, stderr)
			}
		}
		for _, secret := range []string{password, "radar-client-secret", "fake-token-1"} {
			if strings.Contains(stderr+out, secret) {
				t.Errorf("the output shows a secret:\n%s%s", out, stderr)
			}
		}
		if strings.Contains(stderr, "Traceback") {
			t.Errorf("a Python traceback:\n%s", stderr)
		}
	})
}

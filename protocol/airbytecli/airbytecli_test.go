package airbytecli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

const testSpec = `{
  "documentationUrl": "https://example.com/docs",
  "connectionSpecification": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["host", "port"],
    "properties": {
      "host": {"type": "string", "order": 0},
      "port": {"type": "integer", "minimum": 0, "maximum": 65536, "order": 1},
      "password": {"type": "string", "airbyte_secret": true, "order": 2},
      "ssl_mode": {"type": "object", "order": 3, "oneOf": [
        {"title": "preferred", "required": ["mode"], "properties": {"mode": {"type": "string", "const": "preferred"}}},
        {"title": "verify_ca", "required": ["mode", "ca_certificate"], "properties": {
          "mode": {"type": "string", "const": "verify_ca"},
          "ca_certificate": {"type": "string", "airbyte_secret": true},
          "client_key": {"type": "string", "airbyte_secret": true}}}
      ]}
    }
  }
}`

// fakeSource behaves according to the config's host field.
type fakeSource struct{ spec *connspec.Spec }

func (s *fakeSource) Spec() *connspec.Spec { return s.spec }

func hostOf(cfg json.RawMessage) string {
	var c struct{ Host, Password string }
	_ = json.Unmarshal(cfg, &c)
	return c.Host
}

func (s *fakeSource) behave(cfg json.RawMessage) error {
	var c struct{ Host, Password string }
	_ = json.Unmarshal(cfg, &c)
	switch c.Host {
	case "config-error":
		return protocol.ConfigError(errors.New("dial tcp: user:"+c.Password+"@host refused"), "Access denied for the user; check the password %s", c.Password)
	case "transient":
		return protocol.TransientError(errors.New("i/o timeout"), "Cannot reach the server")
	case "system":
		return errors.New("unexpected condition with secret " + c.Password)
	case "panic":
		panic("boom " + c.Password)
	}
	return nil
}

func (s *fakeSource) Check(ctx context.Context, env *airbytecli.Env, cfg json.RawMessage) error {
	env.Log.Info("checking", "dsn", "root:"+hostOf(cfg))
	return s.behave(cfg)
}

func (s *fakeSource) Discover(ctx context.Context, env *airbytecli.Env, cfg json.RawMessage) (*protocol.Catalog, error) {
	if err := s.behave(cfg); err != nil {
		return nil, err
	}
	return &protocol.Catalog{Streams: []protocol.Stream{{
		Name: "users", Namespace: "shop", JSONSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"integer"}}}`),
		SupportedSyncModes: []protocol.SyncMode{protocol.SyncModeFullRefresh},
	}}}, nil
}

func (s *fakeSource) Read(ctx context.Context, env *airbytecli.Env, cfg json.RawMessage, cat *protocol.ConfiguredCatalog, st *protocol.InputState) error {
	if err := s.behave(cfg); err != nil {
		return err
	}
	p := protocol.NewRecordPrefix("shop", "users")
	if err := env.Out.WriteRecord(p, 1700000000000, []byte(`{"id":1}`), nil); err != nil {
		return err
	}
	return env.Out.State(&protocol.StateMessage{Type: protocol.StateStream,
		Stream:      &protocol.StreamState{StreamDescriptor: protocol.StreamDescriptor{Name: "users", Namespace: "shop"}, StreamState: json.RawMessage(`{"n":1}`)},
		SourceStats: protocol.NewStateStats(1)})
}

type result struct {
	code   int
	stdout string
	stderr string
	msgs   []protocol.Message
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	src := &fakeSource{spec: connspec.MustLoad([]byte(testSpec))}
	var out, errOut bytes.Buffer
	code := airbytecli.RunSource(context.Background(), src, airbytecli.Options{Name: "source-fake"}, append([]string{"source-fake"}, args...), strings.NewReader(""), &out, &errOut)
	r := result{code: code, stdout: out.String(), stderr: errOut.String()}
	r.msgs = protocoltest.ValidateOutput(t, out.Bytes())
	return r
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const secret = "S3cr3t-P@ss/word"

func config(t *testing.T, host string) string {
	return writeFile(t, "config.json", `{"host":"`+host+`","port":3306,"password":"`+secret+`"}`)
}

const catalogJSON = `{"streams":[{"stream":{"name":"users","namespace":"shop","json_schema":{},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`

func TestExitCodesAndFailureTypes(t *testing.T) {
	cases := []struct {
		name        string
		args        func(t *testing.T) []string
		wantCode    int
		wantStatus  protocol.ConnectionStatusValue
		wantFailure protocol.FailureType
	}{
		{"spec", func(t *testing.T) []string { return []string{"spec"} }, 0, "", ""},
		{"check ok", func(t *testing.T) []string { return []string{"check", "--config", config(t, "ok")} }, 0, protocol.StatusSucceeded, ""},
		{"check config error", func(t *testing.T) []string { return []string{"check", "--config", config(t, "config-error")} }, 0, protocol.StatusFailed, ""},
		{"check transient", func(t *testing.T) []string { return []string{"check", "--config", config(t, "transient")} }, 0, protocol.StatusFailed, ""},
		{"check system error", func(t *testing.T) []string { return []string{"check", "--config", config(t, "system")} }, 1, "", protocol.FailureSystem},
		{"check invalid config", func(t *testing.T) []string {
			return []string{"check", "--config", writeFile(t, "c.json", `{"host":1,"password":"`+secret+`"}`)}
		}, 0, protocol.StatusFailed, ""},
		{"check missing file", func(t *testing.T) []string { return []string{"check", "--config", "/nonexistent/config.json"} }, 0, protocol.StatusFailed, ""},
		{"discover ok", func(t *testing.T) []string { return []string{"discover", "--config", config(t, "ok")} }, 0, "", ""},
		{"discover config error", func(t *testing.T) []string { return []string{"discover", "--config", config(t, "config-error")} }, 1, "", protocol.FailureConfig},
		{"discover transient", func(t *testing.T) []string { return []string{"discover", "--config", config(t, "transient")} }, 1, "", protocol.FailureTransient},
		{"discover invalid config", func(t *testing.T) []string {
			return []string{"discover", "--config", writeFile(t, "c.json", `{"host":"x"}`)}
		}, 1, "", protocol.FailureConfig},
		{"discover panic", func(t *testing.T) []string { return []string{"discover", "--config", config(t, "panic")} }, 1, "", protocol.FailureSystem},
		{"read ok", func(t *testing.T) []string {
			return []string{"read", "--config", config(t, "ok"), "--catalog", writeFile(t, "cat.json", catalogJSON)}
		}, 0, "", ""},
		{"read bad catalog", func(t *testing.T) []string {
			return []string{"read", "--config", config(t, "ok"), "--catalog", writeFile(t, "cat.json", `{"streams":[{"stream":{"name":"__AIRBYTE__stream_that_does_not_exist"},"sync_mode":"INVALID"}]}`)}
		}, 1, "", protocol.FailureConfig},
		{"read bad state", func(t *testing.T) []string {
			return []string{"read", "--config", config(t, "ok"), "--catalog", writeFile(t, "cat.json", catalogJSON), "--state", writeFile(t, "s.json", `[1,2`)}
		}, 1, "", protocol.FailureConfig},
		{"read missing flag", func(t *testing.T) []string { return []string{"read", "--config", config(t, "ok")} }, 1, "", protocol.FailureConfig},
		{"unknown command", func(t *testing.T) []string { return []string{"frobnicate"} }, 1, "", protocol.FailureConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args(t)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			statuses := protocoltest.OfType(r.msgs, protocol.TypeConnectionStatus)
			if tc.wantStatus != "" {
				if len(statuses) != 1 || statuses[0].ConnectionStatus.Status != tc.wantStatus {
					t.Fatalf("want exactly one CONNECTION_STATUS %s, got %s", tc.wantStatus, r.stdout)
				}
				if tc.wantStatus == protocol.StatusFailed && statuses[0].ConnectionStatus.Message == "" {
					t.Errorf("FAILED status without a message")
				}
				if len(protocoltest.OfType(r.msgs, protocol.TypeTrace)) != 0 {
					t.Errorf("check printed a TRACE besides its status: %s", r.stdout)
				}
			} else if len(statuses) != 0 {
				t.Errorf("unexpected CONNECTION_STATUS: %s", r.stdout)
			}
			traces := protocoltest.OfType(r.msgs, protocol.TypeTrace)
			if tc.wantFailure != "" {
				if len(traces) != 1 || traces[0].Trace.Error == nil {
					t.Fatalf("want exactly one TRACE ERROR, got %s", r.stdout)
				}
				if got := traces[0].Trace.Error.FailureType; got != tc.wantFailure {
					t.Errorf("failure_type = %s, want %s (message %q)", got, tc.wantFailure, traces[0].Trace.Error.Message)
				}
			} else if len(traces) != 0 {
				t.Errorf("unexpected TRACE: %s", r.stdout)
			}
			if strings.Contains(r.stdout, "goroutine ") && !strings.Contains(r.stdout, `"stack_trace"`) {
				t.Errorf("stack dump on stdout")
			}
			for _, leak := range []string{secret, "S3cr3t-P%40ss%2Fword", "S3cr3t-P%40ss/word"} {
				if strings.Contains(r.stdout, leak) || strings.Contains(r.stderr, leak) {
					t.Errorf("secret %q leaked:\nstdout: %s\nstderr: %s", leak, r.stdout, r.stderr)
				}
			}
		})
	}
}

func TestSpecPrintsExactlyOneSpec(t *testing.T) {
	r := run(t, "spec")
	specs := protocoltest.OfType(r.msgs, protocol.TypeSpec)
	if len(specs) != 1 || len(r.msgs) != 1 {
		t.Fatalf("want exactly one SPEC message, got %s", r.stdout)
	}
	if !bytes.Contains(specs[0].Spec.ConnectionSpecification, []byte(`"airbyte_secret"`)) {
		t.Errorf("spec lost its airbyte_secret markers")
	}
}

func TestInvalidConfigNamesTheProperty(t *testing.T) {
	cases := []struct {
		config string
		want   []string
	}{
		{`{"port":3306}`, []string{"`host` is required"}},
		{`{"host":"h","port":"x"}`, []string{"`port`", "integer"}},
		{`{"host":"h","port":70000}`, []string{"`port` must be <= 65536"}},
		{`{"host":"h","port":1,"ssl_mode":{"mode":"verify_ca"}}`, []string{"`ssl_mode.ca_certificate` is required"}},
		{`{"host":"h","port":1,"ssl_mode":{"mode":"bogus"}}`, []string{"`ssl_mode.mode` must be one of", "preferred", "verify_ca"}},
		{`{"host":"h",`, []string{"not valid JSON"}},
		{`[1]`, []string{"must be a JSON object"}},
	}
	for _, tc := range cases {
		r := run(t, "check", "--config", writeFile(t, "c.json", tc.config))
		st := protocoltest.OfType(r.msgs, protocol.TypeConnectionStatus)
		if len(st) != 1 {
			t.Fatalf("%s: no status: %s", tc.config, r.stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(st[0].ConnectionStatus.Message, w) {
				t.Errorf("%s: message %q does not contain %q", tc.config, st[0].ConnectionStatus.Message, w)
			}
		}
	}
}

func TestSecretsInNestedOneOfAreRedacted(t *testing.T) {
	key := "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----"
	cfg, _ := json.Marshal(map[string]any{"host": "system", "port": 1, "password": "short-pw-123",
		"ssl_mode": map[string]any{"mode": "verify_ca", "ca_certificate": "CA-CERT-VALUE-XYZ", "client_key": key}})
	src := &fakeSource{spec: connspec.MustLoad([]byte(testSpec))}
	secrets := src.spec.Secrets(cfg)
	want := map[string]bool{"short-pw-123": true, "CA-CERT-VALUE-XYZ": true, key: true}
	if len(secrets) != len(want) {
		t.Fatalf("Secrets() = %q", secrets)
	}
	for _, s := range secrets {
		if !want[s] {
			t.Errorf("unexpected secret %q", s)
		}
	}
}

func TestPanicBecomesSystemErrorTrace(t *testing.T) {
	r := run(t, "discover", "--config", config(t, "panic"))
	traces := protocoltest.OfType(r.msgs, protocol.TypeTrace)
	if len(traces) != 1 {
		t.Fatalf("want one trace, got %s", r.stdout)
	}
	e := traces[0].Trace.Error
	if e.FailureType != protocol.FailureSystem || e.StackTrace == "" || !strings.Contains(e.InternalMessage, "boom") {
		t.Errorf("unexpected trace %+v", e)
	}
	if strings.Contains(r.stdout, secret) {
		t.Errorf("panic value leaked the secret")
	}
}

func TestReadOutputIsValid(t *testing.T) {
	r := run(t, "read", "--config", config(t, "ok"), "--catalog", writeFile(t, "cat.json", catalogJSON), "--state", writeFile(t, "s.json", `[]`))
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.stdout)
	}
	if n := len(protocoltest.OfType(r.msgs, protocol.TypeRecord)); n != 1 {
		t.Errorf("records = %d", n)
	}
	if !strings.Contains(r.stdout, `"recordCount":1.0`) {
		t.Errorf("state count not written as a decimal: %s", r.stdout)
	}
}

func TestPlainExtraCommand(t *testing.T) {
	src := &fakeSource{spec: connspec.MustLoad([]byte(testSpec))}
	report := &airbytecli.Command{
		Name:  "report",
		Plain: true,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "fail"}},
		Action: func(ctx context.Context, env *airbytecli.Env, c *cli.Context) error {
			fmt.Fprintln(env.Stdout, "stream store: 3 files")
			if c.Bool("fail") {
				return errors.New("1 of 2 streams failed the check, token " + secret)
			}
			return nil
		},
	}
	for _, fail := range []bool{false, true} {
		var out, errOut bytes.Buffer
		args := []string{"source-fake", "report"}
		if fail {
			args = append(args, "--fail")
		}
		// Register the secret as the frame would after reading a config.
		code := airbytecli.RunSource(context.Background(), src, airbytecli.Options{Name: "source-fake", Commands: []*airbytecli.Command{report}},
			args, strings.NewReader(""), &out, &errOut)
		if out.String() != "stream store: 3 files\n" {
			t.Errorf("stdout = %q", out.String())
		}
		want := 0
		if fail {
			want = 1
			if !strings.Contains(errOut.String(), "source-fake report: 1 of 2 streams failed") {
				t.Errorf("stderr = %q", errOut.String())
			}
		}
		if code != want {
			t.Errorf("fail=%v: exit %d, want %d", fail, code, want)
		}
	}
}

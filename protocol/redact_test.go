package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

func TestRedactorForms(t *testing.T) {
	secret := `p@ss w"rd/é&x=1`
	r := protocol.NewRedactor(secret, "", "ab")
	dsn := fmt.Sprintf("user:%s@tcp(db:3306)/radar", secret)
	u := url.URL{Scheme: "mysql", User: url.UserPassword("user", secret), Host: "db"}
	jsonQuoted, _ := json.Marshal("password is " + secret)
	cases := []string{
		"plain " + secret + " end",
		dsn,
		u.String(),
		"q=" + url.QueryEscape(secret),
		string(jsonQuoted),
		fmt.Sprintf("%q", secret),
	}
	for _, c := range cases {
		got := r.String(c)
		if strings.Contains(got, "p@ss") || strings.Contains(got, "p%40ss") {
			t.Errorf("secret survived in %q -> %q", c, got)
		}
		if !strings.Contains(got, protocol.Mask) {
			t.Errorf("no mask in %q -> %q", c, got)
		}
	}
	// Short secrets only go as whole words.
	if got := r.String("label ab and abc"); got != "label **** and abc" {
		t.Errorf("short secret: %q", got)
	}
	if got := r.String("nothing here"); got != "nothing here" {
		t.Errorf("changed clean text: %q", got)
	}
}

func TestRedactorMultilineKey(t *testing.T) {
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1vV3aexamplekeymaterial0001\nQmFzZTY0ZW5jb2RlZGtleW1hdGVyaWFsMDAwMg==\n-----END RSA PRIVATE KEY-----"
	r := protocol.NewRedactor(key)
	got := r.String("ssh: cannot parse key line MIIEowIBAAKCAQEAx1vV3aexamplekeymaterial0001")
	if strings.Contains(got, "MIIEowIBAAKCAQEAx1vV3aexamplekeymaterial0001") {
		t.Errorf("key line leaked: %s", got)
	}
}

func TestWriterRedactsLogsAndTraces(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	w.SetRedactor(protocol.NewRedactor("hunter2-secret"))
	log := protocol.NewLogger(w, slog.LevelDebug)
	log.Info("connecting", "dsn", "root:hunter2-secret@tcp(x)/db")
	log.With("component", "tls").WithGroup("g").Debug("detail", "k", "v hunter2-secret")
	_ = w.Error(protocol.ConfigError(fmt.Errorf("dial: hunter2-secret"), "bad password hunter2-secret"))
	_ = w.ConnectionStatus(protocol.StatusFailed, "auth hunter2-secret")
	// Records are data and are never rewritten.
	_ = w.WriteRecord(protocol.NewRecordPrefix("", "s"), 1, []byte(`{"note":"hunter2-secret"}`), nil)
	_ = w.Flush()
	out := buf.String()
	msgs := protocoltest.ValidateOutput(t, buf.Bytes())
	if len(msgs) != 5 {
		t.Fatalf("messages: %s", out)
	}
	if n := strings.Count(out, "hunter2-secret"); n != 1 {
		t.Errorf("secret appears %d times outside the record:\n%s", n, out)
	}
	if !strings.Contains(out, `component=tls g.k=\"v ****\"`) {
		t.Errorf("log attrs not rendered: %s", out)
	}
}

func TestRedactingWriterHoldsPartialLines(t *testing.T) {
	var buf bytes.Buffer
	rw := protocol.NewRedactingWriter(&buf, protocol.NewRedactor("topsecret"))
	fmt.Fprint(rw, "a top")
	fmt.Fprint(rw, "secret b\nc topsec")
	if buf.String() != "a **** b\n" {
		t.Errorf("after first line: %q", buf.String())
	}
	fmt.Fprint(rw, "ret\n")
	_ = rw.Flush()
	if buf.String() != "a **** b\nc ****\n" {
		t.Errorf("final: %q", buf.String())
	}
}

func TestErrorClassification(t *testing.T) {
	base := fmt.Errorf("dial tcp 10.0.0.1:3306: connect: connection refused")
	cfg := protocol.ConfigError(base, "Cannot connect to %s", "db:3306")
	wrapped := fmt.Errorf("check: %w", cfg)
	st := protocol.WithStream(wrapped, protocol.StreamDescriptor{Name: "store", Namespace: "radar"})
	if protocol.FailureTypeOf(st) != protocol.FailureConfig {
		t.Errorf("failure type = %s", protocol.FailureTypeOf(st))
	}
	if got := protocol.UserMessage(st); got != "stream radar.store: Cannot connect to db:3306" {
		t.Errorf("user message = %q", got)
	}
	tr := protocol.ErrorTraceOf(st)
	if tr.StreamDescriptor == nil || tr.StreamDescriptor.Name != "store" || !strings.Contains(tr.InternalMessage, "connection refused") {
		t.Errorf("trace = %+v", tr)
	}
	if protocol.FailureTypeOf(base) != protocol.FailureSystem {
		t.Errorf("plain errors are system errors")
	}
	if protocol.FailureTypeOf(protocol.TransientError(nil, "x")) != protocol.FailureTransient {
		t.Errorf("transient")
	}
}

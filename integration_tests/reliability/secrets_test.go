package reliability

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// testCA is a certificate authority for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  string
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue returns a certificate and its key (PEM) for a server (DNS names)
// or a client.
func (ca *testCA) issue(t *testing.T, cn string, server bool, dns ...string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageClientAuth
	if server {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: dns,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// secret is a value of an airbyte_secret field that must never be printed
// or written anywhere.
type secret struct {
	field string
	value string
}

// spellings lists the forms a secret could take in output: raw, URL
// (query, path, userinfo) and JSON/Go escaped, and for multi-line values
// (PEM) every long line.
func (s secret) spellings() []string {
	v := s.value
	out := []string{v, url.QueryEscape(v), url.PathEscape(v), strings.ReplaceAll(url.QueryEscape(v), "+", "%20"),
		strings.TrimPrefix(url.UserPassword("", v).String(), ":"), strings.Trim(strconv.Quote(v), `"`)}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(v)
		out = append(out, strings.Trim(strings.TrimSpace(b.String()), `"`))
	}
	if strings.Contains(v, "\n") {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	return out
}

// scanner runs connector commands in fresh working, temp and home
// directories and checks everything they print or write for secrets.
type scanner struct {
	t       *testing.T
	secrets []secret
	runs    int
}

// find returns a description of the first secret found in b, or "".
func (sc *scanner) find(b []byte) string {
	for _, s := range sc.secrets {
		for _, sp := range s.spellings() {
			if sp != "" && bytes.Contains(b, []byte(sp)) {
				return "the " + s.field + " (as " + strconv.Quote(sp[:min(len(sp), 12)]+"…") + ")"
			}
		}
	}
	return ""
}

// run runs bin with args (and stdin) and scans its stdout, stderr and
// every file it left in its directories. It returns the result.
func (sc *scanner) run(name, bin string, stdin []byte, env []string, args ...string) *harness.Result {
	t := sc.t
	t.Helper()
	sc.runs++
	dir := t.TempDir()
	for _, d := range []string{"work", "tmp", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Join(dir, "work")
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + filepath.Join(dir, "tmp"), "HOME=" + filepath.Join(dir, "home"), "LOG_LEVEL=DEBUG"}, env...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := &harness.Result{Stdout: out.Bytes(), Stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	r.Messages, r.Invalid = harness.ValidateLines(r.Stdout)
	for _, inv := range r.Invalid {
		t.Errorf("%s: invalid output line: %.300s", name, inv)
	}
	if what := sc.find(r.Stdout); what != "" {
		t.Errorf("%s: stdout contains %s:\n%.3000s", name, what, r.Stdout)
	}
	if what := sc.find(r.Stderr); what != "" {
		t.Errorf("%s: stderr contains %s:\n%.3000s", name, what, r.Stderr)
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if what := sc.find(b); what != "" {
			t.Errorf("%s: file %s contains %s", name, p, what)
		}
		return nil
	})
	return r
}

// outcome summarises a run for the log: the error or status message.
func outcome(r *harness.Result) string {
	if cs := r.OfType(protocol.TypeConnectionStatus); len(cs) > 0 {
		return string(cs[0].ConnectionStatus.Status) + ": " + cs[0].ConnectionStatus.Message
	}
	if errs := r.Errors(); len(errs) > 0 {
		return "exit " + strconv.Itoa(r.Code) + ", " + string(errs[0].FailureType) + ": " + errs[0].Message
	}
	return "exit " + strconv.Itoa(r.Code)
}

// rejectingSSH is an SSH server that refuses every login.
func rejectingSSH(t *testing.T) int {
	t.Helper()
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback:  func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, errors.New("denied") },
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) { return nil, errors.New("denied") },
	}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _, _, _ = ssh.NewServerConn(c, cfg)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// worldReadableDir makes a directory the mysql user can read (the private
// server runs as mysql when the tests run as root).
func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "radar-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeReadable(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecretsNeverLeak runs every failure path of both connectors that a
// test can reach (unresolvable and refused hosts, a wrong password, TLS
// refused, a wrong CA, a wrong host name, an undecryptable client key, SSH
// tunnels unreachable, refusing the key or the password, a malformed SSH
// key, a password of the wrong type, invalid configs, catalogs and states,
// S3 access denied, credentials rejected, endpoints unreachable or with an
// untrusted certificate, malformed input) plus successful runs, all at
// LOG_LEVEL=DEBUG, with recognisable values in every airbyte_secret field,
// and scans stdout, stderr (so every LOG and TRACE), every file the
// process left and every object written for those values, raw, URL- and
// JSON-escaped.
func TestSecretsNeverLeak(t *testing.T) {
	my := harness.SharedMySQL(t)
	db := newTestDB(t, my, "relsec")
	db.exec(t, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'a'), (2, 'b')")

	// Secrets with characters that need escaping in URLs, DSNs and JSON.
	password := `Pw9-SECRETpw/+&%= "q\z@?#(x)!:;,`
	ca := newCA(t, "radar secrets CA")
	wrongCA := newCA(t, "another CA")
	serverCert, serverKey := ca.issue(t, "localhost", true, "localhost")
	clientCert, clientKey := ca.issue(t, "radar-client", false)
	keyPassword := "Kp7-SECRETkeypw/&="
	block, _ := pem.Decode([]byte(clientKey))
	//lint:ignore SA1019 legacy encrypted PEM is what client_key_password decrypts
	enc, err := x509.EncryptPEMBlock(rand.Reader, "PRIVATE KEY", block.Bytes, []byte(keyPassword), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	encryptedKey := string(pem.EncodeToMemory(enc))
	_, sshPriv, _ := ed25519.GenerateKey(rand.Reader)
	sshDER, _ := x509.MarshalPKCS8PrivateKey(sshPriv)
	sshKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sshDER}))
	tunnelPassword := "Tp3-SECRETtunnel/+&%= x"
	badSSHKey := "-----BEGIN OPENSSH PRIVATE KEY-----\nSk5-SECRETsshkeyGARBAGEGARBAGEGARBAGE0123456789\n-----END OPENSSH PRIVATE KEY-----\n"
	accessKey := "AKIASECRET0ACCESS9KEY"
	secretKey := "Sk1-SECRETs3/+key=Zz&%q"

	sc := &scanner{t: t, secrets: []secret{
		{"password", password}, {"ca_certificate", ca.PEM}, {"client_certificate", clientCert}, {"client_key", clientKey},
		{"client_key (encrypted)", encryptedKey}, {"client_key_password", keyPassword}, {"ssh_key", sshKey},
		{"ssh_key (malformed)", badSSHKey}, {"tunnel_user_password", tunnelPassword},
		{"access_key_id", accessKey}, {"secret_access_key", secretKey},
	}}

	// The scan finds every spelling it looks for.
	for _, leak := range []string{url.QueryEscape(password), strings.Trim(strconv.Quote(password), `"`), "x" + strings.Split(clientKey, "\n")[2] + "x", url.PathEscape(secretKey)} {
		if sc.find([]byte("... "+leak+" ...")) == "" {
			t.Fatalf("the scan misses %q", leak)
		}
	}

	// A user whose password is the secret, for the paths past the login.
	const user = "relsecret"
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password)
	db.exec(t, "DROP USER IF EXISTS '"+user+"'@'%'", "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+esc+"'",
		"GRANT SELECT ON `"+db.name+"`.* TO '"+user+"'@'%'")
	t.Cleanup(func() { my.Root.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })

	// A private server with TLS from the test CA (certificate for localhost).
	certDir := worldReadableDir(t)
	tlsServer := harness.StartMariaDB(t, harness.ServerOptions{Args: []string{
		"--ssl-ca=" + writeReadable(t, certDir, "ca.pem", ca.PEM),
		"--ssl-cert=" + writeReadable(t, certDir, "server.pem", serverCert),
		"--ssl-key=" + writeReadable(t, certDir, "server-key.pem", serverKey),
	}})
	for _, q := range []string{"CREATE DATABASE radar", "CREATE TABLE radar.t (id INT PRIMARY KEY)",
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + esc + "' REQUIRE SSL", "GRANT SELECT ON radar.* TO '" + user + "'@'%'"} {
		if _, err := tlsServer.Root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	base := map[string]any{
		"host": my.Host, "port": my.Port, "database": db.name, "username": user, "password": password,
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD"},
	}
	verify := func(mode, caPEM, key string) map[string]any {
		m := map[string]any{"mode": mode, "ca_certificate": caPEM, "client_certificate": clientCert, "client_key": key}
		if key == encryptedKey {
			m["client_key_password"] = keyPassword + "-wrong"
		}
		return m
	}
	sshPort := rejectingSSH(t)
	keyTunnel := map[string]any{"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": sshPort, "tunnel_user": "radar", "ssh_key": sshKey}
	pwTunnel := map[string]any{"tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": sshPort, "tunnel_user": "radar", "tunnel_user_password": tunnelPassword}

	goodCfg := harness.WriteJSON(t, "good.json", base)
	cat := discover(t, goodCfg)
	catalog := harness.WriteJSON(t, "catalog.json", fullRefresh(cat))

	sourceCases := []struct {
		name string
		cfg  any
	}{
		{"unresolvable host", merge(base, map[string]any{"host": "no-such-host.invalid", "ssl_mode": verify("verify_identity", ca.PEM, clientKey)})},
		{"refused port", merge(base, map[string]any{"host": "127.0.0.1", "port": closedPort(t), "ssl_mode": verify("verify_ca", ca.PEM, clientKey)})},
		{"wrong password", merge(base, map[string]any{"password": password + "-wrong"})},
		{"TLS required, server without TLS", merge(base, map[string]any{"ssl_mode": verify("verify_ca", ca.PEM, clientKey)})},
		{"TLS with another CA", merge(base, map[string]any{"host": "127.0.0.1", "port": tlsServer.Port, "ssl_mode": verify("verify_ca", wrongCA.PEM, clientKey)})},
		{"TLS with the wrong host name", merge(base, map[string]any{"host": "127.0.0.1", "port": tlsServer.Port, "ssl_mode": verify("verify_identity", ca.PEM, clientKey)})},
		{"TLS client key that does not decrypt", merge(base, map[string]any{"host": "localhost", "port": tlsServer.Port, "ssl_mode": verify("verify_identity", ca.PEM, encryptedKey)})},
		{"TLS wrong password", merge(base, map[string]any{"host": "localhost", "port": tlsServer.Port, "password": password + "-wrong", "ssl_mode": verify("verify_identity", ca.PEM, clientKey)})},
		{"SSH tunnel unreachable", merge(base, map[string]any{"tunnel_method": merge(keyTunnel, map[string]any{"tunnel_port": closedPort(t)})})},
		{"SSH key refused", merge(base, map[string]any{"tunnel_method": keyTunnel})},
		{"SSH password refused", merge(base, map[string]any{"tunnel_method": pwTunnel})},
		{"SSH key malformed", merge(base, map[string]any{"tunnel_method": merge(keyTunnel, map[string]any{"ssh_key": badSSHKey})})},
		{"password of the wrong type", merge(base, map[string]any{"password": 98765432123})},
		{"invalid config", merge(base, map[string]any{"port": "x", "ssl_mode": verify("verify_ca", ca.PEM, encryptedKey), "tunnel_method": pwTunnel})},
		{"not JSON", `{"password": "` + password + `", "host": `},
	}
	for _, tc := range sourceCases {
		cfg := harness.WriteJSON(t, "config.json", tc.cfg)
		r := sc.run("check: "+tc.name, srcBin, nil, nil, "check", "--config", cfg)
		t.Logf("source check, %s: %s", tc.name, outcome(r))
		if cs := r.OfType(protocol.TypeConnectionStatus); len(cs) != 1 || cs[0].ConnectionStatus.Status != protocol.StatusFailed {
			t.Errorf("check %s: want one FAILED status: %s", tc.name, r.Stdout)
		}
		r = sc.run("read: "+tc.name, srcBin, nil, nil, "read", "--config", cfg, "--catalog", catalog)
		if r.Code != 1 {
			t.Errorf("read %s: exit %d, want 1", tc.name, r.Code)
		}
		if tc.name == "TLS with another CA" || tc.name == "SSH key refused" {
			sc.run("discover: "+tc.name, srcBin, nil, nil, "discover", "--config", cfg)
		}
	}
	// The number must not be printed either (it is not a string, so the
	// frame cannot register it as a secret).
	sc.secrets = append(sc.secrets, secret{"password (a number)", "98765432123"})
	sc.run("check: password of the wrong type (again)", srcBin, nil, nil, "check", "--config", harness.WriteJSON(t, "config.json", merge(base, map[string]any{"password": 98765432123})))

	// Past the login: bad catalogs and states, and a successful read and
	// check, with the secret password and TLS secrets in the config.
	tlsGood := harness.WriteJSON(t, "tls.json", merge(base, map[string]any{"host": "localhost", "port": tlsServer.Port, "database": "radar",
		"ssl_mode": verify("verify_identity", ca.PEM, clientKey)}))
	for name, args := range map[string][]string{
		"check succeeds":           {"check", "--config", goodCfg},
		"check over TLS succeeds":  {"check", "--config", tlsGood},
		"read succeeds":            {"read", "--config", goodCfg, "--catalog", catalog},
		"read of an unknown table": {"read", "--config", goodCfg, "--catalog", harness.WriteJSON(t, "c.json", strings.Replace(string(mustJSON(t, fullRefresh(cat))), `"name":"t"`, `"name":"nope"`, 1))},
		"read with a bad state":    {"read", "--config", goodCfg, "--catalog", catalog, "--state", harness.WriteJSON(t, "s.json", `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"t"},"stream_state":{"state_type":"cdc_offset"}}}]`)},
		"read with a broken state": {"read", "--config", goodCfg, "--catalog", catalog, "--state", harness.WriteJSON(t, "s.json", `[{"type":`)},
		"unknown command":          {"sync", "--config", goodCfg},
	} {
		r := sc.run(name, srcBin, nil, nil, args...)
		t.Logf("source, %s: %s", name, outcome(r))
	}

	// Destination.
	s3 := harness.StartS3(t, bucket)
	sc.secrets = append(sc.secrets, secret{"versitygw secret key", s3.SecretKey})
	denied := harness.StartS3Proxy(t, s3.Endpoint, false)
	denied.SetRule(func(string, int, *http.Request) harness.S3Fault { return harness.S3AccessDenied })
	untrusted := harness.StartS3Proxy(t, s3.Endpoint, true)
	dbase := map[string]any{
		"s3_bucket_name": bucket, "s3_bucket_path": "secrets", "s3_bucket_region": "us-east-1",
		"s3_endpoint": s3.Endpoint, "access_key_id": accessKey, "secret_access_key": secretKey,
		"format": map[string]any{"format_type": "Parquet"},
	}
	input := []byte(recLine("t", `{"id":1,"s":"x"}`) + stateLine(1, 1))
	dcat := badCatalog(t)
	destCases := []struct {
		name  string
		cfg   any
		input []byte
		check string // in check's status
	}{
		{"unknown access key", dbase, input, "credentials were rejected"},
		{"wrong secret key", merge(dbase, map[string]any{"access_key_id": s3.AccessKey}), input, "credentials were rejected (SignatureDoesNotMatch)"},
		{"access denied", merge(dbase, map[string]any{"s3_endpoint": denied.Endpoint}), input, "lack s3:ListBucket"},
		{"unresolvable endpoint", merge(dbase, map[string]any{"s3_endpoint": "http://no-such-host.invalid:9000"}), input, "cannot be resolved"},
		{"refused endpoint", merge(dbase, map[string]any{"s3_endpoint": "http://127.0.0.1:" + strconv.Itoa(closedPort(t))}), input, "cannot be reached"},
		{"untrusted certificate", merge(dbase, map[string]any{"s3_endpoint": untrusted.Endpoint}), input, "certificate of the S3 endpoint"},
		{"invalid config", merge(dbase, map[string]any{"upload_part_size_mb": "x"}), input, "upload_part_size_mb"},
		{"not JSON", `{"secret_access_key": "` + secretKey + `", `, input, "not valid JSON"},
		{"malformed input", merge(dbase, map[string]any{"access_key_id": s3.AccessKey, "secret_access_key": s3.SecretKey}), []byte(`{"type":"RECORD","record":{"stream":"t","data":{"s":1,}}}` + "\n"), "SUCCEEDED"},
		{"succeeds", merge(dbase, map[string]any{"access_key_id": s3.AccessKey, "secret_access_key": s3.SecretKey}), input, "SUCCEEDED"},
	}
	for _, tc := range destCases {
		cfg := harness.WriteJSON(t, "config.json", tc.cfg)
		r := sc.run("destination check: "+tc.name, dstBin, nil, nil, "check", "--config", cfg)
		t.Logf("destination check, %s: %s", tc.name, outcome(r))
		if !strings.Contains(outcome(r), tc.check) {
			t.Errorf("destination check, %s: %q does not say %q", tc.name, outcome(r), tc.check)
		}
		r = sc.run("destination write: "+tc.name, dstBin, tc.input, nil, "write", "--config", cfg, "--catalog", dcat)
		t.Logf("destination write, %s: %s", tc.name, outcome(r))
	}
	// Every object written (the posix backend keeps them as files).
	filepath.Walk(filepath.Join(s3.Dir, bucket), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); sc.find(b) != "" {
				t.Errorf("object %s contains %s", p, sc.find(b))
			}
		}
		return nil
	})
	t.Logf("%d runs scanned for %d secrets", sc.runs, len(sc.secrets))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestS3HTTPSByDefault: an s3_endpoint without a scheme is reached over
// HTTPS with the certificate verified; plain HTTP is used only when the
// endpoint says http://.
func TestS3HTTPSByDefault(t *testing.T) {
	s3 := harness.StartS3(t, bucket)
	secure := harness.StartS3Proxy(t, s3.Endpoint, true)
	plain := harness.StartS3Proxy(t, s3.Endpoint, false)
	hostOf := func(endpoint string) string { u, _ := url.Parse(endpoint); return u.Host }
	// The AWS SDK takes its roots from AWS_CA_BUNDLE when set (this
	// machine sets it), else from the system (SSL_CERT_FILE).
	trust := []string{"SSL_CERT_FILE=" + secure.CAFile, "AWS_CA_BUNDLE=" + secure.CAFile}
	cases := []struct {
		name     string
		endpoint string
		env      []string
		want     string // in the status message; "" for SUCCEEDED
		tls      bool   // requests arrive over TLS
	}{
		{"no scheme means https", hostOf(secure.Endpoint), trust, "", true},
		{"https written", secure.Endpoint, trust, "", true},
		{"http written", plain.Endpoint, nil, "", false},
		{"no scheme against a plain HTTP server", hostOf(plain.Endpoint), trust, "does not speak HTTPS", false},
		// The handshake is refused, so no request reaches the server.
		{"certificate not trusted", hostOf(secure.Endpoint), nil, "not trusted", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := harness.WriteJSON(t, "config.json", map[string]any{
				"s3_bucket_name": bucket, "s3_bucket_path": "https", "s3_bucket_region": "us-east-1",
				"s3_endpoint": tc.endpoint, "access_key_id": s3.AccessKey, "secret_access_key": s3.SecretKey,
				"format": map[string]any{"format_type": "Parquet"},
			})
			beforeTLS, beforePlain := secure.TLSRequests(), plain.Requests("ListObjects")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := harness.Command(ctx, dstBin, nil, tc.env, "check", "--config", cfg)
			if err != nil {
				t.Fatal(err)
			}
			cs := r.OfType(protocol.TypeConnectionStatus)
			if len(cs) != 1 {
				t.Fatalf("no status: %s", r.Stdout)
			}
			st := cs[0].ConnectionStatus
			if tc.want == "" && st.Status != protocol.StatusSucceeded {
				t.Errorf("FAILED: %s", st.Message)
			}
			if tc.want != "" && (st.Status != protocol.StatusFailed || !strings.Contains(st.Message, tc.want)) {
				t.Errorf("%s %q, want FAILED with %q", st.Status, st.Message, tc.want)
			}
			gotTLS := secure.TLSRequests() > beforeTLS
			if gotTLS != tc.tls {
				t.Errorf("requests over TLS: %v, want %v", gotTLS, tc.tls)
			}
			if !tc.tls && tc.want == "" && plain.Requests("ListObjects") == beforePlain {
				t.Errorf("no plain HTTP request arrived")
			}
			t.Logf("%s: %s %s", tc.endpoint, st.Status, st.Message)
		})
	}
}

// TestS3CheckNamesMissingPermission: check against credentials that lack
// one IAM action (S3 answers AccessDenied to the requests that need it)
// fails and names that action.
func TestS3CheckNamesMissingPermission(t *testing.T) {
	s3 := harness.StartS3(t, bucket)
	proxy := harness.StartS3Proxy(t, s3.Endpoint, false)
	cfg := destinationConfig(t, s3Target{endpoint: proxy.Endpoint, accessKey: s3.AccessKey, secretKey: s3.SecretKey}, nil)
	needs := map[string][]string{
		"s3:ListBucket":           {"ListObjects"},
		"s3:PutObject":            {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"},
		"s3:GetObject":            {"GetObject", "HeadObject"},
		"s3:DeleteObject":         {"DeleteObject", "DeleteObjects"},
		"s3:AbortMultipartUpload": {"AbortMultipartUpload"},
	}
	for action, ops := range needs {
		t.Run(action, func(t *testing.T) {
			proxy.SetRule(func(op string, _ int, _ *http.Request) harness.S3Fault {
				for _, o := range ops {
					if o == op {
						return harness.S3AccessDenied
					}
				}
				return harness.S3Fault{}
			})
			defer proxy.SetRule(nil)
			r := harness.Run(t, dstBin, "check", "--config", cfg)
			cs := r.OfType(protocol.TypeConnectionStatus)
			if len(cs) != 1 || cs[0].ConnectionStatus.Status != protocol.StatusFailed {
				t.Fatalf("check without %s: %s", action, r.Stdout)
			}
			msg := cs[0].ConnectionStatus.Message
			if !strings.Contains(msg, "lack "+action) {
				t.Errorf("message %q does not name %s", msg, action)
			}
		})
	}
	// Without s3:AbortMultipartUpload, check's probe upload stays behind
	// (nothing can remove it); with every permission nothing does.
	left, _ := s3.MultipartUploads(context.Background(), bucket)
	r := harness.Run(t, dstBin, "check", "--config", cfg)
	if cs := r.OfType(protocol.TypeConnectionStatus); len(cs) != 1 || cs[0].ConnectionStatus.Status != protocol.StatusSucceeded {
		t.Errorf("check with every permission: %s", r.Stdout)
	}
	if ups, _ := s3.MultipartUploads(context.Background(), bucket); len(ups) > len(left) {
		t.Errorf("check left multipart uploads: %v", ups)
	}
}

package source

import (
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// TestTLSModes starts a mariadbd with a test CA's server certificate (valid
// for "localhost" only) and binary logging, and checks every ssl_mode, the
// server's TLS requirements, client certificates, and the CDC checks.
func TestTLSModes(t *testing.T) {
	ca := testdb.NewCA(t, "radar test CA")
	wrongCA := testdb.NewCA(t, "some other CA")
	server := ca.Issue(t, "localhost", true, []string{"localhost"}, nil)
	client := ca.Issue(t, "radar-client", false, nil, nil)
	dir := t.TempDir()
	srv := testdb.StartServer(t,
		"--ssl-ca="+testdb.WriteFile(t, dir, "ca.pem", ca.CertPEM),
		"--ssl-cert="+testdb.WriteFile(t, dir, "server.pem", server.CertPEM),
		"--ssl-key="+testdb.WriteFile(t, dir, "server-key.pem", server.KeyPEM),
		"--server-id=7", "--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL")
	const pw = "tls-Pa55word"
	root := srv.Open(t, "")
	testdb.Exec(t, root,
		"CREATE DATABASE radar",
		"CREATE TABLE radar.store (id int PRIMARY KEY, name varchar(20))",
		"INSERT INTO radar.store VALUES (1, 'over tls')",
		"CREATE USER 'tls_user'@'%' IDENTIFIED BY '"+pw+"' REQUIRE SSL",
		"GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'tls_user'@'%'",
		"CREATE USER 'noslave'@'%' IDENTIFIED BY '"+pw+"'",
		"GRANT SELECT, REPLICATION CLIENT ON *.* TO 'noslave'@'%'",
		"CREATE USER 'x509_user'@'%' IDENTIFIED BY '"+pw+"' REQUIRE X509",
		"GRANT SELECT ON radar.* TO 'x509_user'@'%'",
		"CREATE USER 'norepl'@'%' IDENTIFIED BY '"+pw+"'",
		"GRANT SELECT ON radar.* TO 'norepl'@'%'")
	cfg := func(host, user string, ssl map[string]any, extra map[string]any) map[string]any {
		c := testdb.Config("radar", map[string]any{"host": host, "port": srv.Port, "username": user, "password": pw})
		if ssl != nil {
			c["ssl_mode"] = ssl
		}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	verify := func(mode string, caPEM string) map[string]any {
		return map[string]any{"mode": mode, "ca_certificate": caPEM}
	}
	withClient := map[string]any{"mode": "verify_ca", "ca_certificate": ca.CertPEM,
		"client_certificate": client.CertPEM, "client_key": client.KeyPEM}
	plain := map[string]any{"ssl": false, "jdbc_url_params": "useSSL=false"}
	cdc := map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 300}}

	cases := []struct {
		name   string
		config map[string]any
		want   string // empty: SUCCEEDED
	}{
		{"preferred uses TLS", cfg("127.0.0.1", "tls_user", map[string]any{"mode": "preferred"}, nil), ""},
		{"required", cfg("127.0.0.1", "tls_user", map[string]any{"mode": "required"}, nil), ""},
		{"verify_ca ignores the host name", cfg("127.0.0.1", "tls_user", verify("verify_ca", ca.CertPEM), nil), ""},
		{"verify_ca with another CA", cfg("127.0.0.1", "tls_user", verify("verify_ca", wrongCA.CertPEM), nil), "not signed by `ssl_mode.ca_certificate`"},
		{"verify_identity", cfg("localhost", "tls_user", verify("verify_identity", ca.CertPEM), nil), ""},
		{"verify_identity with the wrong host name", cfg("127.0.0.1", "tls_user", verify("verify_identity", ca.CertPEM), nil), "not valid for host \"127.0.0.1\""},
		{"verify_identity with another CA", cfg("localhost", "tls_user", verify("verify_identity", wrongCA.CertPEM), nil), "not signed by `ssl_mode.ca_certificate`"},
		{"client certificate", cfg("127.0.0.1", "x509_user", withClient, nil), ""},
		{"client certificate missing", cfg("127.0.0.1", "x509_user", verify("verify_ca", ca.CertPEM), nil), "access denied for user \"x509_user\""},
		{"plain text to a REQUIRE SSL user", cfg("127.0.0.1", "tls_user", nil, plain), "access denied"},
		{"bad CA text", cfg("127.0.0.1", "tls_user", verify("verify_ca", "not a certificate"), nil), "holds no PEM certificate"},
		{"client key without certificate", cfg("127.0.0.1", "tls_user", map[string]any{"mode": "verify_ca", "ca_certificate": ca.CertPEM, "client_key": client.KeyPEM}, nil), "must be given together"},
		{"CDC prerequisites", cfg("127.0.0.1", "tls_user", nil, cdc), ""},
		{"CDC without REPLICATION CLIENT", cfg("127.0.0.1", "norepl", nil, cdc), "REPLICATION CLIENT"},
		{"CDC without REPLICATION SLAVE", cfg("127.0.0.1", "noslave", nil, cdc), "REPLICATION SLAVE"},
		{"CDC over verify_identity", cfg("localhost", "tls_user", verify("verify_identity", ca.CertPEM), cdc), ""},
		{"CDC initial_waiting_seconds out of range", cfg("127.0.0.1", "tls_user", nil, map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 60}}), "between 120 and 1200"},
		{"CDC server_time_zone not IANA", cfg("127.0.0.1", "tls_user", nil, map[string]any{"replication_method": map[string]any{"method": "CDC", "server_time_zone": "CEST"}}), "IANA time zone"},
		{"CDC server_time_zone", cfg("127.0.0.1", "tls_user", nil, map[string]any{"replication_method": map[string]any{"method": "CDC", "server_time_zone": "America/Sao_Paulo"}}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runBinary(t, "check", tc.config, nil, nil)
			cs := r.connectionStatus(t)
			if tc.want == "" {
				if cs.Status != protocol.StatusSucceeded {
					t.Errorf("check failed: %s", cs.Message)
				}
			} else if cs.Status != protocol.StatusFailed || !strings.Contains(cs.Message, tc.want) {
				t.Errorf("check %s %q, want FAILED containing %q", cs.Status, cs.Message, tc.want)
			}
			noSecret(t, r, pw)
			noSecret(t, r, strings.Split(client.KeyPEM, "\n")[1])
		})
	}

	t.Run("read over verify_identity", func(t *testing.T) {
		c := cfg("localhost", "tls_user", verify("verify_identity", ca.CertPEM), nil)
		disc := runBinary(t, "discover", c, nil, nil)
		read := runBinary(t, "read", c, catalogFor(t, disc, nil, nil), nil)
		checkReadProtocol(t, read, "store")
		if got := strings.Join(read.rawRecords("store"), ""); got != `{"id":1,"name":"over tls"}` {
			t.Errorf("records %s", got)
		}
	})

	t.Run("server requires TLS", func(t *testing.T) {
		testdb.Exec(t, root, "SET GLOBAL require_secure_transport = ON")
		defer testdb.Exec(t, root, "SET GLOBAL require_secure_transport = OFF")
		r := runBinary(t, "check", cfg("127.0.0.1", "norepl", nil, plain), nil, nil)
		if cs := r.connectionStatus(t); cs.Status != protocol.StatusFailed || !strings.Contains(cs.Message, "requires TLS, set `ssl` to true") {
			t.Errorf("check %s %q, want FAILED with a hint about TLS", cs.Status, cs.Message)
		}
		r = runBinary(t, "check", cfg("127.0.0.1", "norepl", map[string]any{"mode": "preferred"}, nil), nil, nil)
		if cs := r.connectionStatus(t); cs.Status != protocol.StatusSucceeded {
			t.Errorf("preferred against a TLS-only server: %s", cs.Message)
		}
	})
}

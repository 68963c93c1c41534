package source

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// silentListener accepts connections and never answers, like a firewall
// that drops packets after the TCP handshake.
func silentListener(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestCheckFailures runs check with every kind of mistake a user can make;
// each is a CONNECTION_STATUS FAILED whose message says what to fix.
func TestCheckFailures(t *testing.T) {
	const password = "Secr3t-pw!x"
	dbName, db := testdb.Database(t, "check",
		"CREATE TABLE t (id int PRIMARY KEY)",
		"CREATE TABLE u (id int PRIMARY KEY)")
	_, _ = testdb.Database(t, "check_empty")
	testdb.Exec(t, db,
		"DROP USER IF EXISTS 'srcradar_ok'@'%', 'srcradar_noaccess'@'%', 'srcradar_insertonly'@'%', 'srcradar_empty'@'%'",
		"CREATE USER 'srcradar_ok'@'%' IDENTIFIED BY '"+password+"'",
		"GRANT SELECT ON `"+dbName+"`.* TO 'srcradar_ok'@'%'",
		"CREATE USER 'srcradar_noaccess'@'%' IDENTIFIED BY '"+password+"'",
		"CREATE USER 'srcradar_insertonly'@'%' IDENTIFIED BY '"+password+"'",
		"GRANT INSERT ON `"+dbName+"`.t TO 'srcradar_insertonly'@'%'",
		"CREATE USER 'srcradar_empty'@'%' IDENTIFIED BY '"+password+"'",
		"GRANT SELECT ON `srcradar_check_empty`.* TO 'srcradar_empty'@'%'")
	t.Cleanup(func() {
		testdb.Exec(t, db, "DROP USER IF EXISTS 'srcradar_ok'@'%', 'srcradar_noaccess'@'%', 'srcradar_insertonly'@'%', 'srcradar_empty'@'%'")
	})
	user := func(u string, extra map[string]any) map[string]any {
		cfg := testdb.Config(dbName, map[string]any{"username": u, "password": password})
		for k, v := range extra {
			cfg[k] = v
		}
		return cfg
	}
	cases := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"wrong password", user("srcradar_ok", map[string]any{"password": "wrong-" + password}), "access denied for user \"srcradar_ok\": check `username` and `password`"},
		{"unknown user", user("srcradar_nobody", nil), "access denied"},
		{"unknown host", user("srcradar_ok", map[string]any{"host": "no-such-host.invalid"}), "cannot resolve the host name"},
		{"refused port", user("srcradar_ok", map[string]any{"host": "127.0.0.1", "port": closedPort(t)}), "connection refused"},
		{"timeout", user("srcradar_ok", map[string]any{"host": "127.0.0.1", "port": silentListener(t), "jdbc_url_params": "connectTimeout=1000"}), "timed out after 1s"},
		{"unknown database", user("srcradar_ok", map[string]any{"database": "srcradar_does_not_exist"}), "database \"srcradar_does_not_exist\" does not exist or user \"srcradar_ok\" has no access to it"},
		{"unknown database (privileged user)", testdb.Config("srcradar_does_not_exist", nil), "database \"srcradar_does_not_exist\" does not exist on the server: check `database`"},
		{"no access to the database", user("srcradar_noaccess", nil), "has no access to it"},
		{"no readable table", user("srcradar_insertonly", nil), "cannot SELECT from any of the 1 tables"},
		{"no table", user("srcradar_empty", map[string]any{"database": "srcradar_check_empty"}), "has no tables or views"},
		{"TLS required, server without TLS", user("srcradar_ok", map[string]any{"ssl_mode": map[string]any{"mode": "required"}}), "does not support TLS"},
		{"malformed jdbc_url_params", user("srcradar_ok", map[string]any{"jdbc_url_params": "useSSL=false&oops"}), "key=value"},
		{"CDC without binary log", user("srcradar_ok", map[string]any{"replication_method": map[string]any{"method": "CDC"}}), "log_bin"},
		{"bad port type", user("srcradar_ok", map[string]any{"port": "3306"}), "port"},
		{"unknown ssl mode", user("srcradar_ok", map[string]any{"ssl_mode": map[string]any{"mode": "sometimes"}}), "ssl_mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := runBinary(t, "check", tc.config, nil, nil)
			cs := r.connectionStatus(t)
			if cs.Status != protocol.StatusFailed {
				t.Fatalf("status %s, want FAILED", cs.Status)
			}
			if !strings.Contains(cs.Message, tc.want) {
				t.Errorf("message %q does not contain %q", cs.Message, tc.want)
			}
			if r.code != 0 {
				t.Errorf("exit code %d, want 0", r.code)
			}
			noSecret(t, r, password)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("check took %s", d)
			}
		})
	}
	t.Run("succeeds", func(t *testing.T) {
		r := runBinary(t, "check", user("srcradar_ok", nil), nil, nil)
		if cs := r.connectionStatus(t); cs.Status != protocol.StatusSucceeded {
			t.Errorf("check: %+v", cs)
		}
		noSecret(t, r, password)
	})
}

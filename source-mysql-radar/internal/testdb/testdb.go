// Package testdb gives the connector's tests a real MySQL-protocol server:
// the shared MariaDB at MYSQL_TEST_ADDR (default 127.0.0.1:3306, root
// without password), throw-away databases on it, and dedicated mariadbd
// instances with their own data directory and port for TLS tests.
//
// Tests skip with a clear message when no server can be reached, through
// testenv.SkipUnavailable (recorded for make test's summary), unless
// RADAR_REQUIRE_SERVICES=1 or CI=true, which turn the skip into a failure.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/cognitivo/radar-connectors/protocol/testenv"
)

// Addr returns the shared server's address.
func Addr() string {
	if a := os.Getenv("MYSQL_TEST_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:3306"
}

// HostPort splits Addr.
func HostPort() (string, int) {
	h, p, _ := strings.Cut(Addr(), ":")
	port, _ := strconv.Atoi(p)
	if port == 0 {
		port = 3306
	}
	return h, port
}

// Open connects to the shared server as root, or skips the test.
func Open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := open(Addr(), "")
	if err != nil {
		testenv.SkipUnavailable(t, "MariaDB", fmt.Sprintf("not reachable on %s (set MYSQL_TEST_ADDR): %v", Addr(), err))
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(addr, database string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = addr
	cfg.DBName = database
	cfg.Timeout = 5 * time.Second
	cfg.MultiStatements = true
	cfg.Params = map[string]string{"sql_mode": "''", "time_zone": "'+00:00'"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

var safeName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Database creates the empty database srcradar_<name> on the shared server
// (dropping an old one), runs the setup statements in it, and drops it when
// the test ends unless KEEP_TEST_DB is set. It returns the database name and
// a root connection whose default database it is.
func Database(t testing.TB, name string, setup ...string) (string, *sql.DB) {
	t.Helper()
	if !safeName.MatchString(name) {
		t.Fatalf("database name %q: use lower-case letters, digits and _", name)
	}
	root := Open(t)
	dbName := "srcradar_" + name
	Exec(t, root, "DROP DATABASE IF EXISTS `"+dbName+"`", "CREATE DATABASE `"+dbName+"` CHARACTER SET utf8mb4")
	db, err := open(Addr(), dbName)
	if err != nil {
		t.Fatalf("connect to %s: %v", dbName, err)
	}
	t.Cleanup(func() {
		db.Close()
		if os.Getenv("KEEP_TEST_DB") == "" {
			_, _ = root.Exec("DROP DATABASE IF EXISTS `" + dbName + "`")
		}
	})
	Exec(t, db, setup...)
	return dbName, db
}

// Exec runs statements, failing the test on the first error.
func Exec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("exec %.200s: %v", s, err)
		}
	}
}

// Config returns the team's production config pointed at the shared
// server and database, with extra keys merged in.
func Config(database string, extra map[string]any) map[string]any {
	host, port := HostPort()
	cfg := map[string]any{
		"host":               host,
		"port":               port,
		"database":           database,
		"username":           "root",
		"password":           "",
		"ssl":                true,
		"ssl_mode":           map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD", "initial_waiting_seconds": 300},
		"jdbc_url_params":    "allowPublicKeyRetrieval=true&useSSL=false",
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// DSNAddr formats host:port.
func DSNAddr(host string, port int) string { return fmt.Sprintf("%s:%d", host, port) }

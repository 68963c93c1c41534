package testdb

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol/testenv"
)

// Server is a dedicated mariadbd with its own data directory and port.
type Server struct {
	Port    int
	Dir     string
	cmd     *exec.Cmd
	stopped bool
}

// Addr returns 127.0.0.1:port.
func (s *Server) Addr() string { return DSNAddr("127.0.0.1", s.Port) }

// Open connects to the server as root.
func (s *Server) Open(t testing.TB, database string) *sql.DB {
	t.Helper()
	db, err := open(s.Addr(), database)
	if err != nil {
		t.Fatalf("connect to dedicated mariadbd: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Database creates the empty database name on the server (dropping an old
// one), runs the setup statements in it, and returns a root connection
// whose default database it is.
func (s *Server) Database(t testing.TB, name string, setup ...string) *sql.DB {
	t.Helper()
	root := s.Open(t, "")
	Exec(t, root, "DROP DATABASE IF EXISTS `"+name+"`", "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	db := s.Open(t, name)
	Exec(t, db, setup...)
	return db
}

// Config returns the team's production config pointed at the server.
func (s *Server) Config(database string, extra map[string]any) map[string]any {
	cfg := Config(database, extra)
	cfg["host"], cfg["port"] = "127.0.0.1", s.Port
	return cfg
}

// StartServer starts a mariadbd with the extra server options (for example
// --ssl-cert=...), or skips the test when mariadbd is not installed. The
// server is stopped when the test ends.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	s, err := Launch(t.TempDir(), args...)
	if errors.Is(err, ErrNoMariaDB) {
		testenv.SkipUnavailable(t, "mariadbd binary", err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// ErrNoMariaDB is returned by Launch when mariadbd is not installed.
var ErrNoMariaDB = errors.New("mariadbd or mariadb-install-db is not installed")

// BinlogArgs are the server options of a binary log server for CDC tests.
// Commits are not flushed to disk at once (tests make many small
// transactions).
var BinlogArgs = []string{"--server-id=7", "--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--binlog-row-metadata=FULL",
	"--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0"}

// Launch starts a mariadbd with its data directory under dir (reusing
// one that is already initialised there) and the extra server options.
// The caller stops it with Stop.
func Launch(dir string, args ...string) (*Server, error) {
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoMariaDB, err)
		}
		bin = "/usr/sbin/mariadbd"
	}
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoMariaDB, err)
	}
	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		var out bytes.Buffer
		cmd := exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data,
			"--auth-root-authentication-method=normal", "--skip-test-db"}, user...)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out.String())
		}
	}
	port, err := freePortErr()
	if err != nil {
		return nil, err
	}
	s := &Server{Port: port, Dir: dir}
	base := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--log-error=" + filepath.Join(dir, "err.log"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
	}
	s.cmd = exec.Command(bin, append(append(base, user...), args...)...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := open(s.Addr(), "")
		if err == nil {
			db.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			return nil, fmt.Errorf("mariadbd did not start: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 15 s).
func (s *Server) Stop() { s.stop() }

func freePortErr() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil || s.stopped {
		return
	}
	s.stopped = true
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

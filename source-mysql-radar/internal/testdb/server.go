package testdb

import (
	"bytes"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is a dedicated mariadbd with its own data directory and port.
type Server struct {
	Port int
	Dir  string
	cmd  *exec.Cmd
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

// StartServer starts a mariadbd with the extra server options (for example
// --ssl-cert=...), or skips the test when mariadbd is not installed. The
// server is stopped when the test ends.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 == nil {
			bin = "/usr/sbin/mariadbd"
		} else if os.Getenv("RADAR_REQUIRE_SERVICES") == "1" || os.Getenv("CI") == "true" {
			t.Fatalf("mariadbd not installed: %v", err)
		} else {
			t.Skipf("mariadbd not installed: %v", err)
		}
	}
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		t.Skipf("mariadb-install-db not installed: %v", err)
	}
	dir := t.TempDir()
	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"}
	}
	data := filepath.Join(dir, "data")
	var out bytes.Buffer
	cmd := exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, user...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out.String())
	}
	port := freePort(t)
	s := &Server{Port: port, Dir: dir}
	base := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--log-error=" + filepath.Join(dir, "err.log"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
	}
	s.cmd = exec.Command(bin, append(append(base, user...), args...)...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start mariadbd: %v", err)
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := open(s.Addr(), "")
		if err == nil {
			db.Close()
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			t.Fatalf("mariadbd did not start: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
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

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

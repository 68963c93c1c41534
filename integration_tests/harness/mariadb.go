package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/cognitivo/radar-connectors/protocol/testenv"
)

// MySQL is a reachable MySQL-protocol server with root access.
type MySQL struct {
	Host string
	Port int
	User string
	// Password of User (empty for the test servers).
	Password string
	// Root is a connection pool as root, without a default database.
	Root *sql.DB
	// proc is set for servers this package started; exited is closed when
	// it has exited.
	proc   *exec.Cmd
	exited chan struct{}
	dir    string
	// bin and args start the private server again (Restart).
	bin  string
	args []string
}

// DSN returns a go-sql-driver DSN for database db.
func (m *MySQL) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = m.User, m.Password
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	cfg.DBName = db
	cfg.MultiStatements = true
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	return cfg.FormatDSN()
}

// Open opens a pool on database db.
func (m *MySQL) Open(db string) (*sql.DB, error) { return sql.Open("mysql", m.DSN(db)) }

var (
	sharedOnce sync.Once
	shared     *MySQL
	sharedErr  error
)

// SharedMySQL returns the machine's MariaDB (MYSQL_TEST_ADDR, default
// 127.0.0.1:3306, root with an empty password). If none answers, it starts
// a private mariadbd for the test process. The test is skipped, with the
// reason, only when neither works.
func SharedMySQL(t testing.TB) *MySQL {
	t.Helper()
	sharedOnce.Do(func() {
		addr := os.Getenv("MYSQL_TEST_ADDR")
		if addr == "" {
			addr = "127.0.0.1:3306"
		}
		host, portS, err := net.SplitHostPort(addr)
		if err != nil {
			sharedErr = err
			return
		}
		port, _ := strconv.Atoi(portS)
		m := &MySQL{Host: host, Port: port, User: "root"}
		if err := m.connect(10 * time.Second); err == nil {
			shared = m
			return
		}
		// No shared server: start our own for the whole test process.
		shared, sharedErr = startMariaDB(ServerOptions{})
	})
	if sharedErr != nil {
		testenv.SkipUnavailable(t, "MariaDB", fmt.Sprintf("none answers on MYSQL_TEST_ADDR/127.0.0.1:3306 and mariadbd could not be started: %v", sharedErr))
	}
	return shared
}

func (m *MySQL) connect(timeout time.Duration) error {
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			m.Root = db
			return nil
		}
		if time.Now().After(deadline) {
			db.Close()
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ping waits until the server answers on m.Root.
func (m *MySQL) ping(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := m.Root.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// CreateDatabase creates a fresh database named prefix plus a unique suffix,
// drops it when the test ends, and returns its name.
func (m *MySQL) CreateDatabase(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	if _, err := m.Root.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() { m.Root.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	return name
}

// ServerOptions configure a private mariadbd.
type ServerOptions struct {
	// Binlog turns on row-based binary logging with full row images and
	// full row metadata.
	Binlog bool
	// Args are extra mariadbd arguments, e.g. "--ssl-cert=...".
	Args []string
}

// StartMariaDB starts a private mariadbd on a free port with its own data
// directory and stops it when the test ends.
func StartMariaDB(t testing.TB, opts ServerOptions) *MySQL {
	t.Helper()
	m, err := startMariaDB(opts)
	if err != nil {
		testenv.SkipUnavailable(t, "mariadbd binary", "cannot start a private mariadbd: "+err.Error())
	}
	t.Cleanup(m.Stop)
	return m
}

func startMariaDB(opts ServerOptions) (*MySQL, error) {
	mariadbd, err := exec.LookPath("mariadbd")
	if err != nil {
		if mariadbd, err = lookSbin("mariadbd"); err != nil {
			return nil, errors.New("mariadbd is not installed")
		}
	}
	installDB, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		return nil, errors.New("mariadb-install-db is not installed")
	}
	dir, err := os.MkdirTemp("", "radar-mariadb-")
	if err != nil {
		return nil, err
	}
	runAs := ""
	if os.Geteuid() == 0 {
		// mariadbd refuses to run as root: hand the directory to mysql.
		u, err := user.Lookup("mysql")
		if err != nil {
			return nil, fmt.Errorf("running as root and no mysql user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		runAs = "mysql"
	}
	data := filepath.Join(dir, "data")
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if runAs != "" {
		args = append(args, "--user="+runAs)
	}
	if out, err := exec.Command(installDB, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sargs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--log-error=" + filepath.Join(dir, "error.log"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--innodb-buffer-pool-size=64M", "--skip-name-resolve"}
	if runAs != "" {
		sargs = append(sargs, "--user="+runAs)
	}
	if opts.Binlog {
		sargs = append(sargs, "--server-id=2", "--log-bin="+filepath.Join(data, "bin"), "--binlog-format=ROW",
			"--binlog-row-image=FULL", "--binlog-row-metadata=FULL")
	}
	sargs = append(sargs, opts.Args...)
	m := &MySQL{Host: "127.0.0.1", Port: port, User: "root", dir: dir, bin: mariadbd, args: sargs}
	if err := m.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := m.connect(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		m.Stop()
		return nil, fmt.Errorf("mariadbd did not answer on port %d: %w\n%s", port, err, lastLines(string(log), 20))
	}
	return m, nil
}

// start runs the private server's process.
func (m *MySQL) start() error {
	cmd := exec.Command(m.bin, m.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mariadbd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	m.proc, m.exited = cmd, exited
	return nil
}

// Restart starts a private server again on the same port and data
// directory, after Kill or a crash; a server still running is killed first
// (SIGKILL, so InnoDB recovers as after a crash). It returns once the server
// answers.
func (m *MySQL) Restart() error {
	if m.proc == nil {
		return errors.New("not a private server")
	}
	select {
	case <-m.exited:
	default:
		if err := m.Kill(); err != nil {
			return err
		}
	}
	if err := m.start(); err != nil {
		return err
	}
	// m.Root stays the same pool: its dead connections are replaced.
	if err := m.ping(30 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
		return fmt.Errorf("mariadbd did not answer on port %d after a restart: %w\n%s", m.Port, err, lastLines(string(log), 20))
	}
	return nil
}

// Stop shuts a private server down and removes its data directory.
func (m *MySQL) Stop() {
	if m.Root != nil {
		m.Root.Close()
	}
	if m.proc != nil {
		m.proc.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-m.proc.Process.Pid, syscall.SIGKILL)
			<-m.exited
		}
	}
	if m.dir != "" {
		os.RemoveAll(m.dir)
	}
}

// Kill stops a private server abruptly (SIGKILL), as a crash would.
// Restart starts it again.
func (m *MySQL) Kill() error {
	if m.proc == nil {
		return errors.New("not a private server")
	}
	select {
	case <-m.exited:
		return nil // already down
	default:
	}
	err := syscall.Kill(-m.proc.Process.Pid, syscall.SIGKILL)
	<-m.exited
	return err
}

func lookSbin(name string) (string, error) {
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

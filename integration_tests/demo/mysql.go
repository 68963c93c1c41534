package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	gsql "github.com/dolthub/go-mysql-server/sql"
	"github.com/go-sql-driver/mysql"
	"github.com/sirupsen/logrus"

	"github.com/cognitivo/radar-connectors/integration_tests/fixture"
)

// MySQL is the MySQL-protocol server the demo reads from: either the
// embedded one it started or a real server the user named.
type MySQL struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// Embedded is true for the in-process server.
	Embedded bool

	srv  *server.Server
	done chan struct{}
}

// Addr returns host:port.
func (m *MySQL) Addr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

// DSN returns a go-sql-driver DSN for database db ("" for none).
func (m *MySQL) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = m.User, m.Password
	cfg.Net, cfg.Addr = "tcp", m.Addr()
	cfg.DBName = db
	cfg.Timeout = 10 * time.Second
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.InterpolateParams = true
	return cfg.FormatDSN()
}

var quietOnce sync.Once

// StartEmbedded starts go-mysql-server in this process on 127.0.0.1 with
// a free port and an empty in-memory database named database. It accepts
// any user name and password, as go-mysql-server does when no user
// accounts are defined.
func StartEmbedded(database, user, password string) (*MySQL, error) {
	// go-mysql-server logs every connection and query through logrus.
	quietOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
	db := memory.NewDatabase(database)
	db.BaseDatabase.EnablePrimaryKeyIndexes()
	pro := memory.NewDBProvider(db)
	engine := sqle.NewDefault(pro)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the embedded MySQL server: %w", err)
	}
	srv, err := server.NewServer(server.Config{Protocol: "tcp", Address: l.Addr().String(), Listener: l},
		engine, gsql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("create the embedded MySQL server: %w", err)
	}
	m := &MySQL{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, User: user, Password: password,
		Database: database, Embedded: true, srv: srv, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		srv.Start()
	}()
	return m, nil
}

// Stop closes an embedded server and waits for its accept loop to end.
// It does nothing for an external server.
func (m *MySQL) Stop() {
	if m.srv == nil {
		return
	}
	m.srv.Close()
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
	}
	m.srv = nil
}

// Seed loads the Radar-like fixture into the server's database and returns
// the number of rows per table, counted back with SELECT COUNT(*). The
// embedded server gets the portable subset; a real server gets every
// table. On a real server the database is created if missing, and the
// demo refuses to touch a database that holds tables of its own.
func (m *MySQL) Seed(ctx context.Context, rows int, seed uint64) (map[string]int64, error) {
	opts := fixture.Options{Rows: rows, Seed: seed, Portable: m.Embedded}
	if !m.Embedded {
		if err := m.prepareExternal(ctx, opts); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("mysql", m.DSN(m.Database))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := pingRetry(ctx, db); err != nil {
		return nil, fmt.Errorf("connect to MySQL at %s: %w", m.Addr(), err)
	}
	if err := fixture.Load(ctx, db, opts); err != nil {
		return nil, fmt.Errorf("load the sample database into %s: %w", m.Addr(), err)
	}
	counts := map[string]int64{}
	for _, t := range fixture.Tables(opts) {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.Name).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", t.Name, err)
		}
		counts[t.Name] = n
	}
	return counts, nil
}

// prepareExternal creates the demo database on a real server, or checks
// that an existing one holds nothing but the demo's own tables (the
// fixture drops and recreates them).
func (m *MySQL) prepareExternal(ctx context.Context, opts fixture.Options) error {
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := pingRetry(ctx, db); err != nil {
		return fmt.Errorf("connect to MySQL at %s as %s: %w", m.Addr(), m.User, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+strings.ReplaceAll(m.Database, "`", "``")+"`"); err != nil {
		return fmt.Errorf("create database %s: %w", m.Database, err)
	}
	ours := map[string]bool{}
	for _, t := range fixture.Tables(opts) {
		ours[strings.ToLower(t.Name)] = true
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", m.Database)
	if err != nil {
		return fmt.Errorf("list the tables of %s: %w", m.Database, err)
	}
	defer rows.Close()
	var foreign []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if !ours[strings.ToLower(name)] {
			foreign = append(foreign, name)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(foreign) > 0 {
		return fmt.Errorf("database %s on %s holds tables the demo did not create (%s); "+
			"the demo drops and recreates its sample tables, so give it an empty or new database with -database",
			m.Database, m.Addr(), strings.Join(foreign, ", "))
	}
	return nil
}

func pingRetry(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.PingContext(ctx)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			return err // the server answered: retrying will not help
		}
		time.Sleep(100 * time.Millisecond)
	}
}

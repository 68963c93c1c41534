// Package dbconn opens connections to MySQL for the connector: it builds the
// go-sql-driver configuration from the interpreted config (TLS mode, SSH
// tunnel, timeouts, session variables), sets up every new session the same
// way (UTC time zone, long network write timeout), and turns driver and
// network errors into messages that tell the user what to fix.
package dbconn

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/tunnel"
)

// netWriteTimeout is how long the server waits for the connector to accept
// rows. The connector blocks while its stdout is full (a slow destination),
// and MySQL's default of 60 s would then drop the connection mid-table.
const netWriteTimeout = 3600

// DB is a connection pool to the configured server.
type DB struct {
	*sql.DB
	// Config is the config the pool was opened with.
	Config *config.Config
	// ConnectTimeout bounds connecting and authenticating.
	ConnectTimeout time.Duration
	tunnel         *tunnel.Tunnel
	log            *slog.Logger
}

// Open connects to the server (through the SSH tunnel, if any) and checks
// the connection with a ping. Errors are classified by Classify.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.Driver.ConnectTimeout
	if timeout <= 0 {
		timeout = config.DefaultConnectTimeout
	}
	db := &DB{Config: cfg, ConnectTimeout: timeout, log: log}
	if cfg.Tunnel.Enabled() {
		t, err := tunnel.Open(ctx, cfg.Tunnel, timeout)
		if err != nil {
			return nil, err
		}
		db.tunnel = t
	}
	mc, err := db.driverConfig()
	if err != nil {
		db.Close()
		return nil, err
	}
	base, err := mysql.NewConnector(mc)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("configure mysql driver: %w", err)
	}
	db.DB = sql.OpenDB(&connector{base: base, init: db.sessionInit(), log: log})
	db.DB.SetMaxOpenConns(4)
	db.DB.SetMaxIdleConns(2)
	db.DB.SetConnMaxIdleTime(time.Minute)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.DB.PingContext(pctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, Classify(err, cfg, timeout)
	}
	return db, nil
}

func (db *DB) driverConfig() (*mysql.Config, error) {
	cfg := db.Config
	mc := mysql.NewConfig()
	mc.User = cfg.Username
	mc.Passwd = cfg.Password
	mc.Net = "tcp"
	mc.Addr = cfg.Addr()
	mc.DBName = cfg.Database
	mc.InterpolateParams = true // keeps every query on the text protocol the encoders read
	mc.Timeout = db.ConnectTimeout
	mc.ReadTimeout = cfg.Driver.SocketTimeout
	mc.WriteTimeout = cfg.Driver.SocketTimeout
	mc.AllowNativePasswords = true
	mc.Logger = driverLogger{db.log}
	mc.TLS, mc.AllowFallbackToPlaintext = cfg.TLS.ClientConfig(cfg.Host)
	if db.tunnel != nil {
		mc.DialFunc = db.tunnel.DialContext
	}
	if cfg.Driver.Compress {
		if err := mc.Apply(mysql.EnableCompression(true)); err != nil {
			return nil, fmt.Errorf("enable compression: %w", err)
		}
	}
	return mc, nil
}

// sessionInit lists the statements run on every new connection.
func (db *DB) sessionInit() []initStatement {
	init := []initStatement{
		// TIMESTAMP values are read in UTC and written with a Z.
		{sql: "SET time_zone = '+00:00'", required: true},
		{sql: fmt.Sprintf("SET SESSION net_write_timeout = %d", netWriteTimeout)},
	}
	for _, v := range db.Config.Driver.SessionVariables {
		// Names are checked to be plain variable names; values are passed
		// as written, as Connector/J's sessionVariables does.
		init = append(init, initStatement{sql: "SET SESSION " + v.Key + " = " + v.Value, required: true, user: true})
	}
	return init
}

// Dialer returns the dial function of the SSH tunnel, or nil without one:
// other connections to the server (the replication stream) go through it
// too.
func (db *DB) Dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if db.tunnel == nil {
		return nil
	}
	return db.tunnel.DialContext
}

// UsesTLS reports whether the pool's connections are encrypted (with
// ssl_mode preferred, whether the server accepted TLS).
func (db *DB) UsesTLS(ctx context.Context) (bool, error) {
	var name, cipher sql.NullString
	err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return cipher.String != "", err
}

// Close closes the pool and the tunnel.
func (db *DB) Close() error {
	var err error
	if db.DB != nil {
		err = db.DB.Close()
	}
	if db.tunnel != nil {
		db.tunnel.Close()
	}
	return err
}

// initStatement is a statement run when a connection opens. A failing
// optional statement is logged and skipped, so servers that lack a variable
// (MySQL-compatible engines) still work.
type initStatement struct {
	sql      string
	required bool
	user     bool
}

// connector wraps the driver's connector to set up each new session.
type connector struct {
	base driver.Connector
	init []initStatement
	log  *slog.Logger
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return conn, nil
	}
	for _, st := range c.init {
		if _, err := ex.ExecContext(ctx, st.sql, nil); err != nil {
			if st.required {
				conn.Close()
				if st.user {
					return nil, &SessionVariableError{Statement: st.sql, Err: err}
				}
				return nil, fmt.Errorf("set up session (%s): %w", st.sql, err)
			}
			c.log.Debug("session setting not applied", "statement", st.sql, "error", err.Error())
		}
	}
	return conn, nil
}

func (c *connector) Driver() driver.Driver { return c.base.Driver() }

// SessionVariableError is a sessionVariables entry the server rejected.
type SessionVariableError struct {
	Statement string
	Err       error
}

func (e *SessionVariableError) Error() string { return e.Statement + ": " + e.Err.Error() }
func (e *SessionVariableError) Unwrap() error { return e.Err }

// driverLogger sends go-sql-driver's own log lines to the debug log instead
// of stderr.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) { l.log.Debug("mysql driver: " + fmt.Sprint(v...)) }

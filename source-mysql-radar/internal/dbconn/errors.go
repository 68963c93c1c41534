package dbconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
)

// MySQL server error numbers the connector reacts to.
const (
	erDBAccessDenied       = 1044
	erAccessDenied         = 1045
	erBadDB                = 1049
	erServerShutdown       = 1053
	erConCount             = 1040
	erHostBlocked          = 1129
	erHostNotPrivileged    = 1130
	erNetReadError         = 1158
	erNetReadInterrupted   = 1159
	erNetErrorOnWrite      = 1160
	erNetWriteInterrupted  = 1161
	erTableAccessDenied    = 1142
	erColumnAccessDenied   = 1143
	erLockWaitTimeout      = 1205
	erLockDeadlock         = 1213
	erSpecificAccessDenied = 1227
	erNotSupportedAuth     = 1251
	erQueryInterrupted     = 1317
	erConnectionKilled     = 1927 // MariaDB
	erSecureTransport      = 3159 // MySQL: require_secure_transport
	erSecureTransportMaria = 4151 // MariaDB 10.5+: require_secure_transport
	erUserLocked           = 3118
	erMustChangePassword   = 1820
	erQueryTimeout         = 3024 // MySQL max_execution_time
	erStatementTimeout     = 1969 // MariaDB max_statement_time
)

// Classify turns an error from connecting into a protocol error whose
// message says what to fix. It never includes the password. Errors that are
// already protocol errors pass through.
func Classify(err error, cfg *config.Config, timeout time.Duration) error {
	var pe *protocol.Error
	if err == nil || errors.As(err, &pe) {
		return err
	}
	addr := cfg.Addr()
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return classifyServer(err, me, cfg)
	}
	var sv *SessionVariableError
	if errors.As(err, &sv) {
		return protocol.ConfigError(err, "the server rejected a sessionVariables entry of `jdbc_url_params` (%s): fix or remove it", sv.Statement)
	}
	if errors.Is(err, mysql.ErrNoTLS) {
		return protocol.ConfigError(err, "`ssl_mode` is %s but the server at %s does not support TLS: enable TLS on the server, or choose ssl_mode preferred", cfg.TLS.Mode, addr)
	}
	if msg, ok := tlsProblem(err, cfg); ok {
		return protocol.ConfigError(err, "%s", msg)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return protocol.ConfigError(err, "cannot resolve the host name %q: check `host`", cfg.Host)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return protocol.ConfigError(err, "connection refused by %s: check `host` and `port`, and that MySQL listens there", addr)
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return protocol.ConfigError(err, "no route to %s: check `host`, and the network or VPN between this machine and the server", addr)
	}
	if isTimeout(err) {
		return protocol.TransientError(err, "timed out after %s connecting to %s: check `host` and `port`, and that the server's firewall or allowlist lets this machine in", timeout, addr)
	}
	if IsTransient(err) {
		return protocol.TransientError(err, "the connection to %s was closed before it was set up; if this persists, check that `port` is a MySQL port and the TLS settings (`ssl_mode`)", addr)
	}
	return protocol.ConfigError(err, "cannot connect to MySQL at %s", addr)
}

func classifyServer(err error, me *mysql.MySQLError, cfg *config.Config) error {
	switch me.Number {
	case erAccessDenied:
		if cfg.TLS.Mode == config.TLSDisabled {
			// MariaDB answers 1045 also when the account or the server
			// (require_secure_transport) demands TLS.
			return protocol.ConfigError(err, "access denied for user %q: check `username` and `password`, and that the user may connect from this host; TLS is disabled, so if the server or the account requires TLS, set `ssl` to true and `ssl_mode` to preferred or stricter", cfg.Username)
		}
		return protocol.ConfigError(err, "access denied for user %q: check `username` and `password`, and that the user may connect from this host", cfg.Username)
	case erHostNotPrivileged, erHostBlocked:
		return protocol.ConfigError(err, "the server does not accept connections for user %q from this host: grant access from this host (or unblock it with FLUSH HOSTS)", cfg.Username)
	case erDBAccessDenied:
		return protocol.ConfigError(err, "database %q does not exist or user %q has no access to it: check `database`, and grant the user SELECT on it", cfg.Database, cfg.Username)
	case erBadDB:
		return protocol.ConfigError(err, "database %q does not exist on the server: check `database`", cfg.Database)
	case erSecureTransport, erSecureTransportMaria:
		return protocol.ConfigError(err, "the server only accepts TLS connections: set `ssl` to true and `ssl_mode` to required, verify_ca or verify_identity")
	case erTableAccessDenied, erColumnAccessDenied, erSpecificAccessDenied:
		return protocol.ConfigError(err, "user %q lacks a privilege: %s", cfg.Username, me.Message)
	case erNotSupportedAuth:
		return protocol.ConfigError(err, "the server asks for an authentication method this connector does not support for user %q", cfg.Username)
	case erUserLocked:
		return protocol.ConfigError(err, "the account %q is locked", cfg.Username)
	case erMustChangePassword:
		return protocol.ConfigError(err, "the password of %q has expired: set a new one", cfg.Username)
	case erConCount:
		return protocol.TransientError(err, "the server has too many connections; try again later or raise max_connections")
	}
	if IsTransient(err) {
		return protocol.TransientError(err, "MySQL error %d", me.Number)
	}
	return protocol.ConfigError(err, "MySQL error %d: %s", me.Number, me.Message)
}

// tlsProblem recognises certificate and handshake failures.
func tlsProblem(err error, cfg *config.Config) (string, bool) {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &he):
		return "the server's TLS certificate is not valid for host " + quote(cfg.Host) + " (ssl_mode verify_identity): connect with a host name the certificate lists, or use verify_ca", true
	case errors.As(err, &ua), strings.Contains(err.Error(), "verify server certificate against ca_certificate"):
		return "the server's TLS certificate is not signed by `ssl_mode.ca_certificate`: paste the CA that issued the server's certificate", true
	case errors.As(err, &ci):
		return "the server's TLS certificate is not valid (expired or not usable for a server): " + ci.Error(), true
	case errors.As(err, &cv):
		return "the server's TLS certificate could not be verified: " + cv.Err.Error(), true
	case errors.As(err, &rh):
		return "the TLS handshake with " + cfg.Addr() + " failed: the server did not answer with TLS", true
	case strings.Contains(err.Error(), "tls: "):
		return "the TLS handshake with " + cfg.Addr() + " failed (" + tlsReason(err) + "): check `ssl_mode` and the certificates", true
	}
	return "", false
}

func tlsReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i+5:]
	}
	return msg
}

func quote(s string) string { return "\"" + s + "\"" }

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsTransient reports whether a read that failed with err may succeed when
// retried on a new connection: lost connections, lock wait timeouts and
// deadlocks, server shutdowns and killed queries. Context cancellation is
// never transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case erLockWaitTimeout, erLockDeadlock, erServerShutdown, erConCount, erQueryInterrupted,
			erConnectionKilled, erNetReadError, erNetReadInterrupted, erNetErrorOnWrite, erNetWriteInterrupted,
			erQueryTimeout, erStatementTimeout:
			return true
		}
		return false
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, net.ErrClosed), errors.Is(err, mysql.ErrPktSync), errors.Is(err, mysql.ErrMalformPkt):
		return true
	}
	return isTimeout(err)
}

package source

import (
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/dbconn"
)

// outputError is a failure to write to stdout: never retried.
type outputError struct{ err error }

func (e *outputError) Error() string { return e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

func isOutputError(err error) bool {
	var oe *outputError
	return errors.As(err, &oe)
}

// isPrivilegeError reports a MySQL "access denied" error on a query.
func isPrivilegeError(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1044, 1142, 1143, 1227, 1370:
		return true
	}
	return false
}

// classifyQueryError turns a failed query into a protocol error: missing
// privileges are config errors, lost connections transient, the rest
// system errors.
func classifyQueryError(err error, cfg *config.Config, action string) error {
	var pe *protocol.Error
	switch {
	case errors.As(err, &pe):
		return err
	case isPrivilegeError(err):
		var me *mysql.MySQLError
		errors.As(err, &me)
		return protocol.ConfigError(err, "user %q lacks a privilege to %s: %s", cfg.Username, action, me.Message)
	case dbconn.IsTransient(err):
		return protocol.TransientError(err, "lost the connection to %s while trying to %s", cfg.Addr(), action)
	}
	return protocol.SystemError(err, "cannot %s", action)
}

package protocol

import (
	"context"
	"errors"
	"fmt"
)

// Error is an error with a failure type and a message meant for the person
// running the sync. Only the command frame turns it into output: a
// CONNECTION_STATUS FAILED during check, a TRACE ERROR otherwise.
//
// Message must never contain a record value or a secret; Err may carry the
// technical cause and is reported as the trace's internal_message (after
// redaction of secrets).
type Error struct {
	Type    FailureType
	Message string
	Stream  *StreamDescriptor
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ConfigError reports a problem the user fixes by changing the config, the
// catalog or the database/bucket (a config_error: the platform does not retry).
func ConfigError(err error, format string, args ...any) error {
	return &Error{Type: FailureConfig, Message: fmt.Sprintf(format, args...), Err: err}
}

// TransientError reports a problem that may go away on retry (network, lock
// timeouts, throttling).
func TransientError(err error, format string, args ...any) error {
	return &Error{Type: FailureTransient, Message: fmt.Sprintf(format, args...), Err: err}
}

// SystemError reports a bug or an unexpected condition.
func SystemError(err error, format string, args ...any) error {
	return &Error{Type: FailureSystem, Message: fmt.Sprintf(format, args...), Err: err}
}

// WithStream marks err as belonging to stream d. The TRACE ERROR built from
// it carries the stream descriptor and its message names the stream.
func WithStream(err error, d StreamDescriptor) error {
	if err == nil {
		return nil
	}
	return &streamError{stream: d, err: err}
}

type streamError struct {
	stream StreamDescriptor
	err    error
}

func (e *streamError) Error() string { return "stream " + e.stream.String() + ": " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// FailureTypeOf returns the failure type of err: that of the first *Error in
// its chain, transient_error for a deadline, and system_error otherwise.
func FailureTypeOf(err error) FailureType {
	var pe *Error
	if errors.As(err, &pe) && pe.Type != "" {
		return pe.Type
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return FailureTransient
	}
	return FailureSystem
}

// UserMessage returns the message meant for the user: the Message of the
// first *Error in err's chain that has one (prefixed with the stream it
// belongs to, if any), or err's text.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	prefix := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *streamError:
			if prefix == "" {
				prefix = "stream " + x.stream.String() + ": "
			}
		case *Error:
			if x.Message != "" {
				return prefix + x.Message
			}
		}
	}
	return err.Error()
}

// StreamOf returns the stream err belongs to, if any.
func StreamOf(err error) *StreamDescriptor {
	var se *streamError
	if errors.As(err, &se) {
		d := se.stream
		return &d
	}
	var pe *Error
	if errors.As(err, &pe) && pe.Stream != nil {
		d := *pe.Stream
		return &d
	}
	return nil
}

// ErrorTraceOf builds the TRACE ERROR payload for err.
func ErrorTraceOf(err error) *ErrorTrace {
	return &ErrorTrace{
		Message:          UserMessage(err),
		InternalMessage:  err.Error(),
		FailureType:      FailureTypeOf(err),
		StreamDescriptor: StreamOf(err),
	}
}

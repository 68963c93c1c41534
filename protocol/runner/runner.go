package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// Options configure a run.
type Options struct {
	Source, Destination Connector
	// Catalog is the configured catalog file, given to both sides.
	Catalog string
	// State is where the acknowledged state is loaded from and saved to.
	State StateStore
	// MaxAttempts bounds the attempts of a failing sync (default 3).
	MaxAttempts int
	// RetryDelay is the pause before a new attempt (default 5s).
	RetryDelay time.Duration
	// ProgressInterval is the pause between progress lines when not on a
	// terminal (default 10s); on a terminal the table is redrawn every
	// 250 ms. Zero after defaults: no progress.
	ProgressInterval time.Duration
	// SaveInterval bounds how often the state is saved while the sync runs
	// (default 1s); it is always saved at the end of an attempt.
	SaveInterval time.Duration
	// LogLevel is passed to both connectors as LOG_LEVEL and filters the
	// LOG lines shown ("" keeps the connectors' default, INFO).
	LogLevel string
	// Log receives log lines and progress (usually stderr); TTY says it is a
	// terminal.
	Log io.Writer
	TTY bool
	// Env is added to both connectors' environment.
	Env []string
	// SkipCheck skips `check` before each attempt.
	SkipCheck bool
	// DataChannel is how records travel (Airbyte's data channel, "speed
	// mode"): auto (the zero value) chooses SOCKET when both connectors
	// declare it in their connectorIPCOptions (see Negotiate), else STDIO.
	DataChannel DataChannelMode
	// Sockets is the number of sockets in socket mode (default
	// DefaultSockets).
	Sockets int
	// OnSourceLine and OnDestinationLine, if set, see every line each side
	// prints on stdout (the demo's progress display); they must not keep it.
	OnSourceLine, OnDestinationLine func(line []byte)
}

// Result describes a run.
type Result struct {
	// Outcome is "succeeded", "failed", "config_error", "state_store_error"
	// or "cancelled".
	Outcome  string          `json:"outcome"`
	Attempts []AttemptResult `json:"attempts"`
	Streams  []StreamSummary `json:"streams"`
	// StatesSent and StatesCommitted count over all attempts.
	StatesSent      int     `json:"states_sent"`
	StatesCommitted int     `json:"states_committed"`
	Seconds         float64 `json:"seconds"`
	// State is the saved state at the end of the run.
	State json.RawMessage `json:"state"`
	// DataChannel is the mode the run used ("stdio/jsonl",
	// "socket/protobuf"...), and DataChannelReason why.
	DataChannel       string `json:"data_channel"`
	DataChannelReason string `json:"data_channel_reason,omitempty"`
	// Problems are protocol irregularities the runner noticed.
	Problems []string `json:"problems,omitempty"`
}

// AttemptResult is one attempt.
type AttemptResult struct {
	SourceExit      int     `json:"source_exit"`
	DestinationExit int     `json:"destination_exit"`
	FailureType     string  `json:"failure_type,omitempty"`
	Error           string  `json:"error,omitempty"`
	Seconds         float64 `json:"seconds"`
}

// ConfigError is a failure that a retry cannot fix: a bad flag or file, a
// failing check, or a TRACE ERROR with failure_type config_error.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// ExitCode maps Run's error to the command's exit status: 0 ok, 1 the sync
// failed, 2 config error, 3 state store error.
func ExitCode(err error) int {
	var ce *ConfigError
	var se *StateStoreError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &se):
		return 3
	case errors.As(err, &ce):
		return 2
	}
	return 1
}

func (o *Options) defaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 5 * time.Second
	}
	if o.SaveInterval <= 0 {
		o.SaveInterval = time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Run runs the sync: up to MaxAttempts attempts, each from the last
// acknowledged state. The result is filled also when an error is returned.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	o.defaults()
	start := time.Now()
	res = &Result{Outcome: "failed"}
	defer func() {
		switch {
		case res.Outcome != "failed":
		case ExitCode(err) == 2:
			res.Outcome = "config_error"
		case ExitCode(err) == 3:
			res.Outcome = "state_store_error"
		}
	}()
	if err := o.Source.validate("source"); err != nil {
		return res, &ConfigError{err}
	}
	if err := o.Destination.validate("destination"); err != nil {
		return res, &ConfigError{err}
	}
	cat, err := readCatalog(o.Catalog)
	if err != nil {
		return res, &ConfigError{err}
	}
	if o.State == nil {
		return res, &ConfigError{errors.New("no state store")}
	}
	initial, err := o.State.Load(ctx)
	if err != nil {
		return res, err
	}
	book, err := newStateBook(o.State, o.SaveInterval, initial)
	if err != nil {
		return res, err
	}
	tmp, err := os.MkdirTemp("", "airbyte-sync-")
	if err != nil {
		return res, fmt.Errorf("create a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	con := &console{w: o.Log, tty: o.TTY}
	mode, why, err := chooseDataChannel(ctx, &o)
	if err != nil {
		return res, &ConfigError{err}
	}
	res.DataChannel, res.DataChannelReason = mode.String(), why
	o.DataChannel = mode
	if mode.Medium == datachannel.MediumSocket {
		con.line(fmt.Sprintf("airbyte-sync: data channel %s over %d sockets (%s)", mode, o.Sockets, why))
	} else {
		con.line(fmt.Sprintf("airbyte-sync: data channel %s (%s)", mode, why))
	}
	tr := newTracker(cat)
	stopProgress := startProgress(ctx, &o, con, tr)
	var runErr error
	for n := 1; n <= o.MaxAttempts; n++ {
		if n > 1 {
			con.line(fmt.Sprintf("airbyte-sync: attempt %d of %d in %s, from the last committed state", n, o.MaxAttempts, o.RetryDelay))
			select {
			case <-ctx.Done():
			case <-time.After(o.RetryDelay):
			}
			if ctx.Err() != nil {
				break
			}
		}
		a := &attempt{o: &o, con: con, tr: tr, book: book, dir: tmp, n: n}
		ar, err := a.run(ctx)
		res.Attempts = append(res.Attempts, ar)
		runErr = err
		if saveErr := book.save(context.WithoutCancel(ctx), true); saveErr != nil {
			runErr = saveErr
			break
		}
		if err == nil || ctx.Err() != nil || ExitCode(err) != 1 {
			break
		}
		con.line(fmt.Sprintf("airbyte-sync: attempt %d failed: %v", n, err))
	}
	stopProgress()
	res.Streams = tr.summaries()
	res.State = book.State()
	book.mu.Lock()
	res.StatesSent, res.StatesCommitted, res.Problems = book.sent, book.acked, append([]string(nil), book.problems...)
	book.mu.Unlock()
	res.Seconds = time.Since(start).Seconds()
	switch {
	case runErr == nil:
		res.Outcome = "succeeded"
	case ctx.Err() != nil:
		res.Outcome = "cancelled"
		runErr = fmt.Errorf("cancelled: %w", runErr)
	case ExitCode(runErr) == 2:
		res.Outcome = "config_error"
	}
	return res, runErr
}

// chooseDataChannel resolves o.DataChannel (auto: Negotiate over the
// connectors' IPC options) and o.Sockets.
func chooseDataChannel(ctx context.Context, o *Options) (DataChannelMode, string, error) {
	if o.Sockets <= 0 {
		o.Sockets = DefaultSockets()
	}
	m := o.DataChannel
	if m.Medium == "" && !m.Auto {
		m.Auto = true
	}
	if !m.Auto {
		return m, "chosen with --data-channel", nil
	}
	src, srcFrom, err := connectorIPC(ctx, o.Source)
	if err != nil {
		return m, "", fmt.Errorf("source IPC options: %w", err)
	}
	dst, dstFrom, err := connectorIPC(ctx, o.Destination)
	if err != nil {
		return m, "", fmt.Errorf("destination IPC options: %w", err)
	}
	m, why := Negotiate(src, dst)
	return m, fmt.Sprintf("auto: %s; source: %s, destination: %s", why, srcFrom, dstFrom), nil
}

// startProgress draws progress until the returned function is called.
func startProgress(ctx context.Context, o *Options, con *console, tr *tracker) func() {
	every := o.ProgressInterval
	if o.TTY {
		every = 250 * time.Millisecond
	}
	if every <= 0 {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		var prev int64
		for {
			select {
			case <-stop:
				if o.TTY {
					con.table(tr.progressTable(time.Now()))
					con.keep()
				}
				return
			case <-ctx.Done():
				return
			case now := <-t.C:
				if o.TTY {
					con.table(tr.progressTable(now))
					continue
				}
				var line string
				line, prev = tr.progressLine(now, prev, every)
				con.line("airbyte-sync: " + line)
			}
		}
	}()
	return func() { close(stop); <-done }
}

func readCatalog(path string) (*protocol.ConfiguredCatalog, error) {
	if path == "" {
		return nil, errors.New("the configured catalog file is missing")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the configured catalog: %w", err)
	}
	var cat protocol.ConfiguredCatalog
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, fmt.Errorf("configured catalog %s: %w", filepath.Base(path), err)
	}
	if len(cat.Streams) == 0 {
		return nil, fmt.Errorf("configured catalog %s has no streams", filepath.Base(path))
	}
	return &cat, nil
}

// showLog prints a connector's LOG message if its level passes the filter.
func showLog(con *console, level string, side string, l *protocol.LogMessage) {
	if !levelShown(level, l.Level) {
		return
	}
	msg := strings.ReplaceAll(l.Message, "\n", "\n    ")
	con.line(fmt.Sprintf("%-11s %-5s %s", side, l.Level, msg))
}

var levelRank = map[protocol.LogLevel]int{
	protocol.LogTrace: 0, protocol.LogDebug: 1, protocol.LogInfo: 2, protocol.LogWarn: 3, protocol.LogError: 4, protocol.LogFatal: 5,
}

func levelShown(filter string, l protocol.LogLevel) bool {
	min := levelRank[protocol.LogInfo]
	if r, ok := levelRank[protocol.LogLevel(strings.ToUpper(filter))]; ok {
		min = r
	}
	if strings.EqualFold(filter, "warning") {
		min = levelRank[protocol.LogWarn]
	}
	r, ok := levelRank[l]
	return !ok || r >= min
}

// Package airbytecli is the command frame shared by the connectors: it
// parses spec / check / discover / read / write on urfave/cli/v2, loads and
// validates the config against the connector's spec before anything else
// runs, redacts every airbyte_secret value from what it prints, and turns
// errors and panics into the protocol's CONNECTION_STATUS or TRACE ERROR
// messages with the right exit code.
//
// Exit codes: 0 on success (and for a check that reports FAILED), 1 after a
// TRACE ERROR, 143 when the command stopped because of SIGTERM/SIGINT.
package airbytecli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitInterrupted = 143
)

// Env is what the frame hands to a command.
type Env struct {
	// Out is the protocol writer on stdout.
	Out *protocol.Writer
	// Log writes LOG messages through Out.
	Log *slog.Logger
	// Secrets redacts LOG/TRACE output and stderr; commands may Add
	// secrets they derive (tokens, DSNs).
	Secrets *protocol.Redactor
	// Stdin is the command's standard input (write reads messages from it).
	Stdin io.Reader
	// Stderr is a redacting, line-buffered standard error.
	Stderr io.Writer
	// Stdout is the raw standard output, for Plain extra commands only
	// (protocol commands write through Out).
	Stdout io.Writer
}

// Source is implemented by a source connector.
type Source interface {
	Spec() *connspec.Spec
	Check(ctx context.Context, env *Env, config json.RawMessage) error
	Discover(ctx context.Context, env *Env, config json.RawMessage) (*protocol.Catalog, error)
	Read(ctx context.Context, env *Env, config json.RawMessage, catalog *protocol.ConfiguredCatalog, state *protocol.InputState) error
}

// Destination is implemented by a destination connector.
type Destination interface {
	Spec() *connspec.Spec
	Check(ctx context.Context, env *Env, config json.RawMessage) error
	Write(ctx context.Context, env *Env, config json.RawMessage, catalog *protocol.ConfiguredCatalog, in *protocol.Reader) error
}

// Options describe the binary.
type Options struct {
	Name string
	// Usage is the one-line description --help prints after the name.
	Usage string
	// Description is the paragraph --help prints below the usage line.
	Description string
	Version     string
	// Env lists the environment variables the connector reads, for
	// --help; the frame adds LOG_LEVEL, which it reads itself.
	Env []EnvVar
	// Commands are extra subcommands (for example a data-quality check).
	// They run inside the same panic and error handling; an error they
	// return becomes a TRACE ERROR.
	Commands []*Command
}

// EnvVar is an environment variable the connector reads.
type EnvVar struct {
	Name  string
	Usage string
}

// LogLevelEnv is the environment variable that sets the level of the LOG
// messages: DEBUG (or TRACE), INFO (the default), WARN or ERROR.
const LogLevelEnv = "LOG_LEVEL"

// Command is an extra subcommand.
type Command struct {
	Name  string
	Usage string
	// Description is the paragraph "<binary> <command> --help" prints.
	Description string
	Flags       []cli.Flag
	// Action runs the command; c gives access to its flags and arguments.
	Action func(ctx context.Context, env *Env, c *cli.Context) error
	// Plain marks a command that is not part of the Airbyte protocol (a
	// report for people and scripts): it prints to Env.Stdout, and an error
	// it returns is one line on stderr (redacted) with exit code 1 instead
	// of a TRACE message.
	Plain bool
}

// RunSource runs a source connector's command line and returns the exit code.
func RunSource(ctx context.Context, src Source, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newFrame(ctx, src.Spec(), opts, stdin, stdout, stderr)
	cmds := []*cli.Command{
		f.specCommand(),
		f.checkCommand(src.Check),
		{
			Name: "discover", Usage: "print the catalog of streams",
			Description: "Connects with the config and prints one CATALOG message: every stream the connector can\n" +
				"read, with its JSON schema, supported sync modes, primary key and default cursor. Save it,\n" +
				"choose each stream's sync mode, and pass it to read as the configured catalog.",
			Flags: []cli.Flag{configFlag()},
			Action: f.action(func(ctx context.Context, c *cli.Context) error {
				cfg, err := f.loadConfig(c.String("config"))
				if err != nil {
					return err
				}
				cat, err := src.Discover(ctx, f.env, cfg)
				if err != nil {
					return err
				}
				return f.env.Out.Write(&protocol.Message{Type: protocol.TypeCatalog, Catalog: cat})
			}),
		},
		{
			Name: "read", Usage: "read records and state to stdout",
			Description: "Reads the streams of the configured catalog and prints RECORD, STATE, TRACE and LOG\n" +
				"messages on stdout, for a destination's write to read on its stdin. --state takes the last\n" +
				"STATE messages the destination acknowledged (a JSON array, as the platform saves them) and\n" +
				"resumes from there.",
			Flags: []cli.Flag{configFlag(), catalogFlag(), &cli.StringFlag{Name: "state", Usage: "path to the state JSON file"}},
			Action: f.action(func(ctx context.Context, c *cli.Context) error {
				cfg, err := f.loadConfig(c.String("config"))
				if err != nil {
					return err
				}
				cat, err := loadCatalog(c.String("catalog"), true)
				if err != nil {
					return err
				}
				st, err := loadState(c.String("state"))
				if err != nil {
					return err
				}
				return src.Read(ctx, f.env, cfg, cat, st)
			}),
		},
	}
	return f.run(append(cmds, f.extraCommands()...), args)
}

// RunDestination runs a destination connector's command line and returns the
// exit code.
func RunDestination(ctx context.Context, dst Destination, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newFrame(ctx, dst.Spec(), opts, stdin, stdout, stderr)
	cmds := []*cli.Command{
		f.specCommand(),
		f.checkCommand(dst.Check),
		{
			Name: "write", Usage: "write the messages read on stdin",
			Description: "Reads RECORD and STATE messages on stdin (a source's read output), writes the records of\n" +
				"the configured catalog's streams, and prints each STATE back on stdout only once everything\n" +
				"before it is durably stored: the platform saves only the states printed back.",
			Flags: []cli.Flag{configFlag(), catalogFlag()},
			Action: f.action(func(ctx context.Context, c *cli.Context) error {
				cfg, err := f.loadConfig(c.String("config"))
				if err != nil {
					return err
				}
				cat, err := loadCatalog(c.String("catalog"), false)
				if err != nil {
					return err
				}
				return dst.Write(ctx, f.env, cfg, cat, protocol.NewReader(stdin))
			}),
		},
	}
	return f.run(append(cmds, f.extraCommands()...), args)
}

type frame struct {
	ctx     context.Context
	spec    *connspec.Spec
	opts    Options
	env     *Env
	stderr  *protocol.RedactingWriter
	code    int
	handled bool
}

// catchSIGPIPE makes a write to a closed stdout fail with EPIPE instead of
// killing the process silently with SIGPIPE (what the Go runtime does for
// fds 1 and 2): the command then stops like on any output error, says why
// on stderr, cleans up (a destination aborts its uploads) and exits 1.
var catchSIGPIPE = sync.OnceFunc(func() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
})

func newFrame(ctx context.Context, spec *connspec.Spec, opts Options, stdin io.Reader, stdout, stderr io.Writer) *frame {
	catchSIGPIPE()
	red := protocol.NewRedactor()
	out := protocol.NewWriter(stdout)
	out.SetRedactor(red)
	rstderr := protocol.NewRedactingWriter(stderr, red)
	return &frame{
		ctx:  ctx,
		spec: spec,
		opts: opts,
		env: &Env{
			Out:     out,
			Log:     protocol.NewLogger(out, logLevel()),
			Secrets: red,
			Stdin:   stdin,
			Stderr:  rstderr,
			Stdout:  stdout,
		},
		stderr: rstderr,
	}
}

func logLevel() slog.Level {
	switch strings.ToUpper(os.Getenv(LogLevelEnv)) {
	case "DEBUG", "TRACE":
		return slog.LevelDebug
	case "WARN", "WARNING":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	}
	return slog.LevelInfo
}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "path to the config JSON file", Required: true}
}

func catalogFlag() cli.Flag {
	return &cli.StringFlag{Name: "catalog", Usage: "path to the configured catalog JSON file", Required: true}
}

func (f *frame) specCommand() *cli.Command {
	return &cli.Command{
		Name: "spec", Usage: "print the connector specification",
		Description: "Prints one SPEC message: the JSON schema of the config (connectionSpecification), with the\n" +
			"secret properties marked airbyte_secret, and the link to the documentation.",
		Action: f.action(func(ctx context.Context, c *cli.Context) error {
			return f.env.Out.Write(&protocol.Message{Type: protocol.TypeSpec, Spec: f.spec.Message})
		}),
	}
}

func (f *frame) checkCommand(check func(context.Context, *Env, json.RawMessage) error) *cli.Command {
	return &cli.Command{
		Name: "check", Usage: "check that the config can connect",
		Description: "Validates the config against the spec, connects with it and checks the permissions a sync\n" +
			"needs. Prints one CONNECTION_STATUS message, SUCCEEDED or FAILED with the reason, and exits\n" +
			"0 in both cases.",
		Flags: []cli.Flag{configFlag()},
		Action: f.action(func(ctx context.Context, c *cli.Context) error {
			cfg, err := f.loadConfig(c.String("config"))
			if err == nil {
				err = check(ctx, f.env, cfg)
			}
			if err == nil {
				return f.env.Out.ConnectionStatus(protocol.StatusSucceeded, "")
			}
			switch protocol.FailureTypeOf(err) {
			case protocol.FailureConfig, protocol.FailureTransient:
				if ctx.Err() != nil {
					return err
				}
				f.env.Log.Debug("check failed", "error", err.Error())
				return f.env.Out.ConnectionStatus(protocol.StatusFailed, protocol.UserMessage(err))
			}
			return err
		}),
	}
}

func (f *frame) extraCommands() []*cli.Command {
	var out []*cli.Command
	for _, ec := range f.opts.Commands {
		ec := ec
		action := f.action(func(ctx context.Context, c *cli.Context) error {
			return ec.Action(ctx, f.env, c)
		})
		if ec.Plain {
			action = f.plainAction(ec)
		}
		out = append(out, &cli.Command{Name: ec.Name, Usage: ec.Usage, Description: ec.Description, Flags: ec.Flags, Action: action})
	}
	return out
}

// action wraps a command body: it recovers panics, reports errors as TRACE
// ERROR and records the exit code.
func (f *frame) action(body func(ctx context.Context, c *cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		f.handled = true
		err := f.safeCall(func() error { return body(f.ctx, c) })
		f.finish(err)
		return nil
	}
}

// plainAction runs a Plain command: errors and panics become one line on
// stderr and exit code 1.
func (f *frame) plainAction(ec *Command) cli.ActionFunc {
	return func(c *cli.Context) error {
		f.handled = true
		err := f.safeCall(func() error { return ec.Action(f.ctx, f.env, c) })
		f.code = ExitOK
		if err != nil {
			fmt.Fprintf(f.stderr, "%s %s: %s\n", f.opts.Name, ec.Name, protocol.UserMessage(err))
			f.code = ExitError
		}
		return nil
	}
}

func (f *frame) safeCall(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: fmt.Sprint(p), stack: string(debug.Stack())}
		}
	}()
	return fn()
}

type panicError struct {
	value string
	stack string
}

func (p *panicError) Error() string { return "panic: " + p.value }

func (f *frame) finish(err error) {
	out := f.env.Out
	if err == nil {
		f.code = ExitOK
		if ferr := out.Flush(); ferr != nil {
			fmt.Fprintf(f.stderr, "%s: %v\n", f.opts.Name, ferr)
			f.code = ExitError
		}
		return
	}
	interrupted := f.ctx.Err() != nil && errors.Is(err, context.Canceled)
	var trace *protocol.ErrorTrace
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		trace = &protocol.ErrorTrace{
			Message:         "The connector hit an internal error (a bug). Please report it with the job logs.",
			InternalMessage: pe.Error(),
			StackTrace:      pe.stack,
			FailureType:     protocol.FailureSystem,
		}
	case interrupted:
		trace = protocol.ErrorTraceOf(protocol.TransientError(err, "The sync was interrupted by a signal before it finished"))
	default:
		trace = protocol.ErrorTraceOf(err)
	}
	werr := out.Write(&protocol.Message{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{
		Type: protocol.TraceError, EmittedAt: protocol.MillisOf(out.Now()), Error: trace,
	}})
	if werr == nil {
		werr = out.Flush()
	}
	if werr != nil {
		// stdout is gone (a broken pipe): say it where someone can see it.
		if trace.InternalMessage == "" || trace.InternalMessage == trace.Message {
			fmt.Fprintf(f.stderr, "%s: %s\n", f.opts.Name, trace.Message)
		} else {
			fmt.Fprintf(f.stderr, "%s: %s: %s\n", f.opts.Name, trace.Message, trace.InternalMessage)
		}
	}
	f.code = ExitError
	if interrupted {
		f.code = ExitInterrupted
	}
}

func (f *frame) run(cmds []*cli.Command, args []string) int {
	app := &cli.App{
		Name:        f.opts.Name,
		Usage:       f.opts.Usage,
		Description: f.opts.Description,
		Version:     f.opts.Version,
		Metadata:    map[string]any{"helpTail": f.helpTail()},
		// The standard template, then the environment, the exit codes and
		// the documentation link.
		CustomAppHelpTemplate: cli.AppHelpTemplate + `{{index .Metadata "helpTail"}}`,
		Commands:              cmds,
		Writer:                f.stderr,
		ErrWriter:             f.stderr,
		HideHelpCommand:       true,
		ExitErrHandler:        func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return err
		},
		CommandNotFound: func(c *cli.Context, name string) {
			f.handled = true
			f.finish(protocol.ConfigError(nil, "unknown command %q; the commands are %s", name, strings.Join(commandNames(cmds), ", ")))
		},
	}
	err := app.RunContext(f.ctx, args)
	defer f.stderr.Flush()
	if f.handled {
		return f.code
	}
	if err != nil {
		// A usage error: unknown command, missing or unknown flag.
		f.finish(protocol.ConfigError(nil, "invalid command line: %v", err))
		return f.code
	}
	if len(args) < 2 {
		return ExitError // help was printed to stderr
	}
	return ExitOK
}

// helpTail is the end of --help: the environment variables the binary
// reads, its exit codes and the link to its documentation.
func (f *frame) helpTail() string {
	var b strings.Builder
	env := append([]EnvVar{{Name: LogLevelEnv, Usage: "level of the LOG messages: DEBUG, INFO (default), WARN or ERROR"}}, f.opts.Env...)
	width := 0
	for _, e := range env {
		width = max(width, len(e.Name))
	}
	b.WriteString("\nENVIRONMENT:\n")
	for _, e := range env {
		fmt.Fprintf(&b, "   %-*s  %s\n", width, e.Name, e.Usage)
	}
	b.WriteString("\nEXIT STATUS:\n")
	b.WriteString("   0    success; also a check that printed CONNECTION_STATUS FAILED\n")
	b.WriteString("   1    the command failed: the last line on stdout is a TRACE ERROR saying why\n")
	b.WriteString("   143  stopped by SIGTERM or SIGINT\n")
	if f.spec != nil && f.spec.Message != nil && f.spec.Message.DocumentationURL != "" {
		b.WriteString("\nDOCUMENTATION:\n   " + f.spec.Message.DocumentationURL + "\n")
	}
	return b.String()
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Name)
	}
	return out
}

// loadConfig reads, registers the secrets of, and validates a config file.
func (f *frame) loadConfig(path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, protocol.ConfigError(err, "cannot read the config file %s", path)
	}
	f.env.Secrets.Add(f.spec.Secrets(b)...)
	if err := f.spec.Validate(b); err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

func loadCatalog(path string, forSource bool) (*protocol.ConfiguredCatalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, protocol.ConfigError(err, "cannot read the catalog file %s", path)
	}
	cat, err := protocol.ParseConfiguredCatalog(b, forSource)
	if err != nil {
		return nil, protocol.ConfigError(nil, "invalid catalog %s: %v", path, err)
	}
	return cat, nil
}

func loadState(path string) (*protocol.InputState, error) {
	if path == "" {
		return &protocol.InputState{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, protocol.ConfigError(err, "cannot read the state file %s", path)
	}
	st, err := protocol.ParseInputState(b)
	if err != nil {
		return nil, protocol.ConfigError(nil, "invalid state file %s: %v", path, err)
	}
	return st, nil
}

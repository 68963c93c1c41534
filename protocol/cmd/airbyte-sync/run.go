package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// maxSockets bounds --sockets.
const maxSockets = 64

const docsURL = "https://github.com/cognitivo/radar-connectors#local-pipe--runner"

// run is the whole command, testable without a process: it returns the
// exit status (0 ok, 1 sync failed, 2 config error, 3 state store error).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	code := 0
	app := &cli.App{
		Name:    "airbyte-sync",
		Usage:   "run an Airbyte source into an Airbyte destination, keeping the state between runs",
		Version: version,
		Description: "Runs `SOURCE read | DESTINATION write` as the Airbyte platform does: each STATE gets an integer id and\n" +
			"sourceStats, only the states the destination acknowledged are saved (atomically, as the array of\n" +
			"AirbyteStateMessage that `read --state` takes), both sides' LOG lines are shown on stderr with progress,\n" +
			"a transient failure is retried from the last saved state and a config error is not.\n\n" +
			"Data channel (Airbyte's speed mode, docs/speed-mode.md): --data-channel auto (the default) runs SOCKET/PROTOBUF\n" +
			"when both connectors declare it in metadata.yaml data.connectorIPCOptions.dataChannel (same version, SOCKET in\n" +
			"supportedTransport; PROTOBUF if both list it, else JSONL), as the platform's ArchitectureDecider does, else STDIO.\n" +
			"A binary's metadata.yaml is --source-metadata/--destination-metadata, else the one next to the binary, else\n" +
			"<dir>/<binary name>/metadata.yaml in the binary's directory or a parent (bin/x -> x/metadata.yaml of the\n" +
			"repository); an image declares it with the labels radar.data-channel.version, .serialization and .transport.\n" +
			"In socket mode both connectors get DATA_CHANNEL_MEDIUM=SOCKET, DATA_CHANNEL_FORMAT and --sockets socket paths\n" +
			"(airbyte_socket_<i>.sock in a private temporary directory, mounted into containers); the source's stdout\n" +
			"copies of its states are matched by stream and id to the states the destination commits, and those are saved.\n\n" +
			"Exit status: 0 ok, 1 the sync failed, 2 config error (never retried), 3 state store error.\n\n" +
			"Environment: LOG_LEVEL (passed to both connectors; --log-level overrides), AWS_REGION, AWS_PROFILE,\n" +
			"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the rest of the AWS SDK chain for an s3:// state,\n" +
			"AWS_ENDPOINT_URL_S3 for another S3 API.\n\nDocumentation: " + docsURL,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{{
			Name:  "run",
			Usage: "run one sync (up to --max-attempts attempts)",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "source", Usage: "source connector binary `PATH`"},
				&cli.StringFlag{Name: "source-image", Usage: "source Docker `IMAGE` (run with docker run -i --rm)"},
				&cli.StringFlag{Name: "source-config", Usage: "source config `FILE`", Required: true},
				&cli.StringFlag{Name: "destination", Usage: "destination connector binary `PATH`"},
				&cli.StringFlag{Name: "destination-image", Usage: "destination Docker `IMAGE`"},
				&cli.StringFlag{Name: "destination-config", Usage: "destination config `FILE`", Required: true},
				&cli.StringFlag{Name: "catalog", Usage: "configured catalog `FILE`, given to both sides", Required: true},
				&cli.StringFlag{Name: "state", Usage: "state store: a `FILE` or s3://bucket/key (created on the first run)", Required: true},
				&cli.StringFlag{Name: "summary", Usage: "also write the run summary as JSON to `FILE`"},
				&cli.IntFlag{Name: "max-attempts", Value: 3, Usage: "attempts of a failing sync, each from the last saved state"},
				&cli.DurationFlag{Name: "retry-delay", Value: 5 * time.Second, Usage: "pause before another attempt"},
				&cli.DurationFlag{Name: "progress-interval", Value: 10 * time.Second, Usage: "progress line interval when stderr is not a terminal (0: none)"},
				&cli.StringFlag{Name: "log-level", Usage: "LOG_LEVEL for both connectors and the LOG lines shown (DEBUG, INFO, WARN, ERROR)", EnvVars: []string{"LOG_LEVEL"}},
				&cli.BoolFlag{Name: "skip-check", Usage: "do not run check before each attempt"},
				&cli.StringFlag{Name: "data-channel", Value: "auto", Usage: "how records travel: auto, stdio, socket (= socket/protobuf), socket/jsonl or socket/protobuf; auto is socket/protobuf when both connectors declare it (metadata.yaml connectorIPCOptions), else stdio"},
				&cli.IntFlag{Name: "sockets", Usage: fmt.Sprintf("number of Unix sockets in socket mode (default 2 x CPUs, at most %d, as the platform's 2 x min(source CPUs, destination CPUs))", runner.MaxSockets)},
				&cli.StringFlag{Name: "source-metadata", Usage: "the source's metadata.yaml `FILE` for --data-channel auto (default: metadata.yaml next to the binary, or in a folder named after it up the tree; an image's radar.data-channel.* labels)"},
				&cli.StringFlag{Name: "destination-metadata", Usage: "the destination's metadata.yaml `FILE` for --data-channel auto"},
			},
			Action: func(c *cli.Context) error {
				code = runSync(ctx, c, stdout, stderr)
				return nil
			},
		}},
	}
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintf(stderr, "airbyte-sync: %v\n", err)
		return 2
	}
	return code
}

func runSync(ctx context.Context, c *cli.Context, stdout, stderr io.Writer) int {
	if c.Int("max-attempts") < 1 {
		fmt.Fprintln(stderr, "airbyte-sync: --max-attempts must be at least 1")
		return 2
	}
	mode, err := runner.ParseDataChannelMode(c.String("data-channel"))
	if err != nil {
		fmt.Fprintf(stderr, "airbyte-sync: --data-channel: %v\n", err)
		return 2
	}
	if n := c.Int("sockets"); n < 0 || n > maxSockets {
		fmt.Fprintf(stderr, "airbyte-sync: --sockets must be between 1 and %d\n", maxSockets)
		return 2
	}
	store, err := runner.OpenStateStore(ctx, c.String("state"))
	if err != nil {
		fmt.Fprintf(stderr, "airbyte-sync: %v\n", err)
		if isStoreErr(err) {
			return 3
		}
		return 2
	}
	o := runner.Options{
		Source:           runner.Connector{Path: c.String("source"), Image: c.String("source-image"), Config: c.String("source-config"), Metadata: c.String("source-metadata")},
		Destination:      runner.Connector{Path: c.String("destination"), Image: c.String("destination-image"), Config: c.String("destination-config"), Metadata: c.String("destination-metadata")},
		DataChannel:      mode,
		Sockets:          c.Int("sockets"),
		Catalog:          c.String("catalog"),
		State:            store,
		MaxAttempts:      c.Int("max-attempts"),
		RetryDelay:       c.Duration("retry-delay"),
		ProgressInterval: c.Duration("progress-interval"),
		LogLevel:         c.String("log-level"),
		Log:              stderr,
		TTY:              isTerminal(stderr),
		SkipCheck:        c.Bool("skip-check"),
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = -1
	}
	res, err := runner.Run(ctx, o)
	if len(res.Streams) > 0 {
		fmt.Fprintln(stdout)
		runner.WriteSummary(stdout, res)
	}
	if path := c.String("summary"); path != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if werr := os.WriteFile(path, append(b, '\n'), 0o644); werr != nil {
			fmt.Fprintf(stderr, "airbyte-sync: write the summary: %v\n", werr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "airbyte-sync: %s: %v\n", res.Outcome, err)
	} else {
		fmt.Fprintf(stderr, "airbyte-sync: succeeded in %.1fs: %d states committed, state saved to %s\n", res.Seconds, res.StatesCommitted, store)
	}
	return runner.ExitCode(err)
}

func isStoreErr(err error) bool {
	var se *runner.StateStoreError
	return errors.As(err, &se)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

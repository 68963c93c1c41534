// Command source-mysql-radar is an Airbyte source for MySQL and MariaDB: a
// drop-in for Airbyte's source-mysql 3.0.0 configs, with resumable
// key-chunked full refreshes and exact values.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// The IANA time zone database is embedded: the runtime image has none,
	// and CDC's server_time_zone must resolve everywhere.
	_ "time/tzdata"

	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/source"
)

var version = "dev"

// options describe the binary for --help.
func options() airbytecli.Options {
	return airbytecli.Options{
		Name:    "source-mysql-radar",
		Usage:   "an Airbyte source for MySQL and MariaDB (drop-in for source-mysql 3.0.0 configs)",
		Version: version,
		Description: "Reads MySQL/MariaDB tables as Airbyte streams: full refresh (resumable, in primary-key\n" +
			"chunks), incremental by cursor, and CDC from the binary log. It speaks the Airbyte protocol on\n" +
			"stdout (RECORD, STATE, TRACE, LOG), so it runs as an Airbyte custom connector or piped into a\n" +
			"destination's write:\n\n" +
			"   source-mysql-radar read --config source.json --catalog catalog.json [--state state.json] |\n" +
			"     destination-s3-parquet write --config destination.json --catalog catalog.json",
		Env: []airbytecli.EnvVar{
			{Name: source.ProgressEnv, Usage: "how often a stream being read logs its progress at INFO: a duration (30s, 1m) or seconds; default 10s; 0 turns it off"},
			{Name: "GOGC", Usage: "Go garbage-collector target; when unset, read uses 400 (less CPU for a few MB of memory)"},
			{Name: "DATA_CHANNEL_MEDIUM", Usage: "set by the Airbyte platform: STDIO (default) or SOCKET, its speed mode, where records go over Unix sockets (docs/speed-mode.md)"},
			{Name: "DATA_CHANNEL_FORMAT", Usage: "set by the platform: JSONL (default) or PROTOBUF, the format of records on the sockets"},
			{Name: "DATA_CHANNEL_SOCKET_PATHS", Usage: "set by the platform in socket mode: the comma-separated socket paths read listens on"},
			{Name: source.AcceptTimeoutEnv, Usage: "socket mode: how long read waits for the destination to connect to every socket; default 10m"},
		},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// On the platform, TERMINATED kills the wrapper's subshell, our parent.
	airbytecli.StopWithParent()
	code := airbytecli.RunSource(ctx, source.New(), options(), os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

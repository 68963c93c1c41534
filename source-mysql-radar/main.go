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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// On the platform, TERMINATED kills the wrapper's subshell, our parent.
	airbytecli.StopWithParent()
	code := airbytecli.RunSource(ctx, source.New(), airbytecli.Options{Name: "source-mysql-radar", Version: version}, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Command airbyte-sync runs a sync between an Airbyte source and an Airbyte
// destination the way the platform does, outside Airbyte, and keeps the
// state between runs in a file or an S3 object. See protocol/runner.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

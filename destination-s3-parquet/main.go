// Command destination-s3-parquet is an Airbyte destination that writes
// records as Parquet files to S3 (or any S3-compatible store).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/athena"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/destination"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/partitions"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// On the platform, TERMINATED kills the wrapper's subshell, our parent.
	airbytecli.StopWithParent()
	os.Exit(airbytecli.RunDestination(ctx, destination.New(version),
		airbytecli.Options{Name: "destination-s3-parquet", Version: version, Commands: []*airbytecli.Command{partitions.Command(), athena.Command()}},
		os.Args, os.Stdin, os.Stdout, os.Stderr))
}

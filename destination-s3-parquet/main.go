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
	os.Exit(airbytecli.RunDestination(ctx, destination.New(version), options(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// options describe the binary for --help.
func options() airbytecli.Options {
	return airbytecli.Options{
		Name:    "destination-s3-parquet",
		Usage:   "an Airbyte destination writing Parquet files to S3 (drop-in for destination-s3 0.3.23 configs)",
		Version: version,
		Description: "Reads a source's RECORD and STATE messages on stdin, converts the records through Apache\n" +
			"Arrow into Parquet (SNAPPY by default), streams them to S3 or any S3-compatible store with\n" +
			"multipart uploads, and prints each STATE back only once the data before it is in S3.",
		Env: []airbytecli.EnvVar{
			{Name: "WORKER_JOB_ID", Usage: "the sync id ({sync_id} in paths, _airbyte_meta.sync_id) when the catalog has none"},
			{Name: "GOMEMLIMIT", Usage: "Go memory limit; when unset, write sets one from buffer_memory_mb"},
			{Name: "RADAR_CPUPROFILE", Usage: "write: a path to write a CPU profile of the sync to (for tuning)"},
			{Name: "RADAR_HEAPPROFILE", Usage: "write: a path to write a heap profile to at the end of the input (for tuning)"},
			{Name: "DATA_CHANNEL_MEDIUM", Usage: "set by the Airbyte platform: STDIO (default: records on stdin) or SOCKET, its speed mode, where write connects to the source's Unix sockets and ignores stdin (docs/speed-mode.md)"},
			{Name: "DATA_CHANNEL_FORMAT", Usage: "set by the platform: JSONL (default) or PROTOBUF, the format of records on the sockets"},
			{Name: "DATA_CHANNEL_SOCKET_PATHS", Usage: "set by the platform in socket mode: the comma-separated socket paths write connects to (it waits up to 15m for the source to listen on each)"},
			{Name: "NAMESPACE_MAPPING_CONFIG_PATH", Usage: "set by the platform in socket mode: a JSON file (namespaceDefinitionType, namespaceFormat, streamPrefix) telling how to map the source's namespaces and stream names to the catalog's; unset keeps them"},
			{Name: "AWS_*", Usage: "when the config has no access key: the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, ...)"},
		},
		Commands: []*airbytecli.Command{partitions.Command(), athena.Command()},
	}
}

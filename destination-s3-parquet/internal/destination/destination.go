// Package destination is the destination-s3-parquet connector: spec, check
// and write. Write reads the messages on stdin, converts each stream's
// records into Arrow and Parquet, streams the files to S3 and echoes every
// STATE once the records before it are in completed objects.
package destination

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
)

// Destination implements airbytecli.Destination.
type Destination struct {
	// Version is written into the Parquet footer's created_by.
	Version string
	// HTTPClient, if set, is used for S3 requests (tests).
	HTTPClient *http.Client
}

var _ airbytecli.Destination = (*Destination)(nil)

// New returns the destination.
func New(version string) *Destination { return &Destination{Version: version} }

// Spec returns the connector specification.
func (d *Destination) Spec() *connspec.Spec { return config.Spec() }

// Check verifies that the bucket can be listed, written, read and cleaned.
func (d *Destination) Check(ctx context.Context, env *airbytecli.Env, raw json.RawMessage) error {
	cfg, err := config.Parse(raw)
	if err != nil {
		return err
	}
	client, err := s3sink.NewClient(ctx, cfg, s3sink.Options{HTTPClient: d.HTTPClient})
	if err != nil {
		return protocol.ConfigError(err, "cannot configure the S3 client; check the credentials and `role_arn`")
	}
	return checkBucket(ctx, cfg, client)
}

// Write runs a sync: it reads messages from env.Stdin until EOF, or in
// socket mode (DATA_CHANNEL_MEDIUM=SOCKET) from every data channel socket
// until each ends.
func (d *Destination) Write(ctx context.Context, env *airbytecli.Env, raw json.RawMessage, cat *protocol.ConfiguredCatalog, _ *protocol.Reader) error {
	cfg, err := config.Parse(raw)
	if err != nil {
		return err
	}
	dc, err := dataChannel()
	if err != nil {
		return err
	}
	var nm namespaceMapping
	if dc.Socket() {
		if nm, err = loadNamespaceMapping(os.Getenv(envNamespaceMapping)); err != nil {
			return err
		}
	}
	client, err := s3sink.NewClient(ctx, cfg, s3sink.Options{HTTPClient: d.HTTPClient})
	if err != nil {
		return protocol.ConfigError(err, "cannot configure the S3 client; check the credentials and `role_arn`")
	}
	w, err := newSyncWriter(ctx, cfg, cat, client, env, d.Version)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Keep the heap near what the buffers need instead of letting it
		// grow to twice the live data between collections.
		debug.SetMemoryLimit(memoryLimit(cfg) + socketMemory(dc))
	}
	if path := os.Getenv("RADAR_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	if dc.Socket() {
		return w.runSockets(ctx, env.Stdin, dc, nm)
	}
	growPipe(env.Stdin)
	return w.run(ctx, env.Stdin)
}

// runtimeOverhead is the memory of everything but the buffers: the S3
// client, stdin and stdout buffers, goroutine stacks, the Parquet encoder's
// scratch, the buffers kept for reuse, and room for garbage between
// collections. (The process's peak RSS is about this limit plus the 30 MiB
// of the binary's code and data that it touches.)
const runtimeOverhead = 40 << 20

// memoryLimit is the soft limit given to the Go runtime: the buffer budget,
// the parts in flight and the runtime's own overhead.
func memoryLimit(cfg *config.Config) int64 {
	return cfg.BufferMemory() + int64(cfg.UploadConcurrency)*int64(cfg.PartSize()) + runtimeOverhead
}

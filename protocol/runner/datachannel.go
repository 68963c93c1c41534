package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// DataChannelMode is a --data-channel value: "auto", "stdio", "socket"
// (PROTOBUF), "socket/jsonl" or "socket/protobuf".
type DataChannelMode struct {
	Auto   bool
	Medium datachannel.Medium
	Format datachannel.Format
}

// Stdio is the STDIO data channel (JSON lines on stdout and stdin).
var Stdio = DataChannelMode{Medium: datachannel.MediumStdio, Format: datachannel.FormatJSONL}

// ParseDataChannelMode reads a --data-channel value (case-insensitive; ""
// is auto).
func ParseDataChannelMode(s string) (DataChannelMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return DataChannelMode{Auto: true}, nil
	case "stdio", "stdio/jsonl":
		return DataChannelMode{Medium: datachannel.MediumStdio, Format: datachannel.FormatJSONL}, nil
	case "socket", "socket/protobuf":
		return DataChannelMode{Medium: datachannel.MediumSocket, Format: datachannel.FormatProtobuf}, nil
	case "socket/jsonl":
		return DataChannelMode{Medium: datachannel.MediumSocket, Format: datachannel.FormatJSONL}, nil
	}
	return DataChannelMode{}, fmt.Errorf("data channel %q: expected auto, stdio, socket, socket/jsonl or socket/protobuf", s)
}

func (m DataChannelMode) String() string {
	if m.Auto {
		return "auto"
	}
	return strings.ToLower(string(m.Medium) + "/" + string(m.Format))
}

// MaxSockets caps the socket count: more sockets than the source has
// streams to read in parallel buy nothing, and each is a connection and a
// buffer on both sides.
const MaxSockets = 16

// DefaultSockets is the platform's socket count for connectors that may use
// every CPU of this machine: 2 × min(source CPUs, destination CPUs)
// (airbytehq/airbyte-platform
// airbyte-workload-launcher/src/main/kotlin/ArchitectureDecider.kt,
// buildSocketEnvironment: min(extractCpuLimit(source),
// extractCpuLimit(destination)) * 2, read at commit 6768a528; earlier
// versions used * 4), capped at MaxSockets.
func DefaultSockets() int { return min(2*runtime.NumCPU(), MaxSockets) }

// SocketFilePrefix and SocketFileSuffix name the sockets as the platform
// does: /var/run/sockets/airbyte_socket_<i>.sock, i from 1
// (ArchitectureConstants SOCKET_PATH, SOCKET_FILE_PREFIX, SOCKET_FILE_POSTFIX).
const (
	SocketFilePrefix = "airbyte_socket_"
	SocketFileSuffix = ".sock"
)

// maxSocketPath is the longest Unix socket path (sun_path is 108 bytes on
// Linux, with its terminating NUL).
const maxSocketPath = 107

// SocketDir creates a private directory (mode 0700) for the sockets of a
// run. Its path is short: a Unix socket path has at most 107 bytes, which a
// test's temporary directory can exceed, so it falls back to /tmp when
// $TMPDIR is long.
func SocketDir() (string, error) {
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	return os.MkdirTemp(base, "dc-")
}

// SocketPaths returns n socket paths in dir: prefix<i>.sock, i = 1..n.
func SocketPaths(dir, prefix string, n int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("socket count %d: at least 1", n)
	}
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("%s%d%s", prefix, i+1, SocketFileSuffix))
		if len(paths[i]) > maxSocketPath {
			return nil, fmt.Errorf("socket path %s is longer than %d bytes", paths[i], maxSocketPath)
		}
	}
	return paths, nil
}

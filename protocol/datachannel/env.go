// Package datachannel is Airbyte's data channel ("speed mode"): the mode
// read from the environment, the Unix sockets a source listens on and a
// destination connects to, and the varint-delimited protobuf framing of
// records (package pb holds the generated messages; the hot paths here
// encode and decode the same wire format without allocating).
//
// The platform chooses the mode for each sync and passes it in the
// environment only; the command line is unchanged. See docs/speed-mode.md
// for the contract and the Bulk CDK code it follows.
package datachannel

import (
	"fmt"
	"os"
	"strings"
)

// The environment variables the platform sets on both connectors.
const (
	EnvMedium      = "DATA_CHANNEL_MEDIUM"
	EnvFormat      = "DATA_CHANNEL_FORMAT"
	EnvSocketPaths = "DATA_CHANNEL_SOCKET_PATHS"
)

// Medium is how records travel: on stdout/stdin or over Unix sockets.
type Medium string

// Format is how records are serialised on the channel.
type Format string

const (
	MediumStdio  Medium = "STDIO"
	MediumSocket Medium = "SOCKET"

	FormatJSONL    Format = "JSONL"
	FormatProtobuf Format = "PROTOBUF"
)

// Config is the data channel of one run.
type Config struct {
	Medium      Medium
	Format      Format
	SocketPaths []string
}

// Socket reports whether records go over sockets.
func (c Config) Socket() bool { return c.Medium == MediumSocket }

// Protobuf reports whether records are protobuf messages.
func (c Config) Protobuf() bool { return c.Format == FormatProtobuf }

// String describes the mode for logs.
func (c Config) String() string {
	if !c.Socket() {
		return "STDIO/" + string(c.Format)
	}
	return fmt.Sprintf("SOCKET/%s over %d sockets", c.Format, len(c.SocketPaths))
}

// FromEnv reads the data channel from the process environment.
func FromEnv() (Config, error) { return ParseEnv(os.LookupEnv) }

// ParseEnv reads the data channel from lookup. Unset variables mean STDIO
// and JSONL, as for a platform that knows nothing of sockets. Values are
// case-insensitive.
func ParseEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Config{Medium: MediumStdio, Format: FormatJSONL}
	if v, ok := lookup(EnvMedium); ok && strings.TrimSpace(v) != "" {
		switch m := Medium(strings.ToUpper(strings.TrimSpace(v))); m {
		case MediumStdio, MediumSocket:
			c.Medium = m
		default:
			return c, fmt.Errorf("%s=%q: expected STDIO or SOCKET", EnvMedium, v)
		}
	}
	if v, ok := lookup(EnvFormat); ok && strings.TrimSpace(v) != "" {
		switch f := Format(strings.ToUpper(strings.TrimSpace(v))); f {
		case FormatJSONL, FormatProtobuf:
			c.Format = f
		default:
			return c, fmt.Errorf("%s=%q: expected JSONL or PROTOBUF", EnvFormat, v)
		}
	}
	if v, ok := lookup(EnvSocketPaths); ok {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.SocketPaths = append(c.SocketPaths, p)
			}
		}
	}
	if !c.Socket() {
		if c.Format == FormatProtobuf {
			return c, fmt.Errorf("%s=PROTOBUF needs %s=SOCKET: standard output carries JSON lines only", EnvFormat, EnvMedium)
		}
		c.SocketPaths = nil
		return c, nil
	}
	if len(c.SocketPaths) == 0 {
		return c, fmt.Errorf("%s=SOCKET needs %s, a comma-separated list of socket paths", EnvMedium, EnvSocketPaths)
	}
	seen := map[string]bool{}
	for _, p := range c.SocketPaths {
		if seen[p] {
			return c, fmt.Errorf("%s lists %s twice", EnvSocketPaths, p)
		}
		seen[p] = true
	}
	return c, nil
}

// Environ returns the environment entries that select c, for a process
// launched in this mode (the platform double and the runner).
func (c Config) Environ() []string {
	env := []string{EnvMedium + "=" + string(c.Medium), EnvFormat + "=" + string(c.Format)}
	if c.Socket() {
		env = append(env, EnvSocketPaths+"="+strings.Join(c.SocketPaths, ","))
	}
	return env
}

package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// IPCOptions is a connector's declaration of the data channels it speaks:
// metadata.yaml data.connectorIPCOptions, as airbytehq/airbyte's metadata
// schema defines it (airbyte-ci/connectors/metadata_service/lib/
// metadata_service/models/src/ConnectorIPCOptions.yaml, read at commit
// 1da529d1; FLATBUFFERS, also in its enum, is not spoken here):
//
//	connectorIPCOptions:
//	  dataChannel:
//	    version: "0.0.2"
//	    supportedSerialization: [JSONL, PROTOBUF]
//	    supportedTransport: [SOCKET, STDIO]
type IPCOptions struct {
	DataChannel struct {
		Version                string   `yaml:"version" json:"version"`
		SupportedSerialization []string `yaml:"supportedSerialization" json:"supportedSerialization"`
		SupportedTransport     []string `yaml:"supportedTransport" json:"supportedTransport"`
	} `yaml:"dataChannel" json:"dataChannel"`
}

// Image labels that carry a connector's IPC options, since a registry entry
// is not part of an image: the runner reads them with docker image inspect.
// Transport and serialization are comma-separated.
const (
	LabelDataChannelVersion       = "radar.data-channel.version"
	LabelDataChannelSerialization = "radar.data-channel.serialization"
	LabelDataChannelTransport     = "radar.data-channel.transport"
)

// ReadMetadataIPC returns the connectorIPCOptions of a metadata.yaml (nil
// when it has none).
func ReadMetadataIPC(path string) (*IPCOptions, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var md struct {
		Data struct {
			IPC *IPCOptions `yaml:"connectorIPCOptions"`
		} `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &md); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if md.Data.IPC != nil && md.Data.IPC.DataChannel.Version == "" {
		return nil, fmt.Errorf("%s: connectorIPCOptions.dataChannel.version is missing", path)
	}
	return md.Data.IPC, nil
}

// FindMetadata returns the metadata.yaml of a connector binary: the one
// next to it, else the one in a folder named after it in the binary's
// directory or a parent (bin/source-mysql-radar →
// source-mysql-radar/metadata.yaml of the repository); "" if none.
func FindMetadata(binary string) string {
	abs, err := filepath.Abs(binary)
	if err != nil {
		return ""
	}
	dir, name := filepath.Dir(abs), filepath.Base(abs)
	if p := filepath.Join(dir, "metadata.yaml"); isFile(p) {
		return p
	}
	for d := dir; ; d = filepath.Dir(d) {
		if p := filepath.Join(d, name, "metadata.yaml"); isFile(p) {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ImageIPC returns the IPC options of a Docker image from its labels (nil
// when it has none).
func ImageIPC(ctx context.Context, image string) (*IPCOptions, error) {
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("docker image inspect %s: %w", image, err)
	}
	var labels map[string]string
	if err := json.Unmarshal(out, &labels); err != nil {
		return nil, fmt.Errorf("labels of %s: %w", image, err)
	}
	v := labels[LabelDataChannelVersion]
	if v == "" {
		return nil, nil
	}
	o := &IPCOptions{}
	o.DataChannel.Version = v
	o.DataChannel.SupportedSerialization = splitList(labels[LabelDataChannelSerialization])
	o.DataChannel.SupportedTransport = splitList(labels[LabelDataChannelTransport])
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// connectorIPC returns a connector's IPC options and where they come from.
func connectorIPC(ctx context.Context, c Connector) (*IPCOptions, string, error) {
	if c.Image != "" {
		o, err := ImageIPC(ctx, c.Image)
		if err != nil {
			// Not pulled yet, or no docker: docker run pulls it, in STDIO.
			return nil, fmt.Sprintf("the labels of %s could not be read (%v)", c.Image, err), nil
		}
		return o, "the labels of " + c.Image, nil
	}
	path := c.Metadata
	if path == "" {
		if path = FindMetadata(c.Path); path == "" {
			return nil, "no metadata.yaml found for " + c.Path, nil
		}
	}
	o, err := ReadMetadataIPC(path)
	return o, path, err
}

// Negotiate chooses the data channel of two connectors as the platform
// does (airbyte-platform
// airbyte-workload-launcher/src/main/kotlin/ArchitectureDecider.kt,
// computeEnvironmentVariables, at commit 6768a528; the platform's feature
// flags, file transfer, resets, mappers and hashed fields are not modelled): STDIO unless both declare IPC options of
// the same dataChannel.version; then PROTOBUF if both list it, else JSONL,
// and SOCKET if both list it, else STDIO. The reason says why.
func Negotiate(src, dst *IPCOptions) (DataChannelMode, string) {
	stdio := DataChannelMode{Medium: datachannel.MediumStdio, Format: datachannel.FormatJSONL}
	switch {
	case src == nil && dst == nil:
		return stdio, "neither connector declares connectorIPCOptions"
	case src == nil:
		return stdio, "the source declares no connectorIPCOptions"
	case dst == nil:
		return stdio, "the destination declares no connectorIPCOptions"
	case src.DataChannel.Version != dst.DataChannel.Version:
		return stdio, fmt.Sprintf("data channel versions differ (source %s, destination %s)", src.DataChannel.Version, dst.DataChannel.Version)
	}
	both := func(a, b []string, v string) bool {
		return slices.ContainsFunc(a, func(x string) bool { return strings.EqualFold(x, v) }) &&
			slices.ContainsFunc(b, func(x string) bool { return strings.EqualFold(x, v) })
	}
	m := stdio
	if both(src.DataChannel.SupportedSerialization, dst.DataChannel.SupportedSerialization, "PROTOBUF") {
		m.Format = datachannel.FormatProtobuf
	}
	if both(src.DataChannel.SupportedTransport, dst.DataChannel.SupportedTransport, "SOCKET") {
		m.Medium = datachannel.MediumSocket
	}
	if m.Medium == datachannel.MediumStdio {
		// Standard output carries JSON lines only.
		m.Format = datachannel.FormatJSONL
		return m, "the connectors do not both support SOCKET"
	}
	return m, "both connectors declare data channel " + src.DataChannel.Version + " with SOCKET"
}

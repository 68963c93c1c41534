package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

func ipc(version string, ser, tr []string) *IPCOptions {
	o := &IPCOptions{}
	o.DataChannel.Version, o.DataChannel.SupportedSerialization, o.DataChannel.SupportedTransport = version, ser, tr
	return o
}

func TestNegotiate(t *testing.T) {
	full := ipc("0.0.2", []string{"JSONL", "PROTOBUF"}, []string{"SOCKET", "STDIO"})
	tests := []struct {
		name     string
		src, dst *IPCOptions
		want     string
	}{
		{"both full", full, full, "socket/protobuf"},
		{"source undeclared", nil, full, "stdio/jsonl"},
		{"versions differ", ipc("0.0.1", []string{"PROTOBUF"}, []string{"SOCKET"}), full, "stdio/jsonl"},
		{"jsonl only", ipc("0.0.2", []string{"JSONL"}, []string{"SOCKET"}), full, "socket/jsonl"},
		{"stdio only", full, ipc("0.0.2", []string{"JSONL", "PROTOBUF"}, []string{"STDIO"}), "stdio/jsonl"},
	}
	for _, tt := range tests {
		if got, why := Negotiate(tt.src, tt.dst); got.String() != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.name, got, why, tt.want)
		}
	}
}

func TestParseDataChannelMode(t *testing.T) {
	for in, want := range map[string]string{"": "auto", "AUTO": "auto", "stdio": "stdio/jsonl", "socket": "socket/protobuf", "socket/JSONL": "socket/jsonl"} {
		m, err := ParseDataChannelMode(in)
		if err != nil || m.String() != want {
			t.Errorf("%q: %v %v, want %s", in, m, err, want)
		}
	}
	if _, err := ParseDataChannelMode("sockets"); err == nil {
		t.Error("sockets accepted")
	}
}

// TestConnectorMetadata: the repository's metadata.yaml files declare the
// data channel, and a binary in bin/ finds its connector's.
func TestConnectorMetadata(t *testing.T) {
	for _, name := range []string{"source-mysql-radar", "destination-s3-parquet"} {
		o, err := ReadMetadataIPC(filepath.Join("..", "..", name, "metadata.yaml"))
		if err != nil || o == nil {
			t.Fatalf("%s: %v %v", name, o, err)
		}
		if o.DataChannel.Version != "0.0.2" || len(o.DataChannel.SupportedSerialization) != 2 || len(o.DataChannel.SupportedTransport) != 2 {
			t.Errorf("%s: %+v", name, o)
		}
	}
	m, _ := Negotiate(must(ReadMetadataIPC("../../source-mysql-radar/metadata.yaml")), must(ReadMetadataIPC("../../destination-s3-parquet/metadata.yaml")))
	if m.Medium != datachannel.MediumSocket || m.Format != datachannel.FormatProtobuf {
		t.Errorf("the two connectors negotiate %s", m)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "conn"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "conn"), nil, 0o755)
	os.WriteFile(filepath.Join(dir, "conn", "metadata.yaml"), []byte("data:\n  name: x\n"), 0o644)
	if got := FindMetadata(filepath.Join(dir, "bin", "conn")); got != filepath.Join(dir, "conn", "metadata.yaml") {
		t.Errorf("FindMetadata = %q", got)
	}
	if o, err := ReadMetadataIPC(filepath.Join(dir, "conn", "metadata.yaml")); o != nil || err != nil {
		t.Errorf("no connectorIPCOptions: %v %v", o, err)
	}
	os.WriteFile(filepath.Join(dir, "bin", "metadata.yaml"), nil, 0o644)
	if got := FindMetadata(filepath.Join(dir, "bin", "conn")); got != filepath.Join(dir, "bin", "metadata.yaml") {
		t.Errorf("FindMetadata next to the binary = %q", got)
	}
}

func must(o *IPCOptions, err error) *IPCOptions {
	if err != nil {
		panic(err)
	}
	return o
}

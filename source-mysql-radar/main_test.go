package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/source"
)

// TestHelp checks that --help describes the binary and every command, lists
// every environment variable the code reads, and links to our docs.
func TestHelp(t *testing.T) {
	help := func(args ...string) string {
		var out, errb bytes.Buffer
		argv := append([]string{"source-mysql-radar"}, args...)
		if code := airbytecli.RunSource(context.Background(), source.New(), options(), argv, strings.NewReader(""), &out, &errb); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		return out.String() + errb.String()
	}
	protocoltest.CheckHelp(t, help, ".", "https://github.com/cognitivo/radar-connectors/blob/main/docs/source-mysql-radar.md")
}

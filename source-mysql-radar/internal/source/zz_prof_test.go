package source

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

func BenchmarkProfileRead(b *testing.B) {
	for b.Loop() {
		src := New()
		code := airbytecli.RunSource(context.Background(), src, airbytecli.Options{Name: "x"}, []string{"x", "read", "--config", "/tmp/srcradar/bcfg.json", "--catalog", "/tmp/srcradar/bcat.json"}, strings.NewReader(""), io.Discard, io.Discard)
		if code != 0 {
			b.Fatal(code)
		}
	}
}

package demo

import (
	"context"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/fixture"
)

func TestEmbeddedSeed(t *testing.T) {
	m, err := StartEmbedded("radar", "radar", "radar-demo")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	start := time.Now()
	counts, err := m.Seed(context.Background(), 300, 42)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded in %v: %v", time.Since(start), counts)
	opts := fixture.Options{Rows: 300, Seed: 42, Portable: true}
	for _, tb := range fixture.Tables(opts) {
		if got, want := counts[tb.Name], int64(fixture.RowCount(tb, opts)); got != want {
			t.Errorf("%s: %d rows, want %d", tb.Name, got, want)
		}
	}
}

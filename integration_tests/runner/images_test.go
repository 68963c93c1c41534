package runner

import (
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/runner"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// TestImagesRunTwice runs the sync through the two Docker images
// (--source-image / --destination-image: docker run -i --rm --network host,
// files mounted read-only) instead of the binaries: the first run reads both
// tables, the second resumes from the saved state and reads only the
// changed rows of the incremental table.
func TestImagesRunTwice(t *testing.T) {
	e := setup(t)
	srcImage, dstImage := harness.Images(t)
	store := runner.FileStore(e.statePath)
	opts := func() runner.Options {
		o := e.options(store)
		o.Source = runner.Connector{Image: srcImage, Config: e.srcCfg}
		o.Destination = runner.Connector{Image: dstImage, Config: e.dstCfg}
		return o
	}
	res, err := e.run(opts())
	if err != nil {
		t.Fatalf("first run through the images: %v (%+v)", err, res)
	}
	if got := rowsOf(res); got["full_t"] != 500 || got["inc_t"] != 500 {
		t.Fatalf("first run rows = %v, want 500 and 500", got)
	}
	for _, s := range res.Streams {
		if s.CommittedRows != s.Rows || s.Objects < 1 {
			t.Errorf("first run %s: %+v, want every row committed and an object", s.Name, s)
		}
	}
	e.exec("UPDATE inc_t SET v = CONCAT(v, '-changed'), updated_at = '2030-01-01 00:00:00' WHERE id <= 10")
	res2, err := e.run(opts())
	if err != nil {
		t.Fatalf("second run through the images: %v", err)
	}
	if got := rowsOf(res2); got["full_t"] != 500 || got["inc_t"] < 10 || got["inc_t"] > 11 {
		t.Fatalf("second run rows = %v, want 500 and 10 (11 with the row at the saved cursor)", got)
	}
}

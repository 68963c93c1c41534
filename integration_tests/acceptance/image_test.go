package acceptance_test

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/acceptance"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

// With -image (or RADAR_SOURCE_IMAGE / RADAR_DESTINATION_IMAGE set, as
// `make acceptance-images` does), the suites run the connector images
// through their ENTRYPOINT, as Airbyte's CAT does, instead of the binaries.
var (
	sourceImage      = flag.String("source-image", os.Getenv("RADAR_SOURCE_IMAGE"), "run the source suites against this image")
	destinationImage = flag.String("destination-image", os.Getenv("RADAR_DESTINATION_IMAGE"), "run the destination suites against this image")
)

// useImage points r at image when one is given; it fails the test when no
// Docker daemon answers, since an image was asked for.
func useImage(t *testing.T, r *acceptance.Runner, image string) {
	t.Helper()
	if image == "" {
		return
	}
	if err := harness.DockerAvailable(context.Background()); err != nil {
		t.Fatalf("image %s asked for: %v", image, err)
	}
	r.Image = image
	t.Logf("running the suites against image %s", image)
}

package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	imagesOnce            sync.Once
	imageSource, imageDst string
	imagesErr             error
	imagesSkip            string
)

// DockerAvailable reports whether a Docker daemon answers `docker info`
// within 20 s; the error says why not.
func DockerAvailable(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("no docker command: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Errorf("no Docker daemon answers: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ImageRefs returns the tags `make images` gives the two connector images:
// $IMAGE_PREFIX/<connector>:<VERSION>, with IMAGE_PREFIX from the
// environment (default cognitivo, as in the Makefile) and VERSION from the
// Makefile's `VERSION ?=` line.
func ImageRefs() (source, destination string, err error) {
	root, err := RepoRoot()
	if err != nil {
		return "", "", err
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return "", "", fmt.Errorf("read Makefile: %w", err)
	}
	m := regexp.MustCompile(`(?m)^VERSION \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		return "", "", fmt.Errorf("the Makefile has no `VERSION ?=` line")
	}
	prefix := os.Getenv("IMAGE_PREFIX")
	if prefix == "" {
		prefix = "cognitivo"
	}
	return prefix + "/" + SourceName + ":" + string(m[1]), prefix + "/" + DestinationName + ":" + string(m[1]), nil
}

// Images returns the two connector images (see ImageRefs), built from this
// checkout: it runs `make images` once per test process, under a file lock
// in the temp folder so that test processes running in parallel do not
// build at the same time. With the Docker layer cache that takes a second
// or two when nothing changed, and it keeps a tag from an older checkout
// from being tested. Set RADAR_IMAGES_NO_BUILD=1 to use the tags as they
// are (the build runs only if one is missing). It skips the test when no
// Docker daemon answers, and fails it when the build fails.
func Images(t testing.TB) (source, destination string) {
	t.Helper()
	imagesOnce.Do(func() {
		ctx := context.Background()
		if err := DockerAvailable(ctx); err != nil {
			imagesSkip = err.Error()
			return
		}
		imageSource, imageDst, imagesErr = ImageRefs()
		if imagesErr != nil {
			return
		}
		imagesErr = buildImages(ctx, imageSource, imageDst)
	})
	if imagesSkip != "" {
		t.Skipf("Docker images cannot be built or run here (%s); start dockerd, as .ci/run does", imagesSkip)
	}
	if imagesErr != nil {
		t.Fatalf("connector images: %v", imagesErr)
	}
	return imageSource, imageDst
}

// buildImages runs `make images` under the lock (see Images).
func buildImages(ctx context.Context, refs ...string) error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "radar-make-images.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return fmt.Errorf("open images lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock images: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if os.Getenv("RADAR_IMAGES_NO_BUILD") != "" && imagesExist(ctx, refs...) {
		return nil
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 40*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "images")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("make images: %w\n%s", err, tail(out, 4000))
	}
	if !imagesExist(ctx, refs...) {
		return fmt.Errorf("make images succeeded but %v do not all exist (IMAGE_PREFIX differs?)", refs)
	}
	return nil
}

func imagesExist(ctx context.Context, refs ...string) bool {
	args := append([]string{"image", "inspect", "--format", "{{.Id}}"}, refs...)
	return exec.CommandContext(ctx, "docker", args...).Run() == nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

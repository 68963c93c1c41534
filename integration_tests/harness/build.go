// Package harness runs the connectors the way the Airbyte platform does: as
// processes with config files, a catalog and a state file, with stdout and
// stdin pipes between them. It also starts the real services the tests
// need (MariaDB instances, an S3-compatible server) and reads Parquet back
// with DuckDB. It depends on no internal package of either connector.
package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Connector binary names.
const (
	SourceName      = "source-mysql-radar"
	DestinationName = "destination-s3-parquet"
)

// RepoRoot returns the repository root (the folder holding go.work).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds both connectors once per test process, exactly as the
// Makefile and the Dockerfiles do (GOWORK=off, CGO_ENABLED=0, -trimpath), and returns
// their paths. Set RADAR_BIN_DIR to use prebuilt binaries instead.
func Binaries() (source, destination string, err error) {
	if dir := os.Getenv("RADAR_BIN_DIR"); dir != "" {
		return filepath.Join(dir, SourceName), filepath.Join(dir, DestinationName), nil
	}
	buildOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildDir, buildErr = os.MkdirTemp("", "radar-bin-")
		if buildErr != nil {
			return
		}
		for _, name := range []string{SourceName, DestinationName} {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=test", "-o", filepath.Join(buildDir, name), ".")
			cmd.Dir = filepath.Join(root, name)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %w\n%s", name, err, strings.TrimSpace(string(out)))
				return
			}
		}
	})
	if buildErr != nil {
		return "", "", buildErr
	}
	return filepath.Join(buildDir, SourceName), filepath.Join(buildDir, DestinationName), nil
}

// CleanupBinaries removes the binaries Binaries built; call it from TestMain.
func CleanupBinaries() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

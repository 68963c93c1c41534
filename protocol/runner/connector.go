package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// Connector is one side of the sync: a binary or a Docker image, and its
// config file.
type Connector struct {
	// Path is the connector binary; Image a Docker image (exactly one).
	Path  string
	Image string
	// Config is the config file passed as --config.
	Config string
	// Metadata is the connector's metadata.yaml, read for its
	// connectorIPCOptions when the data channel is auto ("" for a binary:
	// FindMetadata; an image's labels are read instead).
	Metadata string
}

func (c Connector) String() string {
	if c.Image != "" {
		return c.Image
	}
	return filepath.Base(c.Path)
}

func (c Connector) validate(side string) error {
	switch {
	case (c.Path == "") == (c.Image == ""):
		return fmt.Errorf("give the %s as a binary path or as an image, not both or neither", side)
	case c.Config == "":
		return fmt.Errorf("the %s config file is missing", side)
	}
	if c.Path != "" {
		if _, err := os.Stat(c.Path); err != nil {
			return fmt.Errorf("%s binary: %w", side, err)
		}
	}
	if _, err := os.Stat(c.Config); err != nil {
		return fmt.Errorf("%s config: %w", side, err)
	}
	return nil
}

// fileArg is a flag whose value is a local file.
type fileArg struct{ flag, path string }

var containerSeq atomic.Int64

// command builds the connector's command: the binary with the files as
// they are, or `docker run -i --rm` with each file mounted read-only under
// /airbyte (the directory the platform mounts its files in) and the host
// network, so that a config naming localhost works as it does for a binary.
// env is added to the process (passed into the container with -e).
//
// For an image, each file is first copied into dir (the run's private
// temporary directory, mode 0700) with mode 0644: the connector runs as
// uid 1000 in its container, as on the platform, and could not read a
// config file the user keeps at 0600 (as one holding a password should
// be). The directory keeps the copies from other users of the host.
func (c Connector) command(ctx context.Context, verb string, files []fileArg, env []string, dir string) (*exec.Cmd, error) {
	if c.Image == "" {
		args := []string{verb}
		for _, f := range files {
			args = append(args, f.flag, f.path)
		}
		cmd := exec.CommandContext(ctx, c.Path, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second // then SIGKILL
		return cmd, nil
	}
	seq := containerSeq.Add(1)
	name := fmt.Sprintf("airbyte-sync-%d-%d", os.Getpid(), seq)
	args := []string{"run", "-i", "--rm", "--name", name, "--network", "host", "--init"}
	for _, e := range env {
		args = append(args, "-e", e)
		// Socket mode: both containers see the sockets' directory at the
		// same path.
		if v, ok := strings.CutPrefix(e, datachannel.EnvSocketPaths+"="); ok && v != "" {
			d := filepath.Dir(strings.Split(v, ",")[0])
			args = append(args, "-v", d+":"+d)
		}
	}
	cargs := []string{verb}
	for i, f := range files {
		abs, err := readableCopy(f.path, filepath.Join(dir, fmt.Sprintf("%s-%d-%d-%s", verb, seq, i, filepath.Base(f.path))))
		if err != nil {
			return nil, fmt.Errorf("%s: pass %s to the container: %w", verb, f.flag, err)
		}
		in := "/airbyte/" + strconv.Itoa(i) + "-" + filepath.Base(f.path)
		args = append(args, "-v", abs+":"+in+":ro")
		cargs = append(cargs, f.flag, in)
	}
	args = append(append(args, c.Image), cargs...)
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Cancel = func() error {
		// Killing the docker client would leave the container running.
		_ = exec.Command("docker", "kill", "--signal", "TERM", name).Run()
		return cmd.Process.Signal(syscall.SIGTERM)
	}
	cmd.WaitDelay = 15 * time.Second
	return cmd, nil
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
	}
	return -1
}

// readableCopy copies the file at src to dst with mode 0644 and returns
// dst's absolute path.
func readableCopy(src, dst string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return "", err
	}
	if err := os.Chmod(dst, 0o644); err != nil { // whatever the umask
		return "", err
	}
	return filepath.Abs(dst)
}

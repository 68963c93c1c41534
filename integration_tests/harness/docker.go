package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// The driver below plays the Airbyte platform's orchestrator and sidecar
// against connector images, starting each container as the workload
// launcher does:
//   - ReplicationContainerFactory.kt createSource / createDestination:
//     command `sh -c <ContainerCommandFactory.source()/destination()>`,
//     working directory /source or /dest;
//   - WorkloadSecurityContextProvider.kt rootlessContainerSecurityContext:
//     user and group 1000, all capabilities dropped, no privilege
//     escalation (docker: --user 1000:1000 --cap-drop ALL
//     --security-opt no-new-privileges);
//   - ArchitectureDecider.kt buildNonSocketEnvironment / envList:
//     DATA_CHANNEL_FORMAT=JSONL and DATA_CHANNEL_MEDIUM=STDIO; in socket
//     mode (PlatformSync with Sync.DataChannel socket/...),
//     buildSocketEnvironment: the format, DATA_CHANNEL_MEDIUM=SOCKET and
//     DATA_CHANNEL_SOCKET_PATHS=/var/run/sockets/airbyte_socket_<i>.sock;
//   - VolumeFactory.kt socket() and replication(): in socket mode one
//     emptyDir volume ("unix-socket-volume", medium Memory) mounted at
//     /var/run/sockets in the orchestrator, source and destination
//     containers, with the pod security context of
//     WorkloadSecurityContextProvider.kt socketRootlessPodSecurityContext
//     (runAsUser/runAsGroup/fsGroup 1000): here a host directory (SocketVolume)
//     mounted in both containers at SocketPath;
//   - ConnectorPodFactory.kt buildMainContainer for spec, check, discover:
//     `sh -c <connectorOperation(...)>` in /config, and the sidecar
//     (ConnectorWatcher.kt areNeededFilesPresent / processConnectorOutput)
//     waits for jobOutput.json and exitCode.txt, then reads both.

// PlatformEnv is what the launcher sets on connector containers
// (ArchitectureDecider.kt, buildLegacyEnvironment).
var PlatformEnv = []string{"DATA_CHANNEL_FORMAT=JSONL", "DATA_CHANNEL_MEDIUM=STDIO"}

// SocketPath is where the replication pod mounts the sockets volume in
// socket mode (ArchitectureConstants.kt SOCKET_PATH).
const SocketPath = "/var/run/sockets"

// SocketVolume makes the host directory mounted at SocketPath in both
// containers, as the pod's "unix-socket-volume" emptyDir is with fsGroup
// 1000: mode 0777 (an emptyDir's), group 1000 and setgid (the kubelet's
// fsGroup ownership change). The source (uid 1000) creates the sockets in
// it and the destination (uid 1000) connects to them.
func SocketVolume(parent string) (string, error) {
	dir := filepath.Join(parent, "sockets")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", err
	}
	if err := os.Chown(dir, -1, 1000); err != nil && !errors.Is(err, syscall.EPERM) {
		return "", err
	}
	if err := os.Chmod(dir, 0o777|os.ModeSetgid); err != nil {
		return "", err
	}
	return dir, nil
}

// PlatformDir makes a host directory mounted as a container's working
// directory: owned by group 1000 and group-writable (setgid, so files the
// driver or the connector create stay in group 1000), as the pod's
// volume with fsGroup 1000 is.
func PlatformDir(parent, name string) (string, error) {
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o775); err != nil {
		return "", err
	}
	if err := os.Chown(dir, -1, 1000); err != nil && !errors.Is(err, syscall.EPERM) {
		return "", err
	}
	if err := os.Chmod(dir, 0o2775|os.ModeSetgid); err != nil {
		return "", err
	}
	if os.Getuid() != 0 {
		// Not root: the group cannot be set, make it writable for all.
		if err := os.Chmod(dir, 0o777); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// writeInput writes a file the connector reads (mode 0644).
func writeInput(dir, name string, data []byte) error {
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

// mkfifo makes a FIFO the connector (uid 1000, gid 1000) can open.
func mkfifo(dir, name string) error {
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o666); err != nil {
		return fmt.Errorf("mkfifo %s: %w", p, err)
	}
	return os.Chmod(p, 0o666)
}

// Container is one connector container started as the launcher does.
type Container struct {
	Name string
	cmd  *exec.Cmd
	out  bytes.Buffer // the wrapper's own output (echo lines)
	done chan struct{}
	err  error
}

// StartContainer runs image with `sh -c script` as the entrypoint
// override, dir mounted at workdir (also the working directory), and the
// launcher's security context and environment. extra are more docker run
// arguments placed before the image (e.g. -e pairs).
func StartContainer(ctx context.Context, name, image, dir, workdir, script string, extra ...string) (*Container, error) {
	return startContainer(ctx, name, image, dir, workdir, script, PlatformEnv, extra...)
}

// startContainer is StartContainer with the data channel environment env
// in place of PlatformEnv.
func startContainer(ctx context.Context, name, image, dir, workdir, script string, env []string, extra ...string) (*Container, error) {
	args := []string{"run", "--rm", "--name", name,
		"--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--network", "host",
		"-v", dir + ":" + workdir, "-w", workdir,
		"--entrypoint", "sh"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, extra...)
	args = append(args, image, "-c", script)
	c := &Container{Name: name, done: make(chan struct{})}
	c.cmd = exec.Command("docker", args...)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("docker run %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = exec.Command("docker", "rm", "-f", name).Run()
		case <-c.done:
		}
	}()
	return c, nil
}

// Wait waits for the container to exit and returns its exit code.
func (c *Container) Wait() int {
	<-c.done
	return exitCode(c.err)
}

// Done is closed when the container has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

// Output is the wrapper's own stdout and stderr (not the connector's).
func (c *Container) Output() string { return c.out.String() }

// ReadExitCode reads exitCode.txt as the sidecar does
// (ConnectorWatcher.kt processConnectorOutput: readFile(...).trim().toInt()).
func ReadExitCode(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, ExitCodeFile))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// OperationResult is what the sidecar reads after spec, check or discover.
type OperationResult struct {
	ExitCode      int    // exitCode.txt
	JobOutput     []byte // jobOutput.json
	WrapperOutput string
	Messages      []json.RawMessage // the jobOutput.json lines
}

// RunOperation runs spec, check or discover in image through the
// launcher's connectorOperation wrapper, with config (for check and
// discover) written to /config/connectionConfiguration.json, and reads
// jobOutput.json and exitCode.txt once both exist, as the sidecar does.
func RunOperation(ctx context.Context, image, name, workDir, operation string, config []byte) (*OperationResult, error) {
	dir, err := PlatformDir(workDir, operation)
	if err != nil {
		return nil, err
	}
	if operation != "spec" {
		if err := writeInput(dir, ConnectionConfigFile, config); err != nil {
			return nil, err
		}
	}
	c, err := StartContainer(ctx, name, image, dir, ConfigDir, OperationScriptFor(operation))
	if err != nil {
		return nil, err
	}
	code := c.Wait()
	res := &OperationResult{WrapperOutput: c.Output()}
	res.JobOutput, err = os.ReadFile(filepath.Join(dir, JobOutputFile))
	if err != nil {
		return res, fmt.Errorf("%s: read %s (container exit %d): %w: %s", operation, JobOutputFile, code, err, res.WrapperOutput)
	}
	res.ExitCode, err = ReadExitCode(dir)
	if err != nil {
		return res, fmt.Errorf("%s: read %s (container exit %d): %w", operation, ExitCodeFile, code, err)
	}
	for _, l := range bytes.Split(res.JobOutput, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			res.Messages = append(res.Messages, append(json.RawMessage(nil), l...))
		}
	}
	return res, nil
}

// PlatformSync is one replication through the two images, with the
// driver playing the orchestrator.
type PlatformSync struct {
	SourceImage, DestinationImage string
	// WorkDir holds the source and dest directories (a test's TempDir).
	WorkDir string
	// Name prefixes the container names.
	Name string
	// SourceConfig, DestinationConfig, Catalog (source), DestinationCatalog
	// (defaults to Catalog) and State (nil: no inputState.json) are the
	// file contents the orchestrator writes.
	SourceConfig, DestinationConfig []byte
	Catalog, DestinationCatalog     []byte
	State                           []byte
	// Sync's callbacks and options (OnSourceLine, Pause, KeepRecords...).
	// Sync.DataChannel "socket/protobuf" or "socket/jsonl" ("socket":
	// protobuf) runs the sync in socket mode (see Run), with
	// Sync.Sockets sockets (default 2); "" or "stdio" is STDIO
	// (RADAR_DATA_CHANNEL is not read: the platform tests choose).
	Sync Sync
	// OnContainers, if set, gets the two containers and directories once
	// both started (a test stops the sync by creating TERMINATED).
	OnContainers func(sourceDir, destDir string)
}

// PlatformResult is a SyncResult plus what the sidecars read.
type PlatformResult struct {
	*SyncResult
	// SourceExitFile and DestinationExitFile are exitCode.txt's values
	// (-1 when the file is missing).
	SourceExitFile, DestinationExitFile int
	SourceDir, DestDir                  string
	SourceWrapper, DestinationWrapper   string
	Elapsed                             time.Duration
}

// Run creates the working directories, the input files and the FIFOs,
// starts both containers with the launcher's scripts, forwards the source's
// stdout FIFO to the destination's stdin FIFO (each STATE gets its integer
// id inside the state object), reads the destination's acknowledgements and
// both exitCode.txt files.
//
// In socket mode both containers also get the sockets volume at
// SocketPath and the data channel environment; the driver plays the
// bookkeeper (PLATFORM_MODE=BOOKKEEPER): it opens the destination's stdin
// FIFO (the wrapper's `< stdin` waits for it) and writes nothing to it,
// keeping it open until the destination's stdout has ended, as the
// orchestrator does without its DestinationWriter (BookkeeperBeanFactory.kt
// runs SourceReader, MessageProcessor and DestinationReader only); it reads
// both stdout FIFOs and matches the destination's states to the source's
// copies with runner.SocketLedger. It never reads the sockets: Records is
// what the source's STREAM states count (sourceStats.recordCount), as the
// bookkeeper counts.
func (p *PlatformSync) Run(ctx context.Context) (*PlatformResult, error) {
	start := time.Now()
	mode := runner.Stdio
	if dc := p.Sync.DataChannel; dc != "" {
		var err error
		if mode, err = runner.ParseDataChannelMode(dc); err != nil {
			return nil, err
		}
		if mode.Auto {
			return nil, fmt.Errorf("data channel %q: the platform sync needs stdio or socket", dc)
		}
	}
	socket := mode.Medium == datachannel.MediumSocket
	env, extra := PlatformEnv, []string(nil)
	if socket {
		n := p.Sync.Sockets
		if n <= 0 {
			n = 2
		}
		paths, err := runner.SocketPaths(SocketPath, runner.SocketFilePrefix, n)
		if err != nil {
			return nil, err
		}
		vol, err := SocketVolume(p.WorkDir)
		if err != nil {
			return nil, err
		}
		env = datachannel.Config{Medium: mode.Medium, Format: mode.Format, SocketPaths: paths}.Environ()
		extra = []string{"-v", vol + ":" + SocketPath}
	}
	srcDir, err := PlatformDir(p.WorkDir, "source")
	if err != nil {
		return nil, err
	}
	dstDir, err := PlatformDir(p.WorkDir, "dest")
	if err != nil {
		return nil, err
	}
	dcat := p.DestinationCatalog
	if dcat == nil {
		dcat = p.Catalog
	}
	for _, f := range []struct {
		dir, name string
		data      []byte
	}{
		{srcDir, ConnectorConfigFile, p.SourceConfig}, {srcDir, CatalogFile, p.Catalog},
		{dstDir, ConnectorConfigFile, p.DestinationConfig}, {dstDir, CatalogFile, dcat},
	} {
		if err := writeInput(f.dir, f.name, f.data); err != nil {
			return nil, err
		}
	}
	if p.State != nil {
		if err := writeInput(srcDir, InputStateFile, p.State); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct{ dir, name string }{
		{srcDir, StdoutPipeFile}, {srcDir, StderrPipeFile},
		{dstDir, StdinPipeFile}, {dstDir, StdoutPipeFile}, {dstDir, StderrPipeFile},
	} {
		if err := mkfifo(f.dir, f.name); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dst, err := startContainer(ctx, p.Name+"-destination", p.DestinationImage, dstDir, DestDir, DestinationScript(), env, extra...)
	if err != nil {
		return nil, err
	}
	src, err := startContainer(ctx, p.Name+"-source", p.SourceImage, srcDir, SourceDir, SourceScript(), env, extra...)
	if err != nil {
		return nil, err
	}

	// Open the FIFOs as the orchestrator does; each open blocks until the
	// wrapper's redirection opens the other end, so open them concurrently
	// and give up if a container exits first.
	type opened struct {
		f   *os.File
		err error
	}
	open := func(path string, flag int) <-chan opened {
		ch := make(chan opened, 1)
		go func() {
			f, err := os.OpenFile(path, flag, 0)
			ch <- opened{f, err}
		}()
		return ch
	}
	chans := []<-chan opened{
		open(filepath.Join(srcDir, StdoutPipeFile), os.O_RDONLY),
		open(filepath.Join(srcDir, StderrPipeFile), os.O_RDONLY),
		open(filepath.Join(dstDir, StdinPipeFile), os.O_WRONLY),
		open(filepath.Join(dstDir, StdoutPipeFile), os.O_RDONLY),
		open(filepath.Join(dstDir, StderrPipeFile), os.O_RDONLY),
	}
	files := make([]*os.File, len(chans))
	for i, ch := range chans {
		select {
		case o := <-ch:
			if o.err != nil {
				return nil, o.err
			}
			files[i] = o.f
		case <-src.Done():
			return nil, fmt.Errorf("source container exited before opening its pipes: %s", src.Output())
		case <-dst.Done():
			return nil, fmt.Errorf("destination container exited before opening its pipes: %s", dst.Output())
		case <-time.After(2 * time.Minute):
			return nil, errors.New("containers did not open their pipes within 2 minutes")
		}
	}
	srcOut, srcErrF, dstIn, dstOut, dstErrF := files[0], files[1], files[2], files[3], files[4]
	var srcErr, dstErr bytes.Buffer
	var wg sync.WaitGroup
	for _, c := range []struct {
		f *os.File
		b *bytes.Buffer
	}{{srcErrF, &srcErr}, {dstErrF, &dstErr}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.b.ReadFrom(c.f)
			c.f.Close()
		}()
	}
	if p.OnContainers != nil {
		p.OnContainers(srcDir, dstDir)
	}
	s := p.Sync
	s.idInState = true
	res := &SyncResult{}
	var writeErr error
	if socket {
		p.bookkeep(&s, res, src, srcDir, dstDir, srcOut, dstIn, dstOut)
	} else {
		writeErr = s.pump(res, srcOut, dstIn, dstOut)
	}
	srcOut.Close()
	dstOut.Close()
	res.SourceCode, res.DestinationCode = src.Wait(), dst.Wait()
	wg.Wait()
	res.SourceStderr, res.DestinationStderr = srcErr.String(), dstErr.String()
	if writeErr != nil && res.DestinationCode == 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("writing to the destination failed: %v", writeErr))
	}
	out := &PlatformResult{SyncResult: res, SourceDir: srcDir, DestDir: dstDir,
		SourceWrapper: src.Output(), DestinationWrapper: dst.Output(), Elapsed: time.Since(start)}
	out.SourceExitFile, out.DestinationExitFile = -1, -1
	if c, err := ReadExitCode(srcDir); err == nil {
		out.SourceExitFile = c
	}
	if c, err := ReadExitCode(dstDir); err == nil {
		out.DestinationExitFile = c
	}
	return out, ctx.Err()
}

// bookkeep plays the orchestrator in socket mode (PLATFORM_MODE=BOOKKEEPER)
// until both stdout FIFOs have ended: the source's stdout carries the state
// copies, stream statuses and logs, the destination's its committed states,
// and the destination's stdin stays open and empty until the destination's
// stdout has ended. When the source's container fails, the driver gives
// the destination socketFailureGrace to end, then creates TERMINATED as
// the orchestrator's exit trap does when the replication fails.
func (p *PlatformSync) bookkeep(s *Sync, res *SyncResult, src *Container, srcDir, dstDir string, srcOut, dstIn, dstOut *os.File) {
	res.Records = map[string]int64{}
	if s.KeepRecords {
		res.Data = map[string][]json.RawMessage{}
	}
	sp := &socketPlatform{s: s, res: res, ledger: runner.NewSocketLedger(), counts: map[stateKey]int64{}, v: protocoltest.Default()}
	dstDone := make(chan struct{})
	go func() {
		defer close(dstDone)
		sp.readDestination(dstOut)
	}()
	sp.readSource(srcOut)
	select {
	case <-dstDone:
	case <-src.Done():
		if src.Wait() != 0 {
			select {
			case <-dstDone:
			case <-time.After(socketFailureGrace):
				_ = Terminate(srcDir, dstDir)
			}
		}
	}
	<-dstDone
	dstIn.Close()
	sp.ledger.Finish()
	res.StatesSent, _ = sp.ledger.Counts()
	res.Problems = append(res.Problems, sp.ledger.Problems()...)
	for _, m := range res.SourceMessages {
		if m.Type == protocol.TypeState && m.State.Type == protocol.StateStream && m.State.Stream != nil &&
			m.State.SourceStats != nil && m.State.SourceStats.RecordCount != nil {
			res.Records[m.State.Stream.StreamDescriptor.String()] += m.State.SourceStats.RecordCount.Int()
		}
	}
}

// socketFailureGrace is how long the driver waits for the destination to
// end after the source's container failed in socket mode.
const socketFailureGrace = 30 * time.Second

// Terminate creates the TERMINATED marker in both working directories, as
// the orchestrator's exit trap does (ContainerCommandFactory.orchestrator).
func Terminate(sourceDir, destDir string) error {
	for _, d := range []string{sourceDir, destDir} {
		if err := os.WriteFile(filepath.Join(d, TerminationMarkerFile), nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ImageCommand runs a connector image with args as Airbyte's CAT does (the
// image's ENTRYPOINT, connector_runner.py), with the platform's security
// context (uid 1000, no capabilities, no privilege escalation) and host
// networking; every absolute file path among args is mounted read-only at
// the same path. Output is parsed as Command does.
func ImageCommand(ctx context.Context, image string, stdin []byte, env []string, args ...string) (*Result, error) {
	dargs := []string{"run", "--rm", "-i", "--user", "1000:1000", "--cap-drop", "ALL",
		"--security-opt", "no-new-privileges", "--network", "host"}
	mounted := map[string]bool{}
	for _, a := range args {
		if !filepath.IsAbs(a) {
			continue
		}
		st, err := os.Stat(a)
		if err != nil || st.IsDir() {
			continue
		}
		// The connector runs as uid 1000: the file and its folder (often a
		// 0700 test TempDir) must be readable by others.
		_ = os.Chmod(a, st.Mode().Perm()|0o044)
		if d := filepath.Dir(a); !mounted[d] {
			if dst, err := os.Stat(d); err == nil {
				_ = os.Chmod(d, dst.Mode().Perm()|0o055)
			}
			mounted[d] = true
			dargs = append(dargs, "-v", d+":"+d+":ro")
		}
	}
	for _, e := range append(append([]string(nil), PlatformEnv...), env...) {
		dargs = append(dargs, "-e", e)
	}
	dargs = append(dargs, image)
	return Command(ctx, "docker", stdin, nil, append(dargs, args...)...)
}

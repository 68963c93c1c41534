package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcStats is what one process cost, from wait4's rusage.
type ProcStats struct {
	Name    string
	CPU     time.Duration // user + system
	User    time.Duration
	System  time.Duration
	MaxRSS  int64 // bytes
	Exit    int
	Stderr  string // the last lines, for error messages
	Elapsed time.Duration
}

func statsOf(name string, ps *os.ProcessState, stderr *tailBuffer, elapsed time.Duration) ProcStats {
	s := ProcStats{Name: name, Elapsed: elapsed}
	if stderr != nil {
		s.Stderr = stderr.String()
	}
	if ps == nil {
		s.Exit = -1
		return s
	}
	s.Exit = ps.ExitCode()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		s.User = time.Duration(ru.Utime.Nano())
		s.System = time.Duration(ru.Stime.Nano())
		s.CPU = s.User + s.System
		s.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func newTail(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	b := t.b
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return strings.TrimSpace(string(b))
}

// proc is a process run through the rusage helper (cmd/bench/rusage),
// which forks it from a small process and reports its rusage on fd 3.
//
// Why: Go starts children with CLONE_VM, and Linux carries the parent's
// peak RSS into the child's ru_maxrss at execve, so every child of a big
// parent would report at least the parent's RSS. The helper is a fresh,
// small process; its children's peaks are their own (with the helper's
// ~2.5 MiB as a floor).
type proc struct {
	*exec.Cmd
	name   string
	helper bool
	res    *os.File
	resW   *os.File
	stderr *tailBuffer
	start  time.Time
}

// newProc prepares prog in its own process group (so that a cancellation
// kills it and its children), run through the rusage helper; with an
// empty helper it runs directly (and its peak RSS may be the parent's).
func newProc(helper, name, prog string, args, env []string) *proc {
	var cmd *exec.Cmd
	if helper != "" {
		cmd = exec.Command(helper, append([]string{"--", prog}, args...)...)
	} else {
		cmd = exec.Command(prog, args...)
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{Cmd: cmd, name: name, helper: helper != "", stderr: newTail(4000)}
	cmd.Stderr = p.stderr
	return p
}

// Start starts the process.
func (p *proc) Start() error {
	if p.helper {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		p.res, p.resW = r, w
		p.ExtraFiles = []*os.File{w}
	}
	p.start = time.Now()
	err := p.Cmd.Start()
	if p.resW != nil {
		p.resW.Close()
	}
	if err != nil {
		if p.res != nil {
			p.res.Close()
		}
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	return nil
}

// Wait waits for the process and returns its stats; a non-zero exit is an
// error naming the process and quoting the end of its stderr.
func (p *proc) Wait() (ProcStats, error) {
	werr := p.Cmd.Wait()
	st := statsOf(p.name, p.ProcessState, p.stderr, time.Since(p.start))
	if p.res != nil {
		b, _ := io.ReadAll(p.res)
		p.res.Close()
		var r execResult
		if err := json.Unmarshal(b, &r); err == nil {
			st.User, st.System = time.Duration(r.UserNs), time.Duration(r.SysNs)
			st.CPU = st.User + st.System
			st.MaxRSS = r.MaxRSSKB * 1024
			st.Exit = r.Exit
		}
	}
	return st, exitError(p.name, werr, st)
}

func (p *proc) kill() {
	if p.Process != nil {
		syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
	}
}

// run starts the process, waits (killing it after timeout) and returns its
// stats and wall time.
func (p *proc) run(timeout time.Duration) (ProcStats, time.Duration, error) {
	if err := p.Start(); err != nil {
		return ProcStats{Name: p.name}, 0, err
	}
	timer := time.AfterFunc(timeout, p.kill)
	st, err := p.Wait()
	timer.Stop()
	return st, st.Elapsed, err
}

// execResult is what the rusage helper writes to fd 3.
type execResult struct {
	UserNs   int64 `json:"user_ns"`
	SysNs    int64 `json:"sys_ns"`
	MaxRSSKB int64 `json:"maxrss_kb"`
	Exit     int   `json:"exit"`
}

func exitError(name string, werr error, st ProcStats) error {
	if werr == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		return fmt.Errorf("%s exited with %d: %s", name, st.Exit, lastLine(st.Stderr, 600))
	}
	return fmt.Errorf("%s: %w", name, werr)
}

func lastLine(s string, n int) string {
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// clockTick is the kernel's USER_HZ (100 on every Linux this runs on).
const clockTick = 100

// ProcCPU returns a running process's user+system CPU time from
// /proc/<pid>/stat (all its threads, including finished ones).
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// ChildPID finds a direct child of this process whose command name is
// comm (0 if none).
func ChildPID(comm string) int {
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || close < open {
			continue
		}
		if string(b[open+1:close]) != comm {
			continue
		}
		f := strings.Fields(string(b[close+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(self) {
			return pid
		}
	}
	return 0
}

// cpuMeter reads a background process's CPU before and after a stage.
type cpuMeter struct {
	pid   int
	start time.Duration
	ok    bool
}

func startMeter(pid int) cpuMeter {
	if pid <= 0 {
		return cpuMeter{}
	}
	c, err := ProcCPU(pid)
	return cpuMeter{pid: pid, start: c, ok: err == nil}
}

// stop returns the CPU time used since start, or -1 if unknown.
func (m cpuMeter) stop() time.Duration {
	if !m.ok {
		return -1
	}
	c, err := ProcCPU(m.pid)
	if err != nil {
		return -1
	}
	return c - m.start
}

// MachineBusy returns the CPU time all processes of the machine have used
// since boot (user, nice, system, irq, softirq, steal; from /proc/stat).
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat: %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/stat: %q", line)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTick, nil
}

// busyCores measures how many cores the whole machine keeps busy over d.
func busyCores(d time.Duration) (float64, error) {
	a, err := MachineBusy()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	b, err := MachineBusy()
	if err != nil {
		return 0, err
	}
	return float64(b-a) / float64(d), nil
}

// waitQuiet waits (at most max) until the machine's busy cores stay under
// limit over a short window, and returns how long it waited and the last
// reading. A zero limit does not wait.
func waitQuiet(ctx context.Context, limit float64, max time.Duration) (time.Duration, float64) {
	if limit <= 0 {
		return 0, 0
	}
	start := time.Now()
	for {
		busy, err := busyCores(300 * time.Millisecond)
		if err != nil || busy < limit || time.Since(start) >= max || ctx.Err() != nil {
			return time.Since(start), busy
		}
		time.Sleep(700 * time.Millisecond)
	}
}

// Command rusage runs a command and reports what it cost: `rusage prog
// args...` runs prog with this process's stdin, stdout and stderr, writes
// {"user_ns","sys_ns","maxrss_kb","exit"} as JSON to file descriptor 3
// (when open), and exits with prog's exit code.
//
// cmd/bench starts every measured process through it. Go starts children
// with CLONE_VM, and Linux carries the parent's peak RSS into the child's
// ru_maxrss at execve, so a child of the (large) benchmark process would
// report at least the benchmark's RSS. This helper is small (a few MiB, the
// floor of every figure it reports) and imports nothing but the standard
// library.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

type result struct {
	UserNs   int64 `json:"user_ns"`
	SysNs    int64 `json:"sys_ns"`
	MaxRSSKB int64 `json:"maxrss_kb"`
	Exit     int   `json:"exit"`
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: rusage prog [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(127)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	cmd.Wait()
	ps := cmd.ProcessState
	r := result{Exit: ps.ExitCode()}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Exit = 128 + int(ws.Signal())
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		r.UserNs, r.SysNs, r.MaxRSSKB = ru.Utime.Nano(), ru.Stime.Nano(), ru.Maxrss
	}
	if f := os.NewFile(3, "result"); f != nil {
		json.NewEncoder(f).Encode(r)
		f.Close()
	}
	os.Exit(r.Exit)
}

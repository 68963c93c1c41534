//go:build linux

package destination

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func pipeSize(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		size, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, 1032 /* F_GETPIPE_SZ */, 0)
	}); err != nil || errno != 0 {
		t.Fatalf("F_GETPIPE_SZ: %v %v", err, errno)
	}
	return int(size)
}

// TestGrowPipe: stdin's pipe buffer grows to 1 MiB (when the system allows
// it); anything else is left alone.
func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before := pipeSize(t, r)
	growPipe(r)
	b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if limit, _ := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && limit >= stdinPipeSize {
		if got := pipeSize(t, r); got != stdinPipeSize {
			t.Errorf("pipe buffer %d after growPipe, want %d (was %d)", got, stdinPipeSize, before)
		}
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "not-a-pipe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	growPipe(f)
	growPipe(strings.NewReader(""))
}

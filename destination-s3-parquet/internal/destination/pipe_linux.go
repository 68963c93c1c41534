//go:build linux

package destination

import (
	"io"
	"os"
	"syscall"
)

// stdinPipeSize is the kernel buffer asked for when stdin is a pipe (the
// default is 64 KiB; 1 MiB is the largest an unprivileged process gets by
// default, /proc/sys/fs/pipe-max-size).
const stdinPipeSize = 1 << 20

// fSetPipeSz is F_SETPIPE_SZ (linux/fcntl.h), not in package syscall.
const fSetPipeSz = 1031

// growPipe enlarges stdin's pipe buffer, so that the source writes (and
// this process reads) in larger steps and each waits for the other less
// often. Where stdin is not a pipe, or the kernel refuses, nothing changes.
func growPipe(r io.Reader) {
	f, ok := r.(*os.File)
	if !ok {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, stdinPipeSize)
	})
}

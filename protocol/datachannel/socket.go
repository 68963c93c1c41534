package datachannel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"time"
)

// Listeners are the sockets a source serves: it binds every path before
// reading anything, and the destination connects to each once.
type Listeners struct {
	paths []string
	ls    []*net.UnixListener
}

// Listen binds a Unix socket on every path. A socket file left by an
// earlier run is removed first; any other file at a path is an error.
func Listen(paths []string) (*Listeners, error) {
	l := &Listeners{paths: paths}
	for _, p := range paths {
		if fi, err := os.Lstat(p); err == nil {
			if fi.Mode()&fs.ModeSocket == 0 {
				l.Close()
				return nil, fmt.Errorf("listen on %s: the path exists and is not a socket", p)
			}
			_ = os.Remove(p)
		}
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("listen on %s: %w", p, err)
		}
		ln.SetUnlinkOnClose(true)
		l.ls = append(l.ls, ln)
	}
	return l, nil
}

// Accept waits for one connection on every socket, in any order, and
// returns them in the order of the paths. It gives up when ctx is done.
func (l *Listeners) Accept(ctx context.Context) ([]net.Conn, error) {
	conns := make([]net.Conn, len(l.ls))
	errs := make([]error, len(l.ls))
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i, ln := range l.ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ln.Accept()
			conns[i], errs[i] = c, err
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Unblock the accepts; their connections (if any) are closed.
		for _, ln := range l.ls {
			_ = ln.SetDeadline(time.Now())
		}
		<-done
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, fmt.Errorf("wait for the destination to connect to %d sockets: %w", len(l.ls), ctx.Err())
	}
	if err := errors.Join(errs...); err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, fmt.Errorf("accept a data channel connection: %w", err)
	}
	return conns, nil
}

// Close stops listening and removes the socket files.
func (l *Listeners) Close() {
	for _, ln := range l.ls {
		_ = ln.Close()
	}
}

// DialRetry is how often Dial tries again while a socket is not there yet
// or refuses connections.
const DialRetry = 50 * time.Millisecond

// Dial connects to the socket at path, waiting for the source to create it
// and listen: the two processes start at the same time. It gives up when
// ctx is done and names the last error.
func Dial(ctx context.Context, path string) (*net.UnixConn, error) {
	var last error
	for {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err == nil {
			return c, nil
		}
		last = err
		t := time.NewTimer(DialRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("connect to the data channel socket %s: %w (last attempt: %v)", path, ctx.Err(), last)
		case <-t.C:
		}
	}
}

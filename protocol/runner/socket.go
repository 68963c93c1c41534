package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// syncSocket is an attempt in socket mode, as the platform's bookkeeper
// runs it: both connectors get the DATA_CHANNEL_* environment with the
// same socket paths (a new private directory per attempt), the source
// sends everything to the destination over the sockets and copies its
// states to stdout, the destination's stdin is opened and closed at once,
// and each state the destination prints is matched to the source's copy
// (SocketLedger); the source's copy of each committed state is saved.
func (a *attempt) syncSocket(ctx context.Context, ar *AttemptResult) error {
	dir, err := SocketDir()
	if err != nil {
		return fmt.Errorf("create the socket directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if a.o.Source.Image != "" || a.o.Destination.Image != "" {
		// The connectors run as uid 1000 in their containers.
		if err := os.Chmod(dir, 0o777); err != nil {
			return err
		}
	}
	paths, err := SocketPaths(dir, SocketFilePrefix, a.o.Sockets)
	if err != nil {
		return err
	}
	dc := datachannel.Config{Medium: datachannel.MediumSocket, Format: a.o.DataChannel.Format, SocketPaths: paths}
	env := append(a.env(), dc.Environ()...)

	statePath := filepath.Join(a.dir, fmt.Sprintf("state-%d.json", a.n))
	if err := os.WriteFile(statePath, a.book.State(), 0o600); err != nil {
		return fmt.Errorf("write the state file for the source: %w", err)
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	src, err := a.o.Source.command(actx, "read", []fileArg{{"--config", a.o.Source.Config}, {"--catalog", a.o.Catalog}, {"--state", statePath}}, env, a.dir)
	if err != nil {
		return err
	}
	dst, err := a.o.Destination.command(actx, "write", []fileArg{{"--config", a.o.Destination.Config}, {"--catalog", a.o.Catalog}}, env, a.dir)
	if err != nil {
		return err
	}
	srcOut, err := src.StdoutPipe()
	if err != nil {
		return err
	}
	dstIn, err := dst.StdinPipe()
	if err != nil {
		return err
	}
	dstOut, err := dst.StdoutPipe()
	if err != nil {
		return err
	}
	srcErr, dstErr := a.stderr("source"), a.stderr("destination")
	src.Stderr, dst.Stderr = srcErr, dstErr
	defer srcErr.Close()
	defer dstErr.Close()
	if err := dst.Start(); err != nil {
		return &ConfigError{fmt.Errorf("start the destination %s: %w", a.o.Destination, err)}
	}
	dstIn.Close() // nothing travels on stdin in socket mode
	if err := src.Start(); err != nil {
		cancel()
		dst.Wait()
		return &ConfigError{fmt.Errorf("start the source %s: %w", a.o.Source, err)}
	}
	ledger := NewSocketLedger()
	var wg sync.WaitGroup
	var saveErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		saveErr = a.readSocketDestination(actx, dstOut, ledger)
		if saveErr != nil {
			cancel()
		}
		io.Copy(io.Discard, dstOut)
	}()
	if err := a.readSocketSource(actx, srcOut, ledger); err != nil {
		cancel()
		saveErr = errors.Join(saveErr, err)
	}
	io.Copy(io.Discard, srcOut)
	srcWait := src.Wait()
	wg.Wait()
	dstWait := dst.Wait()
	ledger.Finish()
	for _, p := range ledger.Problems() {
		a.problem(p)
	}
	ar.SourceExit, ar.DestinationExit = exitCode(srcWait), exitCode(dstWait)
	switch {
	case saveErr != nil:
		return saveErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return a.outcome(ar, nil)
}

// readSocketSource reads the source's stdout in socket mode: state copies
// (registered in the ledger; their sourceStats feed the progress), stream
// statuses, logs and traces.
func (a *attempt) readSocketSource(ctx context.Context, out io.Reader, ledger *SocketLedger) error {
	r := protocol.NewReader(out)
	for {
		env, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var le *protocol.LineError
			if errors.As(err, &le) {
				a.con.line(fmt.Sprintf("%-11s printed a line that is not a protocol message (line %d): %v", "source", le.Line, le.Err))
				continue
			}
			return nil
		}
		if a.o.OnSourceLine != nil {
			a.o.OnSourceLine(env.Raw)
		}
		m, err := env.Decode()
		if err != nil {
			continue
		}
		switch m.Type {
		case protocol.TypeRecord:
			a.problem("the source printed a RECORD on stdout in socket mode")
		case protocol.TypeState:
			a.book.sentSocket()
			if m.State.Stream != nil && m.State.SourceStats != nil && m.State.SourceStats.RecordCount != nil {
				s := a.tr.stream(m.State.Stream.StreamDescriptor)
				s.rows.Add(m.State.SourceStats.RecordCount.Int())
				s.touch(time.Now())
			}
			for _, c := range ledger.Source(m.State) {
				if err := a.commitSocket(ctx, c); err != nil {
					return err
				}
			}
		default:
			a.other("source", m)
		}
	}
}

// readSocketDestination reads the destination's stdout in socket mode.
func (a *attempt) readSocketDestination(ctx context.Context, out io.Reader, ledger *SocketLedger) error {
	r := protocol.NewReader(out)
	for {
		env, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var le *protocol.LineError
			if errors.As(err, &le) {
				a.con.line(fmt.Sprintf("%-11s printed a line that is not a protocol message (line %d)", "destination", le.Line))
				continue
			}
			return nil
		}
		if a.o.OnDestinationLine != nil {
			a.o.OnDestinationLine(env.Raw)
		}
		switch env.Type {
		case protocol.TypeState:
			if c, ok := ledger.Destination(env.Payload); ok {
				if err := a.commitSocket(ctx, c); err != nil {
					return err
				}
			}
		case protocol.TypeLog, protocol.TypeTrace:
			m, err := env.Decode()
			if err != nil {
				continue
			}
			a.other("destination", m)
		}
	}
}

// commitSocket saves the source's copy of a committed state.
func (a *attempt) commitSocket(ctx context.Context, c SocketCommit) error {
	a.book.commitSocket(c.Source)
	if c.Source.Stream != nil && c.Destination.DestinationStats != nil && c.Destination.DestinationStats.RecordCount != nil {
		s := a.tr.stream(c.Source.Stream.StreamDescriptor)
		s.mu.Lock()
		s.acked += c.Destination.DestinationStats.RecordCount.Int()
		s.mu.Unlock()
	}
	return a.book.save(ctx, false)
}

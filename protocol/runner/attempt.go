package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

// attempt is one run of source read | destination write.
type attempt struct {
	o    *Options
	con  *console
	tr   *tracker
	book *stateBook
	dir  string
	n    int

	mu      sync.Mutex
	failure *protocol.ErrorTrace // the first TRACE ERROR of either side
	side    string
}

func (a *attempt) env() []string {
	env := append([]string(nil), a.o.Env...)
	if a.o.LogLevel != "" {
		env = append(env, "LOG_LEVEL="+a.o.LogLevel)
	}
	return env
}

func (a *attempt) run(ctx context.Context) (AttemptResult, error) {
	t0 := time.Now()
	ar := AttemptResult{SourceExit: -1, DestinationExit: -1}
	err := a.sync(ctx, &ar)
	ar.Seconds = time.Since(t0).Seconds()
	if err != nil {
		ar.Error = err.Error()
		ar.FailureType = string(protocol.FailureTransient)
		if ExitCode(err) == 2 {
			ar.FailureType = string(protocol.FailureConfig)
		} else if a.failure != nil && a.failure.FailureType != "" {
			ar.FailureType = string(a.failure.FailureType)
		}
	}
	return ar, err
}

func (a *attempt) sync(ctx context.Context, ar *AttemptResult) error {
	if !a.o.SkipCheck {
		for _, c := range []struct {
			side string
			c    Connector
		}{{"source", a.o.Source}, {"destination", a.o.Destination}} {
			if err := a.check(ctx, c.side, c.c); err != nil {
				return err
			}
		}
	}
	if a.o.DataChannel.Medium == datachannel.MediumSocket {
		return a.syncSocket(ctx, ar)
	}
	// The state the source starts from: what is saved now.
	statePath := filepath.Join(a.dir, fmt.Sprintf("state-%d.json", a.n))
	if err := os.WriteFile(statePath, a.book.State(), 0o600); err != nil {
		return fmt.Errorf("write the state file for the source: %w", err)
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	srcFiles := []fileArg{{"--config", a.o.Source.Config}, {"--catalog", a.o.Catalog}, {"--state", statePath}}
	src, err := a.o.Source.command(actx, "read", srcFiles, a.env(), a.dir)
	if err != nil {
		return err
	}
	dst, err := a.o.Destination.command(actx, "write", []fileArg{{"--config", a.o.Destination.Config}, {"--catalog", a.o.Catalog}}, a.env(), a.dir)
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
	if err := src.Start(); err != nil {
		cancel()
		dst.Wait()
		return &ConfigError{fmt.Errorf("start the source %s: %w", a.o.Source, err)}
	}

	var wg sync.WaitGroup
	var saveErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		saveErr = a.readDestination(actx, dstOut)
		if saveErr != nil {
			cancel()
		}
		io.Copy(io.Discard, dstOut)
	}()
	fwdErr := a.forward(actx, srcOut, dstIn)
	if fwdErr != nil {
		// The destination stopped reading: the source cannot finish.
		cancel()
	}
	io.Copy(io.Discard, srcOut)
	dstIn.Close()
	srcWait := src.Wait()
	wg.Wait()
	dstWait := dst.Wait()
	ar.SourceExit, ar.DestinationExit = exitCode(srcWait), exitCode(dstWait)
	switch {
	case saveErr != nil:
		return saveErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return a.outcome(ar, fwdErr)
}

// outcome turns the exit codes and TRACE errors into the attempt's error.
func (a *attempt) outcome(ar *AttemptResult, fwdErr error) error {
	a.mu.Lock()
	f, side := a.failure, a.side
	a.mu.Unlock()
	var msg string
	switch {
	case f != nil:
		msg = fmt.Sprintf("the %s reported %s: %s", side, orDefault(string(f.FailureType), "an error"), f.Message)
	case ar.SourceExit != 0:
		msg = fmt.Sprintf("the source exited with status %d", ar.SourceExit)
	case ar.DestinationExit != 0:
		msg = fmt.Sprintf("the destination exited with status %d", ar.DestinationExit)
	case fwdErr != nil:
		msg = fmt.Sprintf("forward to the destination: %v", fwdErr)
	default:
		return nil
	}
	if ar.SourceExit != 0 || ar.DestinationExit != 0 {
		msg += fmt.Sprintf(" (source exit %d, destination exit %d)", ar.SourceExit, ar.DestinationExit)
	}
	err := errors.New(msg)
	// airbyte-platform ConnectionManagerWorkflowImpl: an attempt whose
	// failure is a config_error is not retried.
	if f != nil && f.FailureType == protocol.FailureConfig {
		return &ConfigError{err}
	}
	return err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// check runs the connector's check; CONNECTION_STATUS FAILED is a config
// error.
func (a *attempt) check(ctx context.Context, side string, c Connector) error {
	cmd, err := c.command(ctx, "check", []fileArg{{"--config", c.Config}}, a.env(), a.dir)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	stderr := a.stderr(side)
	cmd.Stdout, cmd.Stderr = &out, stderr
	runErr := cmd.Run()
	stderr.Close()
	r := protocol.NewReader(&out)
	for {
		env, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		m, err := env.Decode()
		if err != nil {
			continue
		}
		switch m.Type {
		case protocol.TypeLog:
			showLog(a.con, a.o.LogLevel, side, m.Log)
		case protocol.TypeConnectionStatus:
			if m.ConnectionStatus.Status == protocol.StatusFailed {
				return &ConfigError{fmt.Errorf("%s check failed: %s", side, m.ConnectionStatus.Message)}
			}
			if m.ConnectionStatus.Status == protocol.StatusSucceeded {
				a.con.line(fmt.Sprintf("%-11s check succeeded", side))
				return nil
			}
		case protocol.TypeTrace:
			if m.Trace.Error != nil {
				err := fmt.Errorf("%s check: %s", side, m.Trace.Error.Message)
				if m.Trace.Error.FailureType == protocol.FailureConfig {
					return &ConfigError{err}
				}
				return err
			}
		}
	}
	return fmt.Errorf("%s check printed no CONNECTION_STATUS (exit status %d)", side, exitCode(runErr))
}

// fail records the first TRACE ERROR.
func (a *attempt) fail(side string, e *protocol.ErrorTrace) {
	a.mu.Lock()
	if a.failure == nil {
		a.failure, a.side = e, side
	}
	a.mu.Unlock()
	a.con.line(fmt.Sprintf("%-11s ERROR (%s) %s", side, orDefault(string(e.FailureType), "system_error"), e.Message))
}

// readDestination reads the destination's output: acknowledged states,
// LOG lines (the written objects), TRACE errors.
func (a *attempt) readDestination(ctx context.Context, out io.Reader) error {
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
			id, count, ok := echoedID(env.Payload)
			if !ok {
				a.problem("the destination echoed a STATE without the runner's id")
				continue
			}
			a.book.ack(id, count)
			a.commit(env.Payload, count)
			if err := a.book.save(ctx, false); err != nil {
				return err
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

// commit adds a committed state's destination count to its stream.
func (a *attempt) commit(state []byte, count int64) {
	if count <= 0 {
		return
	}
	var m protocol.StateMessage
	if err := json.Unmarshal(state, &m); err != nil || m.Stream == nil {
		return
	}
	s := a.tr.stream(m.Stream.StreamDescriptor)
	s.mu.Lock()
	s.acked += count
	s.mu.Unlock()
}

func (a *attempt) problem(p string) {
	a.book.mu.Lock()
	a.book.problems = append(a.book.problems, p)
	a.book.mu.Unlock()
	a.con.line("airbyte-sync: " + p)
}

// other handles LOG and TRACE messages of either side.
func (a *attempt) other(side string, m *protocol.Message) {
	switch m.Type {
	case protocol.TypeLog:
		showLog(a.con, a.o.LogLevel, side, m.Log)
		if o, ok := protocol.ParseObjectWritten(m.Log.Message); ok {
			if s := a.tr.byName(o.Stream); s != nil {
				s.mu.Lock()
				s.objects++
				s.objectBytes += o.Bytes
				s.mu.Unlock()
			}
		}
	case protocol.TypeTrace:
		switch m.Trace.Type {
		case protocol.TraceError:
			if m.Trace.Error != nil {
				a.fail(side, m.Trace.Error)
			}
		case protocol.TraceStreamStatus:
			if ss := m.Trace.StreamStatus; ss != nil && side == "source" {
				s := a.tr.stream(ss.StreamDescriptor)
				s.mu.Lock()
				s.status = string(ss.Status)
				s.mu.Unlock()
				s.touch(time.Now())
			}
		case protocol.TraceEstimate:
			if e := m.Trace.Estimate; e != nil && e.RowEstimate != nil && e.Type == protocol.EstimateStream {
				s := a.tr.stream(protocol.StreamDescriptor{Name: e.Name, Namespace: e.Namespace})
				s.mu.Lock()
				s.estimate = *e.RowEstimate
				s.mu.Unlock()
			}
		}
	}
}

// stderr returns a writer that prints each line a connector writes on
// stderr, prefixed with its side.
func (a *attempt) stderr(side string) io.WriteCloser {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			a.con.line(fmt.Sprintf("%-11s stderr %s", side, sc.Text()))
		}
		io.Copy(io.Discard, pr)
	}()
	return pw
}

// flushBeforeRead flushes the destination's buffer whenever the source's
// output has been read to its end, so that what the source sent is
// delivered when it pauses, as the platform delivers it, instead of waiting
// for the buffer to fill.
type flushBeforeRead struct {
	r  io.Reader
	bw *bufio.Writer
	// err is the first write error to the destination.
	err error
}

func (f *flushBeforeRead) Read(p []byte) (int, error) {
	if f.err == nil && f.bw.Buffered() > 0 {
		f.err = f.bw.Flush()
	}
	return f.r.Read(p)
}

// forward copies RECORD and STATE messages from the source to the
// destination, and handles the others. It returns the first error writing
// to the destination.
func (a *attempt) forward(ctx context.Context, srcOut io.Reader, dstIn io.Writer) error {
	bw := bufio.NewWriterSize(dstIn, 1<<20)
	in := &flushBeforeRead{r: srcOut, bw: bw}
	r := protocol.NewReader(in)
	f := forwarder{tr: a.tr, since: map[*streamStats]int64{}}
	var buf []byte
	for {
		env, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var le *protocol.LineError
			if errors.As(err, &le) {
				a.con.line(fmt.Sprintf("%-11s printed a line that is not a protocol message (line %d): %v", "source", le.Line, le.Err))
				continue
			}
			break
		}
		if a.o.OnSourceLine != nil {
			a.o.OnSourceLine(env.Raw)
		}
		if in.err != nil {
			continue // keep reading: the source's messages still count
		}
		if f.tick&1023 == 0 && ctx.Err() != nil {
			// Stopped: what the source still prints is not delivered.
			in.err = ctx.Err()
			continue
		}
		switch env.Type {
		case protocol.TypeRecord:
			f.record(env)
			if _, err := bw.Write(env.Raw); err != nil {
				in.err = err
			}
			bw.WriteByte('\n')
		case protocol.TypeState:
			m, err := env.Decode()
			if err != nil || m.State == nil {
				a.problem(fmt.Sprintf("the source printed an unreadable STATE (line %d)", env.Line))
				continue
			}
			count := f.state(m.State)
			id := a.book.next()
			buf, id, err = withPlatformFields(buf[:0], env.Payload, id, count)
			if err == nil {
				err = a.book.send(id, m.State, count)
			}
			if err != nil {
				a.problem(fmt.Sprintf("source STATE on line %d: %v", env.Line, err))
				continue
			}
			bw.Write(buf)
			bw.WriteByte('\n')
			if err := bw.Flush(); err != nil {
				in.err = err
			}
		default:
			m, err := env.Decode()
			if err != nil {
				continue
			}
			a.other("source", m)
		}
	}
	if in.err == nil {
		in.err = bw.Flush()
	}
	return in.err
}

// forwarder counts records per stream for the progress and for the
// sourceStats of states that lack them.
type forwarder struct {
	tr     *tracker
	last   *streamStats
	lastNS []byte
	lastN  []byte
	since  map[*streamStats]int64 // records since the stream's last state
	all    int64                  // records since the last GLOBAL state
	tick   int
}

func (f *forwarder) record(env *protocol.Envelope) {
	rv := &env.Record
	s := f.last
	if s == nil || !bytes.Equal(rv.Stream, f.lastN) || !bytes.Equal(rv.Namespace, f.lastNS) {
		s = f.tr.stream(protocol.StreamDescriptor{Name: string(rv.Stream), Namespace: string(rv.Namespace)})
		f.last, f.lastN, f.lastNS = s, append(f.lastN[:0], rv.Stream...), append(f.lastNS[:0], rv.Namespace...)
	}
	s.rows.Add(1)
	s.bytes.Add(int64(len(env.Raw)))
	f.since[s]++
	f.all++
	// The time of the stream's last record, read once per 1024 records
	// (time.Now per record would cost more than the rest of the count).
	if f.tick++; f.tick&1023 == 0 {
		s.touch(time.Now())
	}
}

// state returns the records the runner forwarded for the state's scope
// since the previous state of that scope.
func (f *forwarder) state(m *protocol.StateMessage) int64 {
	if f.last != nil {
		f.last.touch(time.Now())
	}
	if m.Type == protocol.StateGlobal {
		n := f.all
		f.all = 0
		clear(f.since)
		return n
	}
	if m.Stream == nil {
		return 0
	}
	s := f.tr.stream(m.Stream.StreamDescriptor)
	n := f.since[s]
	f.since[s] = 0
	f.all -= n
	return n
}

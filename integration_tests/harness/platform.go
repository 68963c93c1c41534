package harness

import (
	"bufio"
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
	"sync"
	"syscall"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

// Sync describes one replication run: `source read | destination write`
// with the harness in the middle playing the Airbyte platform.
type Sync struct {
	Source, Destination string // binary paths
	SourceConfig        string // file paths
	DestinationConfig   string
	// SourceCatalog and DestinationCatalog are configured catalog files; the
	// destination one defaults to the source one.
	SourceCatalog      string
	DestinationCatalog string
	// State is the --state file for the source ("" for none).
	State string
	// Env is added to both processes' environment.
	Env []string
	// ValidateRecords validates every RECORD line against the protocol
	// schema (slow for big syncs); other lines are always validated.
	ValidateRecords bool
	// OnSourceLine, if set, sees every source line before it is forwarded
	// (for progress displays). It must not keep the slice.
	OnSourceLine func(line []byte)
	// OnDestinationLine sees every destination line.
	OnDestinationLine func(line []byte)
	// KeepRecords keeps every record's data per stream in the result.
	KeepRecords bool
	// OnStart, if set, is called once both processes have started (fault
	// tests signal them from OnSourceLine).
	OnStart func(source, destination *os.Process)
	// Pause, if set, sees every source line before it is forwarded; when it
	// returns a function, everything forwarded so far is flushed to the
	// destination and the function runs (it may block, e.g. until the
	// destination has reacted) before the line is forwarded.
	Pause func(line []byte) func()

	// DataChannel is the mode of the sync: "stdio", "socket/jsonl",
	// "socket/protobuf" ("socket" is socket/protobuf), or "" for the
	// RADAR_DATA_CHANNEL environment variable (default stdio). In socket
	// mode the harness plays the platform's bookkeeper (see runSocket);
	// the result has the same shape in both modes. In socket mode
	// OnSourceLine and Pause see the source's stdout lines and the records
	// the harness relays (a protobuf record rendered as a RECORD line with
	// its values under their property names), ValidateRecords applies to
	// JSONL records, and Acks' ids are per stream (GLOBAL: one sequence).
	DataChannel string
	// Sockets is the number of sockets in socket mode (default 2).
	Sockets int
	// DirectSockets gives both connectors the same socket paths, exactly as
	// the platform does; the harness then sees no record (Records is empty,
	// Pause and OnSourceLine see stdout only, PlatformCount is the
	// source's sourceStats).
	DirectSockets bool

	// idInState puts the state id where the platform puts it: inside the
	// state object (StateWithId.kt, attachIdToStateMessageFromSource sets
	// it as an additional property of AirbyteStateMessage). The process
	// Sync keeps its top-level id, which the demo's progress reads.
	idInState bool
}

// Ack is a STATE the destination echoed.
type Ack struct {
	ID    int64
	State protocol.StateMessage
	// PlatformCount is what the platform counted for this state.
	PlatformCount int64
	// Source is the source's copy of the state in socket mode, the one the
	// platform persists (nil in STDIO mode).
	Source *protocol.StateMessage
}

// SyncResult is what a Sync produced.
type SyncResult struct {
	SourceCode, DestinationCode     int
	SourceStderr, DestinationStderr string
	// SourceMessages are the source's non-RECORD messages.
	SourceMessages []protocol.Message
	// DestinationMessages are the destination's non-STATE messages.
	DestinationMessages []protocol.Message
	// Records counts records per stream ("namespace.name").
	Records map[string]int64
	// Data holds each record's data per stream when KeepRecords is set.
	Data map[string][]json.RawMessage
	// StatesSent is the number of states forwarded to the destination.
	StatesSent int
	// Acks are the destination's echoed states, in order.
	Acks []Ack
	// Problems are protocol violations the platform would reject or log.
	Problems []string
}

// NextState returns the state file content the platform would pass to the
// next sync: the latest acknowledged state per stream, or the latest global.
func (r *SyncResult) NextState() []byte {
	var out []json.RawMessage
	seen := map[string]int{}
	for _, a := range r.Acks {
		s := a.State
		if a.Source != nil {
			s = *a.Source
		}
		clean := protocol.StateMessage{Type: s.Type, Stream: s.Stream, Global: s.Global}
		b, _ := json.Marshal(clean)
		key := "GLOBAL"
		if s.Type == protocol.StateStream {
			key = s.Stream.StreamDescriptor.String()
		}
		if i, ok := seen[key]; ok {
			out[i] = b
			continue
		}
		seen[key] = len(out)
		out = append(out, b)
	}
	if out == nil {
		return []byte("[]")
	}
	b, _ := json.Marshal(out)
	return b
}

// Errors returns the source's TRACE ERROR payloads.
func (r *SyncResult) Errors() []*protocol.ErrorTrace {
	var out []*protocol.ErrorTrace
	for _, m := range append(append([]protocol.Message(nil), r.SourceMessages...), r.DestinationMessages...) {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError {
			out = append(out, m.Trace.Error)
		}
	}
	return out
}

type pendingState struct {
	id    int64
	count int64
}

// Run executes the sync. It returns an error only when the processes could
// not be run; connector failures are in the result's codes and messages.
func (s *Sync) Run(ctx context.Context) (*SyncResult, error) {
	mode, err := s.dataChannel()
	if err != nil {
		return nil, err
	}
	if mode.Medium == datachannel.MediumSocket {
		return s.runSocket(ctx, mode)
	}
	dcat := s.DestinationCatalog
	if dcat == "" {
		dcat = s.SourceCatalog
	}
	srcArgs := []string{"read", "--config", s.SourceConfig, "--catalog", s.SourceCatalog}
	if s.State != "" {
		srcArgs = append(srcArgs, "--state", s.State)
	}
	src := exec.CommandContext(ctx, s.Source, srcArgs...)
	dst := exec.CommandContext(ctx, s.Destination, "write", "--config", s.DestinationConfig, "--catalog", dcat)
	var srcErr, dstErr bytes.Buffer
	for _, c := range []*exec.Cmd{src, dst} {
		c.Env = append(os.Environ(), s.Env...)
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd := c
		c.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	}
	src.Stderr, dst.Stderr = &srcErr, &dstErr
	srcOut, err := src.StdoutPipe()
	if err != nil {
		return nil, err
	}
	dstIn, err := dst.StdinPipe()
	if err != nil {
		return nil, err
	}
	dstOut, err := dst.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := dst.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(s.Destination), err)
	}
	if err := src.Start(); err != nil {
		dst.Process.Kill()
		return nil, fmt.Errorf("start %s: %w", filepath.Base(s.Source), err)
	}
	if s.OnStart != nil {
		s.OnStart(src.Process, dst.Process)
	}
	res := &SyncResult{}
	writeErr := s.pump(res, srcOut, dstIn, dstOut)
	srcWait := src.Wait()
	dstWait := dst.Wait()
	res.SourceCode, res.DestinationCode = exitCode(srcWait), exitCode(dstWait)
	res.SourceStderr, res.DestinationStderr = srcErr.String(), dstErr.String()
	if writeErr != nil && res.DestinationCode == 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("writing to the destination failed: %v", writeErr))
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// pump plays the platform between the source's stdout, the destination's
// stdin and the destination's stdout, filling res; it returns when the
// source's output has ended, dstIn is closed and the destination's output
// has ended, with the first error writing to the destination.
func (s *Sync) pump(res *SyncResult, srcOut io.Reader, dstIn io.WriteCloser, dstOut io.Reader) error {
	res.Records = map[string]int64{}
	if s.KeepRecords {
		res.Data = map[string][]json.RawMessage{}
	}
	var mu sync.Mutex
	problem := func(format string, args ...any) {
		mu.Lock()
		res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	pending := map[int64]pendingState{}
	v := protocoltest.Default()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // destination stdout
		defer wg.Done()
		br := bufio.NewReaderSize(dstOut, 1<<20)
		lastID := int64(0)
		for n := 1; ; n++ {
			line, err := readLine(br)
			if len(line) > 0 {
				if s.OnDestinationLine != nil {
					s.OnDestinationLine(line)
				}
				m, verr := v.ValidateLine(line)
				if verr != nil {
					problem("destination line %d is not a valid message: %v: %.300s", n, verr, line)
				} else if m.Type == protocol.TypeState {
					id, ok := stateID(line)
					mu.Lock()
					p, issued := pending[id]
					mu.Unlock()
					switch {
					case !ok:
						problem("destination echoed a STATE without the platform's integer id (line %d)", n)
					case !issued:
						problem("destination echoed a STATE with id %d the platform never sent", id)
					case id <= lastID:
						problem("destination echoed state id %d after id %d: out of order", id, lastID)
					}
					if m.State.DestinationStats == nil || m.State.DestinationStats.RecordCount == nil {
						problem("state id %d echoed without destinationStats.recordCount", id)
					} else if got := m.State.DestinationStats.RecordCount.Int(); issued && got != p.count {
						problem("state id %d: destination counted %d records, the platform counted %d", id, got, p.count)
					}
					lastID = id
					mu.Lock()
					res.Acks = append(res.Acks, Ack{ID: id, State: *m.State, PlatformCount: p.count})
					mu.Unlock()
				} else {
					if m.Type == protocol.TypeRecord {
						problem("destination printed a RECORD")
					}
					mu.Lock()
					res.DestinationMessages = append(res.DestinationMessages, *m)
					mu.Unlock()
				}
			}
			if err != nil {
				return
			}
		}
	}()

	// Source stdout -> destination stdin, as the platform forwards it.
	bw := bufio.NewWriterSize(dstIn, 1<<20)
	br := bufio.NewReaderSize(srcOut, 1<<20)
	var nextID int64
	records := newRecordParser()
	sinceStream := map[string]int64{}
	var sinceAll int64
	writeErr := error(nil)
	forward := func(b []byte) {
		if writeErr != nil {
			return
		}
		if _, err := bw.Write(b); err != nil {
			writeErr = err
		}
	}
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			if s.OnSourceLine != nil {
				s.OnSourceLine(line)
			}
			if s.Pause != nil {
				if wait := s.Pause(line); wait != nil {
					if writeErr == nil {
						writeErr = bw.Flush()
					}
					wait()
				}
			}
			typ := peekType(line)
			if typ != protocol.TypeRecord || s.ValidateRecords {
				m, verr := v.ValidateLine(line)
				if verr != nil {
					problem("source line %d is not a valid message: %v: %.300s", n, verr, line)
					typ = ""
				} else if typ != protocol.TypeRecord {
					res.SourceMessages = append(res.SourceMessages, *m)
				}
			}
			switch typ {
			case protocol.TypeRecord:
				stream, data, ok := records.parse(line)
				if !ok {
					problem("source line %d: unreadable RECORD", n)
					break
				}
				res.Records[stream]++
				sinceStream[stream]++
				sinceAll++
				if s.KeepRecords {
					res.Data[stream] = append(res.Data[stream], append(json.RawMessage(nil), data...))
				}
				forward(line)
				forward([]byte{'\n'})
			case protocol.TypeState:
				m := res.SourceMessages[len(res.SourceMessages)-1]
				var count int64
				if m.State.Type == protocol.StateGlobal {
					count = sinceAll
					sinceAll = 0
					for k := range sinceStream {
						sinceStream[k] = 0
					}
				} else if m.State.Stream != nil {
					key := m.State.Stream.StreamDescriptor.String()
					count = sinceStream[key]
					sinceStream[key] = 0
					sinceAll -= count
				}
				if m.State.SourceStats == nil || m.State.SourceStats.RecordCount == nil {
					problem("source STATE on line %d has no sourceStats.recordCount", n)
				} else if got := m.State.SourceStats.RecordCount.Int(); got != count {
					problem("source STATE on line %d: sourceStats.recordCount %d, the platform counted %d", n, got, count)
				}
				nextID++
				mu.Lock()
				pending[nextID] = pendingState{id: nextID, count: count}
				mu.Unlock()
				res.StatesSent++
				if s.idInState {
					forward(withStateID(line, nextID))
				} else {
					forward(withID(line, nextID))
				}
				forward([]byte{'\n'})
			}
		}
		if err != nil {
			break
		}
		if br.Buffered() == 0 && writeErr == nil {
			// The source is quiet: deliver what it sent, as the platform
			// does, rather than hold it until the buffer fills.
			writeErr = bw.Flush()
		}
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	dstIn.Close()
	wg.Wait()
	return writeErr
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// readLine reads one line of any length without its terminator.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), err
}

func peekType(line []byte) protocol.Type {
	var env struct {
		Type protocol.Type `json:"type"`
	}
	// Fast path for the connectors' own key order.
	if bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) {
		return protocol.TypeRecord
	}
	if bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) {
		return protocol.TypeState
	}
	if err := json.Unmarshal(line, &env); err != nil {
		return ""
	}
	return env.Type
}

// recordParser reads RECORD lines with one protocol.Reader for the whole
// sync (a Reader per line would allocate its 1 MiB buffer per record).
type recordParser struct {
	in lineInput
	r  *protocol.Reader
}

func newRecordParser() *recordParser {
	p := &recordParser{}
	p.r = protocol.NewReader(&p.in)
	return p
}

// parse returns a RECORD's stream ("namespace.name") and data; data is
// valid until the next call.
func (p *recordParser) parse(line []byte) (string, json.RawMessage, bool) {
	p.in.b = append(append(p.in.b[:0], line...), '\n')
	p.in.off = 0
	e, err := p.r.Next()
	if err != nil || e.Type != protocol.TypeRecord {
		return "", nil, false
	}
	d := protocol.StreamDescriptor{Name: string(e.Record.Stream), Namespace: string(e.Record.Namespace)}
	return d.String(), e.Record.Data, true
}

// lineInput is an io.Reader over one line at a time.
type lineInput struct {
	b   []byte
	off int
}

func (l *lineInput) Read(b []byte) (int, error) {
	if l.off >= len(l.b) {
		return 0, io.EOF
	}
	n := copy(b, l.b[l.off:])
	l.off += n
	return n, nil
}

// withID inserts the platform's integer "id" into a STATE message.
func withID(line []byte, id int64) []byte {
	i := bytes.IndexByte(line, '{')
	out := make([]byte, 0, len(line)+24)
	out = append(out, line[:i+1]...)
	out = append(out, `"id":`...)
	out = strconv.AppendInt(out, id, 10)
	if rest := bytes.TrimSpace(line[i+1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, line[i+1:]...)
}

// withStateID inserts the platform's integer "id" first in the STATE
// message's state object, as attachIdToStateMessageFromSource does.
func withStateID(line []byte, id int64) []byte {
	i := bytes.Index(line, []byte(`"state":{`))
	if i < 0 {
		return withID(line, id)
	}
	i += len(`"state":{`)
	out := make([]byte, 0, len(line)+24)
	out = append(out, line[:i]...)
	out = append(out, `"id":`...)
	out = strconv.AppendInt(out, id, 10)
	out = append(out, ',')
	return append(out, line[i:]...)
}

// stateID returns the integer id of an echoed state: the state object's
// (where the platform puts it), else the message's top-level one.
func stateID(line []byte) (int64, bool) {
	var env struct {
		ID    json.RawMessage `json:"id"`
		State struct {
			ID json.RawMessage `json:"id"`
		} `json:"state"`
	}
	if err := json.Unmarshal(line, &env); err != nil {
		return 0, false
	}
	if len(env.State.ID) > 0 {
		env.ID = env.State.ID
	}
	if len(env.ID) == 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(string(env.ID), 10, 64)
	return id, err == nil
}

package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// EnvDataChannel is the environment variable that selects the data channel
// of a Sync whose DataChannel is empty: stdio (the default), socket (=
// socket/protobuf), socket/jsonl or socket/protobuf.
const EnvDataChannel = "RADAR_DATA_CHANNEL"

// DataChannelModes are the modes the end-to-end tests run in.
var DataChannelModes = []string{"stdio", "socket/jsonl", "socket/protobuf"}

// ModeName is a data channel mode as a subtest name ("socket-jsonl").
func ModeName(mode string) string {
	return string(bytes.ReplaceAll([]byte(mode), []byte("/"), []byte("-")))
}

// dataChannel returns the Sync's mode.
func (s *Sync) dataChannel() (runner.DataChannelMode, error) {
	v := s.DataChannel
	if v == "" {
		v = os.Getenv(EnvDataChannel)
	}
	if v == "" {
		v = "stdio"
	}
	m, err := runner.ParseDataChannelMode(v)
	if err == nil && m.Auto {
		err = fmt.Errorf("data channel %q: the harness needs stdio or socket", v)
	}
	return m, err
}

// runSocket runs the sync in socket mode, as the platform does with
// PLATFORM_MODE=BOOKKEEPER: both connectors get DATA_CHANNEL_MEDIUM=SOCKET,
// the format and the socket paths; the source listens on them and sends its
// records, states and stream statuses there, and copies every state to
// stdout; the destination connects, ignores its stdin (opened and closed,
// empty) and prints the states it committed. The harness matches them with
// runner.SocketLedger.
//
// Unless DirectSockets is set, the two connectors get different paths and
// the harness relays each socket (source → destination), counting records
// per stream and per state: the platform never reads the sockets, but the
// tests need the record counts (and the hooks need the records). With
// DirectSockets both get the same paths, exactly as on the platform, and
// Records stays empty.
func (s *Sync) runSocket(ctx context.Context, mode runner.DataChannelMode) (*SyncResult, error) {
	n := s.Sockets
	if n <= 0 {
		n = 2
	}
	dir, err := runner.SocketDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srcPaths, err := runner.SocketPaths(dir, runner.SocketFilePrefix, n)
	if err != nil {
		return nil, err
	}
	dstPaths := srcPaths
	var relayLn *datachannel.Listeners
	if !s.DirectSockets {
		if dstPaths, err = runner.SocketPaths(dir, "destination_socket_", n); err != nil {
			return nil, err
		}
		if relayLn, err = datachannel.Listen(dstPaths); err != nil {
			return nil, err
		}
		defer relayLn.Close()
	}
	srcCfg := datachannel.Config{Medium: mode.Medium, Format: mode.Format, SocketPaths: srcPaths}
	dstCfg := datachannel.Config{Medium: mode.Medium, Format: mode.Format, SocketPaths: dstPaths}

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
	for c, cfg := range map[*exec.Cmd]datachannel.Config{src: srcCfg, dst: dstCfg} {
		c.Env = append(append(os.Environ(), s.Env...), cfg.Environ()...)
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
	// The platform opens the destination's stdin and sends nothing on it
	// in socket mode: it is closed at once.
	dstIn.Close()
	if err := src.Start(); err != nil {
		dst.Process.Kill()
		return nil, fmt.Errorf("start %s: %w", filepath.Base(s.Source), err)
	}
	if s.OnStart != nil {
		s.OnStart(src.Process, dst.Process)
	}

	res := &SyncResult{Records: map[string]int64{}}
	if s.KeepRecords {
		res.Data = map[string][]json.RawMessage{}
	}
	p := &socketPlatform{s: s, res: res, ledger: runner.NewSocketLedger(), counts: map[stateKey]int64{}, v: protocoltest.Default()}
	// Two deadlines for the relay. It stops dialling the source's sockets
	// once the source's output has ended (a source that never accepted
	// failed early; one whose destination failed is connected and then
	// cut, so that its writes fail as on the platform). It stops waiting
	// for the destination only once the destination's output has ended: a source
	// that finished after the relay connected may have left its last
	// messages in the sockets, and the destination gets them when it
	// connects, as on the platform. (Deciding from the source's end
	// whether the relay had connected raced with the relay itself: a fast
	// source could be accepted, write everything and exit before the relay
	// noted its connection, and the destination was left dialling a
	// removed socket.)
	dialCtx, dialCancel := context.WithCancel(ctx)
	defer dialCancel()
	acceptCtx, acceptCancel := context.WithCancel(ctx)
	defer acceptCancel()
	var wg sync.WaitGroup
	var relays sync.WaitGroup
	if relayLn != nil {
		relays.Add(1)
		go func() {
			defer relays.Done()
			p.relay(dialCtx, acceptCtx, relayLn, srcPaths, mode.Format)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.readSource(srcOut)
		dialCancel()
	}()
	go func() {
		defer wg.Done()
		p.readDestination(dstOut)
		acceptCancel()
	}()
	wg.Wait()
	relays.Wait()
	srcWait := src.Wait()
	dstWait := dst.Wait()
	p.ledger.Finish()
	res.SourceCode, res.DestinationCode = exitCode(srcWait), exitCode(dstWait)
	res.SourceStderr, res.DestinationStderr = srcErr.String(), dstErr.String()
	res.StatesSent, _ = p.ledger.Counts()
	res.Problems = append(res.Problems, p.ledger.Problems()...)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// stateKey names a state in socket mode: its scope and id.
type stateKey struct {
	scope string
	id    int64
}

// socketPlatform is the harness's side of a socket-mode sync.
type socketPlatform struct {
	s      *Sync
	res    *SyncResult
	ledger *runner.SocketLedger
	v      *protocoltest.Validator

	mu sync.Mutex // res, counts
	// counts are the records the relay forwarded for each state.
	counts map[stateKey]int64
	// hooks serialises OnSourceLine and Pause, which the STDIO mode calls
	// from one goroutine.
	hooks sync.Mutex
}

// hook calls OnSourceLine and Pause (one line at a time, as in STDIO mode)
// and returns Pause's function, which the caller runs without the lock:
// the other sockets go on meanwhile.
func (p *socketPlatform) hook(line []byte) func() {
	if len(line) == 0 || (p.s.OnSourceLine == nil && p.s.Pause == nil) {
		return nil
	}
	p.hooks.Lock()
	defer p.hooks.Unlock()
	if p.s.OnSourceLine != nil {
		p.s.OnSourceLine(line)
	}
	if p.s.Pause != nil {
		return p.s.Pause(line)
	}
	return nil
}

func (p *socketPlatform) problem(format string, args ...any) {
	p.mu.Lock()
	p.res.Problems = append(p.res.Problems, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// readSource reads the source's stdout: state copies, stream statuses,
// logs and traces. A RECORD there is a problem in socket mode.
func (p *socketPlatform) readSource(out io.Reader) {
	br := bufio.NewReaderSize(out, 1<<20)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			p.sourceLine(n, line)
		}
		if err != nil {
			io.Copy(io.Discard, out)
			return
		}
	}
}

func (p *socketPlatform) sourceLine(n int, line []byte) {
	if wait := p.hook(line); wait != nil {
		wait()
	}
	m, verr := p.v.ValidateLine(line)
	if verr != nil {
		p.problem("source line %d is not a valid message: %v: %.300s", n, verr, line)
		return
	}
	switch m.Type {
	case protocol.TypeRecord:
		p.problem("the source printed a RECORD on stdout in socket mode (line %d)", n)
		return
	case protocol.TypeState:
		commits := p.ledger.Source(m.State)
		p.mu.Lock()
		p.res.SourceMessages = append(p.res.SourceMessages, *m)
		p.mu.Unlock()
		for _, c := range commits {
			p.ack(c)
		}
		return
	}
	p.mu.Lock()
	p.res.SourceMessages = append(p.res.SourceMessages, *m)
	p.mu.Unlock()
}

// readDestination reads the destination's stdout.
func (p *socketPlatform) readDestination(out io.Reader) {
	br := bufio.NewReaderSize(out, 1<<20)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			if p.s.OnDestinationLine != nil {
				p.s.OnDestinationLine(line)
			}
			m, verr := p.v.ValidateLine(line)
			switch {
			case verr != nil:
				p.problem("destination line %d is not a valid message: %v: %.300s", n, verr, line)
			case m.Type == protocol.TypeState:
				var env struct {
					State json.RawMessage `json:"state"`
				}
				if json.Unmarshal(line, &env) == nil {
					if c, ok := p.ledger.Destination(env.State); ok {
						p.ack(c)
					}
				}
			default:
				if m.Type == protocol.TypeRecord {
					p.problem("destination printed a RECORD")
				}
				p.mu.Lock()
				p.res.DestinationMessages = append(p.res.DestinationMessages, *m)
				p.mu.Unlock()
			}
		}
		if err != nil {
			io.Copy(io.Discard, out)
			return
		}
	}
}

// ack records a committed state in the result.
func (p *socketPlatform) ack(c runner.SocketCommit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	count, ok := p.counts[stateKey{c.Scope, c.ID}]
	if !ok && c.Source.SourceStats != nil && c.Source.SourceStats.RecordCount != nil {
		count = c.Source.SourceStats.RecordCount.Int() // DirectSockets: the source's word
	}
	p.res.Acks = append(p.res.Acks, Ack{ID: c.ID, State: *c.Destination, PlatformCount: count, Source: c.Source})
}

// relay accepts the destination on every relay socket, connects to the
// source's sockets, and copies each source socket to its destination
// socket. It dials until dialCtx is done and waits for the destination
// until acceptCtx is done. When it could not reach the source (the source
// ended first), it still accepts the destination and closes its sockets at
// once: the destination reads an empty channel and ends, rather than
// dialling a socket that no longer exists.
func (p *socketPlatform) relay(dialCtx, acceptCtx context.Context, ln *datachannel.Listeners, srcPaths []string, format datachannel.Format) {
	srcConns := make([]*net.UnixConn, len(srcPaths))
	var dialErr error
	var dials sync.WaitGroup
	var dmu sync.Mutex
	for i, path := range srcPaths {
		dials.Add(1)
		go func() {
			defer dials.Done()
			c, err := datachannel.Dial(dialCtx, path)
			dmu.Lock()
			srcConns[i] = c
			if err != nil && dialErr == nil {
				dialErr = err
			}
			dmu.Unlock()
		}()
	}
	dials.Wait()
	dstConns, acceptErr := ln.Accept(acceptCtx)
	// A destination dialling after this would sit in the listen backlog.
	ln.Close()
	if dialErr != nil || acceptErr != nil {
		for _, c := range srcConns {
			if c != nil {
				c.Close()
			}
		}
		for _, c := range dstConns {
			c.Close()
		}
		// A problem only if the side that did not connect was still
		// running: a process that ended shows its own failure.
		if (dialErr != nil && dialCtx.Err() == nil) || (acceptErr != nil && acceptCtx.Err() == nil) {
			p.problem("relay: %v", errors.Join(dialErr, acceptErr))
		}
		return
	}
	var wg sync.WaitGroup
	for i := range srcConns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p.relayOne(i, srcConns[i], dstConns[i].(*net.UnixConn), format)
		}()
		go func() { // the destination sends nothing back; pass it on if it does
			defer wg.Done()
			_, _ = io.Copy(srcConns[i], dstConns[i])
			_ = srcConns[i].CloseWrite()
		}()
	}
	wg.Wait()
	for i := range srcConns {
		srcConns[i].Close()
		dstConns[i].Close()
	}
}

// relayOne copies one source socket to its destination socket, message by
// message, counting records per stream and per state.
func (p *socketPlatform) relayOne(i int, from, to *net.UnixConn, format datachannel.Format) {
	br := bufio.NewReaderSize(from, 1<<20)
	bw := bufio.NewWriterSize(to, 1<<20)
	since := map[string]int64{} // stream → records since its last state on this socket
	var all int64               // records since the last GLOBAL state on this socket
	var names *fieldNames
	if format == datachannel.FormatProtobuf && (p.s.OnSourceLine != nil || p.s.Pause != nil || p.s.KeepRecords) {
		names = p.s.catalogFields()
	}
	protobuf := format == datachannel.FormatProtobuf
	var frameBuf []byte
	writeErr := error(nil)
	write := func(b ...[]byte) {
		for _, x := range b {
			if writeErr == nil {
				_, writeErr = bw.Write(x)
			}
		}
	}
	newline := []byte{'\n'}
	records := newRecordParser()
	var js []byte
	for n := 1; ; n++ {
		var (
			msg      []byte // what to forward
			stream   string
			isRecord bool
			state    []byte // the JSON of a protocol message
			err      error
			// terminated: a JSONL line ended with its newline (the last
			// line of a source that died may not).
			terminated bool
		)
		if protobuf {
			var frame []byte
			msg, frame, err = readFrame(br, frameBuf)
			frameBuf = msg[:0]
			if err == nil {
				m, perr := datachannel.Parse(frame)
				if perr != nil {
					p.problem("socket %d message %d: %v", i+1, n, perr)
				} else if m.Kind == datachannel.KindRecord {
					isRecord = true
					stream = protocol.StreamDescriptor{Name: string(m.Record.Stream), Namespace: string(m.Record.Namespace)}.String()
					if names != nil {
						js = names.recordJSON(js[:0], &m.Record)
					}
				} else if m.Kind == datachannel.KindProtocol {
					state = m.JSON
				}
			}
		} else {
			var line []byte
			line, err = readLine(br)
			terminated = err == nil
			if len(line) > 0 {
				if peekType(line) == protocol.TypeRecord {
					isRecord = true
					js = append(js[:0], line...)
					if p.s.ValidateRecords {
						if _, verr := p.v.ValidateLine(line); verr != nil {
							p.problem("socket %d line %d is not a valid message: %v: %.300s", i+1, n, verr, line)
						}
					}
				} else {
					state = line
				}
				msg = line
			}
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
		}
		if isRecord {
			if stream == "" {
				if st, data, ok := records.parse(js); ok {
					stream = st
					if p.s.KeepRecords {
						p.keep(stream, data)
					}
				}
			} else if p.s.KeepRecords && names != nil {
				var env struct {
					Record struct {
						Data json.RawMessage `json:"data"`
					} `json:"record"`
				}
				if json.Unmarshal(js, &env) == nil {
					p.keep(stream, env.Record.Data)
				}
			}
			if wait := p.hook(js); wait != nil {
				if writeErr == nil {
					writeErr = bw.Flush()
				}
				wait()
			}
			since[stream]++
			all++
			p.mu.Lock()
			p.res.Records[stream]++
			p.mu.Unlock()
		} else if len(state) > 0 && peekType(state) == protocol.TypeState {
			var m protocol.Message
			if json.Unmarshal(state, &m) == nil && m.State != nil && m.State.ID != nil {
				var count int64
				if m.State.Type == protocol.StateGlobal {
					count, all = all, 0
					clear(since)
				} else if m.State.Stream != nil {
					key := m.State.Stream.StreamDescriptor.String()
					count = since[key]
					since[key] = 0
					all -= count
				}
				scope := runner.StateScope(m.State)
				p.mu.Lock()
				p.counts[stateKey{scope, *m.State.ID}] = count
				p.mu.Unlock()
				if s := m.State.SourceStats; s == nil || s.RecordCount == nil {
					p.problem("socket %d: state %s id %d has no sourceStats.recordCount", i+1, scope, *m.State.ID)
				} else if s.RecordCount.Int() != count {
					p.problem("socket %d: state %s id %d: sourceStats.recordCount %d, the platform counted %d", i+1, scope, *m.State.ID, s.RecordCount.Int(), count)
				}
			} else {
				p.problem("socket %d: unreadable or unnumbered STATE: %.300s", i+1, state)
			}
		}
		if len(msg) > 0 {
			// Forwarded as it came, a cut message included: the
			// destination meets what it would meet on the platform.
			write(msg)
			if terminated {
				write(newline)
			}
		}
		if err != nil {
			// EOF, or a reset or cut frame from a source that died: the
			// platform does not read the sockets, and the destination
			// reports what it makes of it.
			break
		}
		if br.Buffered() == 0 && writeErr == nil {
			writeErr = bw.Flush()
		}
		if writeErr != nil {
			// The destination is gone: the source's next write fails, as
			// it would on the platform.
			from.Close()
			io.Copy(io.Discard, from)
			break
		}
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	_ = to.CloseWrite()
}

// readFrame reads one varint-delimited frame into buf: whole is the frame
// with its length prefix, as it travelled, frame its message. At a cut (a
// source that died inside a frame) it returns the bytes read and
// io.ErrUnexpectedEOF; at a clean end io.EOF.
func readFrame(br *bufio.Reader, buf []byte) (whole, frame []byte, err error) {
	buf = buf[:0]
	var n uint64
	for shift := uint(0); ; shift += 7 {
		b, err := br.ReadByte()
		if err != nil {
			if len(buf) == 0 && errors.Is(err, io.EOF) {
				return buf, nil, io.EOF
			}
			return buf, nil, io.ErrUnexpectedEOF
		}
		buf = append(buf, b)
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
		if shift >= 63 {
			return buf, nil, fmt.Errorf("bad frame length")
		}
	}
	if n > datachannel.MaxFrame {
		return buf, nil, fmt.Errorf("frame of %d bytes is larger than %d", n, datachannel.MaxFrame)
	}
	start := len(buf)
	buf = slices.Grow(buf, int(n))[:start+int(n)]
	k, err := io.ReadFull(br, buf[start:])
	if err != nil {
		return buf[:start+k], nil, io.ErrUnexpectedEOF
	}
	return buf, buf[start:], nil
}

func (p *socketPlatform) keep(stream string, data json.RawMessage) {
	p.mu.Lock()
	p.res.Data[stream] = append(p.res.Data[stream], append(json.RawMessage(nil), data...))
	p.mu.Unlock()
}

// fieldNames are the data property names of each stream: sorted, the
// order of a protobuf record's values, and as the schema declares them, the
// order the rendered record uses (the JSON path's column order).
type fieldNames struct {
	sorted   map[string][]string
	declared map[string][]string
}

// catalogFields reads the source catalog's stream schemas.
func (s *Sync) catalogFields() *fieldNames {
	f := &fieldNames{sorted: map[string][]string{}, declared: map[string][]string{}}
	b, err := os.ReadFile(s.SourceCatalog)
	if err != nil {
		return f
	}
	var cat protocol.ConfiguredCatalog
	if json.Unmarshal(b, &cat) != nil {
		return f
	}
	for _, cs := range cat.Streams {
		var schema struct {
			Properties json.RawMessage `json:"properties"`
		}
		_ = json.Unmarshal(cs.Stream.JSONSchema, &schema)
		names := objectKeys(schema.Properties)
		key := protocol.StreamDescriptor{Name: cs.Stream.Name, Namespace: cs.Stream.Namespace}.String()
		f.declared[key] = names
		f.sorted[key] = slices.Sorted(slices.Values(names))
	}
	return f
}

// objectKeys returns the keys of a JSON object in their order.
func objectKeys(obj json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// recordJSON renders a protobuf record as a RECORD line for the hooks and
// KeepRecords: the values under their property names in the schema's
// order; temporal values as their raw parts (enough to find a record, not
// the JSON path's text).
func (f *fieldNames) recordJSON(dst []byte, r *datachannel.RecordView) []byte {
	d := protocol.StreamDescriptor{Name: string(r.Stream), Namespace: string(r.Namespace)}
	sorted, declared := f.sorted[d.String()], f.declared[d.String()]
	dst = append(dst, `{"type":"RECORD","record":{`...)
	if r.HasNamespace {
		dst = append(dst, `"namespace":`...)
		dst = appendJSONString(dst, string(r.Namespace))
		dst = append(dst, ',')
	}
	dst = append(dst, `"stream":`...)
	dst = appendJSONString(dst, string(r.Stream))
	dst = append(dst, `,"emitted_at":`...)
	dst = strconv.AppendInt(dst, r.EmittedAtMs, 10)
	dst = append(dst, `,"data":{`...)
	vals := map[string][]byte{}
	var extra []string
	it := r.Values()
	for i := 0; it.Next(); i++ {
		name := "_" + strconv.Itoa(i)
		if i < len(sorted) {
			name = sorted[i]
		} else {
			extra = append(extra, name)
		}
		vals[name] = appendValue(nil, it.Value())
	}
	n := 0
	for _, name := range append(slices.Clip(declared), extra...) {
		v, ok := vals[name]
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = append(dst, v...)
	}
	return append(dst, "}}}"...)
}

// appendValue renders one protobuf value as JSON.
func appendValue(dst []byte, v *datachannel.Value) []byte {
	switch v.Kind {
	case datachannel.ValueNull:
		return append(dst, "null"...)
	case datachannel.ValueBool:
		return strconv.AppendBool(dst, v.Bool)
	case datachannel.ValueInteger:
		return strconv.AppendInt(dst, v.Int, 10)
	case datachannel.ValueNumber:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return appendJSONString(dst, strconv.FormatFloat(v.Float, 'g', -1, 64))
		}
		return strconv.AppendFloat(dst, v.Float, 'g', -1, 64)
	case datachannel.ValueBigInteger, datachannel.ValueBigDecimal:
		return append(dst, v.Bytes...)
	case datachannel.ValueJSON:
		if json.Valid(v.Bytes) {
			return append(dst, v.Bytes...)
		}
		return appendJSONString(dst, string(v.Bytes))
	case datachannel.ValueString:
		return appendJSONString(dst, string(v.Bytes))
	}
	return appendJSONString(dst, fmt.Sprintf("%s:%d:%d:%d", v.Kind, v.Int, v.Nanos, v.Offset))
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(dst, b...)
}

// ForEachDataChannel runs fn as a subtest per mode of DataChannelModes
// (named stdio, socket-jsonl, socket-protobuf), or in RADAR_DATA_CHANNEL's
// mode alone when it names one ("all" is every mode, the default). fn
// gives the mode to Sync.DataChannel.
func ForEachDataChannel(t *testing.T, fn func(t *testing.T, mode string)) {
	modes := DataChannelModes
	switch m := os.Getenv(EnvDataChannel); m {
	case "", "all":
	default:
		modes = []string{m}
	}
	for _, m := range modes {
		t.Run(ModeName(m), func(t *testing.T) { fn(t, m) })
	}
}

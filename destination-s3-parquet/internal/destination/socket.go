package destination

// Socket mode (Airbyte's data channel, "speed mode"): the platform sets
// DATA_CHANNEL_MEDIUM=SOCKET, DATA_CHANNEL_FORMAT and
// DATA_CHANNEL_SOCKET_PATHS; the source listens on every socket and the
// destination connects to each and reads it to its end. stdin carries
// nothing. What this file does follows the Bulk CDK's destination side,
// read in airbytehq/airbyte (airbyte-cdk/bulk/core/load; no code copied):
// config/DataChannelBeanFactory.kt (cf8d8a1416b4: one input flow per
// socket, records tied to states by partition_id, states ordered by id, the
// namespace mapper of socket mode), file/ClientSocket.kt (64bd7d0a418b: wait
// for the socket, 15 minutes by default), file/ProtobufDataChannelReader.kt
// (15a6cd1957b3: size-delimited messages, the size counted with its
// prefix) and JSONLDataChannelReader.kt, DestinationMessageFactory
// (fromAirbyteProtobufMessage: protocol messages as JSON, probes, the
// record's partitionId; JSONL: the record's partition_id property),
// config/NamespaceMappingBeanFactory.kt and command/NamespaceMapper.kt,
// state/CheckpointManager.kt (03c569737ba2) and message/CheckpointMessage.kt
// (2f1377506eee):
//
//   - one reader per socket; a socket's records and the STATEs of their
//     partition come in order on that socket;
//   - the records' namespace and stream are the source's: the destination
//     maps them itself with the namespace mapping the platform mounts
//     (NAMESPACE_MAPPING_CONFIG_PATH, see namespaceMapping);
//   - a STATE carries an id (per stream 1, 2, 3…; one sequence for GLOBAL
//     states), its partition_id and sourceStats.recordCount, the records of
//     its partition since the partition's previous state. It is echoed
//     once every earlier id of its sequence has been, the records counted
//     for its (stream, partition) equal its recordCount, and they are in
//     completed objects (the acknowledgement rule of the stdin path);
//   - the echo adds destinationStats.recordCount and, as
//     CheckpointManager/CheckpointMessage do, the cumulative
//     committedRecordsCount and committedBytesCount of the stream (GLOBAL:
//     of all streams) in the state object (rejectedRecordsCount is only
//     written when positive: this destination rejects no record).
//
// The read loop stays single-threaded: a goroutine per socket reads
// complete messages into a few reused buffers and hands them over a
// channel to the loop, which converts and counts them under w.mu.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

const (
	// sockBufSize and sockBufs are a socket's read buffers: messages are
	// handed to the read loop in batches of up to about sockBufSize, and a
	// reader waits when all sockBufs are with the loop.
	sockBufSize = 256 << 10
	sockBufs    = 4
)

// dialTimeout bounds the wait for the source to listen on every socket
// (both containers start together), as ClientSocket's connectTimeoutMs.
var dialTimeout = 15 * time.Minute

// envNamespaceMapping is the path of the namespace mapping the platform
// mounts in socket mode (the Bulk CDK's
// airbyte.destination.core.mappers.namespace-mapping-config-path).
const envNamespaceMapping = "NAMESPACE_MAPPING_CONFIG_PATH"

// socketMemory is the memory socket mode adds to the buffer budget: each
// socket's read buffers and its line reader's.
func socketMemory(dc datachannel.Config) int64 {
	if !dc.Socket() {
		return 0
	}
	return int64(len(dc.SocketPaths)) * (sockBufs*sockBufSize + protocol.DefaultReaderBuffer)
}

// dataChannel reads the data channel of the run from the environment.
func dataChannel() (datachannel.Config, error) {
	dc, err := datachannel.FromEnv()
	if err != nil {
		return dc, protocol.ConfigError(err, "the data channel environment is invalid (%v); the platform sets %s=STDIO|SOCKET, %s=JSONL|PROTOBUF and, for SOCKET, %s (comma-separated Unix socket paths); unset them all to read stdin",
			err, datachannel.EnvMedium, datachannel.EnvFormat, datachannel.EnvSocketPaths)
	}
	return dc, nil
}

// namespaceMapping maps the source's namespace and stream name to the
// destination's, as the connection's settings say (NamespaceMapper): in
// socket mode the platform does not rewrite the records.
type namespaceMapping struct {
	// definition is "source" (keep), "destination" (no namespace: the
	// destination's default) or "customformat" (format, where
	// ${SOURCE_NAMESPACE} is replaced).
	definition string
	format     string
	prefix     string
}

// active reports whether the mapping changes anything.
func (m namespaceMapping) active() bool {
	return (m.definition != "" && m.definition != "source") || strings.TrimSpace(m.prefix) != ""
}

func (m namespaceMapping) apply(ns, name string) (string, string) {
	switch m.definition {
	case "destination":
		ns = ""
	case "customformat":
		if strings.TrimSpace(m.format) == "" {
			ns = ""
			break
		}
		src := ns
		if strings.TrimSpace(src) == "" {
			src = ""
		}
		ns = strings.ReplaceAll(m.format, "${SOURCE_NAMESPACE}", src)
		if strings.TrimSpace(ns) == "" {
			ns = ""
		}
	}
	if strings.TrimSpace(m.prefix) != "" {
		name = m.prefix + name
	}
	return ns, name
}

// loadNamespaceMapping reads the mapping file at path: a JSON object
// {"namespaceDefinitionType":"source"|"destination"|"customformat",
// "namespaceFormat":…, "streamPrefix":…} (NamespaceMappingConfig). No path
// means records keep their names.
func loadNamespaceMapping(path string) (namespaceMapping, error) {
	if strings.TrimSpace(path) == "" {
		return namespaceMapping{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return namespaceMapping{}, protocol.ConfigError(err, "cannot read the namespace mapping %s (%s): in socket mode the platform mounts it to tell how to name the source's streams", path, envNamespaceMapping)
	}
	var raw struct {
		Definition *string `json:"namespaceDefinitionType"`
		Format     *string `json:"namespaceFormat"`
		Prefix     *string `json:"streamPrefix"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return namespaceMapping{}, protocol.ConfigError(err, "the namespace mapping %s (%s) is not a valid JSON object", path, envNamespaceMapping)
	}
	var m namespaceMapping
	if raw.Definition != nil {
		m.definition = strings.ToLower(strings.TrimSpace(*raw.Definition))
	}
	switch m.definition {
	case "", "source", "destination", "customformat":
	default:
		return m, protocol.ConfigError(nil, "the namespace mapping %s (%s) has namespaceDefinitionType %q: expected source, destination or customformat", path, envNamespaceMapping, *raw.Definition)
	}
	if raw.Format != nil {
		m.format = *raw.Format
	}
	if raw.Prefix != nil {
		m.prefix = *raw.Prefix
	}
	return m, nil
}

// partCount is what a stream read in one partition since the partition's
// last state.
type partCount struct{ records, bytes int64 }

// countPart counts a record of the stream in partition part.
func (s *stream) countPart(part []byte, size int64) {
	pc := s.lastPC
	if pc == nil || string(part) != string(s.lastPart) {
		pc = s.parts[string(part)]
		if pc == nil {
			if s.parts == nil {
				s.parts = map[string]*partCount{}
			}
			pc = &partCount{}
			s.parts[string(part)] = pc
		}
		s.lastPart = append(s.lastPart[:0], part...)
		s.lastPC = pc
	}
	pc.records++
	pc.bytes += size
}

// takePart returns and clears the counts of partition part.
func (s *stream) takePart(part string) (records, size int64) {
	pc := s.parts[part]
	if pc == nil {
		return 0, 0
	}
	delete(s.parts, part)
	if s.lastPC == pc {
		s.lastPC, s.lastPart = nil, s.lastPart[:0]
	}
	return pc.records, pc.bytes
}

// idSeq is a sequence of state ids: a stream's, or the GLOBAL states'.
type idSeq struct {
	name string
	last int64 // the last id echoed
	// committed records and bytes, cumulative (GLOBAL states; a stream's
	// are on the stream, which an unknown stream's states have not).
	recs, bytes int64
	// broken is set when a state's count did not match: neither it nor
	// any later state of the sequence can be echoed.
	broken bool
}

// socketMode is the state of a socket-mode read.
type socketMode struct {
	cfg   datachannel.Config
	ns    namespaceMapping
	socks []*sockIn
	in    chan sockBatch
	quit  chan struct{}
	once  sync.Once

	// Streams by the source's namespace and name, and the last one.
	byRaw    map[string]*stream
	key      []byte
	lastNs   []byte
	lastName []byte
	last     *stream
	ids      map[string]*idSeq
	global   idSeq
	// held are the states that can never be echoed (their sequence is
	// broken), out of w.pending so that they do not drive the
	// acknowledgement time bound.
	held     []pendingState
	msg      datachannel.Message
	partIter jsonx.ObjectIter
	newline  []byte
}

// sockIn is one socket.
type sockIn struct {
	path string
	conn net.Conn
	free chan []byte
	// src feeds pr the JSONL batches, or the JSON of protocol messages.
	src  batchSource
	pr   *protocol.Reader
	msgs int64 // protobuf messages read
}

// sockBatch is what a socket reader hands over: complete messages, an
// error, or the end of the socket.
type sockBatch struct {
	sock *sockIn
	buf  []byte
	err  error
	eof  bool
	// cut is, at the end of a socket, the bytes of a last message that did
	// not come whole (the source stopped mid-message); they are dropped.
	cut int
}

// batchSource is an io.Reader over the bytes the read loop gives it; it
// returns io.EOF when they are consumed, and reads on once given more.
type batchSource struct{ parts [2][]byte }

func (b *batchSource) set(data, tail []byte) { b.parts[0], b.parts[1] = data, tail }

func (b *batchSource) Read(p []byte) (int, error) {
	for i := range b.parts {
		if len(b.parts[i]) > 0 {
			n := copy(p, b.parts[i])
			b.parts[i] = b.parts[i][n:]
			return n, nil
		}
	}
	return 0, io.EOF
}

// dialAll connects to every socket, waiting up to timeout for the source
// to listen.
func dialAll(ctx context.Context, paths []string, timeout time.Duration) ([]net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conns := make([]net.Conn, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := datachannel.Dial(dctx, p)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("write stopped: %w", ctx.Err())
		}
		return nil, protocol.SystemError(err, "cannot connect to the data channel socket %s within %s: the source must listen on every socket of %s (is the source running in socket mode too?)",
			paths[i], timeout, datachannel.EnvSocketPaths)
	}
	return conns, nil
}

// runSockets runs a socket-mode sync: it connects to every socket, reads
// them all to their end and finishes the sync.
func (w *syncWriter) runSockets(ctx context.Context, stdin io.Reader, dc datachannel.Config, nm namespaceMapping) error {
	// stdin carries nothing: drain it without waiting for its end.
	go func() { _, _ = io.Copy(io.Discard, stdin) }()
	conns, err := dialAll(ctx, dc.SocketPaths, dialTimeout)
	if err != nil {
		return err
	}
	sm := &socketMode{
		cfg: dc, ns: nm, in: make(chan sockBatch, len(conns)), quit: make(chan struct{}),
		byRaw: map[string]*stream{}, ids: map[string]*idSeq{}, global: idSeq{name: "GLOBAL"}, newline: []byte{'\n'},
	}
	for i, c := range conns {
		sk := &sockIn{path: dc.SocketPaths[i], conn: c, free: make(chan []byte, sockBufs)}
		for range sockBufs {
			sk.free <- make([]byte, 0, sockBufSize)
		}
		sm.socks = append(sm.socks, sk)
	}
	w.sock = sm
	defer sm.close()
	for _, sk := range sm.socks {
		go sk.readLoop(sm, dc.Protobuf())
	}
	mapping := "source names"
	if nm.active() {
		mapping = fmt.Sprintf("namespace mapping %s, stream prefix %q", nm.definition, nm.prefix)
	}
	w.log.Info(fmt.Sprintf("reading the data channel: %s (%s; %s)", dc, strings.Join(dc.SocketPaths, ", "), mapping))
	return w.runLoop(ctx, w.readSockets)
}

// close stops the socket readers.
func (sm *socketMode) close() {
	sm.once.Do(func() {
		close(sm.quit)
		for _, sk := range sm.socks {
			sk.conn.Close()
		}
	})
}

// readLoop reads complete messages into the socket's buffers and hands
// them to the read loop, until the socket ends or fails.
func (sk *sockIn) readLoop(sm *socketMode, protobuf bool) {
	send := func(b sockBatch) bool {
		b.sock = sk
		select {
		case sm.in <- b:
			return true
		case <-sm.quit:
			return false
		}
	}
	var carry []byte // the start of a message not yet complete
	for {
		var buf []byte
		select {
		case buf = <-sk.free:
		case <-sm.quit:
			return
		}
		buf = append(buf[:0], carry...)
		carry = carry[:0]
		for {
			if len(buf) == cap(buf) {
				buf = slices.Grow(buf, cap(buf)) // a message larger than the buffer
			}
			n, err := sk.conn.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			cut, ferr := splitMessages(buf, protobuf)
			if ferr != nil {
				send(sockBatch{err: ferr})
				return
			}
			if err != nil {
				// A source that dies (killed, or its pod gone) closes or
				// resets its sockets, maybe in the middle of a message, as a
				// pipe ends mid-line: what came whole is kept, the cut
				// message is dropped. No STATE was sent after it, so none
				// claims it, and the next attempt reads it again.
				if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
					send(sockBatch{err: fmt.Errorf("read: %w", err)})
					return
				}
				if !protobuf && cut < len(buf) && json.Valid(buf[cut:]) {
					cut = len(buf) // a whole last line without its newline
				}
				if cut > 0 && !send(sockBatch{buf: buf[:cut]}) {
					return
				}
				send(sockBatch{eof: true, cut: len(buf) - cut})
				return
			}
			if cut > 0 {
				carry = append(carry, buf[cut:]...)
				if !send(sockBatch{buf: buf[:cut]}) {
					return
				}
				break
			}
		}
	}
}

// recycle gives a buffer back to its socket's reader.
func (sk *sockIn) recycle(buf []byte) {
	if cap(buf) > 4*sockBufSize {
		buf = make([]byte, 0, sockBufSize) // do not keep one huge message's memory
	}
	select {
	case sk.free <- buf[:0]:
	default:
	}
}

// splitMessages returns the length of the complete messages at the start
// of b: lines (JSONL) or varint-delimited messages (PROTOBUF).
func splitMessages(b []byte, protobuf bool) (int, error) {
	if !protobuf {
		return bytes.LastIndexByte(b, '\n') + 1, nil
	}
	i := 0
	for i < len(b) {
		n, k := binary.Uvarint(b[i:])
		if k == 0 {
			break // the length is not all there
		}
		if k < 0 || n > datachannel.MaxFrame {
			return 0, fmt.Errorf("bad message length after %d bytes (larger than %d bytes or not a varint)", i, datachannel.MaxFrame)
		}
		if uint64(len(b)-i-k) < n {
			break
		}
		i += k + int(n)
	}
	return i, nil
}

// readSockets is the read loop of socket mode: it processes the batches of
// every socket as they come, until every socket has ended.
func (w *syncWriter) readSockets() error {
	sm := w.sock
	active := len(sm.socks)
	for active > 0 {
		var b sockBatch
		w.mu.Unlock()
		select {
		case b = <-sm.in:
		case <-sm.quit:
		case <-w.ctx.Done():
		}
		w.mu.Lock()
		if w.stopped || w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		if b.sock == nil {
			return protocol.SystemError(nil, "the data channel was closed")
		}
		if err := w.failure(); err != nil {
			return err
		}
		switch {
		case b.err != nil:
			return protocol.SystemError(b.err, "cannot read the data channel socket %s", b.sock.path)
		case b.eof:
			active--
			if b.cut > 0 {
				w.log.Warn(fmt.Sprintf("data channel socket %s ended inside a message (%d bytes of it dropped): the source stopped mid-message; what it sent whole before is kept, and no state covers the dropped message", b.sock.path, b.cut))
			}
			n, unit := b.sock.msgs, "messages"
			if !sm.cfg.Protobuf() {
				n, unit = 0, "lines"
				if b.sock.pr != nil {
					n = b.sock.pr.Line()
				}
			}
			w.log.Info(fmt.Sprintf("data channel socket %s ended after %d %s (%d sockets still open)", b.sock.path, n, unit, active))
			continue
		}
		err := w.socketBatch(b.sock, b.buf)
		b.sock.recycle(b.buf)
		if err != nil {
			return err
		}
	}
	return nil
}

// socketBatch processes complete messages of one socket.
func (w *syncWriter) socketBatch(sk *sockIn, buf []byte) error {
	sm := w.sock
	if !sm.cfg.Protobuf() {
		sk.src.set(buf, nil)
		return w.socketLines(sk)
	}
	for len(buf) > 0 {
		n, k := binary.Uvarint(buf)
		frame := buf[k : k+int(n)]
		buf = buf[k+int(n):]
		sk.msgs++
		var err error
		sm.msg, err = datachannel.Parse(frame)
		if err != nil {
			return protocol.SystemError(err, "data channel socket %s: message %d is malformed", sk.path, sk.msgs)
		}
		switch sm.msg.Kind {
		case datachannel.KindRecord:
			rv := &sm.msg.Record
			s, err := w.socketStream(sk, rv.Namespace, rv.Stream)
			if err != nil {
				return err
			}
			w.seq++
			w.sinceAll++
			s.countPart(rv.PartitionID, int64(k)+int64(n)) // with its size prefix, as the CDK counts
			if err := s.appendProto(rv, w.seq); err != nil {
				return w.recordError(s, err)
			}
		case datachannel.KindProtocol:
			sk.src.set(sm.msg.JSON, sm.newline)
			if err := w.socketLines(sk); err != nil {
				return err
			}
		}
	}
	return nil
}

// socketLines processes the Airbyte messages (JSON lines) sk.src holds.
func (w *syncWriter) socketLines(sk *sockIn) error {
	if sk.pr == nil {
		sk.pr = protocol.NewReader(&sk.src) // PROTOBUF: at the first protocol message
	}
	for {
		sk.pr.IndexRecordData(w.openFiles < stageAbove)
		env, err := sk.pr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			var le *protocol.LineError
			if errors.As(err, &le) {
				if w.sock.cfg.Protobuf() {
					return protocol.SystemError(err, "data channel socket %s: message %d is not a valid Airbyte message", sk.path, sk.msgs)
				}
				return protocol.SystemError(err, "data channel socket %s: line %d is not a valid Airbyte message", sk.path, le.Line)
			}
			return protocol.SystemError(err, "cannot read the data channel socket %s", sk.path)
		}
		switch env.Type {
		case protocol.TypeRecord:
			rv := &env.Record
			s, err := w.socketStream(sk, rv.Namespace, rv.Stream)
			if err != nil {
				return err
			}
			w.seq++
			w.sinceAll++
			s.countPart(w.sock.jsonPartition(env.Payload), int64(len(env.Raw))+1)
			if err := s.append(rv, w.seq); err != nil {
				return w.recordError(s, err)
			}
		case protocol.TypeState:
			if err := w.socketState(sk, env); err != nil {
				return err
			}
		case protocol.TypeTrace:
			w.trace(env)
		}
	}
}

func (w *syncWriter) recordError(s *stream, err error) error {
	if err == w.enc.failure() {
		return err // it names the stream it met
	}
	return protocol.WithStream(err, s.desc)
}

// jsonPartition returns the partition_id of a JSONL record (an additional
// property of the record, before data as the Bulk CDK writes it).
func (sm *socketMode) jsonPartition(record []byte) []byte {
	it := &sm.partIter
	it.Reset(record)
	for it.Next() {
		if string(it.Key()) == "partition_id" {
			v := it.Value()
			if len(v) >= 2 && v[0] == '"' {
				return v[1 : len(v)-1]
			}
			return nil
		}
	}
	return nil
}

// socketStream returns the catalog stream of a record of the source's
// namespace ns and stream name.
func (w *syncWriter) socketStream(sk *sockIn, ns, name []byte) (*stream, error) {
	sm := w.sock
	if sm.last != nil && string(name) == string(sm.lastName) && string(ns) == string(sm.lastNs) {
		return sm.last, nil
	}
	sm.key = append(append(append(sm.key[:0], ns...), 0), name...)
	s, ok := sm.byRaw[string(sm.key)]
	if !ok {
		s = w.lookupSource(name, ns)
		if s == nil {
			mns, mname := sm.ns.apply(string(ns), string(name))
			return nil, protocol.ConfigError(errors.New("stream not in the configured catalog"),
				"data channel socket %s: a record of stream %s (named %s in the destination) is not in the configured catalog", sk.path, descString(ns, name), descString([]byte(mns), []byte(mname)))
		}
		sm.byRaw[string(sm.key)] = s
	}
	sm.last = s
	sm.lastNs = append(sm.lastNs[:0], ns...)
	sm.lastName = append(sm.lastName[:0], name...)
	return s, nil
}

// lookupSource finds the catalog stream of a stream as the source names
// it: mapped in socket mode (the catalog holds the destination's names),
// else as is.
func (w *syncWriter) lookupSource(name, ns []byte) *stream {
	if w.sock != nil && w.sock.ns.active() {
		mns, mname := w.sock.ns.apply(string(ns), string(name))
		if s := w.lookup([]byte(mname), []byte(mns)); s != nil {
			return s
		}
	}
	return w.lookup(name, ns)
}

// socketState holds a STATE until it can be echoed (ackSocketStates).
func (w *syncWriter) socketState(sk *sockIn, env *protocol.Envelope) error {
	sm := w.sock
	m, err := env.Decode()
	if err != nil {
		return protocol.SystemError(err, "data channel socket %s: a STATE message cannot be decoded", sk.path)
	}
	st := m.State
	if st == nil {
		return protocol.SystemError(nil, "data channel socket %s: STATE message without state", sk.path)
	}
	if st.ID == nil {
		return protocol.SystemError(nil, "data channel socket %s: a STATE message has no id; in socket mode the source numbers its states so that they are acknowledged in order", sk.path)
	}
	p := pendingState{raw: append([]byte(nil), env.Raw...), seq: w.seq, at: time.Now(), id: *st.ID, part: st.PartitionID, counted: true}
	if st.Type == protocol.StateStream && st.Stream != nil {
		d := st.Stream.StreamDescriptor
		key := d.Namespace + "\x00" + d.Name
		p.ids = sm.ids[key]
		if p.ids == nil {
			p.ids = &idSeq{name: descString([]byte(d.Namespace), []byte(d.Name))}
			sm.ids[key] = p.ids
		}
		if s := w.lookupSource([]byte(d.Name), []byte(d.Namespace)); s != nil {
			p.stream = s
			p.records, p.bytes = s.takePart(st.PartitionID)
			s.sinceState = 0
			s.endedWithState = true
		}
	} else { // GLOBAL, LEGACY
		p.ids = &sm.global
		for _, s := range w.streams {
			r, b := s.takePart(st.PartitionID)
			p.records += r
			p.bytes += b
			s.sinceState = 0
			s.endedWithState = true
		}
		w.sinceAll = 0
	}
	if st.SourceStats != nil && st.SourceStats.RecordCount != nil {
		p.want = st.SourceStats.RecordCount.Int()
		p.counted = p.want == p.records
	}
	if !p.counted {
		p.ids.broken = true
		w.log.Warn(fmt.Sprintf("data channel socket %s: state %d of %s (partition %q) reports %d records, the destination received %d: it is not acknowledged, nor any later state of %s",
			sk.path, p.id, p.ids.name, p.part, p.want, p.records, p.ids.name))
	}
	w.pending = append(w.pending, p)
	return w.ackReady()
}

// ackSocketStates echoes every held state that has become echoable: its
// records counted, its sequence's previous id echoed, and every record read
// before it in completed objects.
func (w *syncWriter) ackSocketStates() error {
	low := w.lowSeq()
	wrote := false
	for progress := true; progress; {
		progress = false
		for i := 0; i < len(w.pending); i++ {
			p := &w.pending[i]
			if p.ids.broken {
				w.sock.held = append(w.sock.held, *p)
				w.pending = append(w.pending[:i], w.pending[i+1:]...)
				i--
				continue
			}
			if !p.counted || p.id != p.ids.last+1 {
				continue
			}
			// A stream's state needs only that stream's records before it
			// to be durable: partitions of other streams arrive
			// interleaved on other sockets, and a large stream's open file
			// must not hold back a small stream's checkpoints. A GLOBAL
			// state needs every stream's.
			if p.stream != nil && p.ids != &w.sock.global {
				if p.seq >= w.lowSeqOf(p.stream) {
					continue
				}
			} else if p.seq >= low {
				continue
			}
			var recs, size int64
			if p.ids == &w.sock.global || p.stream == nil {
				p.ids.recs += p.records
				p.ids.bytes += p.bytes
				recs, size = p.ids.recs, p.ids.bytes
			} else {
				p.stream.committedRecs += p.records
				p.stream.committedBytes += p.bytes
				recs, size = p.stream.committedRecs, p.stream.committedBytes
			}
			line, err := ackSocketState(p.raw, p.records, recs, size)
			if err != nil {
				return protocol.SystemError(err, "cannot acknowledge a state")
			}
			if err := w.out.WriteLine(line); err != nil {
				return err
			}
			p.ids.last = p.id
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			i--
			progress, wrote = true, true
		}
	}
	if !wrote {
		return nil
	}
	return w.out.Flush()
}

// ackSocketState is protocol.AckState plus the cumulative
// committedRecordsCount and committedBytesCount in the state object.
func ackSocketState(raw []byte, records, committedRecs, committedBytes int64) ([]byte, error) {
	line, err := protocol.AckState(raw, records)
	if err != nil {
		return nil, err
	}
	var it jsonx.ObjectIter
	it.Reset(line)
	for it.Next() {
		if string(it.Key()) != "state" {
			continue
		}
		v := it.Value()
		end := cap(line) - cap(v) + len(v) - 1 // the state's closing brace
		if end < 0 || end >= len(line) || line[end] != '}' {
			return nil, errors.New("ack state: cannot locate the state object")
		}
		add := []byte(`,"committedRecordsCount":`)
		add = strconv.AppendInt(add, committedRecs, 10)
		add = append(add, `,"committedBytesCount":`...)
		add = strconv.AppendInt(add, committedBytes, 10)
		out := make([]byte, 0, len(line)+len(add))
		out = append(out, line[:end]...)
		out = append(out, add...)
		return append(out, line[end:]...), nil
	}
	return nil, errors.New("ack state: message has no state object")
}

// heldError describes the states still held at the end of the input.
func (sm *socketMode) heldError(pending []pendingState) error {
	var why []string
	for i, p := range pending {
		if i == 5 {
			why = append(why, fmt.Sprintf("and %d more", len(pending)-i))
			break
		}
		switch {
		case !p.counted:
			why = append(why, fmt.Sprintf("state %d of %s (partition %q) reports %d records, %d were received", p.id, p.ids.name, p.part, p.want, p.records))
		case p.ids.broken:
			why = append(why, fmt.Sprintf("state %d of %s follows a state whose count did not match", p.id, p.ids.name))
		case p.id != p.ids.last+1:
			why = append(why, fmt.Sprintf("state %d of %s waits for state %d, which never came", p.id, p.ids.name, p.ids.last+1))
		default:
			why = append(why, fmt.Sprintf("state %d of %s", p.id, p.ids.name))
		}
	}
	return protocol.SystemError(nil, "%d states could not be acknowledged at the end of the data channel input: %s", len(pending), strings.Join(why, "; "))
}

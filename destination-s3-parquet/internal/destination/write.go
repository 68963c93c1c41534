package destination

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// errStopped ends the read loop after the sync was cancelled.
var errStopped = errors.New("sync stopped")

// syncWriter is one run of write. Its state is guarded by mu, which the
// read loop holds except while it waits for input, so that the ticker (idle
// streams, the acknowledgement time bound, upload completions) can act
// while stdin is quiet.
type syncWriter struct {
	ctx     context.Context
	cfg     *config.Config
	client  *s3sink.Client
	out     *protocol.Writer
	log     *slog.Logger
	tmpl    *objectkey.Template
	pqOpts  parquetfile.Options
	version string

	mu       sync.Mutex
	stopped  bool
	streams  []*stream
	byName   map[string][]*stream
	last     *stream
	allocs   map[string]*objectkey.Allocator
	seq      int64 // records read so far
	sinceAll int64 // records since the last GLOBAL/LEGACY state
	pending  []pendingState
	files    map[*file]struct{} // files not yet completed (open or finishing)
	written  []writtenObject
	fatal    error
	statuses bool // the input carried STREAM_STATUS traces

	// sock is socket mode's state (nil on stdin).
	sock      *socketMode
	protoJSON []byte // a protobuf record as JSON, to stage it

	enc         *encoder
	pool        *poolAllocator
	blocks      blockPool
	scratch     []byte
	memTotal    atomic.Int64
	budget      int64
	rowGroupMax int64
	openFiles   int
	budgetCuts  int // row groups cut for the memory budget
	budgetFiles int // files completed early for the memory budget

	failed   chan struct{} // closed when the ticker meets a fatal error
	failOnce sync.Once

	doneMu    sync.Mutex
	completed []*s3sink.Upload
	wake      chan struct{} // an upload completed (for the ticker)
	allDone   chan struct{} // an upload completed (for finish)
}

type pendingState struct {
	raw     []byte
	seq     int64
	records int64
	at      time.Time

	// Socket mode: the state's id and the stream whose ids it follows
	// (global: GLOBAL states), the bytes of its records, and whether the
	// records counted for its partition match its sourceStats.
	id      int64
	ids     *idSeq
	bytes   int64
	counted bool
	part    string
	want    int64   // its sourceStats.recordCount
	stream  *stream // nil for a GLOBAL state or an unknown stream
}

type writtenObject struct {
	stream *stream
	key    string
}

func newSyncWriter(ctx context.Context, cfg *config.Config, cat *protocol.ConfiguredCatalog, client *s3sink.Client, env *airbytecli.Env, version string) (*syncWriter, error) {
	codec, err := cfg.Codec()
	if err != nil {
		return nil, err
	}
	w := &syncWriter{
		ctx: ctx, cfg: cfg, client: client, out: env.Out, log: env.Log, version: version,
		byName: map[string][]*stream{}, allocs: map[string]*objectkey.Allocator{},
		files: map[*file]struct{}{}, wake: make(chan struct{}, 1), allDone: make(chan struct{}, 1), failed: make(chan struct{}),
		budget: cfg.BufferMemory(),
	}
	// Buffers freed by one row group are reused by the next ones (Arrow
	// builders, Parquet encoders): up to half the budget is kept.
	w.pool = processPool(w.budget / 2)
	// A row group is built while the one before is encoded: together they
	// take at most half the budget, which leaves the other half for file
	// data not yet sent (up to a part per file).
	w.rowGroupMax = min(cfg.RowGroupSize(), w.budget/4)
	w.pqOpts = parquetfile.Options{
		Codec: codec, PageSize: int64(cfg.Format.PageSizeKB) << 10, DictPageSize: int64(cfg.Format.DictionaryPageSizeKB) << 10,
		Dictionary: *cfg.Format.DictionaryEncoding,
		Delta:      cfg.Format.DeltaEncoding,
		CreatedBy:  "radar destination-s3-parquet version " + version,
	}
	syncID, syncIDText := syncIDOf(cat)
	w.tmpl = &objectkey.Template{
		BucketPath: cfg.ObjectPrefix(), PathFormat: *cfg.PathFormat, FileNamePattern: cfg.FileNamePattern,
		Start: time.Now().UTC(), SyncID: syncIDText,
	}
	for i := range cat.Streams {
		cs := &cat.Streams[i]
		d := cs.Descriptor()
		if err := CheckSyncMode(cs); err != nil {
			return nil, protocol.WithStream(err, d)
		}
		schema, err := Schema(cfg, cs)
		if err != nil {
			return nil, protocol.WithStream(err, d)
		}
		s := newStream(w, cs, schema, syncID)
		w.streams = append(w.streams, s)
		w.byName[d.Name] = append(w.byName[d.Name], s)
	}
	return w, nil
}

// syncIDOf returns the sync id of the catalog (the platform's job id), or
// the WORKER_JOB_ID environment variable Airbyte 0.3.x used.
func syncIDOf(cat *protocol.ConfiguredCatalog) (int64, string) {
	for _, cs := range cat.Streams {
		if cs.SyncID != nil {
			return *cs.SyncID, strconv.FormatInt(*cs.SyncID, 10)
		}
	}
	if v := os.Getenv("WORKER_JOB_ID"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		return n, v
	}
	return 0, ""
}

// lockedReader releases the writer's lock while it waits for input.
type lockedReader struct {
	w *syncWriter
	r io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.w.mu.Unlock()
	n, err := l.r.Read(p)
	l.w.mu.Lock()
	if l.w.stopped {
		return 0, errStopped
	}
	return n, err
}

// run reads the input to its end and finishes the sync.
func (w *syncWriter) run(ctx context.Context, stdin io.Reader) error {
	return w.runLoop(ctx, func() error {
		return w.readAll(protocol.NewReader(&lockedReader{w: w, r: stdin}))
	})
}

// runLoop runs the read loop, which is called with w.mu held and releases
// it while it waits for input, then finishes the sync.
func (w *syncWriter) runLoop(ctx context.Context, loop func() error) error {
	w.enc = newEncoder(w.cfg, w.log)
	loopDone := make(chan error, 1)
	tickDone := make(chan struct{})
	tickCtx, stopTicker := context.WithCancel(ctx)
	go func() {
		w.mu.Lock()
		err := loop()
		writeHeapProfile()
		if err == nil {
			err = w.finish()
		} else {
			w.failAll()
		}
		w.mu.Unlock()
		loopDone <- err
	}()
	go func() {
		defer close(tickDone)
		w.tick(tickCtx)
	}()
	defer func() {
		stopTicker()
		<-tickDone
	}()
	select {
	case err := <-loopDone:
		return err
	case <-ctx.Done():
		w.mu.Lock()
		// Echo the states whose files completed since the last tick
		// before stopping; the open files are aborted.
		_ = w.ackReady()
		w.stopped = true
		w.failAll()
		w.mu.Unlock()
		return fmt.Errorf("write stopped: %w", ctx.Err())
	case <-w.failed:
		// An upload failed while the input was quiet: stop now rather
		// than at the next message.
		return w.stopFailed()
	case <-w.enc.failed:
		// Encoding or writing a row group failed.
		return w.stopFailed()
	}
}

// stopFailed stops the sync after a failure met outside the read loop.
func (w *syncWriter) stopFailed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	err := w.failure()
	w.failAll()
	return err
}

// failure returns the first failure met by the ticker, an upload or the
// encoder, or nil.
func (w *syncWriter) failure() error {
	if w.fatal != nil {
		return w.fatal
	}
	return w.enc.failure()
}

// readAll processes messages until EOF.
func (w *syncWriter) readAll(in *protocol.Reader) error {
	for {
		// Staged records are kept as raw data; only records converted as
		// they come use the fields the reader locates.
		in.IndexRecordData(w.openFiles < stageAbove)
		env, err := in.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, errStopped) {
				return w.ctx.Err()
			}
			var le *protocol.LineError
			if errors.As(err, &le) {
				if le.Stream != "" {
					return protocol.SystemError(err, "input line %d (a record of stream %s) is not a valid Airbyte message", le.Line, le.Stream)
				}
				return protocol.SystemError(err, "input line %d is not a valid Airbyte message", le.Line)
			}
			return protocol.SystemError(err, "cannot read the input")
		}
		if err := w.failure(); err != nil {
			return err
		}
		switch env.Type {
		case protocol.TypeRecord:
			if err := w.record(env); err != nil {
				return err
			}
		case protocol.TypeState:
			if err := w.state(env); err != nil {
				return err
			}
		case protocol.TypeTrace:
			w.trace(env)
		}
	}
}

func (w *syncWriter) record(env *protocol.Envelope) error {
	rv := &env.Record
	s := w.last
	if s == nil || string(s.nameB) != string(rv.Stream) || string(s.nsB) != string(rv.Namespace) {
		s = w.lookup(rv.Stream, rv.Namespace)
		if s == nil {
			return protocol.ConfigError(&protocol.LineError{Line: env.Line, Stream: string(rv.Stream), Err: errors.New("stream not in the configured catalog")},
				"input line %d is a record of stream %s, which is not in the configured catalog", env.Line, descString(rv.Namespace, rv.Stream))
		}
		w.last = s
	}
	w.seq++
	w.sinceAll++
	if err := s.append(rv, w.seq); err != nil {
		if err == w.enc.failure() {
			return err // it names the stream it met
		}
		return protocol.WithStream(err, s.desc)
	}
	return nil
}

func descString(ns, name []byte) string {
	if len(ns) == 0 {
		return string(name)
	}
	return string(ns) + "." + string(name)
}

// lookup finds a catalog stream. A record without namespace matches a
// catalog stream of that name when it is the only one.
func (w *syncWriter) lookup(name, ns []byte) *stream {
	cands := w.byName[string(name)]
	for _, s := range cands {
		if string(s.nsB) == string(ns) {
			return s
		}
	}
	if len(cands) == 1 && (len(ns) == 0 || len(cands[0].nsB) == 0) {
		return cands[0]
	}
	return nil
}

func (w *syncWriter) state(env *protocol.Envelope) error {
	m, err := env.Decode()
	if err != nil {
		return protocol.SystemError(err, "input line %d: the STATE message cannot be decoded", env.Line)
	}
	st := m.State
	if st == nil {
		return protocol.SystemError(nil, "input line %d: STATE message without state", env.Line)
	}
	var records int64
	switch {
	case st.Type == protocol.StateStream && st.Stream != nil:
		d := st.Stream.StreamDescriptor
		if s := w.lookup([]byte(d.Name), []byte(d.Namespace)); s != nil {
			records = s.sinceState
			s.sinceState = 0
			s.endedWithState = true
		}
	default: // GLOBAL, LEGACY
		records = w.sinceAll
		w.sinceAll = 0
		for _, s := range w.streams {
			s.sinceState = 0
			s.endedWithState = true
		}
	}
	w.pending = append(w.pending, pendingState{raw: append([]byte(nil), env.Raw...), seq: w.seq, records: records, at: time.Now()})
	return w.ackReady()
}

func (w *syncWriter) trace(env *protocol.Envelope) {
	m, err := env.Decode()
	if err != nil || m.Trace == nil {
		return
	}
	if e := m.Trace.Error; m.Trace.Type == protocol.TraceError && e != nil {
		// Only a local pipe forwards the source's errors (the platform keeps
		// them); repeat it so whoever reads this process's output sees why
		// the input stopped. The source has already redacted its secrets.
		w.log.Error(fmt.Sprintf("the source reported an error (%s): %s", e.FailureType, e.Message))
		return
	}
	if m.Trace.Type != protocol.TraceStreamStatus || m.Trace.StreamStatus == nil {
		return
	}
	w.statuses = true
	ss := m.Trace.StreamStatus
	if s := w.lookupSource([]byte(ss.StreamDescriptor.Name), []byte(ss.StreamDescriptor.Namespace)); s != nil && ss.Status == protocol.StreamComplete {
		s.complete = true
	}
}

// lowSeq returns the first record sequence number not yet in a completed
// object (or seq+1 when all are).
func (w *syncWriter) lowSeq() int64 {
	low := w.seq + 1
	for f := range w.files {
		low = min(low, f.firstSeq)
	}
	return low
}

// lowSeqOf is lowSeq for the records of one stream: the first of its
// records not yet in a completed object (or seq+1 when all are).
func (w *syncWriter) lowSeqOf(s *stream) int64 {
	low := w.seq + 1
	for f := range w.files {
		if f.stream == s {
			low = min(low, f.firstSeq)
		}
	}
	return low
}

// ackReady echoes, in order, every pending state whose records are all in
// completed objects.
func (w *syncWriter) ackReady() error {
	w.drainCompletions()
	if err := w.failure(); err != nil {
		return err
	}
	if len(w.pending) == 0 {
		return nil
	}
	if w.sock != nil {
		return w.ackSocketStates()
	}
	low := w.lowSeq()
	n := 0
	for _, p := range w.pending {
		if p.seq >= low {
			break
		}
		line, err := protocol.AckState(p.raw, p.records)
		if err != nil {
			return protocol.SystemError(err, "cannot acknowledge a state")
		}
		if err := w.out.WriteLine(line); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return nil
	}
	w.pending = append(w.pending[:0], w.pending[n:]...)
	return w.out.Flush()
}

// onUploadDone is called by an upload's goroutine.
func (w *syncWriter) onUploadDone(u *s3sink.Upload) {
	w.doneMu.Lock()
	w.completed = append(w.completed, u)
	w.doneMu.Unlock()
	// Two signals: the ticker and finish each wait for their own, so
	// that neither takes the other's and leaves it to its timer.
	for _, c := range []chan struct{}{w.wake, w.allDone} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// drainCompletions moves completed uploads out of the incomplete set.
func (w *syncWriter) drainCompletions() {
	w.doneMu.Lock()
	done := w.completed
	w.completed = nil
	w.doneMu.Unlock()
	for _, u := range done {
		for f := range w.files {
			if f.upload != u {
				continue
			}
			delete(w.files, f)
			if err := u.Err(); err != nil {
				if w.fatal == nil {
					w.fatal = protocol.WithStream(s3Failure(w.cfg, err, "cannot upload "+u.Key()), f.stream.desc)
				}
				continue
			}
			w.written = append(w.written, writtenObject{stream: f.stream, key: u.Key()})
			f.stream.filesDone++
			f.stream.recordsDone += f.rows
			f.stream.bytesDone += u.Written()
			w.log.Info(protocol.FormatObjectWritten(protocol.ObjectWritten{
				Stream: f.stream.desc.String(), Key: u.Key(), Rows: f.rows, Bytes: u.Written(), Seconds: time.Since(f.opened).Seconds(),
			}))
		}
	}
}

// tick runs the time-based work: idle streams, the acknowledgement time
// bound and acknowledgements after uploads complete.
func (w *syncWriter) tick(ctx context.Context) {
	interval := min(w.cfg.IdleStreamClose(), w.cfg.MaxAckDelay()) / 4
	interval = max(10*time.Millisecond, min(interval, time.Second))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
		w.mu.Lock()
		if !w.stopped {
			if err := w.onTick(time.Now()); err != nil && w.fatal == nil {
				w.fatal = err
			}
			if w.fatal != nil {
				w.failOnce.Do(func() { close(w.failed) })
			}
		}
		w.mu.Unlock()
	}
}

func (w *syncWriter) onTick(now time.Time) error {
	idle := w.cfg.IdleStreamClose()
	for _, s := range w.streams {
		if s.file == nil {
			continue
		}
		if s.lastSeq != s.seenSeq {
			s.seenSeq, s.activeAt = s.lastSeq, now
			continue
		}
		if now.Sub(s.activeAt) >= idle {
			if err := s.closeFile("idle"); err != nil {
				return err
			}
		}
	}
	if len(w.pending) > 0 && now.Sub(w.pending[0].at) >= w.cfg.MaxAckDelay() {
		bound := w.pending[len(w.pending)-1].seq
		for _, s := range w.streams {
			if s.file != nil && s.file.firstSeq <= bound {
				if err := s.closeFile("ack time bound"); err != nil {
					return err
				}
			}
		}
	}
	return w.ackReady()
}

// checkMemory enforces the buffer budget: while the streams hold more than
// it, the stream holding the most waits for its row group being encoded
// (encoded data is several times smaller), or hands its Arrow rows to the
// encoder (when they are most of its memory), or completes its file (when
// unsent file data is).
func (w *syncWriter) checkMemory() error {
	for i := 0; i < len(w.streams)*2 && w.memUsed() > w.budget; i++ {
		var big *stream
		var bigBytes int64
		for _, s := range w.streams {
			if s.file == nil {
				continue
			}
			if b := s.memBytes(); b > bigBytes {
				big, bigBytes = s, b
			}
		}
		if big == nil {
			return nil
		}
		if big.inflight.Load() > 0 {
			if err := w.enc.acquire(w.ctx); err != nil {
				return err
			}
			w.enc.release()
			continue
		}
		if big.arrowBytes() > bigBytes/2 {
			w.budgetCuts++
			if err := big.writeRowGroup(); err != nil {
				return err
			}
			continue
		}
		w.budgetFiles++
		if err := big.closeFile("memory budget"); err != nil {
			return err
		}
	}
	return nil
}

// memUsed estimates the memory held by all streams.
func (w *syncWriter) memUsed() int64 {
	var used int64
	for _, s := range w.streams {
		used += s.memBytes()
	}
	return used
}

// finish runs at the end of the input: it completes every file, echoes
// the remaining states, writes the _SUCCESS markers and removes older data
// of overwritten streams.
func (w *syncWriter) finish() error {
	for _, s := range w.streams {
		if err := s.closeFile("end of input"); err != nil {
			return err
		}
	}
	for len(w.files) > 0 {
		w.mu.Unlock()
		select {
		case <-w.allDone:
		case <-w.enc.failed:
		case <-w.ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
		w.mu.Lock()
		if w.stopped {
			return w.ctx.Err()
		}
		w.drainCompletions()
		if err := w.failure(); err != nil {
			return err
		}
	}
	// Every file completed, so the encoder has done all its work.
	w.enc.stop(false)
	if err := w.ackReady(); err != nil {
		return err
	}
	if w.sock != nil && len(w.pending)+len(w.sock.held) > 0 {
		return w.sock.heldError(append(w.sock.held, w.pending...))
	}
	if len(w.pending) > 0 {
		return protocol.SystemError(nil, "%d states could not be acknowledged at the end of the input", len(w.pending))
	}
	if *w.cfg.WriteSuccessMarkers {
		if err := w.writeMarkers(); err != nil {
			return err
		}
	}
	if err := w.overwrite(); err != nil {
		return err
	}
	for _, s := range w.streams {
		s.logSummary()
	}
	if w.budgetCuts+w.budgetFiles > 0 {
		w.log.Info(fmt.Sprintf("buffer memory (buffer_memory_mb %d) was full: %d row groups written early and %d files completed early; a larger budget gives fewer, larger files and row groups", w.cfg.BufferMemoryMB, w.budgetCuts, w.budgetFiles))
	}
	return w.out.Flush()
}

// failAll aborts every upload that has not completed; states that are
// already acknowledgeable are echoed first.
func (w *syncWriter) failAll() {
	if !w.stopped {
		_ = w.ackReady()
	}
	// Stop the encoder first: cancelled uploads make what it is writing
	// fail fast, and the row groups and completions still queued are
	// dropped. The uploads can be aborted once nothing writes into them.
	for f := range w.files {
		f.upload.Cancel()
	}
	w.enc.stop(true)
	for _, s := range w.streams {
		s.abort()
	}
	for f := range w.files {
		f.upload.Abort()
	}
	w.drainCompletions()
	_ = w.out.Flush()
}

func newUUID() string { return uuid.NewString() }

// writeHeapProfile writes a heap profile to $RADAR_HEAPPROFILE at the end
// of the input, when the buffers are fullest (for tuning).
func writeHeapProfile() {
	path := os.Getenv("RADAR_HEAPPROFILE")
	if path == "" {
		return
	}
	if f, err := os.Create(path); err == nil {
		_ = pprof.WriteHeapProfile(f)
		f.Close()
	}
}

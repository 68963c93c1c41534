package destination

import (
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// stream is one configured stream of the sync.
type stream struct {
	w          *syncWriter
	cs         *protocol.ConfiguredStream
	desc       protocol.StreamDescriptor
	nameB, nsB []byte
	schema     *arrowschema.Stream
	mem        *countingAllocator
	rec        *appender.Record
	objectPath string
	generation int64

	file       *file
	staged     staging
	noDict     []string     // columns written without dictionary
	firstSeq   int64        // the first record not yet handed to the encoder
	plan       int          // rows of a row group, once one was full (see replan)
	handed     [2]int64     // rows and Arrow bytes of the last row group handed over
	inflight   atomic.Int64 // Arrow memory of the row group being encoded
	sinceState int64
	lastSeq    int64
	seenSeq    int64
	activeAt   time.Time

	endedWithState bool
	complete       bool
	filesDone      int
	recordsDone    int64
	bytesDone      int64
	startedAt      time.Time // the stream's first record, for its summary line
	bad            map[string]int64
	badUTF8        map[string]int64

	// Socket mode: records and bytes per partition since the partition's
	// last state, the last partition seen (cache), and the records and
	// bytes acknowledged so far (committedRecordsCount/committedBytesCount).
	parts          map[string]*partCount
	lastPart       []byte
	lastPC         *partCount
	committedRecs  int64
	committedBytes int64
}

// file is one object being written. The read loop owns firstSeq and rows;
// the encoder owns pw; full is set by the encoder and read by the loop.
type file struct {
	stream   *stream
	upload   *s3sink.Upload
	opts     parquetfile.Options
	pw       *parquetfile.Writer
	firstSeq int64
	rows     int64 // records handed to the encoder
	full     atomic.Bool
	opened   time.Time // for the object's INFO line
}

func newStream(w *syncWriter, cs *protocol.ConfiguredStream, schema *arrowschema.Stream, syncID int64) *stream {
	d := cs.Descriptor()
	s := &stream{
		w: w, cs: cs, desc: d, nameB: []byte(d.Name), nsB: []byte(d.Namespace), schema: schema,
		mem: newCountingAllocator(w.pool, &w.memTotal), bad: map[string]int64{}, badUTF8: map[string]int64{},
	}
	if cs.GenerationID != nil {
		s.generation = *cs.GenerationID
	}
	s.objectPath = w.tmpl.ObjectPath(d.Namespace, d.Name, newUUID())
	s.rec = appender.New(s.mem, schema, appender.Options{
		GenerationID: s.generation, SyncID: syncID, OnBadValue: s.onBadValue, OnInvalidUTF8: s.onInvalidUTF8,
	})
	return s
}

func (s *stream) onBadValue(path string, reason protocol.ChangeReason) {
	s.bad[path]++
	if s.bad[path] == 1 {
		s.w.log.Warn(fmt.Sprintf("stream %s: a value of field %s cannot be converted (%s) and is written as null; the 0.3.x layout has no _airbyte_meta column to record it, and keeps the exact value in _airbyte_additional_properties under the column's name", s.desc, path, reason))
	}
}

func (s *stream) onInvalidUTF8(path string) {
	s.badUTF8[path]++
	if s.badUTF8[path] == 1 {
		s.w.log.Warn(fmt.Sprintf("stream %s: a value of field %s holds invalid UTF-8; each invalid byte is written as U+FFFD", s.desc, path))
	}
}

func (s *stream) logSummary() {
	var secs float64
	if !s.startedAt.IsZero() {
		secs = time.Since(s.startedAt).Seconds()
	}
	s.w.log.Info(protocol.FormatStreamWritten(protocol.StreamWritten{
		Stream: s.desc.String(), Rows: s.recordsDone, Objects: int64(s.filesDone), Bytes: s.bytesDone, Seconds: secs,
	}))
	for _, p := range sortedKeys(s.bad) {
		s.w.log.Warn(fmt.Sprintf("stream %s: %d values of field %s were written as null (kept exact in _airbyte_additional_properties)", s.desc, s.bad[p], p))
	}
	for _, p := range sortedKeys(s.badUTF8) {
		s.w.log.Warn(fmt.Sprintf("stream %s: %d values of field %s held invalid UTF-8, written with U+FFFD", s.desc, s.badUTF8[p], p))
	}
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// append adds one record; seq is its position in the input.
func (s *stream) append(rv *protocol.RecordView, seq int64) error {
	return s.add(rv, nil, seq)
}

// appendProto adds one record read from the data channel in PROTOBUF.
func (s *stream) appendProto(rv *datachannel.RecordView, seq int64) error {
	return s.add(nil, rv, seq)
}

// add adds one record, jr (JSON) or pr (protobuf).
func (s *stream) add(jr *protocol.RecordView, pr *datachannel.RecordView, seq int64) error {
	if s.file != nil && s.file.full.Load() {
		if err := s.rollover(); err != nil {
			return err
		}
	}
	if s.staged.rows == 0 && s.rec.Rows() == 0 {
		s.firstSeq = seq
	}
	if s.file == nil {
		if err := s.openFile(seq); err != nil {
			return err
		}
	}
	var bad error
	if s.w.openFiles >= stageAbove {
		// Interleaved streams: stage the raw record, compressed. A
		// protobuf record is staged as the JSON that Append turns into
		// the same row (appender.Record.ProtoJSON).
		if jr != nil {
			s.staged.add(&s.w.blocks, jr.Data, jr.EmittedAt, jr.Meta, true)
		} else {
			var data, meta []byte
			data, meta, bad = s.rec.ProtoJSON(s.w.protoJSON[:0], pr)
			s.w.protoJSON = data
			s.staged.add(&s.w.blocks, data, pr.EmittedAtMs, meta, true)
		}
	} else {
		if s.staged.rows > 0 {
			s.rec.Reserve(s.staged.rows, s.w.rowGroupMax)
			s.staged.replay(&s.w.blocks, &s.w.scratch, s.rec.Append)
		}
		if s.rec.Rows() == 0 && s.plan > 0 {
			// A row group starts: size the builders for it once
			// instead of growing (and copying) them as rows come.
			s.rec.Reserve(s.plan, s.w.rowGroupMax)
		}
		if jr != nil {
			s.rec.AppendRecord(jr)
		} else {
			bad = s.rec.AppendProto(pr)
		}
	}
	if bad != nil {
		return protocol.SystemError(bad, "a data channel record of stream %s is malformed", s.desc)
	}
	s.sinceState++
	s.lastSeq = seq
	s.endedWithState = false
	if s.rowGroupFull() {
		if err := s.writeRowGroup(); err != nil {
			return err
		}
		s.replan()
		return nil
	}
	if seq&255 == 0 {
		return s.w.checkMemory()
	}
	return nil
}

func (s *stream) openFile(seq int64) error {
	w := s.w
	alloc, err := w.allocatorFor(s.objectPath)
	if err != nil {
		return err
	}
	key := alloc.Next()
	meta := map[string]string{s3sink.GenerationMetadataKey: strconv.FormatInt(s.generation, 10)}
	up := w.client.NewUpload(w.ctx, key, meta, w.onUploadDone)
	f := &file{stream: s, upload: up, firstSeq: seq, opts: w.pqOpts, opened: time.Now()}
	if s.startedAt.IsZero() {
		s.startedAt = f.opened
	}
	f.opts.Mem = w.pool
	f.opts.RootName = arrowschema.SanitizeName(s.desc.Name)
	w.files[f] = struct{}{}
	w.openFiles++
	s.file = f
	s.activeAt = time.Now()
	s.seenSeq = s.lastSeq
	return nil
}

func (w *syncWriter) allocatorFor(path string) (*objectkey.Allocator, error) {
	if a := w.allocs[path]; a != nil {
		return a, nil
	}
	keys, err := w.client.ListKeys(w.ctx, path)
	if err != nil {
		return nil, s3Failure(w.cfg, err, "cannot list the existing objects under "+path)
	}
	a := objectkey.NewAllocator(w.tmpl, path, keys, time.Now)
	w.allocs[path] = a
	return a, nil
}

// rowGroupFull reports whether the rows not yet handed over make a row
// group: the planned rows, or (before a plan, or when rows turn out larger
// than planned) the memory of a row group.
func (s *stream) rowGroupFull() bool {
	bytes := s.staged.stagedRaw() + s.builderBytes()
	if s.plan > 0 && s.staged.rows == 0 {
		return s.rec.Rows() >= s.plan || bytes >= s.w.rowGroupMax*5/4
	}
	return bytes >= s.w.rowGroupMax
}

// replan sets the rows of the next row groups from the Arrow memory per
// row of the one just handed over, to fill nine tenths of a row group's
// memory; the builders are then sized once per row group.
func (s *stream) replan() {
	rows, bytes := s.handed[0], s.handed[1]
	if rows <= 0 || bytes <= 0 {
		return
	}
	s.plan = int(max(1, min(1<<24, rows*(s.w.rowGroupMax*9/10)/bytes)))
}

// writeRowGroup hands the rows held in Arrow to the encoder as one Parquet
// row group of the file. It waits until the encoder has written the row
// group before; if that one filled the file, the file is completed and
// these rows start the next one.
func (s *stream) writeRowGroup() error {
	if s.staged.rows == 0 && s.rec.Rows() == 0 {
		return nil
	}
	w := s.w
	if s.staged.rows > 0 {
		s.rec.Reserve(s.staged.rows, w.rowGroupMax)
		s.staged.replay(&w.blocks, &w.scratch, s.rec.Append)
	}
	if err := w.enc.acquire(w.ctx); err != nil {
		return err
	}
	if s.file.full.Load() {
		if err := s.rollover(); err != nil {
			w.enc.release()
			return err
		}
	}
	rec := s.rec.NewRecordBatch()
	// The slot was free, so no row group of this stream is in flight: all
	// of its Arrow memory is rec's.
	bytes := s.mem.Bytes()
	s.inflight.Add(bytes)
	f := s.file
	if f.opts.Dictionary && f.pw == nil {
		if s.noDict == nil {
			// Decided on the stream's first row group, whose values tell
			// which columns get a dictionary, and kept for its later files.
			s.noDict = append(parquetfile.HighCardinalityColumns(rec), "")
		}
		f.opts.NoDictionary = s.noDict
	}
	f.rows += rec.NumRows()
	s.handed = [2]int64{rec.NumRows(), bytes}
	return w.enc.send(w.ctx, encodeJob{f: f, rec: rec, bytes: bytes})
}

// rollover completes the file the encoder found full; rows not yet handed
// over go to a new file.
func (s *stream) rollover() error {
	f := s.file
	if err := s.w.enc.send(s.w.ctx, encodeJob{f: f, finish: true, reason: "target size"}); err != nil {
		return err
	}
	s.file = nil
	s.w.openFiles--
	if s.staged.rows > 0 || s.rec.Rows() > 0 {
		return s.openFile(s.firstSeq)
	}
	return nil
}

// uploadError reports a failed write into a file's upload.
func (s *stream) uploadError(f *file, err error) error {
	return protocol.WithStream(s3Failure(s.w.cfg, err, "cannot write "+f.upload.Key()), s.desc)
}

// closeFile hands the last rows to the encoder and has it complete the
// file; the upload completes in the background.
func (s *stream) closeFile(reason string) error {
	if s.file == nil {
		return nil
	}
	if err := s.writeRowGroup(); err != nil {
		return err
	}
	f := s.file // a new one if the last row group moved on
	if err := s.w.enc.send(s.w.ctx, encodeJob{f: f, finish: true, reason: reason}); err != nil {
		return err
	}
	s.file = nil
	s.w.openFiles--
	return nil
}

// abort drops the open file; its upload is aborted with the others.
func (s *stream) abort() {
	if s.file != nil {
		s.file = nil
		s.w.openFiles--
	}
}

// stageAbove is the number of open files from which records are staged
// (compressed) instead of converted to Arrow as they arrive: with few
// streams direct conversion is cheapest; with many, staging keeps more rows
// per stream in the budget and converts each stream's rows in one go.
const stageAbove = 3

// builderBytes is the Arrow memory of the rows not yet handed to the
// encoder (with the columns filled when they are). It may read a little low
// while the encoder releases a row group.
func (s *stream) builderBytes() int64 {
	return max(0, s.mem.Bytes()-s.inflight.Load()) + s.rec.PendingBytes()
}

// arrowBytes is the memory of the rows not yet handed to the encoder:
// staged, or converted to Arrow.
func (s *stream) arrowBytes() int64 { return s.staged.memBytes + s.builderBytes() }

// memBytes is the memory the stream holds: its rows staged or in Arrow
// (also the row group being encoded) and the encoded file data not yet
// sent.
func (s *stream) memBytes() int64 {
	used := s.staged.memBytes + s.mem.Bytes()
	if s.file != nil {
		used += s.file.upload.Buffered()
	}
	return used
}

// overwriteWanted reports whether older data of the stream is to be removed.
func (s *stream) overwriteWanted() bool {
	if s.cs.DestinationSyncMode == protocol.DestinationOverwrite {
		return true
	}
	m := s.cs.MinimumGenerationID
	return m != nil && *m > 0 && s.cs.GenerationID != nil && *m == *s.cs.GenerationID
}

package destination

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
)

// maxBatchRows bounds the rows converted into Arrow before they are handed
// to the Parquet writer.
const maxBatchRows = 16384

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
	sinceState int64
	lastSeq    int64
	seenSeq    int64
	activeAt   time.Time

	endedWithState bool
	complete       bool
	filesDone      int
	recordsDone    int64
	bad            map[string]int64
}

// file is one object being written.
type file struct {
	stream   *stream
	upload   *s3sink.Upload
	pw       *parquetfile.Writer
	firstSeq int64
	rows     int64
}

func newStream(w *syncWriter, cs *protocol.ConfiguredStream, schema *arrowschema.Stream, syncID int64) *stream {
	d := cs.Descriptor()
	s := &stream{
		w: w, cs: cs, desc: d, nameB: []byte(d.Name), nsB: []byte(d.Namespace), schema: schema,
		mem: newCountingAllocator(&w.memTotal), bad: map[string]int64{},
	}
	if cs.GenerationID != nil {
		s.generation = *cs.GenerationID
	}
	s.objectPath = w.tmpl.ObjectPath(d.Namespace, d.Name, newUUID())
	s.rec = appender.New(s.mem, schema, appender.Options{
		GenerationID: s.generation, SyncID: syncID, OnBadValue: s.onBadValue,
	})
	return s
}

func (s *stream) onBadValue(path string, reason protocol.ChangeReason) {
	s.bad[path]++
	if s.bad[path] == 1 {
		s.w.log.Warn(fmt.Sprintf("stream %s: a value of field %s cannot be converted (%s) and is written as null; the 0.3.x layout has no _airbyte_meta column to record it", s.desc, path, reason))
	}
}

func (s *stream) logSummary() {
	if len(s.bad) == 0 {
		return
	}
	paths := make([]string, 0, len(s.bad))
	for p := range s.bad {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		s.w.log.Warn(fmt.Sprintf("stream %s: %d values of field %s were written as null", s.desc, s.bad[p], p))
	}
}

// append adds one record; seq is its position in the input.
func (s *stream) append(rv *protocol.RecordView, seq int64) error {
	if s.file == nil {
		if err := s.openFile(seq); err != nil {
			return err
		}
	}
	s.rec.Append(rv.Data, rv.EmittedAt, rv.Meta)
	s.file.rows++
	s.sinceState++
	s.lastSeq = seq
	s.endedWithState = false
	if s.rec.Rows() >= maxBatchRows || s.rec.Bytes() >= s.w.batchBytes() {
		return s.flushBatch()
	}
	return nil
}

// batchBytes is the JSON size of a batch: small enough that every open
// stream's batch fits in a slice of the budget.
func (w *syncWriter) batchBytes() int64 {
	open := int64(len(w.files))
	b := w.budget / (8 * max(open, 1))
	return max(64<<10, min(b, 4<<20))
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
	opts := w.pqOpts
	opts.Mem = s.mem
	opts.RootName = arrowschema.SanitizeName(s.desc.Name)
	pw, err := parquetfile.New(s.schema.Schema, up, opts)
	if err != nil {
		up.Abort()
		return protocol.SystemError(err, "cannot start a Parquet file")
	}
	f := &file{stream: s, upload: up, pw: pw, firstSeq: seq}
	w.files[f] = struct{}{}
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
		return nil, protocol.TransientError(err, "cannot list the existing objects under %s", path)
	}
	a := objectkey.NewAllocator(w.tmpl, path, keys, time.Now)
	w.allocs[path] = a
	return a, nil
}

// flushBatch writes the converted rows into the file's row group and
// completes the file once it reaches the target size.
func (s *stream) flushBatch() error {
	if err := s.writeBatch(); err != nil {
		return err
	}
	f := s.file
	if f.upload.Written()+f.pw.RowGroupBytes() >= s.w.cfg.FileSize() {
		if err := s.closeFile("target size"); err != nil {
			return err
		}
	}
	return s.w.checkMemory()
}

func (s *stream) writeBatch() error {
	if s.rec.Rows() == 0 {
		return nil
	}
	rec := s.rec.NewRecordBatch()
	defer rec.Release()
	if err := s.file.pw.Write(rec); err != nil {
		return s.uploadError(err)
	}
	return nil
}

// uploadError prefers the upload's own error (the cause) over the
// writer's report of it.
func (s *stream) uploadError(err error) error {
	return protocol.TransientError(err, "cannot write %s", s.file.upload.Key())
}

func (s *stream) cutRowGroup() error {
	if err := s.writeBatch(); err != nil {
		return err
	}
	if err := s.file.pw.CutRowGroup(); err != nil {
		return s.uploadError(err)
	}
	return nil
}

// closeFile writes the footer and lets the upload complete in the background.
func (s *stream) closeFile(reason string) error {
	f := s.file
	if f == nil {
		return nil
	}
	if err := s.writeBatch(); err != nil {
		return err
	}
	if err := f.pw.Close(); err != nil {
		return s.uploadError(err)
	}
	s.file = nil
	s.w.log.Debug(fmt.Sprintf("stream %s: completing %s (%d records, %d bytes, %s)", s.desc, f.upload.Key(), f.rows, f.upload.Written(), reason))
	f.upload.Finish()
	return nil
}

// abort drops the open file; its upload is aborted with the others.
func (s *stream) abort() {
	s.file = nil
}

// memBytes is the memory the stream holds.
func (s *stream) memBytes() int64 {
	b := s.mem.Bytes()
	if s.file != nil {
		b += s.file.upload.Buffered()
	}
	return b
}

// overwriteWanted reports whether older data of the stream is to be removed.
func (s *stream) overwriteWanted() bool {
	if s.cs.DestinationSyncMode == protocol.DestinationOverwrite {
		return true
	}
	m := s.cs.MinimumGenerationID
	return m != nil && *m > 0 && s.cs.GenerationID != nil && *m == *s.cs.GenerationID
}

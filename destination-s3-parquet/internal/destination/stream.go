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
	noDict     []string // columns written without dictionary
	sinceState int64
	lastSeq    int64
	seenSeq    int64
	activeAt   time.Time

	endedWithState bool
	complete       bool
	filesDone      int
	recordsDone    int64
	bad            map[string]int64
	badUTF8        map[string]int64
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
		s.w.log.Warn(fmt.Sprintf("stream %s: a value of field %s cannot be converted (%s) and is written as null; the 0.3.x layout has no _airbyte_meta column to record it", s.desc, path, reason))
	}
}

func (s *stream) onInvalidUTF8(path string) {
	s.badUTF8[path]++
	if s.badUTF8[path] == 1 {
		s.w.log.Warn(fmt.Sprintf("stream %s: a value of field %s holds invalid UTF-8; each invalid byte is written as U+FFFD", s.desc, path))
	}
}

func (s *stream) logSummary() {
	for _, p := range sortedKeys(s.bad) {
		s.w.log.Warn(fmt.Sprintf("stream %s: %d values of field %s were written as null", s.desc, s.bad[p], p))
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
	if s.file == nil {
		if err := s.openFile(seq); err != nil {
			return err
		}
	}
	if s.w.openFiles >= stageAbove {
		// Interleaved streams: stage the raw record, compressed.
		s.staged.add(&s.w.blocks, rv.Data, rv.EmittedAt, rv.Meta, true)
	} else {
		if s.staged.rows > 0 {
			s.staged.replay(&s.w.blocks, &s.w.scratch, s.rec.Append)
		}
		s.rec.AppendRecord(rv)
	}
	s.file.rows++
	s.sinceState++
	s.lastSeq = seq
	s.endedWithState = false
	if s.staged.stagedRaw()+s.mem.Bytes() >= s.w.rowGroupMax {
		return s.flushRowGroup()
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
	f := &file{stream: s, upload: up, firstSeq: seq}
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

// flushRowGroup writes the converted rows as one row group and completes
// the file once it reaches the target size.
func (s *stream) flushRowGroup() error {
	if err := s.writeRowGroup(); err != nil {
		return err
	}
	if s.file.upload.Written() >= s.w.cfg.FileSize() {
		return s.closeFile("target size")
	}
	return nil
}

// writeRowGroup encodes the rows held in Arrow as one Parquet row group
// into the file's upload; the Arrow memory is released.
func (s *stream) writeRowGroup() error {
	if s.staged.rows == 0 && s.rec.Rows() == 0 {
		return nil
	}
	s.staged.replay(&s.w.blocks, &s.w.scratch, s.rec.Append)
	rec := s.rec.NewRecordBatch()
	defer rec.Release()
	if s.file.pw == nil {
		// The Parquet writer starts with the first row group, whose values
		// decide which columns get a dictionary.
		opts := s.w.pqOpts
		opts.Mem = s.w.pool
		opts.RootName = arrowschema.SanitizeName(s.desc.Name)
		if opts.Dictionary {
			if s.noDict == nil {
				// Decided on the stream's first row group, kept for its
				// later files.
				s.noDict = append(parquetfile.HighCardinalityColumns(rec), "")
			}
			opts.NoDictionary = s.noDict
		}
		pw, err := parquetfile.New(s.schema.Schema, s.file.upload, opts)
		if err != nil {
			return protocol.SystemError(err, "cannot start a Parquet file")
		}
		s.file.pw = pw
	}
	if err := s.file.pw.Write(rec); err != nil {
		return s.uploadError(err)
	}
	return nil
}

// uploadError reports a failed write into the file's upload.
func (s *stream) uploadError(err error) error {
	return s3Failure(s.w.cfg, err, "cannot write "+s.file.upload.Key())
}

// closeFile writes the last row group and the footer and lets the upload
// complete in the background.
func (s *stream) closeFile(reason string) error {
	f := s.file
	if f == nil {
		return nil
	}
	if err := s.writeRowGroup(); err != nil {
		return err
	}
	if err := f.pw.Close(); err != nil {
		return s.uploadError(err)
	}
	s.file = nil
	s.w.openFiles--
	s.w.log.Debug(fmt.Sprintf("stream %s: completing %s (%d records, %d bytes, %s)", s.desc, f.upload.Key(), f.rows, f.upload.Written(), reason))
	f.upload.Finish()
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

// arrowBytes is the memory of the rows not yet encoded: staged, or
// converted to Arrow.
func (s *stream) arrowBytes() int64 { return s.staged.memBytes + s.mem.Bytes() }

// memBytes is the memory the stream holds: its rows in Arrow and the
// encoded file data not yet sent.
func (s *stream) memBytes() int64 {
	if s.file == nil {
		return s.arrowBytes()
	}
	return s.arrowBytes() + s.file.upload.Buffered()
}

// overwriteWanted reports whether older data of the stream is to be removed.
func (s *stream) overwriteWanted() bool {
	if s.cs.DestinationSyncMode == protocol.DestinationOverwrite {
		return true
	}
	m := s.cs.MinimumGenerationID
	return m != nil && *m > 0 && s.cs.GenerationID != nil && *m == *s.cs.GenerationID
}

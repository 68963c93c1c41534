package destination

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/parquetfile"
	"github.com/cognitivo/radar-connectors/protocol"
)

// errEncoderStopped is returned when work is handed to an encoder that has
// been stopped (the sync is ending).
var errEncoderStopped = errors.New("the Parquet encoder has stopped")

// encoder encodes row groups into Parquet and completes files on a
// goroutine of its own, in the order they were handed over, so that the
// read loop keeps reading stdin (and the source keeps writing) while a row
// group is encoded, compressed and written into its upload.
//
// One row group at a time: the read loop takes the single slot before it
// hands a row group over, and the encoder frees it once the row group is
// written and its Arrow memory released. So at most two row groups are in
// Arrow memory, the one being encoded and the one being built, and the
// memory budget counts both.
//
// A file is completed (footer, then the upload's Finish) by a job queued
// after its last row group, so its upload, and with it the acknowledgement
// of the states after its records, comes only once every row group before
// is in it.
type encoder struct {
	cfg      *config.Config
	log      *slog.Logger
	jobs     chan encodeJob
	slot     chan struct{} // holds a token while a row group is handed over or encoded
	done     chan struct{} // closed when the goroutine has returned
	failed   chan struct{} // closed at the first failure
	failOnce sync.Once
	err      error // the first failure; read after failed is closed
	discard  atomic.Bool
	closed   bool // jobs is closed; guarded by the syncWriter's mu
}

// encodeJob is a row group to write into a file, or the completion of a
// file, or both in that order.
type encodeJob struct {
	f      *file
	rec    arrow.RecordBatch // nil: no row group
	bytes  int64             // Arrow memory of rec, counted in f.stream.inflight
	finish bool              // then write the footer and complete the upload
	reason string            // why the file is completed (logged)
}

// closeQueue bounds the jobs waiting for the encoder: file completions
// take no slot, so many streams can complete their files at once.
const closeQueue = 256

func newEncoder(cfg *config.Config, log *slog.Logger) *encoder {
	e := &encoder{
		cfg: cfg, log: log,
		jobs: make(chan encodeJob, closeQueue), slot: make(chan struct{}, 1),
		done: make(chan struct{}), failed: make(chan struct{}),
	}
	go e.run()
	return e
}

// acquire takes the row-group slot: it waits until the encoder has written
// the row group before (and released its memory).
func (e *encoder) acquire(ctx context.Context) error {
	select {
	case e.slot <- struct{}{}:
		return nil
	case <-e.failed:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives the slot back without handing a row group over.
func (e *encoder) release() { <-e.slot }

// send queues a job. A job with a row group must hold the slot, which the
// encoder releases. On error the row group is released here.
func (e *encoder) send(ctx context.Context, j encodeJob) error {
	fail := func(err error) error {
		if j.rec != nil {
			e.drop(j)
		}
		return err
	}
	if e.closed {
		return fail(errEncoderStopped)
	}
	select {
	case e.jobs <- j:
		return nil
	case <-e.failed:
		return fail(e.err)
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// drop releases a row group that will not be written, and its slot.
func (e *encoder) drop(j encodeJob) {
	j.rec.Release()
	j.f.stream.inflight.Add(-j.bytes)
	e.release()
}

// failure returns the first failure, or nil.
func (e *encoder) failure() error {
	select {
	case <-e.failed:
		return e.err
	default:
		return nil
	}
}

func (e *encoder) fail(err error) {
	e.failOnce.Do(func() {
		e.err = err
		close(e.failed)
	})
}

// stop ends the encoder once the jobs queued so far are done. With
// discard, the row groups and completions still queued are dropped (the
// sync failed; their uploads are aborted). Call it with the syncWriter's
// mu held, as send is.
func (e *encoder) stop(discard bool) {
	if discard {
		e.discard.Store(true)
	}
	if !e.closed {
		e.closed = true
		close(e.jobs)
	}
	<-e.done
}

func (e *encoder) run() {
	defer close(e.done)
	for j := range e.jobs {
		skip := e.discard.Load() || e.failure() != nil
		if j.rec != nil {
			if !skip {
				if err := e.write(j); err != nil {
					e.fail(err)
				}
			}
			e.drop(j)
		}
		if j.finish && !skip && e.failure() == nil {
			if err := e.finishFile(j.f, j.reason); err != nil {
				e.fail(err)
			}
		}
	}
}

// write writes a row group into its file and marks the file full once it
// reached the target size.
func (e *encoder) write(j encodeJob) error {
	f := j.f
	if err := e.start(f); err != nil {
		return err
	}
	if err := f.pw.Write(j.rec); err != nil {
		return f.stream.uploadError(f, err)
	}
	if f.upload.Written() >= e.cfg.FileSize() {
		f.full.Store(true)
	}
	return nil
}

// start begins the Parquet file with its first row group.
func (e *encoder) start(f *file) error {
	if f.pw != nil {
		return nil
	}
	pw, err := parquetfile.New(f.stream.schema.Schema, f.upload, f.opts)
	if err != nil {
		return protocol.WithStream(protocol.SystemError(err, "cannot start a Parquet file"), f.stream.desc)
	}
	f.pw = pw
	return nil
}

// finishFile writes the footer and lets the upload complete in the
// background.
func (e *encoder) finishFile(f *file, reason string) error {
	if err := e.start(f); err != nil {
		return err
	}
	if err := f.pw.Close(); err != nil {
		return f.stream.uploadError(f, err)
	}
	e.log.Debug(fmt.Sprintf("stream %s: completing %s (%d records, %d bytes, %s)", f.stream.desc, f.upload.Key(), f.rows, f.upload.Written(), reason))
	f.upload.Finish()
	return nil
}

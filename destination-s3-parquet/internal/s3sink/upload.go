package s3sink

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ErrAborted is returned by an Upload that was aborted.
var ErrAborted = errors.New("s3sink: upload aborted")

// Upload streams one object. Write is called by a single goroutine (the
// Parquet writer); the multipart upload is created when the first full part
// is ready, so a file smaller than a part is sent with one PutObject.
// Written, Buffered, Key and Cancel may be called from any goroutine.
// The object becomes visible only when Finish succeeds; on any failure the
// multipart upload is aborted, so no partial object or orphan upload stays.
//
// An Upload keeps the context it was created with, because io.Writer has
// no context parameter; cancelling it stops the upload.
type Upload struct {
	c        *Client
	key      string
	metadata map[string]string
	ctx      context.Context
	cancel   context.CancelFunc
	onDone   func(*Upload)

	buf      chunks
	written  atomic.Int64
	buffered atomic.Int64 // buf.size, for other goroutines
	uploadID string
	nextPart int32
	wg       sync.WaitGroup

	mu       sync.Mutex
	parts    []types.CompletedPart
	err      error
	finished bool // Finish was called
	done     chan struct{}
	result   error
}

// NewUpload starts an object upload. onDone, if set, is called (on another
// goroutine) once the upload has completed or failed.
func (c *Client) NewUpload(ctx context.Context, key string, metadata map[string]string, onDone func(*Upload)) *Upload {
	uctx, cancel := context.WithCancel(ctx)
	return &Upload{c: c, key: key, metadata: metadata, ctx: uctx, cancel: cancel, onDone: onDone, done: make(chan struct{})}
}

// Key returns the object key.
func (u *Upload) Key() string { return u.key }

// Written returns the bytes written so far.
func (u *Upload) Written() int64 { return u.written.Load() }

// Buffered returns the bytes held in memory that are not yet sent.
func (u *Upload) Buffered() int64 { return u.buffered.Load() }

// Write buffers p and sends every full part.
func (u *Upload) Write(p []byte) (int, error) {
	if err := u.firstErr(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		room := u.c.partSize - u.buf.size
		k := min(room, len(p))
		u.buf.write(u.c.pool, p[:k])
		p = p[k:]
		u.written.Add(int64(k))
		if u.buf.size == u.c.partSize {
			part := u.buf.split(u.buf.size)
			u.buffered.Store(0)
			if err := u.sendPart(part); err != nil {
				return n - len(p), err
			}
		}
	}
	u.buffered.Store(int64(u.buf.size))
	return n, nil
}

func (u *Upload) firstErr() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *Upload) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
}

// sendPart uploads one part in the background, waiting for a free slot.
func (u *Upload) sendPart(part chunks) error {
	if u.uploadID == "" {
		sse, kms := u.c.sseParams()
		out, err := u.c.S3.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(u.c.Bucket), Key: aws.String(u.key), Metadata: u.metadata,
			ServerSideEncryption: sse, SSEKMSKeyId: kms,
		})
		if err != nil {
			u.c.pool.put(part.list)
			err = fmt.Errorf("create multipart upload of %s: %w", u.key, err)
			u.fail(err)
			return err
		}
		u.uploadID = aws.ToString(out.UploadId)
	}
	if err := u.c.acquire(u.ctx); err != nil {
		u.c.pool.put(part.list)
		u.fail(err)
		return err
	}
	u.nextPart++
	num := u.nextPart
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer u.c.release()
		defer u.c.pool.put(part.list)
		out, err := u.c.S3.UploadPart(u.ctx, &s3.UploadPartInput{
			Bucket: aws.String(u.c.Bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
			PartNumber: aws.Int32(num), Body: part.reader(), ContentLength: aws.Int64(int64(part.size)),
		})
		if err != nil {
			u.fail(fmt.Errorf("upload part %d of %s: %w", num, u.key, err))
			u.cancel() // stop the other parts of this object
			return
		}
		u.mu.Lock()
		u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		u.mu.Unlock()
	}()
	return nil
}

// Finish sends what is buffered and completes the object in the
// background. Done is closed when it has completed or failed. Like Write,
// it waits for a free upload slot, so memory waiting for S3 stays bounded.
func (u *Upload) Finish() {
	u.mu.Lock()
	u.finished = true
	u.mu.Unlock()
	rest := u.buf.split(u.buf.size)
	u.buffered.Store(0)
	if u.firstErr() == nil && u.uploadID != "" && rest.size > 0 {
		_ = u.sendPart(rest) // an error is recorded and reported by Done
		rest = chunks{}
	}
	held := false
	if u.uploadID == "" && u.firstErr() == nil {
		// Take the upload slot here, so that files completed faster than
		// S3 takes them wait in the caller instead of piling up in memory.
		if err := u.c.acquire(u.ctx); err != nil {
			u.fail(err)
		} else {
			held = true
		}
	}
	go u.complete(rest, held)
}

func (u *Upload) complete(rest chunks, held bool) {
	defer u.c.pool.put(rest.list)
	if held {
		defer u.c.release()
	}
	err := u.completeObject(rest)
	if err != nil {
		u.abortMultipart()
	}
	u.cancel()
	u.mu.Lock()
	u.result = err
	u.mu.Unlock()
	close(u.done)
	if u.onDone != nil {
		u.onDone(u)
	}
}

func (u *Upload) completeObject(rest chunks) error {
	if u.uploadID == "" {
		if err := u.firstErr(); err != nil {
			return err
		}
		sse, kms := u.c.sseParams()
		_, err := u.c.S3.PutObject(u.ctx, &s3.PutObjectInput{
			Bucket: aws.String(u.c.Bucket), Key: aws.String(u.key), Body: rest.reader(),
			ContentLength: aws.Int64(int64(rest.size)), Metadata: u.metadata,
			ServerSideEncryption: sse, SSEKMSKeyId: kms,
		})
		if err != nil {
			return fmt.Errorf("put object %s: %w", u.key, err)
		}
		return nil
	}
	u.wg.Wait()
	if err := u.firstErr(); err != nil {
		return err
	}
	u.mu.Lock()
	parts := append([]types.CompletedPart(nil), u.parts...)
	u.mu.Unlock()
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	_, err := u.c.S3.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.c.Bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("complete multipart upload of %s: %w", u.key, err)
	}
	return nil
}

// abortMultipart aborts the multipart upload, if one was created, with a
// context of its own so that it also runs after cancellation.
func (u *Upload) abortMultipart() {
	if u.uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), abortTimeout)
	defer cancel()
	_, _ = u.c.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.c.Bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
	})
}

// Done is closed once a finished upload has completed or failed.
func (u *Upload) Done() <-chan struct{} { return u.done }

// Err returns the upload's result once Done is closed.
func (u *Upload) Err() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.result
}

// Cancel makes the upload fail: the writer's next Write returns an error,
// and what waits for S3 or an upload slot stops. Unlike Abort it may be
// called while another goroutine writes; call Abort once it has stopped.
func (u *Upload) Cancel() {
	u.fail(ErrAborted)
	u.cancel()
}

// Abort stops the upload and removes what it sent. It waits for the parts
// in flight and, if Finish was called, for the completion attempt. An
// object that had already completed stays. The writer must have stopped.
func (u *Upload) Abort() {
	u.fail(ErrAborted)
	u.cancel()
	u.mu.Lock()
	finished := u.finished
	u.mu.Unlock()
	if finished {
		<-u.done
		return
	}
	u.wg.Wait()
	u.c.pool.put(u.buf.list)
	u.buf = chunks{}
	u.buffered.Store(0)
	u.abortMultipart()
}

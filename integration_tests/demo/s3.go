package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// S3 is an S3 endpoint on localhost (gofakes3 in this process) that keeps
// each object of its one bucket as a plain file at Dir/<bucket>/<key>, so
// the files can be opened once the demo has ended.
type S3 struct {
	Endpoint string
	Bucket   string
	// BucketDir is the folder holding the bucket's objects.
	BucketDir string

	srv  *http.Server
	done chan error
}

// StartS3 serves bucket from dir/bucket on 127.0.0.1 with a free port. It
// checks no credentials: any access key is accepted.
func StartS3(dir, bucket string) (*S3, error) {
	if err := gofakes3.ValidateBucketName(bucket); err != nil {
		return nil, err
	}
	bucketDir := filepath.Join(dir, bucket)
	if err := os.MkdirAll(bucketDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the S3 folder: %w", err)
	}
	// The object metadata (content type, hashes) lives in memory only: the
	// files themselves are all a reader needs afterwards.
	backend, err := s3afero.SingleBucket(bucket, afero.NewBasePathFs(afero.NewOsFs(), bucketDir), nil)
	if err != nil {
		return nil, fmt.Errorf("create the S3 backend: %w", err)
	}
	faker := gofakes3.New(backend, gofakes3.WithIntegrityCheck(true))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the S3 endpoint: %w", err)
	}
	s := &S3{
		Endpoint:  "http://" + l.Addr().String(),
		Bucket:    bucket,
		BucketDir: bucketDir,
		srv:       &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 30 * time.Second},
		done:      make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(l) }()
	return s, nil
}

// Stop shuts the endpoint down, letting requests in flight finish.
func (s *S3) Stop() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.srv = nil
	return err
}

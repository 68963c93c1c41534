package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// StateStore keeps the state between runs.
type StateStore interface {
	// Load returns the saved state, or nil when nothing was saved yet.
	Load(ctx context.Context) ([]byte, error)
	// Save replaces the saved state atomically: a reader sees the old
	// content or the new one, never a part.
	Save(ctx context.Context, state []byte) error
	// String names the store for messages.
	String() string
}

// StateStoreError is a failure to load or save the state (exit status 3).
type StateStoreError struct {
	Store string
	Err   error
}

func (e *StateStoreError) Error() string { return fmt.Sprintf("state store %s: %v", e.Store, e.Err) }
func (e *StateStoreError) Unwrap() error { return e.Err }

// OpenStateStore returns the store named by spec: s3://bucket/key for an S3
// object, anything else a local file path. S3 takes its region and
// credentials from the AWS SDK's default chain (AWS_REGION, AWS_PROFILE,
// AWS_ACCESS_KEY_ID, instance roles, ...); AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL points it at another S3 API (path-style addressing).
func OpenStateStore(ctx context.Context, spec string) (StateStore, error) {
	rest, ok := strings.CutPrefix(spec, "s3://")
	if !ok {
		if spec == "" {
			return nil, errors.New("the state store is empty: give a file path or s3://bucket/key")
		}
		return FileStore(spec), nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" || key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("state store %s: want s3://bucket/key", spec)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, &StateStoreError{Store: spec, Err: fmt.Errorf("load AWS configuration: %w", err)}
	}
	pathStyle := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	return &S3Store{Client: client, Bucket: bucket, Key: key}, nil
}

// FileStore is a state file on the local disk.
type FileStore string

// String returns the path.
func (f FileStore) String() string { return string(f) }

// Load reads the file; a missing file is no state.
func (f FileStore) Load(ctx context.Context) ([]byte, error) {
	b, err := os.ReadFile(string(f))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &StateStoreError{Store: f.String(), Err: err}
	}
	return b, nil
}

// Save writes a temporary file beside the target, syncs it and renames it
// over the target.
func (f FileStore) Save(ctx context.Context, state []byte) error {
	if err := writeFileAtomic(string(f), state); err != nil {
		return &StateStoreError{Store: f.String(), Err: err}
	}
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write temporary state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync temporary state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename state file into place: %w", err)
	}
	return nil
}

// S3Store is a state object in S3. A PutObject replaces an object
// atomically, so no temporary object is needed.
type S3Store struct {
	Client      *s3.Client
	Bucket, Key string
}

// String returns s3://bucket/key.
func (s *S3Store) String() string { return "s3://" + s.Bucket + "/" + s.Key }

// Load gets the object; a missing object is no state.
func (s *S3Store) Load(ctx context.Context) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, nil
		}
		return nil, &StateStoreError{Store: s.String(), Err: fmt.Errorf("get object: %w", err)}
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, &StateStoreError{Store: s.String(), Err: fmt.Errorf("read object: %w", err)}
	}
	return b, nil
}

// Save puts the object.
func (s *S3Store) Save(ctx context.Context, state []byte) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Body: bytes.NewReader(state),
		ContentLength: aws.Int64(int64(len(state))), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return &StateStoreError{Store: s.String(), Err: fmt.Errorf("put object: %w", err)}
	}
	return nil
}

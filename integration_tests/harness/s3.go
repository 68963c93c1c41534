package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersityGWVersion is the S3-compatible server the end-to-end tests use.
const VersityGWVersion = "v1.8.0"

// S3Server is a standalone S3-compatible server (versitygw, posix backend):
// every object is a plain file under Dir/<bucket>/<key>.
type S3Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	// Dir is the posix backend root.
	Dir    string
	Client *s3.Client

	proc   *exec.Cmd
	exited chan struct{}
	log    *os.File
}

var (
	gwOnce sync.Once
	gwPath string
	gwErr  error
)

// VersityGW returns the path of the versitygw binary, installing it with
// `go install` into the user cache directory on first use (about 1.5 minutes
// on a 2-core machine, once per machine).
func VersityGW() (string, error) {
	gwOnce.Do(func() {
		if p := os.Getenv("VERSITYGW"); p != "" {
			gwPath = p
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		bin := filepath.Join(cache, "radar-connectors", "bin", "versitygw-"+VersityGWVersion)
		if _, err := os.Stat(filepath.Join(bin, "versitygw")); err == nil {
			gwPath = filepath.Join(bin, "versitygw")
			return
		}
		if err := os.MkdirAll(bin, 0o755); err != nil {
			gwErr = err
			return
		}
		cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersityGWVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOWORK=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			gwErr = fmt.Errorf("go install versitygw: %w\n%s", err, lastLines(string(out), 20))
			return
		}
		gwPath = filepath.Join(bin, "versitygw")
	})
	return gwPath, gwErr
}

// StartS3 starts versitygw on a free port with a fresh posix root and
// creates the named buckets. The server stops when the test ends.
func StartS3(t testing.TB, buckets ...string) *S3Server {
	t.Helper()
	s, err := startS3(buckets...)
	if err != nil {
		t.Fatalf("start S3 server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func startS3(buckets ...string) (*S3Server, error) {
	bin, err := VersityGW()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "radar-s3-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &S3Server{
		Endpoint:  "http://127.0.0.1:" + strconv.Itoa(port),
		AccessKey: "radartestaccess",
		SecretKey: "radartestsecret0123456789",
		Region:    "us-east-1",
		Dir:       filepath.Join(dir, "root"),
		exited:    make(chan struct{}),
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	s.log, err = os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	s.proc = exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", "127.0.0.1:"+strconv.Itoa(port), "posix", s.Dir)
	s.proc.Stdout, s.proc.Stderr = s.log, s.log
	s.proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.proc.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	go func() {
		s.proc.Wait()
		close(s.exited)
	}()
	if err := waitHTTP(s.Endpoint, 15*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	s.Client = s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	for _, b := range buckets {
		if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			s.Stop()
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return s, nil
}

func waitHTTP(endpoint string, timeout time.Duration) error {
	host := strings.TrimPrefix(endpoint, "http://")
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			c.Close()
			resp, err := http.Get(endpoint)
			if err == nil {
				resp.Body.Close()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("S3 server at %s did not answer: %v", endpoint, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server and removes its files.
func (s *S3Server) Stop() {
	if s.proc != nil && s.proc.Process != nil {
		s.proc.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.proc.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	}
	if s.log != nil {
		s.log.Close()
	}
	os.RemoveAll(filepath.Dir(s.Dir))
}

// Object is one listed object.
type Object struct {
	Key      string
	Size     int64
	Metadata map[string]string
}

// List returns every object under prefix, sorted by key.
func (s *S3Server) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Head returns an object's user metadata.
func (s *S3Server) Head(ctx context.Context, bucket, key string) (map[string]string, error) {
	h, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	return h.Metadata, nil
}

// MultipartUploads lists unfinished multipart uploads in a bucket.
func (s *S3Server) MultipartUploads(ctx context.Context, bucket string) ([]string, error) {
	out, err := s.Client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys, nil
}

// Download copies every object under prefix into dir, keeping key paths,
// and returns the local paths of the .parquet files.
func (s *S3Server) Download(ctx context.Context, bucket, prefix, dir string) ([]string, error) {
	objs, err := s.List(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	var parquet []string
	for _, o := range objs {
		local := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			return nil, err
		}
		r, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)})
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", o.Key, err)
		}
		f, err := os.Create(local)
		if err != nil {
			r.Body.Close()
			return nil, err
		}
		_, err = io.Copy(f, r.Body)
		r.Body.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(o.Key, ".parquet") {
			parquet = append(parquet, local)
		}
	}
	if len(objs) == 0 {
		return nil, errors.New("no objects under " + prefix)
	}
	return parquet, nil
}

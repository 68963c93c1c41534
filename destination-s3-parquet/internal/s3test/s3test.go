// Package s3test runs a real S3 HTTP API for tests (gofakes3 served by
// httptest, reached through aws-sdk-go-v2 with a custom endpoint and
// path-style access) and reads written Parquet files back with DuckDB, an
// independent reader. Faults a fake server cannot show by itself (access
// denied, wrong region, failing parts) are injected by an HTTP middleware.
package s3test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials the tests use; a test greps all output for the secret.
const (
	AccessKey = "AKIATESTRADAR0001"
	SecretKey = "s3cr3t-Radar/KEY+never-printed"
	Bucket    = "radar-bronze"
	Region    = "eu-west-1"
)

// Fault decides whether to answer a request itself; it returns true when
// it wrote a response.
type Fault func(w http.ResponseWriter, r *http.Request) bool

// Server is an in-process S3 API.
type Server struct {
	URL    string
	Client *s3.Client
	srv    *httptest.Server
	fault  atomic.Pointer[Fault]

	mu       sync.Mutex
	requests map[string]int
}

// Start starts a server with the test bucket; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &Server{requests: map[string]int{}}
	h := faker.Server()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		if f := s.fault.Load(); f != nil && (*f)(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.Client = s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String(s.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s
}

// Op names the S3 operation of a request (roughly).
func Op(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0:
		return "ListObjects"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}

func (s *Server) count(r *http.Request) {
	s.mu.Lock()
	s.requests[Op(r)]++
	s.mu.Unlock()
}

// Requests returns how many requests of an operation were served.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// SetFault installs (or with nil removes) a fault.
func (s *Server) SetFault(f Fault) {
	if f == nil {
		s.fault.Store(nil)
		return
	}
	s.fault.Store(&f)
}

// WriteError writes an S3 error response.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>test</RequestId></Error>`, code, msg)
}

var credRegion = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/s3/`)

// RegionFault answers 301 PermanentRedirect, as S3 does, to requests signed
// for another region than Region.
func RegionFault(w http.ResponseWriter, r *http.Request) bool {
	m := credRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	if m != nil && m[1] == Region {
		return false
	}
	w.Header().Set("x-amz-bucket-region", Region)
	WriteError(w, http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
	return true
}

// AccessDeniedFault answers 403 AccessDenied to everything.
func AccessDeniedFault(w http.ResponseWriter, r *http.Request) bool {
	WriteError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
	return true
}

// Config returns a destination config for this server; extra entries are
// merged in (a nil value deletes a key).
func (s *Server) Config(extra map[string]any) map[string]any {
	c := map[string]any{
		"access_key_id":     AccessKey,
		"secret_access_key": SecretKey,
		"s3_bucket_name":    Bucket,
		"s3_bucket_path":    "airbyte/raw",
		"s3_bucket_region":  Region,
		"s3_endpoint":       s.URL,
		"format":            map[string]any{"format_type": "Parquet"},
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// Keys lists the object keys under prefix, sorted.
func (s *Server) Keys(t testing.TB, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// Get returns an object's content.
func (s *Server) Get(t testing.TB, key string) []byte {
	t.Helper()
	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// Metadata returns an object's user metadata.
func (s *Server) Metadata(t testing.TB, key string) map[string]string {
	t.Helper()
	out, err := s.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	return out.Metadata
}

// Put writes an object (with optional metadata).
func (s *Server) Put(t testing.TB, key string, body []byte, meta map[string]string) {
	t.Helper()
	_, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(Bucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// MultipartUploads lists the multipart uploads in progress.
func (s *Server) MultipartUploads(t testing.TB) []string {
	t.Helper()
	out, err := s.Client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(Bucket)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload" {
		return nil // gofakes3 answers so for a bucket that never had an upload
	}
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// Download copies the objects under prefix whose key matches keep (all if
// nil) into a temporary directory and returns the local paths by key.
func (s *Server) Download(t testing.TB, keys []string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for i, k := range keys {
		p := filepath.Join(dir, fmt.Sprintf("%04d.parquet", i))
		if err := os.WriteFile(p, s.Get(t, k), 0o644); err != nil {
			t.Fatal(err)
		}
		out[k] = p
	}
	return out
}

// DuckDB opens an in-memory DuckDB.
func DuckDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatalf("open duckdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Query runs a query and returns every row as strings (NULL as "NULL"),
// formatted by DuckDB itself (each column cast to VARCHAR by the caller
// where a stable text form matters).
func Query(t testing.TB, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("duckdb %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("duckdb rows: %v", err)
	}
	return out
}

// FileList renders paths as a DuckDB list literal for read_parquet.
func FileList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ",") + "]"
}

// Package partitions checks a day's output in S3, the data-quality check
// the team runs after the nightly sync: for each stream, the objects of the
// date's partition, a _SUCCESS marker in every folder holding them, and the
// row counts read from the Parquet footers (two ranged GETs per file, the
// data pages are never downloaded).
package partitions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
)

// Request says what to check.
type Request struct {
	Day       time.Time
	Namespace string
	Streams   []string
	// MinRows is the fewest rows a stream's partition may hold.
	MinRows int64
	// RequireSuccess asks for a _SUCCESS marker in every folder.
	RequireSuccess bool
}

// File is one data object of a partition.
type File struct {
	Key   string `json:"key"`
	Bytes int64  `json:"bytes"`
	Rows  int64  `json:"rows"`
}

// StreamReport is the result for one stream.
type StreamReport struct {
	Stream   string   `json:"stream"`
	Prefix   string   `json:"prefix"`
	Files    []File   `json:"files"`
	Rows     int64    `json:"rows"`
	Bytes    int64    `json:"bytes"`
	Folders  []string `json:"folders"`
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether the stream passed.
func (r *StreamReport) OK() bool { return len(r.Problems) == 0 }

// Checker reads one bucket.
type Checker struct {
	S3       *s3.Client
	Bucket   string
	Template *objectkey.Template
}

// Check checks every requested stream. Problems with the data go into the
// reports; the error is for failures to look (listing denied, network).
func (c *Checker) Check(ctx context.Context, req Request) ([]StreamReport, error) {
	var out []StreamReport
	for _, stream := range req.Streams {
		r, err := c.checkStream(ctx, req, stream)
		if err != nil {
			return nil, fmt.Errorf("check stream %s: %w", stream, err)
		}
		out = append(out, *r)
	}
	return out, nil
}

type listed struct {
	key  string
	size int64
}

func (c *Checker) list(ctx context.Context, prefix string) ([]listed, error) {
	var out []listed
	p := s3.NewListObjectsV2Paginator(c.S3, &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list objects under %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, listed{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

func (c *Checker) checkStream(ctx context.Context, req Request, stream string) (*StreamReport, error) {
	prefix := c.Template.DayPrefix(req.Namespace, stream, req.Day)
	_, matcher := c.Template.Matcher(req.Namespace, stream)
	r := &StreamReport{Stream: stream, Prefix: prefix}
	// List from the folder of the prefix so markers beside the files are seen.
	folderOf := func(key string) string { return key[:strings.LastIndexByte(key, '/')+1] }
	objs, err := c.list(ctx, folderOf(prefix))
	if err != nil {
		return nil, err
	}
	markers := map[string]bool{}
	folders := map[string]bool{}
	for _, o := range objs {
		if path.Base(o.key) == objectkey.SuccessMarker {
			markers[folderOf(o.key)] = true
			continue
		}
		if !strings.HasPrefix(o.key, prefix) || !matcher.MatchString(o.key) {
			continue // another stream's or another day's object
		}
		rows, err := c.footerRows(ctx, o.key, o.size)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is not a readable Parquet file: %v", o.key, err))
			continue
		}
		r.Files = append(r.Files, File{Key: o.key, Bytes: o.size, Rows: rows})
		r.Rows += rows
		r.Bytes += o.size
		folders[folderOf(o.key)] = true
	}
	for f := range folders {
		r.Folders = append(r.Folders, f)
	}
	sort.Strings(r.Folders)
	switch {
	case len(r.Files) == 0 && len(r.Problems) == 0:
		r.Problems = append(r.Problems, fmt.Sprintf("no Parquet files for %s under %s", req.Day.Format("2006-01-02"), prefix))
	case r.Rows < req.MinRows:
		r.Problems = append(r.Problems, fmt.Sprintf("%d rows, fewer than the required %d", r.Rows, req.MinRows))
	}
	if req.RequireSuccess {
		for _, f := range r.Folders {
			if !markers[f] {
				r.Problems = append(r.Problems, fmt.Sprintf("no %s marker in %s", objectkey.SuccessMarker, f))
			}
		}
	}
	return r, nil
}

// footerRows reads the row count from a Parquet file's footer.
func (c *Checker) footerRows(ctx context.Context, key string, size int64) (int64, error) {
	if size < 12 {
		return 0, errors.New("too small to be Parquet")
	}
	ra := &rangeReader{ctx: ctx, s3: c.S3, bucket: c.Bucket, key: key, size: size}
	pf, err := file.NewParquetReader(ra)
	if err != nil {
		return 0, err
	}
	defer pf.Close()
	return pf.NumRows(), nil
}

// rangeReader is an io.ReaderAt and io.Seeker over an S3 object, reading
// with ranged GETs.
type rangeReader struct {
	ctx    context.Context
	s3     *s3.Client
	bucket string
	key    string
	size   int64
	off    int64
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), r.size) - 1
	out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: aws.String(r.bucket), Key: aws.String(r.key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
	})
	if err != nil {
		return 0, fmt.Errorf("read %s bytes %d-%d: %w", r.key, off, end, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p[:end-off+1])
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (r *rangeReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		r.off = offset
	case io.SeekCurrent:
		r.off += offset
	case io.SeekEnd:
		r.off = r.size + offset
	}
	return r.off, nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	return n, err
}

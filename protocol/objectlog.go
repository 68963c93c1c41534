package protocol

import (
	"fmt"
	"strconv"
	"strings"
)

// The destination's INFO lines about what it wrote, in one format shared by
// the destination (which prints them as LOG messages) and the runner (which
// reads them back for its summary). They carry names, counts and times,
// never a record value or a secret.

// ObjectWritten is one object the destination completed in S3.
type ObjectWritten struct {
	Stream  string // "namespace.name", as StreamDescriptor.String
	Key     string // the object key in the bucket
	Rows    int64
	Bytes   int64
	Seconds float64 // from the object's first row to its completed upload
}

// StreamWritten is the destination's summary of one stream at the end of
// the input.
type StreamWritten struct {
	Stream  string
	Rows    int64
	Objects int64
	Bytes   int64
	Seconds float64 // from the stream's first record to the end of the input
}

const (
	objectPrefix = "object written: "
	streamPrefix = "stream written: "
)

// FormatObjectWritten returns the LOG message text for o, e.g.
//
//	object written: stream="radar.store" key="a/b.parquet" rows=3000 bytes=563200 seconds=0.041
func FormatObjectWritten(o ObjectWritten) string {
	return objectPrefix + fmt.Sprintf("stream=%s key=%s rows=%d bytes=%d seconds=%.3f",
		strconv.Quote(o.Stream), strconv.Quote(o.Key), o.Rows, o.Bytes, o.Seconds)
}

// ParseObjectWritten parses a FormatObjectWritten line; ok is false for any
// other text.
func ParseObjectWritten(msg string) (o ObjectWritten, ok bool) {
	rest, found := strings.CutPrefix(msg, objectPrefix)
	if !found {
		return o, false
	}
	f, ok := fields(rest, "stream", "key", "rows", "bytes", "seconds")
	if !ok {
		return o, false
	}
	o.Stream, o.Key = f[0], f[1]
	var err [3]error
	o.Rows, err[0] = strconv.ParseInt(f[2], 10, 64)
	o.Bytes, err[1] = strconv.ParseInt(f[3], 10, 64)
	o.Seconds, err[2] = strconv.ParseFloat(f[4], 64)
	return o, err[0] == nil && err[1] == nil && err[2] == nil
}

// FormatStreamWritten returns the LOG message text for s, e.g.
//
//	stream written: stream="radar.store" rows=3000 objects=1 bytes=563200 seconds=0.052
func FormatStreamWritten(s StreamWritten) string {
	return streamPrefix + fmt.Sprintf("stream=%s rows=%d objects=%d bytes=%d seconds=%.3f",
		strconv.Quote(s.Stream), s.Rows, s.Objects, s.Bytes, s.Seconds)
}

// ParseStreamWritten parses a FormatStreamWritten line; ok is false for any
// other text.
func ParseStreamWritten(msg string) (s StreamWritten, ok bool) {
	rest, found := strings.CutPrefix(msg, streamPrefix)
	if !found {
		return s, false
	}
	f, ok := fields(rest, "stream", "rows", "objects", "bytes", "seconds")
	if !ok {
		return s, false
	}
	s.Stream = f[0]
	var err [4]error
	s.Rows, err[0] = strconv.ParseInt(f[1], 10, 64)
	s.Objects, err[1] = strconv.ParseInt(f[2], 10, 64)
	s.Bytes, err[2] = strconv.ParseInt(f[3], 10, 64)
	s.Seconds, err[3] = strconv.ParseFloat(f[4], 64)
	return s, err[0] == nil && err[1] == nil && err[2] == nil && err[3] == nil
}

// fields reads `name=value` pairs separated by single spaces, in exactly the
// given order; a value starting with '"' is a Go-quoted string.
func fields(s string, names ...string) ([]string, bool) {
	out := make([]string, len(names))
	for i, name := range names {
		if i > 0 {
			var ok bool
			if s, ok = strings.CutPrefix(s, " "); !ok {
				return nil, false
			}
		}
		var ok bool
		if s, ok = strings.CutPrefix(s, name+"="); !ok {
			return nil, false
		}
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, false
			}
			v, err := strconv.Unquote(q)
			if err != nil {
				return nil, false
			}
			out[i], s = v, s[len(q):]
			continue
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		out[i], s = s[:end], s[end:]
	}
	return out, s == ""
}

package destination

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

const blobSchema = `{"type":"object","properties":{"id":{"type":"integer"},"payload":{"type":"string"}}}`

// blobRecords returns n records of about 1 KiB of incompressible text.
func blobRecords(stream string, from, n int) string {
	rng := rand.New(rand.NewPCG(uint64(from), 7))
	var b strings.Builder
	buf := make([]byte, 512)
	for i := from; i < from+n; i++ {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		b.WriteString(recordLine("", stream, fmt.Sprintf(`{"id":%d,"payload":"%s"}`, i, hex.EncodeToString(buf)), 1700000000000))
	}
	return b.String()
}

// TestRolloverAndMultipart writes about 20 MB into files of 6 MB made of
// 5 MB parts: several multipart objects, every row read back once.
func TestRolloverAndMultipart(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{
		"upload_part_size_mb": 5, "file_size_mb": 6, "buffer_memory_mb": 16, "upload_concurrency": 2,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 2},
	})
	const n = 20000
	r := write(t, cfg, catalog(catalogStream{name: "blobs", schema: blobSchema}), blobRecords("blobs", 0, n)+streamState("", "blobs", 1, "end"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	keys := parquetKeys(t, srv, "")
	if len(keys) < 3 {
		t.Fatalf("keys = %v, want at least 3 files", keys)
	}
	if srv.Requests("CreateMultipartUpload") < 2 || srv.Requests("UploadPart") < 4 {
		t.Errorf("multipart requests: create %d, parts %d", srv.Requests("CreateMultipartUpload"), srv.Requests("UploadPart"))
	}
	for _, k := range keys {
		if size := len(srv.Get(t, k)); size > 9<<20 {
			t.Errorf("%s is %d bytes, target 6 MiB", k, size)
		}
	}
	db := s3test.DuckDB(t)
	src := readSource(t, srv, keys)
	got := s3test.Query(t, db, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM "+src)[0]
	if strings.Join(got, ",") != fmt.Sprintf("%d,%d,0,%d", n, n, n-1) {
		t.Errorf("rows = %v", got)
	}
	groups := s3test.Query(t, db, "SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata("+strings.TrimPrefix(src, "read_parquet(")+"")[0][0]
	if groups == fmt.Sprint(len(keys)) {
		t.Errorf("one row group per file; block_size_mb 2 should cut several")
	}
	if ups := srv.MultipartUploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left: %v", ups)
	}
}

// TestUploadFailureAborts: when parts keep failing, the sync fails, the
// multipart upload is aborted (no orphan, no partial object) and only the
// state whose data was already durable is echoed.
func TestUploadFailureAborts(t *testing.T) {
	srv := s3test.Start(t)
	var parts atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if s3test.Op(r) == "UploadPart" && parts.Add(1) > 1 {
			s3test.WriteError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return true
		}
		return false
	})
	cfg := srv.Config(map[string]any{
		"upload_part_size_mb": 5, "write_success_markers": false,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1},
	})
	cat := catalog(catalogStream{name: "users", schema: smallSchema}, catalogStream{name: "blobs", schema: blobSchema})
	// users completes (state 1 is durable), then blobs fails mid-upload.
	input := records("", "users", 0, 3) + streamState("", "users", 1, "a") + blobRecords("blobs", 0, 20000) + streamState("", "blobs", 2, "b")
	cfg["idle_stream_close_seconds"] = 0.05
	r := write(t, cfg, cat, input)
	te := traceError(r)
	if r.code != 1 || te == nil {
		t.Fatalf("exit %d, trace %v: %s", r.code, te, r.stdout)
	}
	if !strings.Contains(te.Message, "upload") && !strings.Contains(te.Message, "write") {
		t.Errorf("trace message = %q", te.Message)
	}
	for _, s := range stateLines(r) {
		if strings.Contains(s, `"id":2`) {
			t.Errorf("state of undurable data echoed: %s", s)
		}
	}
	if ups := srv.MultipartUploads(t); len(ups) != 0 {
		t.Errorf("multipart uploads left: %v", ups)
	}
	for _, k := range srv.Keys(t, "") {
		if strings.Contains(k, "/blobs/") {
			t.Errorf("partial object left: %s", k)
		}
	}
	if srv.Requests("AbortMultipartUpload") == 0 {
		t.Errorf("no AbortMultipartUpload was sent")
	}
}

// TestManyStreamsUnderBudget interleaves 30 streams with a small memory
// budget: row groups and files are cut early, every record arrives once,
// and each stream's final state is echoed.
func TestManyStreamsUnderBudget(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{"buffer_memory_mb": 16, "write_success_markers": false,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED"}})
	const streams, per = 30, 1200
	var cs []catalogStream
	for s := 0; s < streams; s++ {
		cs = append(cs, catalogStream{name: fmt.Sprintf("s%02d", s), schema: blobSchema})
	}
	var in strings.Builder
	for i := 0; i < per; i++ {
		for s := 0; s < streams; s++ {
			in.WriteString(blobRecords(fmt.Sprintf("s%02d", s), s*per+i, 1))
		}
	}
	for s := 0; s < streams; s++ {
		in.WriteString(streamState("", fmt.Sprintf("s%02d", s), s, "end"))
	}
	r := write(t, cfg, catalog(cs...), in.String())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	if n := len(stateLines(r)); n != streams {
		t.Errorf("%d states echoed, want %d", n, streams)
	}
	if !strings.Contains(string(r.stdout), "was full") {
		t.Errorf("the budget was never reached; the test does not exercise it")
	}
	keys := parquetKeys(t, srv, "")
	db := s3test.DuckDB(t)
	src := readSource(t, srv, keys)
	res := s3test.Query(t, db, "SELECT count(*), count(DISTINCT id) FROM "+src)[0]
	if res[0] != fmt.Sprint(streams*per) || res[1] != fmt.Sprint(streams*per) {
		t.Errorf("rows = %v, want %d distinct", res, streams*per)
	}
}

// TestUploadFailureWhileInputIsQuiet: a file completed by the idle timer
// fails to upload while the source sends nothing; the sync fails at once
// instead of waiting for more input.
func TestUploadFailureWhileInputIsQuiet(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if s3test.Op(r) == "PutObject" {
			s3test.WriteError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return true
		}
		return false
	})
	cfg := srv.Config(map[string]any{"idle_stream_close_seconds": 0.2})
	p := startWrite(t, cfg, catalog(catalogStream{name: "users", schema: smallSchema}))
	p.send(t, records("", "users", 0, 3)+streamState("", "users", 1, "x"))
	select {
	case code := <-p.done:
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sync did not fail while stdin stayed open")
	}
	msgs := protocoltest.ValidateOutput(t, p.out.Bytes())
	var te *protocol.ErrorTrace
	for _, m := range msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Error != nil {
			te = m.Trace.Error
		}
	}
	if te == nil || len(p.states()) != 0 {
		t.Errorf("trace %+v, states %v", te, p.states())
	}
}

package destination

import (
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"strconv"
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

// TestRolloverKeepsOrder: row groups are encoded while the next ones are
// read, so a file is found full only after later rows were read; those
// rows start the next file. With 2 MiB files of 1 MiB row groups, every
// file holds one contiguous range of ids, the files in part-number order
// cover every id exactly once, and every state is echoed with the records
// before it.
func TestRolloverKeepsOrder(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{
		"file_size_mb": 2, "buffer_memory_mb": 16, "write_success_markers": false,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1},
	})
	const n, every = 12000, 500
	var in strings.Builder
	for i := 0; i < n; i += every {
		in.WriteString(blobRecords("blobs", i, every))
		in.WriteString(streamState("", "blobs", i/every, fmt.Sprint(i)))
	}
	r := write(t, cfg, catalog(catalogStream{name: "blobs", schema: blobSchema}), in.String())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	if states := stateLines(r); len(states) != n/every {
		t.Errorf("%d states echoed, want %d", len(states), n/every)
	} else {
		for i, s := range states {
			if !strings.Contains(s, fmt.Sprintf(`"id":%d`, i)) || !strings.Contains(s, fmt.Sprintf(`"recordCount":%d.0`, every)) {
				t.Errorf("state %d: %s", i, s)
			}
		}
	}
	keys := parquetKeys(t, srv, "")
	if len(keys) < 3 {
		t.Fatalf("keys = %v, want several files", keys)
	}
	part := regexp.MustCompile(`(\d+)\.parquet$`)
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(part.FindStringSubmatch(keys[i])[1])
		b, _ := strconv.Atoi(part.FindStringSubmatch(keys[j])[1])
		return a < b
	})
	db := s3test.DuckDB(t)
	next := 0
	for _, k := range keys {
		got := s3test.Query(t, db, "SELECT min(id), max(id), count(*) FROM "+readSource(t, srv, []string{k}))[0]
		lo, _ := strconv.Atoi(got[0])
		hi, _ := strconv.Atoi(got[1])
		cnt, _ := strconv.Atoi(got[2])
		if lo != next || cnt != hi-lo+1 {
			t.Errorf("%s holds ids %d..%d (%d rows); want a range starting at %d", k, lo, hi, cnt, next)
		}
		next = hi + 1
		if size := len(srv.Get(t, k)); size > 4<<20 {
			t.Errorf("%s is %d bytes, target 2 MiB", k, size)
		}
	}
	if next != n {
		t.Errorf("the files end at id %d, want %d", next-1, n-1)
	}
}

// TestAcksFollowCompletedFiles: while files are completed one after another
// (2 MiB files of 1 MiB row groups, each object's PutObject held back for
// 200 ms), every state is echoed only when the objects already in the
// bucket hold all the records before it. The keys are listed as soon as
// each state appears on stdout; the ids of each object are read at the end.
func TestAcksFollowCompletedFiles(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if op := s3test.Op(r); op == "PutObject" || op == "CompleteMultipartUpload" {
			time.Sleep(200 * time.Millisecond)
		}
		return false
	})
	cfg := srv.Config(map[string]any{
		"file_size_mb": 2, "buffer_memory_mb": 16, "write_success_markers": false,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1},
	})
	const n, every = 12000, 500
	p := startWrite(t, cfg, catalog(catalogStream{name: "blobs", schema: blobSchema}))
	go func() {
		for i := 0; i < n; i += every {
			if _, err := io.WriteString(p.in, blobRecords("blobs", i, every)+streamState("", "blobs", i/every, fmt.Sprint(i))); err != nil {
				return
			}
		}
		p.in.Close()
	}()
	var seen [][]string // keys listed when each state appeared
	for code := -1; code < 0; {
		select {
		case code = <-p.done:
			if code != 0 {
				t.Fatalf("exit %d: %s", code, p.out.Bytes())
			}
		case <-time.After(2 * time.Millisecond):
		}
		for k := len(seen); k < len(p.states()); k++ {
			seen = append(seen, parquetKeys(t, srv, ""))
		}
	}
	if len(seen) != n/every {
		t.Fatalf("%d states echoed, want %d", len(seen), n/every)
	}
	db := s3test.DuckDB(t)
	ranges := map[string][2]int{}
	for _, k := range parquetKeys(t, srv, "") {
		got := s3test.Query(t, db, "SELECT min(id), max(id) FROM "+readSource(t, srv, []string{k}))[0]
		lo, _ := strconv.Atoi(got[0])
		hi, _ := strconv.Atoi(got[1])
		ranges[k] = [2]int{lo, hi}
	}
	early := 0
	for i, keys := range seen {
		covered := 0 // ids below covered are in the listed objects
		for changed := true; changed; {
			changed = false
			for _, k := range keys {
				if r := ranges[k]; r[0] <= covered && r[1] >= covered {
					covered, changed = r[1]+1, true
				}
			}
		}
		if want := (i + 1) * every; covered < want {
			t.Errorf("state %d (records below %d) echoed while the bucket held only ids below %d", i, want, covered)
		}
		if i < len(seen)-1 && len(keys) < len(ranges) {
			early++
		}
	}
	if early == 0 {
		t.Errorf("every state was echoed at the end of the input; the test does not exercise acknowledgements between files")
	}
}

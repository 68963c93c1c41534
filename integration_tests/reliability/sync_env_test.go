package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// syncEnv is a database with two tables, read in this order: "small" (a
// few hundred rows, one small object) and "big" (12 MB of rows, several
// multipart parts), and an S3 server (versitygw) with the bucket.
type syncEnv struct {
	db     *testDB
	s3     *harness.S3Server
	duck   *duck.DuckDB
	srcCfg string
	cat    *protocol.ConfiguredCatalog
	// mode is the data channel of run ("": RADAR_DATA_CHANNEL, else stdio).
	mode string
}

const (
	smallRows = 400
	bigRows   = 24000
	bigPad    = 1000
)

func newSyncEnv(t *testing.T, chunk int) *syncEnv {
	t.Helper()
	my := harness.SharedMySQL(t)
	db := newTestDB(t, my, "rels3")
	db.fillTable(t, "small", smallRows, 200)
	db.fillTable(t, "big", bigRows, bigPad)
	d, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	cfg := sourceConfig(t, my.Host, my.Port, db.name, map[string]any{"chunk_size": chunk})
	return &syncEnv{db: db, s3: harness.StartS3(t, bucket), duck: d, srcCfg: cfg,
		cat: fullRefresh(discover(t, cfg), "small", "big")}
}

// run runs one sync; mod adjusts it (hooks, state).
func (e *syncEnv) run(t *testing.T, dstCfg string, state []byte, mod func(s *harness.Sync)) *harness.SyncResult {
	t.Helper()
	s := &harness.Sync{Source: srcBin, Destination: dstBin, SourceConfig: e.srcCfg, DestinationConfig: dstCfg,
		SourceCatalog: harness.WriteJSON(t, "catalog.json", e.cat), DataChannel: e.mode}
	if state != nil {
		s.State = harness.WriteJSON(t, "state.json", state)
	}
	if mod != nil {
		mod(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// expectSuccess fails the test unless the sync succeeded with every state
// acknowledged and no protocol problem.
func expectSuccess(t *testing.T, res *harness.SyncResult) {
	t.Helper()
	for _, p := range res.Problems {
		t.Errorf("platform: %s", p)
	}
	if res.SourceCode != 0 || res.DestinationCode != 0 {
		t.Fatalf("sync failed: source exit %d, destination exit %d\nerrors: %s\nsource stderr: %s\ndestination stderr: %s",
			res.SourceCode, res.DestinationCode, errorsText(res.Errors()), res.SourceStderr, res.DestinationStderr)
	}
	if len(res.Acks) != res.StatesSent {
		t.Errorf("the destination acknowledged %d of %d states", len(res.Acks), res.StatesSent)
	}
}

func errorsText(errs []*protocol.ErrorTrace) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %s: %s (%s)", e.FailureType, e.Message, e.InternalMessage)
	}
	return b.String()
}

// objects lists the objects of the bucket path straight from the server.
func (e *syncEnv) objects(t *testing.T) []harness.Object {
	t.Helper()
	objs, err := e.s3.List(context.Background(), bucket, bucketPath+"/")
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// parquetFiles downloads the Parquet objects of a stream (none is fine).
func (e *syncEnv) parquetFiles(t *testing.T, stream string) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for _, o := range e.objects(t) {
		if !strings.HasPrefix(o.Key, bucketPath+"/"+stream+"/") || !strings.HasSuffix(o.Key, ".parquet") {
			continue
		}
		local := filepath.Join(dir, fmt.Sprintf("%04d.parquet", len(files)))
		b := e.get(t, o.Key)
		if err := os.WriteFile(local, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, local)
	}
	return files
}

func (e *syncEnv) get(t *testing.T, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.s3.Dir, bucket, filepath.FromSlash(key)))
	if err != nil {
		t.Fatalf("read object %s: %v", key, err)
	}
	return b
}

// expectNoPartialObject checks that every object under the bucket path is
// a _SUCCESS marker or a complete Parquet file DuckDB reads to the end.
func (e *syncEnv) expectNoPartialObject(t *testing.T) {
	t.Helper()
	for _, o := range e.objects(t) {
		if strings.HasSuffix(o.Key, "/_SUCCESS") {
			continue
		}
		if !strings.HasSuffix(o.Key, ".parquet") {
			t.Errorf("unexpected object %s", o.Key)
			continue
		}
		p := filepath.Join(t.TempDir(), "o.parquet")
		if err := os.WriteFile(p, e.get(t, o.Key), 0o644); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := e.duck.DB.QueryRow("SELECT count(*) FROM " + duck.ParquetSource([]string{p})).Scan(&n); err != nil {
			t.Errorf("object %s (%d bytes) is not a complete Parquet file: %v", o.Key, o.Size, err)
		}
	}
}

// expectNoMultipartUpload checks that no multipart upload was left open.
func (e *syncEnv) expectNoMultipartUpload(t *testing.T) {
	t.Helper()
	ups, err := e.s3.MultipartUploads(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) > 0 {
		t.Errorf("multipart uploads left open: %v", ups)
	}
}

// idCounts returns how many times each id is in a stream's Parquet files.
func (e *syncEnv) idCounts(t *testing.T, stream string) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	files := e.parquetFiles(t, stream)
	if len(files) == 0 {
		return out
	}
	rows, err := e.duck.DB.Query("SELECT id, count(*) FROM " + duck.ParquetSource(files) + " GROUP BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

// compare checks every cell of a table against its Parquet files.
func (e *syncEnv) compare(t *testing.T, table string, allowDuplicates bool) {
	t.Helper()
	files := e.parquetFiles(t, table)
	if len(files) == 0 {
		t.Fatalf("stream %s: no Parquet file", table)
	}
	diff, err := duck.CompareTable(context.Background(), e.db.my.Root, e.db.name, table, e.duck, files, duck.CompareOptions{AllowDuplicates: allowDuplicates})
	if err != nil {
		t.Fatal(err)
	}
	if !diff.OK() {
		t.Errorf("%s", diff.Summary(10))
	}
}

// ackedPosition is what the destination acknowledged for a stream: the
// key position of its last acked state (all rows up to it are covered),
// or, for a table read as key ranges in socket mode, each range's
// position; whether the stream's final state was acked; and the records
// acked.
type ackedPosition struct {
	pos     int64
	ranges  []rangePosition
	done    bool
	records int64
}

// rangePosition is one key range of a split read as of a state: ids from
// lower (inclusive; 0 when unbounded) below upper (0 when unbounded), read
// up to pos (0: not started) or done.
type rangePosition struct {
	lower, upper, pos int64
	done              bool
}

// covers reports whether the acknowledged states cover the row with key id.
func (a ackedPosition) covers(id int64) bool {
	if a.done {
		return true
	}
	if a.ranges == nil {
		return id <= a.pos
	}
	for _, r := range a.ranges {
		if (r.lower != 0 && id < r.lower) || (r.upper != 0 && id >= r.upper) {
			continue
		}
		return r.done || (r.pos != 0 && id <= r.pos)
	}
	return false
}

func (a ackedPosition) String() string {
	if a.done || a.ranges == nil {
		return fmt.Sprintf("position %d, done %v", a.pos, a.done)
	}
	return fmt.Sprintf("ranges %+v", a.ranges)
}

func acked(t *testing.T, res *harness.SyncResult, stream string) ackedPosition {
	t.Helper()
	var a ackedPosition
	for _, ack := range res.Acks {
		s := ack.State
		if s.Stream == nil || s.Stream.StreamDescriptor.Name != stream {
			continue
		}
		if ranges, ok := rangePositions(t, s); ok {
			a.ranges = ranges
		} else if pos, ok := keyPosition(t, s); ok {
			a.pos = pos
		} else {
			a.done = true
		}
		if s.DestinationStats != nil && s.DestinationStats.RecordCount != nil {
			a.records += s.DestinationStats.RecordCount.Int()
		}
	}
	return a
}

// expectAcksDurable checks the acknowledgements against S3: every row a
// state acknowledged is in a Parquet object, and no more records were
// acknowledged than the objects hold.
func (e *syncEnv) expectAcksDurable(t *testing.T, res *harness.SyncResult, stream string, rows int) ackedPosition {
	t.Helper()
	a := acked(t, res, stream)
	counts := e.idCounts(t, stream)
	var inS3 int64
	for _, n := range counts {
		inS3 += int64(n)
	}
	var missing []int64
	for id := int64(1); id <= int64(rows); id++ {
		if a.covers(id) && counts[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("stream %s: acknowledged %s, but %d of those rows are not in S3 (e.g. %v)", stream, a, len(missing), head(missing))
	}
	if a.records > inS3 {
		t.Errorf("stream %s: %d records acknowledged, %d in S3", stream, a.records, inS3)
	}
	return a
}

// expectDuplicatesOnlyAfter checks that every id present more than once
// in a stream's files is after the acknowledged position.
func (e *syncEnv) expectDuplicatesOnlyAfter(t *testing.T, stream string, a ackedPosition) int {
	t.Helper()
	dups := 0
	for id, n := range e.idCounts(t, stream) {
		if n > 1 {
			dups++
			if a.covers(id) {
				t.Errorf("stream %s: id %d is in S3 %d times, though it was acknowledged (%s)", stream, id, n, a)
			}
		}
	}
	return dups
}

// ackWatcher sees the destination's STATE lines as they come.
type ackWatcher struct {
	mu    sync.Mutex
	lines []string
}

func (w *ackWatcher) observe(line []byte) {
	if strings.Contains(string(line[:min(len(line), 60)]), `"type":"STATE"`) {
		w.mu.Lock()
		w.lines = append(w.lines, string(line))
		w.mu.Unlock()
	}
}

func (w *ackWatcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lines)
}

// countOf counts the acks of a stream.
func (w *ackWatcher) countOf(stream string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.lines {
		if strings.Contains(l, `"stream_descriptor":{"name":"`+stream+`"`) {
			n++
		}
	}
	return n
}

// incremental configures every stream of the catalog as incremental by
// cursor id (so a finished stream's state means "nothing left", and a rerun
// from the last acknowledged states reads only what was not covered).
func incremental(cat *protocol.ConfiguredCatalog) *protocol.ConfiguredCatalog {
	out := &protocol.ConfiguredCatalog{}
	for _, cs := range cat.Streams {
		cs.SyncMode = protocol.SyncModeIncremental
		cs.CursorField = []string{"id"}
		out.Streams = append(out.Streams, cs)
	}
	return out
}

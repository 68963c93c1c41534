package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// socketSchema covers a few types; its sorted property order (amount, dt,
// id, name, ts) differs from its schema order.
const socketSchema = `{"type":"object","properties":{
"id":{"type":"integer"},
"name":{"type":["null","string"]},
"amount":{"type":"number"},
"ts":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
"dt":{"type":"string","format":"date"}}}`

// sockRecord is one test record of a stream in a partition.
type sockRecord struct {
	stream, part string
	i            int
	big          bool // a name larger than a socket read buffer
}

func (r sockRecord) emittedAt() int64 { return 1700000000000 + int64(r.i) }

func (r sockRecord) name() string {
	if r.big {
		return strings.Repeat("big ✓ ", 60<<10)
	}
	if r.i%3 == 0 {
		return fmt.Sprintf("ñandú \"%d\" ✓ \xff", r.i)
	}
	return fmt.Sprintf("n%d", r.i)
}

func (r sockRecord) ts() time.Time { return time.Unix(1704164645+int64(r.i)*3600, int64(r.i%7)*1000) }

// dataJSON is the record's data as the source's JSON path writes it (in
// schema order; the name is null for every fifth record).
func (r sockRecord) dataJSON() string {
	name := string(jsonx.AppendBytesString(nil, []byte(r.name())))
	if r.i%5 == 0 {
		name = "null"
	}
	ts := r.ts().UTC().Format("2006-01-02T15:04:05.000000Z")
	dt := time.Unix(0, 0).UTC().AddDate(0, 0, 19000+r.i).Format("2006-01-02")
	return fmt.Sprintf(`{"id":%d,"name":%s,"amount":%s,"ts":"%s","dt":"%s"}`, r.i, name, fmt.Sprint(float64(r.i)+0.25), ts, dt)
}

// encode writes the record as a data-channel protobuf record: values in
// sorted property order.
func (r sockRecord) encode(e *datachannel.RecordEncoder) []byte {
	e.Begin(datachannel.NewStreamPrefix("radar", r.stream), r.emittedAt(), []byte(r.part))
	e.Number(float64(r.i) + 0.25) // amount
	e.Date(int64(19000 + r.i))    // dt
	e.Integer(int64(r.i))         // id
	if r.i%5 == 0 {               // name
		e.Null()
	} else {
		e.String([]byte(r.name()))
	}
	t := r.ts()
	e.TimestampWithTimezone(t.Unix(), uint32(t.Nanosecond()), 0) // ts
	return e.Finish()
}

// jsonLine is the record as a JSONL line of the data channel (the
// partition_id is an additional property of the record).
func (r sockRecord) jsonLine() string {
	return fmt.Sprintf(`{"type":"RECORD","record":{"namespace":"radar","stream":%q,"partition_id":%q,"emitted_at":%d,"data":%s}}`+"\n",
		r.stream, r.part, r.emittedAt(), r.dataJSON())
}

// sockState is a STREAM state of the test, or a GLOBAL one (no stream).
type sockState struct {
	stream, part string
	id, count    int
}

func (s sockState) line() string {
	if s.stream == "" {
		b, _ := json.Marshal(map[string]any{"type": "STATE", "state": map[string]any{
			"type": "GLOBAL", "global": map[string]any{"shared_state": map[string]any{"pos": s.id}, "stream_states": []any{}},
			"sourceStats": map[string]any{"recordCount": protocol.Count(s.count)}, "id": s.id, "partition_id": s.part,
		}})
		return string(b)
	}
	b, _ := json.Marshal(map[string]any{"type": "STATE", "state": map[string]any{
		"type": "STREAM", "stream": map[string]any{"stream_descriptor": map[string]any{"name": s.stream, "namespace": "radar"}, "stream_state": map[string]any{"id": s.id}},
		"sourceStats": map[string]any{"recordCount": protocol.Count(s.count)}, "id": s.id, "partition_id": s.part,
	}})
	return string(b)
}

// sockMsg is a record or a state.
type sockMsg struct {
	rec   *sockRecord
	state *sockState
}

// sockScript is what the fake source writes on each socket.
type sockScript [][]sockMsg

func recs(stream, part string, from, n int) []sockMsg {
	var out []sockMsg
	for i := from; i < from+n; i++ {
		out = append(out, sockMsg{rec: &sockRecord{stream: stream, part: part, i: i}})
	}
	return out
}

func st(stream, part string, id, count int) []sockMsg {
	return []sockMsg{{state: &sockState{stream: stream, part: part, id: id, count: count}}}
}

func cat3(parts ...[]sockMsg) []sockMsg {
	var out []sockMsg
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// socketPaths returns n short socket paths in a new temporary directory.
func socketPaths(t *testing.T, n int) []string {
	dir, err := os.MkdirTemp("", "dsk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var out []string
	for i := range n {
		out = append(out, filepath.Join(dir, fmt.Sprintf("%d.sock", i)))
	}
	return out
}

// fakeSource listens on paths and, once the destination is connected,
// writes each socket's script in the format, socket 1 before socket 0 (so
// later ids arrive first), then closes the sockets. It returns a channel
// with its error.
func fakeSource(t *testing.T, paths []string, format datachannel.Format, script sockScript) <-chan error {
	ls, err := datachannel.Listen(paths)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer ls.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conns, err := ls.Accept(ctx)
		if err != nil {
			done <- err
			return
		}
		var e datachannel.RecordEncoder
		for k := len(conns) - 1; k >= 0; k-- {
			var b []byte
			if format == datachannel.FormatProtobuf {
				b = datachannel.AppendProbeFrame(b)
			}
			for _, m := range script[k] {
				switch {
				case m.rec != nil && format == datachannel.FormatProtobuf:
					b = append(b, m.rec.encode(&e)...)
				case m.rec != nil:
					b = append(b, m.rec.jsonLine()...)
				case format == datachannel.FormatProtobuf:
					b = datachannel.AppendProtocolFrame(b, []byte(m.state.line()))
				default:
					b = append(b, m.state.line()+"\n"...)
				}
			}
			if _, err := writeSlowly(conns[k], b); err != nil {
				done <- err
				return
			}
			conns[k].Close()
			time.Sleep(300 * time.Millisecond)
		}
		done <- nil
	}()
	return done
}

// writeSlowly writes b in pieces, so that messages are split across reads.
func writeSlowly(c net.Conn, b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), 777)
		m, err := c.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// stdioInput is the same records and states on stdin, states in id order.
func stdioInput(script sockScript) string {
	var b strings.Builder
	var states []sockState
	for _, msgs := range script {
		for _, m := range msgs {
			if m.rec != nil {
				b.WriteString(recordLine("radar", m.rec.stream, m.rec.dataJSON(), m.rec.emittedAt()))
			} else {
				states = append(states, *m.state)
			}
		}
	}
	sort.SliceStable(states, func(i, j int) bool { return states[i].id < states[j].id })
	for _, s := range states {
		b.WriteString(s.line() + "\n")
	}
	return b.String()
}

// parquetRows reads back every Parquet object of a server as sorted rows:
// each column but the random _airbyte_raw_id, with the stream's path.
func parquetRows(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	var rows []string
	for _, key := range parquetKeys(t, srv, "") {
		pf, err := pqfile.NewParquetReader(bytes.NewReader(srv.Get(t, key)))
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.NewGoAllocator())
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tr := array.NewTableReader(tbl, 0)
		dir := key[:strings.LastIndex(key, "/")]
		for tr.Next() {
			rec := tr.RecordBatch()
			for r := 0; r < int(rec.NumRows()); r++ {
				var cells []string
				for c := 0; c < int(rec.NumCols()); c++ {
					if rec.Schema().Field(c).Name == "_airbyte_raw_id" {
						continue
					}
					cells = append(cells, rec.Schema().Field(c).Name+"="+rec.Column(c).ValueStr(r))
				}
				rows = append(rows, dir+" "+strings.Join(cells, " "))
			}
		}
		tr.Release()
		tbl.Release()
	}
	sort.Strings(rows)
	return rows
}

// echoedState is the part of an echoed state the tests check.
type echoedState struct {
	State struct {
		Stream struct {
			StreamDescriptor struct{ Name string } `json:"stream_descriptor"`
		}
		ID               int64  `json:"id"`
		PartitionID      string `json:"partition_id"`
		DestinationStats struct {
			RecordCount float64 `json:"recordCount"`
		} `json:"destinationStats"`
		Committed      *int64 `json:"committedRecordsCount"`
		CommittedBytes *int64 `json:"committedBytesCount"`
	}
}

func echoed(t *testing.T, r result) []echoedState {
	var out []echoedState
	for _, l := range stateLines(r) {
		var e echoedState
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("state %s: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

func setChannel(t *testing.T, medium, format string, paths []string) {
	t.Setenv(datachannel.EnvMedium, medium)
	t.Setenv(datachannel.EnvFormat, format)
	t.Setenv(datachannel.EnvSocketPaths, strings.Join(paths, ","))
	t.Setenv(envNamespaceMapping, "")
}

// twoSocketScript: users and vouchers over two sockets, a partition per
// stream and socket; users' state 2 and vouchers' state 1 are on socket 1,
// which the fake source writes first. orders (socket 0 only) makes three
// open files, so that records are staged.
func twoSocketScript() sockScript {
	return sockScript{
		cat3(recs("users", "u0", 0, 3), recs("orders", "o0", 100, 4), recs("vouchers", "v0", 50, 2), st("users", "u0", 1, 3),
			st("orders", "o0", 1, 4), recs("vouchers", "v0", 52, 1), st("vouchers", "v0", 2, 3), recs("users", "u0", 3, 2), st("users", "u0", 3, 2)),
		cat3(recs("users", "u1", 10, 5), recs("vouchers", "v1", 60, 6), st("users", "u1", 2, 5), st("vouchers", "v1", 1, 6)),
	}
}

// TestSocketMode: in both formats, a destination reading two sockets
// echoes each stream's states in id order with their id, partition_id,
// destinationStats and cumulative committed counts, and writes the same
// Parquet as a STDIO run of the same records.
func TestSocketMode(t *testing.T) {
	script := twoSocketScript()
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: socketSchema},
		catalogStream{name: "vouchers", namespace: "radar", schema: socketSchema},
		catalogStream{name: "orders", namespace: "radar", schema: socketSchema})

	setChannel(t, "", "", nil)
	stdioSrv := s3test.Start(t)
	rs := write(t, stdioSrv.Config(nil), cat, stdioInput(script))
	if rs.code != 0 {
		t.Fatalf("STDIO run: exit %d: %s", rs.code, rs.stdout)
	}
	want := parquetRows(t, stdioSrv)
	if len(want) != 23 {
		t.Fatalf("STDIO run wrote %d rows", len(want))
	}

	for _, format := range []datachannel.Format{datachannel.FormatProtobuf, datachannel.FormatJSONL} {
		t.Run(string(format), func(t *testing.T) {
			paths := socketPaths(t, 2)
			setChannel(t, "SOCKET", string(format), paths)
			srv := s3test.Start(t)
			done := fakeSource(t, paths, format, script)
			r := write(t, srv.Config(nil), cat, "")
			if err := <-done; err != nil {
				t.Fatalf("fake source: %v", err)
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s\n%s", r.code, r.stdout, r.stderr)
			}
			type key struct {
				stream string
				id     int64
			}
			wantStates := map[key]struct {
				part           string
				count, total   int64
				committedBytes bool
			}{
				{"users", 1}: {"u0", 3, 3, true}, {"users", 2}: {"u1", 5, 8, true}, {"users", 3}: {"u0", 2, 10, true},
				{"vouchers", 1}: {"v1", 6, 6, true}, {"vouchers", 2}: {"v0", 3, 9, true},
				{"orders", 1}: {"o0", 4, 4, true},
			}
			last := map[string]int64{}
			got := echoed(t, r)
			if len(got) != len(wantStates) {
				t.Fatalf("%d states echoed, want %d:\n%s", len(got), len(wantStates), r.stdout)
			}
			for _, e := range got {
				s := e.State
				name := s.Stream.StreamDescriptor.Name
				if s.ID != last[name]+1 {
					t.Errorf("%s: state %d echoed after %d", name, s.ID, last[name])
				}
				last[name] = s.ID
				w, ok := wantStates[key{name, s.ID}]
				if !ok || s.PartitionID != w.part || int64(s.DestinationStats.RecordCount) != w.count || s.Committed == nil || *s.Committed != w.total ||
					s.CommittedBytes == nil || *s.CommittedBytes <= 0 {
					t.Errorf("%s state %d: partition %q, destinationStats %v, committed %v bytes %v; want %+v", name, s.ID, s.PartitionID,
						s.DestinationStats.RecordCount, s.Committed, s.CommittedBytes, w)
				}
			}
			gotRows := parquetRows(t, srv)
			if strings.Join(gotRows, "\n") != strings.Join(want, "\n") {
				t.Errorf("Parquet differs from the STDIO run:\n got  %q\n want %q", gotRows, want)
			}
		})
	}
}

// TestSocketModeManyStreams: six streams over three sockets, each stream's
// state ids spread over the sockets (the last socket's arrive first),
// records larger than a read buffer, many open files (staging): every
// stream's states come out in order with their counts, and the Parquet
// equals a STDIO run's.
func TestSocketModeManyStreams(t *testing.T) {
	const nStreams, nSocks = 6, 3
	// Each socket carries a partition of every stream, its messages
	// interleaved with the other streams' (one message of each in turn).
	perStream := make([][][]sockMsg, nSocks)
	var streams []catalogStream
	for j := range nStreams {
		name := fmt.Sprintf("t%d", j)
		streams = append(streams, catalogStream{name: name, namespace: "radar", schema: socketSchema})
		for k := range nSocks {
			part := fmt.Sprintf("s%dk%d", j, k)
			var msgs []sockMsg
			for c := range 2 {
				n := 50 + 10*j
				base := j*10000 + k*1000 + c*500
				for x := range n {
					msgs = append(msgs, sockMsg{rec: &sockRecord{stream: name, part: part, i: base + x, big: c == 1 && x == 7}})
				}
				msgs = append(msgs, st(name, part, 1+k+c*nSocks, n)...)
			}
			perStream[k] = append(perStream[k], msgs)
		}
	}
	script := make(sockScript, nSocks)
	for k := range nSocks {
		for x := 0; ; x++ {
			more := false
			for _, msgs := range perStream[k] {
				if x < len(msgs) {
					script[k] = append(script[k], msgs[x])
					more = true
				}
			}
			if !more {
				break
			}
		}
	}
	cat := catalog(streams...)
	setChannel(t, "", "", nil)
	stdioSrv := s3test.Start(t)
	rs := write(t, stdioSrv.Config(nil), cat, stdioInput(script))
	if rs.code != 0 {
		t.Fatalf("STDIO run: exit %d: %s", rs.code, rs.stdout)
	}
	want := parquetRows(t, stdioSrv)

	paths := socketPaths(t, nSocks)
	setChannel(t, "SOCKET", "PROTOBUF", paths)
	srv := s3test.Start(t)
	done := fakeSource(t, paths, datachannel.FormatProtobuf, script)
	r := write(t, srv.Config(nil), cat, "")
	if err := <-done; err != nil {
		t.Fatalf("fake source: %v", err)
	}
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stdout, r.stderr)
	}
	last := map[string]int64{}
	total := map[string]int64{}
	for _, e := range echoed(t, r) {
		name := e.State.Stream.StreamDescriptor.Name
		if e.State.ID != last[name]+1 {
			t.Errorf("%s: state %d after %d", name, e.State.ID, last[name])
		}
		last[name] = e.State.ID
		total[name] += int64(e.State.DestinationStats.RecordCount)
		if e.State.Committed == nil || *e.State.Committed != total[name] {
			t.Errorf("%s state %d: committed %v, want %d", name, e.State.ID, e.State.Committed, total[name])
		}
	}
	for j := range nStreams {
		name := fmt.Sprintf("t%d", j)
		if last[name] != 2*nSocks || total[name] != int64(2*nSocks*(50+10*j)) {
			t.Errorf("%s: last state %d, %d records acknowledged", name, last[name], total[name])
		}
	}
	got := parquetRows(t, srv)
	if len(got) != len(want) {
		t.Fatalf("%d rows, STDIO run %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d differs from the STDIO run:\n got  %.300s\n want %.300s", i, got[i], want[i])
		}
	}
}

// TestSocketModeGlobalStates: GLOBAL states follow one id sequence across
// sockets and count the records of every stream in their partition; stdin
// that never ends does not hold the sync.
func TestSocketModeGlobalStates(t *testing.T) {
	paths := socketPaths(t, 2)
	setChannel(t, "SOCKET", "PROTOBUF", paths)
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: socketSchema},
		catalogStream{name: "vouchers", namespace: "radar", schema: socketSchema})
	script := sockScript{
		cat3(recs("users", "g0", 0, 2), recs("vouchers", "g0", 50, 1), st("", "g0", 1, 3), recs("users", "g0", 2, 1), st("", "g0", 3, 1)),
		cat3(recs("users", "g1", 10, 2), st("", "g1", 2, 2)),
	}
	srv := s3test.Start(t)
	done := fakeSource(t, paths, datachannel.FormatProtobuf, script)
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := run(t, ctx, []string{"write", "--config", writeJSON(t, dir, "config.json", srv.Config(nil)), "--catalog", writeJSON(t, dir, "catalog.json", cat)}, stdin)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	var got []string
	for _, e := range echoed(t, r) {
		c := int64(-1)
		if e.State.Committed != nil {
			c = *e.State.Committed
		}
		got = append(got, fmt.Sprintf("%d/%s/%v/%d", e.State.ID, e.State.PartitionID, e.State.DestinationStats.RecordCount, c))
	}
	if strings.Join(got, " ") != "1/g0/3/3 2/g1/2/5 3/g0/1/6" {
		t.Errorf("echoed %v", got)
	}
}

// TestSocketModeCountMismatch: a state whose recordCount is not what the
// destination received is not echoed, nor any later state of its stream;
// the other stream's are, and the sync fails naming the state.
func TestSocketModeCountMismatch(t *testing.T) {
	paths := socketPaths(t, 2)
	setChannel(t, "SOCKET", "PROTOBUF", paths)
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: socketSchema},
		catalogStream{name: "vouchers", namespace: "radar", schema: socketSchema})
	script := sockScript{
		cat3(recs("users", "u0", 0, 3), st("users", "u0", 1, 4), recs("vouchers", "v0", 50, 2), st("vouchers", "v0", 1, 2)),
		cat3(recs("users", "u1", 10, 2), st("users", "u1", 2, 2), recs("vouchers", "v1", 60, 1), st("vouchers", "v1", 2, 1)),
	}
	srv := s3test.Start(t)
	done := fakeSource(t, paths, datachannel.FormatProtobuf, script)
	r := write(t, srv.Config(nil), cat, "")
	if err := <-done; err != nil {
		t.Fatalf("fake source: %v", err)
	}
	if r.code == 0 {
		t.Fatalf("the sync succeeded:\n%s", r.stdout)
	}
	var names []string
	for _, e := range echoed(t, r) {
		names = append(names, fmt.Sprintf("%s:%d", e.State.Stream.StreamDescriptor.Name, e.State.ID))
	}
	if strings.Join(names, ",") != "vouchers:1,vouchers:2" {
		t.Errorf("echoed %v, want vouchers' states only", names)
	}
	te := traceError(r)
	if te == nil || !strings.Contains(te.InternalMessage+te.Message, "reports 4 records, 3 were received") ||
		!strings.Contains(te.InternalMessage+te.Message, "state 2 of radar.users follows a state whose count did not match") {
		t.Errorf("error trace %+v", te)
	}
}

// TestSocketModeBadEnv: an invalid data channel environment is a
// config_error naming the variables.
func TestSocketModeBadEnv(t *testing.T) {
	setChannel(t, "SOCKET", "PROTOBUF", nil)
	srv := s3test.Start(t)
	r := write(t, srv.Config(nil), catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema}), "")
	te := traceError(r)
	if r.code == 0 || te == nil || te.FailureType != "config_error" || !strings.Contains(te.Message, datachannel.EnvSocketPaths) {
		t.Errorf("exit %d, trace %+v", r.code, te)
	}
}

// TestSocketModeNamespaceMapping: records keep the source's names on the
// sockets; the mapping file the platform mounts names the catalog stream.
func TestSocketModeNamespaceMapping(t *testing.T) {
	paths := socketPaths(t, 1)
	setChannel(t, "SOCKET", "JSONL", paths)
	mapping := filepath.Join(t.TempDir(), "mapping.json")
	if err := os.WriteFile(mapping, []byte(`{"namespaceDefinitionType":"customformat","namespaceFormat":"dw_${SOURCE_NAMESPACE}","streamPrefix":"pre_"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envNamespaceMapping, mapping)
	cat := catalog(catalogStream{name: "pre_users", namespace: "dw_radar", schema: socketSchema})
	srv := s3test.Start(t)
	done := fakeSource(t, paths, datachannel.FormatJSONL, sockScript{cat3(recs("users", "u0", 0, 4), st("users", "u0", 1, 4))})
	r := write(t, srv.Config(nil), cat, "")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	got := echoed(t, r)
	if len(got) != 1 || got[0].State.Stream.StreamDescriptor.Name != "users" || got[0].State.DestinationStats.RecordCount != 4 {
		t.Errorf("states %+v", got)
	}
	rows := parquetRows(t, srv)
	if len(rows) != 4 || !strings.Contains(rows[0], "dw_radar/pre_users") {
		t.Errorf("rows %q", rows)
	}
}

func TestNamespaceMappingApply(t *testing.T) {
	for _, c := range []struct {
		m                namespaceMapping
		ns, name, wn, wm string
	}{
		{namespaceMapping{}, "a", "s", "a", "s"},
		{namespaceMapping{definition: "source", prefix: "p_"}, "a", "s", "a", "p_s"},
		{namespaceMapping{definition: "destination"}, "a", "s", "", "s"},
		{namespaceMapping{definition: "customformat", format: "x_${SOURCE_NAMESPACE}"}, "a", "s", "x_a", "s"},
		{namespaceMapping{definition: "customformat", format: "${SOURCE_NAMESPACE}"}, "", "s", "", "s"},
		{namespaceMapping{definition: "customformat", format: " "}, "a", "s", "", "s"},
		{namespaceMapping{prefix: "  "}, "a", "s", "a", "s"},
	} {
		if n, m := c.m.apply(c.ns, c.name); n != c.wn || m != c.wm {
			t.Errorf("%+v.apply(%q, %q) = %q, %q; want %q, %q", c.m, c.ns, c.name, n, m, c.wn, c.wm)
		}
	}
}

// TestSocketCutMidMessage: a source that dies mid-message (killed; its
// last buffer flushed in part) ends its socket inside a record. As with a
// pipe cut mid-line, the destination keeps what came whole, echoes the
// states before the cut, drops the cut record with a warning, and exits 0;
// nothing claims the dropped record, so the next attempt reads it again.
func TestSocketCutMidMessage(t *testing.T) {
	cat := catalog(catalogStream{name: "users", namespace: "radar", schema: socketSchema})
	for _, format := range []datachannel.Format{datachannel.FormatProtobuf, datachannel.FormatJSONL} {
		t.Run(string(format), func(t *testing.T) {
			paths := socketPaths(t, 1)
			setChannel(t, "SOCKET", string(format), paths)
			srv := s3test.Start(t)
			ls, err := datachannel.Listen(paths)
			if err != nil {
				t.Fatal(err)
			}
			defer ls.Close()
			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				conns, err := ls.Accept(ctx)
				if err != nil {
					done <- err
					return
				}
				var e datachannel.RecordEncoder
				var b []byte
				for _, m := range cat3(recs("users", "u0", 0, 3), st("users", "u0", 1, 3), recs("users", "u0", 3, 2)) {
					switch {
					case m.rec != nil && format == datachannel.FormatProtobuf:
						b = append(b, m.rec.encode(&e)...)
					case m.rec != nil:
						b = append(b, m.rec.jsonLine()...)
					case format == datachannel.FormatProtobuf:
						b = datachannel.AppendProtocolFrame(b, []byte(m.state.line()))
					default:
						b = append(b, m.state.line()+"\n"...)
					}
				}
				var last []byte
				if format == datachannel.FormatProtobuf {
					last = (sockRecord{stream: "users", part: "u0", i: 5}).encode(&e)
				} else {
					last = []byte((sockRecord{stream: "users", part: "u0", i: 5}).jsonLine())
				}
				b = append(b, last[:len(last)/2]...)
				_, err = conns[0].Write(b)
				conns[0].Close()
				done <- err
			}()
			r := write(t, srv.Config(nil), cat, "")
			if err := <-done; err != nil {
				t.Fatalf("fake source: %v", err)
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s\n%s", r.code, r.stdout, r.stderr)
			}
			got := echoed(t, r)
			if len(got) != 1 || got[0].State.ID != 1 {
				t.Errorf("echoed %d states, want state 1 only:\n%s", len(got), r.stdout)
			}
			if rows := parquetRows(t, srv); len(rows) != 5 {
				t.Errorf("%d rows written, want the 5 whole records", len(rows))
			}
			if !bytes.Contains(append(r.stdout, r.stderr...), []byte("ended inside a message")) {
				t.Errorf("no warning about the cut message:\n%s\n%s", r.stdout, r.stderr)
			}
		})
	}
}

package source

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// socketRecord is a record read from a socket, reduced to what the checks
// need.
type socketRecord struct {
	stream, partition string
	id                string // the "id" value as text
	// vals are the protobuf values in order, as Kind:text.
	vals []string
}

// socketPeer plays the destination of a socket-mode read: it connects to
// every socket and reads it to EOF.
type socketPeer struct {
	mu      sync.Mutex
	records []socketRecord
	states  []*protocol.StateMessage
	status  []string // stream:STATUS in arrival order
	order   [][]any  // per socket: records and states in order
	err     error
	// idPos is the position of "id" among a protobuf record's values (its
	// rank in the sorted property names).
	idPos int
}

func (p *socketPeer) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// run connects to paths and reads them; wait returns when all are read.
func (p *socketPeer) run(t *testing.T, paths []string, format datachannel.Format) (wait func()) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var wg sync.WaitGroup
	p.order = make([][]any, len(paths))
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := datachannel.Dial(ctx, path)
			if err != nil {
				p.fail(err)
				return
			}
			defer conn.Close()
			if format == datachannel.FormatProtobuf {
				p.readFrames(i, conn)
			} else {
				p.readLines(i, conn)
			}
		}()
	}
	return func() { wg.Wait(); cancel() }
}

func (p *socketPeer) protocolJSON(i int, b []byte) {
	var m protocol.Message
	if err := json.Unmarshal(b, &m); err != nil {
		p.fail(fmt.Errorf("socket %d: %w", i, err))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Type {
	case protocol.TypeState:
		p.states = append(p.states, m.State)
		p.order[i] = append(p.order[i], m.State)
	case protocol.TypeTrace:
		if ss := m.Trace.StreamStatus; ss != nil {
			p.status = append(p.status, ss.StreamDescriptor.Name+":"+string(ss.Status))
		}
	case protocol.TypeRecord:
		var data map[string]json.RawMessage
		_ = json.Unmarshal(m.Record.Data, &data)
		var extra struct {
			Record struct {
				PartitionID string `json:"partition_id"`
			} `json:"record"`
		}
		_ = json.Unmarshal(b, &extra)
		rec := socketRecord{stream: m.Record.Stream, partition: extra.Record.PartitionID, id: string(data["id"])}
		p.records = append(p.records, rec)
		p.order[i] = append(p.order[i], rec)
	default:
		p.fail(fmt.Errorf("socket %d: unexpected %s message", i, m.Type))
	}
}

func (p *socketPeer) readLines(i int, conn interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			p.protocolJSON(i, sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		p.fail(err)
	}
}

func (p *socketPeer) readFrames(i int, conn interface{ Read([]byte) (int, error) }) {
	fr := datachannel.NewFrameReader(conn, 64<<10)
	for {
		b, err := fr.Next()
		if err != nil {
			if err.Error() != "EOF" && !strings.Contains(err.Error(), "EOF") {
				p.fail(err)
			}
			return
		}
		m, err := datachannel.Parse(b)
		if err != nil {
			p.fail(err)
			return
		}
		switch m.Kind {
		case datachannel.KindRecord:
			rv := &m.Record
			// Values come in sorted property order; "id" sorts first in
			// these tables' schemas (id, name, ...): decode the first one.
			it := rv.Values()
			id := ""
			var vals []string
			for k := 0; it.Next(); k++ {
				v := it.Value()
				text := ""
				switch v.Kind {
				case datachannel.ValueInteger:
					text = fmt.Sprint(v.Int)
				case datachannel.ValueString, datachannel.ValueBigDecimal:
					text = string(v.Bytes)
				}
				if k == p.idPos && v.Kind == datachannel.ValueInteger {
					id = text
				}
				vals = append(vals, v.Kind.String()+":"+text)
			}
			rec := socketRecord{stream: string(rv.Stream), partition: string(rv.PartitionID), id: id, vals: vals}
			p.mu.Lock()
			p.records = append(p.records, rec)
			p.order[i] = append(p.order[i], rec)
			p.mu.Unlock()
		case datachannel.KindProtocol:
			p.protocolJSON(i, m.JSON)
		}
	}
}

func TestSocketMode(t *testing.T) {
	var rows []string
	for i := 1; i <= 25; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'n%d', %d.5)", i, i, i))
	}
	dbName, _ := testdb.Database(t, "sockets",
		"CREATE TABLE big (id int PRIMARY KEY, name varchar(20), price decimal(10,2))",
		"INSERT INTO big VALUES "+strings.Join(rows, ","),
		"CREATE TABLE small (id int PRIMARY KEY, name varchar(20), price decimal(10,2))",
		"INSERT INTO small VALUES (1, 'a', 1.5), (2, 'b', 2.5)",
		"CREATE TABLE nokey (id int, name varchar(20), price decimal(10,2))",
		"INSERT INTO nokey VALUES (7, 'x', 0.5), (8, 'y', 1.5), (9, 'z', 2.5)",
		"CREATE TABLE empty_t (id int PRIMARY KEY, name varchar(20), price decimal(10,2))")
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 4})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, nil, nil)
	stdio := runInProcess(t, "read", cfg, cat, nil)
	streams := []string{"big", "small", "nokey", "empty_t"}

	for _, format := range []datachannel.Format{datachannel.FormatProtobuf, datachannel.FormatJSONL} {
		t.Run(string(format), func(t *testing.T) {
			dir, err := os.MkdirTemp("", "sk")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			paths := []string{filepath.Join(dir, "s0.sock"), filepath.Join(dir, "s1.sock"), filepath.Join(dir, "s2.sock")}
			t.Setenv(datachannel.EnvMedium, "SOCKET")
			t.Setenv(datachannel.EnvFormat, string(format))
			t.Setenv(datachannel.EnvSocketPaths, strings.Join(paths, ","))
			peer := &socketPeer{}
			wait := peer.run(t, paths, format)
			res := runInProcess(t, "read", cfg, cat, nil)
			wait()
			if res.code != 0 || peer.err != nil {
				t.Fatalf("read: exit %d, peer error %v\n%s", res.code, peer.err, res.stderr)
			}
			for _, s := range streams {
				var want, got []string
				for _, r := range stdio.records(s) {
					want = append(want, fmt.Sprint(r["id"]))
				}
				for _, r := range peer.records {
					if r.stream == s {
						got = append(got, r.id)
					}
				}
				sort.Strings(want)
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s: ids %v, want %v", s, got, want)
				}
				if n := len(res.records(s)); n != 0 {
					t.Errorf("%s: %d records on stdout in socket mode", s, n)
				}
			}
			t.Logf("%d records, %d states, statuses %v", len(peer.records), len(peer.states), peer.status)
			checkSocketStates(t, peer, res, streams)
			for _, s := range streams {
				if !slicesContain(peer.status, s+":COMPLETE") {
					t.Errorf("%s: no COMPLETE status on the sockets (got %v)", s, peer.status)
				}
			}
		})
	}
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkSocketStates checks the socket-mode state contract: per stream, ids
// 1..n without gaps; each state's partition_id names the records before it
// on its socket, and sourceStats.recordCount counts them; stdout carries a
// copy of every state.
func checkSocketStates(t *testing.T, peer *socketPeer, res *result, streams []string) {
	t.Helper()
	for _, s := range streams {
		var ids []int64
		for _, st := range peer.states {
			if st.Stream != nil && st.Stream.StreamDescriptor.Name == s {
				if st.ID == nil || st.PartitionID == "" {
					t.Fatalf("%s: state without id or partition_id", s)
				}
				ids = append(ids, *st.ID)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for i, id := range ids {
			if id != int64(i+1) {
				t.Errorf("%s: state ids %v, want 1..%d", s, ids, len(ids))
				break
			}
		}
		if len(ids) == 0 {
			t.Errorf("%s: no state", s)
		}
		copies := res.states(s)
		if len(copies) != len(ids) {
			t.Errorf("%s: %d states on stdout, %d on the sockets", s, len(copies), len(ids))
		}
		for _, c := range copies {
			if c.ID == nil || c.PartitionID == "" {
				t.Errorf("%s: stdout state without id or partition_id", s)
			}
		}
	}
	for i, seq := range peer.order {
		counts := map[string]int64{}
		for _, item := range seq {
			switch v := item.(type) {
			case socketRecord:
				counts[v.stream+"/"+v.partition]++
			case *protocol.StateMessage:
				key := v.Stream.StreamDescriptor.Name + "/" + v.PartitionID
				if v.SourceStats == nil || v.SourceStats.RecordCount == nil || v.SourceStats.RecordCount.Int() != counts[key] {
					t.Errorf("socket %d: state %s id %d counts %v, records before it %d", i, key, *v.ID, v.SourceStats, counts[key])
				}
				counts[key] = 0
			}
		}
		for k, n := range counts {
			if n != 0 {
				t.Errorf("socket %d: %d records of %s after its last state", i, n, k)
			}
		}
	}
}

// TestSocketModeResumeRanges resumes a table read as key ranges from each
// of its intermediate states: the resumed read emits exactly the rows the
// state does not cover (per range: none if done, those after its saved
// position otherwise), and its own states finish the stream.
func TestSocketModeResumeRanges(t *testing.T) {
	var rows []string
	for i := 1; i <= 40; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'n%d', %d.5)", i, i, i))
	}
	dbName, _ := testdb.Database(t, "sockresume",
		"CREATE TABLE big (id int PRIMARY KEY, name varchar(20), price decimal(10,2))",
		"INSERT INTO big VALUES "+strings.Join(rows, ","))
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 3})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := catalogFor(t, disc, nil, nil)

	dir, err := os.MkdirTemp("", "sk")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	paths := []string{filepath.Join(dir, "s0.sock"), filepath.Join(dir, "s1.sock")}
	t.Setenv(datachannel.EnvMedium, "SOCKET")
	t.Setenv(datachannel.EnvFormat, "PROTOBUF")
	t.Setenv(datachannel.EnvSocketPaths, strings.Join(paths, ","))
	read := func(state any) (*socketPeer, *result) {
		peer := &socketPeer{}
		wait := peer.run(t, paths, datachannel.FormatProtobuf)
		res := runInProcess(t, "read", cfg, cat, state)
		wait()
		if res.code != 0 || peer.err != nil {
			t.Fatalf("read: exit %d, peer error %v\n%s", res.code, peer.err, res.stderr)
		}
		return peer, res
	}
	peer, _ := read(nil)
	states := append([]*protocol.StateMessage(nil), peer.states...)
	sort.Slice(states, func(i, j int) bool { return *states[i].ID < *states[j].ID })
	var blob struct {
		Ranges []struct {
			Lower, Upper *string
			PKVals       []string `json:"pk_vals"`
			Done         bool
		} `json:"ranges"`
	}
	tried := 0
	for _, st := range states {
		blob.Ranges = nil
		if err := json.Unmarshal(st.Stream.StreamState, &blob); err != nil {
			t.Fatal(err)
		}
		if len(blob.Ranges) != 2 {
			continue
		}
		covered := map[int]bool{}
		for _, rg := range blob.Ranges {
			lo, hi := 0, 1000
			if rg.Lower != nil {
				lo, _ = strconv.Atoi(*rg.Lower)
			}
			if rg.Upper != nil {
				hi, _ = strconv.Atoi(*rg.Upper)
			}
			end := lo - 1
			switch {
			case rg.Done:
				end = hi - 1
			case rg.PKVals != nil:
				end, _ = strconv.Atoi(rg.PKVals[0])
			}
			for id := max(lo, 1); id <= end; id++ {
				covered[id] = true
			}
		}
		var want []string
		for id := 1; id <= 40; id++ {
			if !covered[id] {
				want = append(want, strconv.Itoa(id))
			}
		}
		input, _ := json.Marshal([]any{st})
		rp, res := read(json.RawMessage(input))
		var got []string
		for _, r := range rp.records {
			got = append(got, r.id)
		}
		sort.Slice(got, func(i, j int) bool { a, _ := strconv.Atoi(got[i]); b, _ := strconv.Atoi(got[j]); return a < b })
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("resumed from state id %d (%s): ids %v, want %v", *st.ID, st.Stream.StreamState, got, want)
		}
		checkSocketStates(t, rp, res, []string{"big"})
		last := rp.states[len(rp.states)-1]
		for _, s := range rp.states {
			if *s.ID > *last.ID {
				last = s
			}
		}
		if !strings.Contains(string(last.Stream.StreamState), `"state_type":"primary_key"`) || strings.Contains(string(last.Stream.StreamState), "ranges") {
			t.Errorf("last state after resuming: %s, want the finished full refresh", last.Stream.StreamState)
		}
		tried++
	}
	if tried < 3 {
		t.Fatalf("only %d intermediate range states to resume from", tried)
	}
}

// TestSocketModeCDC reads a CDC snapshot and then binary log changes in
// socket mode: one partition, GLOBAL states numbered 1..n with the
// partition's record counts, copied to stdout; the metadata columns are
// typed protobuf values at their sorted positions.
func TestSocketModeCDC(t *testing.T) {
	srv := cdcServer(t)
	db := srv.Database(t, "cdc_sock",
		"CREATE TABLE orders (id int PRIMARY KEY, customer varchar(20) NOT NULL, amount decimal(10,2))",
		"INSERT INTO orders VALUES (1,'ana',10.50),(2,'bia',20.00),(3,'caio',NULL)")
	cfg := cdcConfig(srv, "cdc_sock", nil)
	disc := runInProcess(t, "discover", cfg, nil, nil)
	cat := cdcCatalog(t, disc)

	dir, err := os.MkdirTemp("", "sk")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	paths := []string{filepath.Join(dir, "s0.sock"), filepath.Join(dir, "s1.sock")}
	t.Setenv(datachannel.EnvMedium, "SOCKET")
	t.Setenv(datachannel.EnvFormat, "PROTOBUF")
	t.Setenv(datachannel.EnvSocketPaths, strings.Join(paths, ","))
	// Sorted properties: _ab_cdc_cursor, _ab_cdc_deleted_at, _ab_cdc_log_file,
	// _ab_cdc_log_pos, _ab_cdc_updated_at, amount, customer, id.
	const idPos, deletedPos, updatedPos = 7, 1, 4
	read := func(state any) (*socketPeer, *result) {
		peer := &socketPeer{idPos: idPos}
		wait := peer.run(t, paths, datachannel.FormatProtobuf)
		res := runInProcess(t, "read", cfg, cat, state)
		wait()
		if res.code != 0 || peer.err != nil {
			t.Fatalf("read: exit %d, peer error %v\n%s", res.code, peer.err, res.stderr)
		}
		checkGlobalSocketStates(t, peer, res)
		return peer, res
	}
	first, res := read(nil)
	var ids []string
	for _, r := range first.records {
		ids = append(ids, r.id)
		if len(r.vals) != 8 || !strings.HasPrefix(r.vals[deletedPos], "null") || !strings.HasPrefix(r.vals[updatedPos], "timestamp_with_timezone") {
			t.Errorf("snapshot record values %v", r.vals)
		}
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "1,2,3" {
		t.Fatalf("snapshot ids %v", ids)
	}
	for _, q := range []string{"INSERT INTO orders VALUES (4,'duda',4.00)", "UPDATE orders SET amount = 1.00 WHERE id = 1", "DELETE FROM orders WHERE id = 2"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	second, _ := read(res.lastGlobal(t))
	var got []string
	for _, r := range second.records {
		deleted := !strings.HasPrefix(r.vals[deletedPos], "null")
		got = append(got, fmt.Sprintf("%s:%v", r.id, deleted))
	}
	if strings.Join(got, ",") != "4:false,1:false,2:true" {
		t.Errorf("changes %v, want 4:false,1:false,2:true", got)
	}
}

// checkGlobalSocketStates checks GLOBAL states in socket mode: ids 1..n,
// one partition, each state counting the records before it, and a copy of
// each on stdout.
func checkGlobalSocketStates(t *testing.T, peer *socketPeer, res *result) {
	t.Helper()
	var n int64
	for i, seq := range peer.order {
		var count int64
		for _, item := range seq {
			switch v := item.(type) {
			case socketRecord:
				count++
			case *protocol.StateMessage:
				n++
				if v.Type != protocol.StateGlobal || v.ID == nil || *v.ID != n || v.PartitionID == "" {
					t.Errorf("socket %d: state %d: type %s id %v partition %q", i, n, v.Type, v.ID, v.PartitionID)
				}
				if v.SourceStats == nil || v.SourceStats.RecordCount == nil || v.SourceStats.RecordCount.Int() != count {
					t.Errorf("socket %d: state %d counts %v, records before it %d", i, n, v.SourceStats, count)
				}
				count = 0
			}
		}
		if count != 0 {
			t.Errorf("socket %d: %d records after the last state", i, count)
		}
	}
	if n == 0 {
		t.Error("no GLOBAL state on the sockets")
	}
	if c := len(res.globals()); int64(c) != n {
		t.Errorf("%d GLOBAL states on stdout, %d on the sockets", c, n)
	}
}

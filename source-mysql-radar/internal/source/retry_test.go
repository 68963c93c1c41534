package source

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// cutProxy forwards TCP to MariaDB and can drop connections: once, after a
// number of bytes sent to the client, or every new connection.
type cutProxy struct {
	port      int
	upstream  string
	cutAfter  atomic.Int64 // bytes to forward before cutting; <= 0: disarmed
	refuseNew atomic.Bool
	// refuseAfterCut makes the proxy refuse new connections after a cut.
	refuseAfterCut atomic.Bool
	cuts           atomic.Int64
	mu             sync.Mutex
	conns          []net.Conn
}

func startCutProxy(t *testing.T, upstream string) *cutProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{port: l.Addr().(*net.TCPAddr).Port, upstream: upstream}
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if p.refuseNew.Load() {
				c.Close()
				continue
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	buf := make([]byte, 4096)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if left := p.cutAfter.Load(); left > 0 {
				if int64(n) >= left && p.cutAfter.CompareAndSwap(left, 0) {
					c.Write(buf[:left])
					p.cuts.Add(1)
					if p.refuseAfterCut.Load() {
						p.refuseNew.Store(true)
					}
					c.Close()
					up.Close()
					return
				}
				p.cutAfter.Add(-int64(n))
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	up.Close()
}

// TestRetryResumesAfterLostConnection cuts the connection in the middle of
// a chunk and of a cursor read: the read retries and every row arrives
// exactly once.
func TestRetryResumesAfterLostConnection(t *testing.T) {
	var rows []string
	for i := 1; i <= 3000; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %d, REPEAT('x', 100))", i, i/7))
	}
	dbName, _ := testdb.Database(t, "retry",
		"CREATE TABLE t (id int PRIMARY KEY, grp int NOT NULL, pad varchar(200))",
		"INSERT INTO t VALUES "+strings.Join(rows, ","),
		"CREATE TABLE nokey (v int)", "INSERT INTO nokey SELECT id FROM t")
	proxy := startCutProxy(t, testdb.Addr())
	cfg := testdb.Config(dbName, map[string]any{"host": "127.0.0.1", "port": proxy.port, "chunk_size": 500, "max_retries": 3})
	disc := runInProcess(t, "discover", cfg, nil, nil)

	check := func(t *testing.T, r *result, want int) {
		t.Helper()
		checkReadProtocol(t, r, "t")
		recs := r.records("t")
		seen := map[string]int{}
		for _, rec := range recs {
			seen[fmt.Sprint(rec["id"])]++
		}
		for i := 1; i <= want; i++ {
			if n := seen[strconv.Itoa(i)]; n != 1 {
				t.Fatalf("row %d emitted %d times", i, n)
			}
		}
		if len(recs) != want {
			t.Errorf("%d records, want %d", len(recs), want)
		}
		if !strings.Contains(string(r.stdout), "transient error reading table t; retrying") {
			t.Errorf("no retry warning")
		}
	}

	t.Run("full refresh by key", func(t *testing.T) {
		cuts := proxy.cuts.Load()
		proxy.cutAfter.Store(150_000)
		r := runInProcess(t, "read", cfg, catalogFor(t, disc, map[string]string{"t": "full_refresh"}, nil), nil)
		if proxy.cuts.Load() == cuts {
			t.Fatal("the proxy did not cut the connection")
		}
		check(t, r, 3000)
	})

	t.Run("incremental by cursor", func(t *testing.T) {
		cat := catalogFor(t, disc, map[string]string{"t": "incremental"}, map[string]string{"t": "grp"})
		state := []byte(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"t","namespace":"` + dbName + `"},"stream_state":{"cursor_field":["grp"],"cursor":"-1","cursor_record_count":0}}}]`)
		cuts := proxy.cuts.Load()
		proxy.cutAfter.Store(200_000)
		r := runInProcess(t, "read", cfg, cat, state)
		if proxy.cuts.Load() == cuts {
			t.Fatal("the proxy did not cut the connection")
		}
		check(t, r, 3000)
	})

	t.Run("one pass without key cannot resume", func(t *testing.T) {
		proxy.cutAfter.Store(12_000)
		defer proxy.cutAfter.Store(0)
		r := runInProcess(t, "read", cfg, catalogFor(t, disc, map[string]string{"nokey": "full_refresh"}, nil), nil)
		te := r.traceError()
		if r.code != 1 || te == nil || te.FailureType != protocol.FailureTransient || !strings.Contains(te.Message, "no key to resume from") {
			t.Errorf("exit %d, trace %+v", r.code, te)
		}
	})

	t.Run("gives up", func(t *testing.T) {
		proxy.cutAfter.Store(100_000)
		proxy.refuseAfterCut.Store(true)
		defer func() { proxy.refuseAfterCut.Store(false); proxy.refuseNew.Store(false) }()
		cat := catalogFor(t, disc, map[string]string{"t": "full_refresh", "nokey": "full_refresh"}, nil)
		streams := cat["streams"].([]any)
		streams[0], streams[1] = streams[1], streams[0] // t first: nokey is never started
		r := runInProcess(t, "read", cfg, cat, nil)
		te := r.traceError()
		if r.code != 1 || te == nil || te.FailureType != protocol.FailureTransient || !strings.Contains(te.Message, "failed 4 times") {
			t.Fatalf("exit %d, trace %+v\n%s", r.code, te, r.stdout)
		}
		last := map[string]protocol.StreamStatus{}
		for _, m := range r.msgs {
			if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus {
				last[m.Trace.StreamStatus.StreamDescriptor.Name] = m.Trace.StreamStatus.Status
			}
		}
		if last["t"] != protocol.StreamIncomplete || last["nokey"] != protocol.StreamIncomplete {
			t.Errorf("last stream statuses %v, want INCOMPLETE for both streams", last)
		}
		if te.StreamDescriptor == nil || te.StreamDescriptor.Name != "t" {
			t.Errorf("trace error without the stream: %+v", te.StreamDescriptor)
		}
	})
}

package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/testenv"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// One dedicated mariadbd with binary logging (ROW, FULL images, FULL row
// metadata) serves all CDC tests of the package; TestMain stops it.
var (
	cdcOnce   sync.Once
	cdcShared *testdb.Server
	cdcErr    error
	cdcDir    string
)

func cdcServer(t *testing.T) *testdb.Server {
	t.Helper()
	cdcOnce.Do(func() {
		cdcDir, cdcErr = os.MkdirTemp("", "srcradar-cdc")
		if cdcErr == nil {
			cdcShared, cdcErr = testdb.Launch(cdcDir, testdb.BinlogArgs...)
		}
	})
	if cdcErr != nil {
		testenv.SkipUnavailable(t, "mariadbd binary", "start a binlog mariadbd: "+cdcErr.Error())
	}
	return cdcShared
}

func stopCDCServer() {
	if cdcShared != nil {
		cdcShared.Stop()
	}
	if cdcDir != "" {
		os.RemoveAll(cdcDir)
	}
}

// cdcConfig is the production config pointed at the binlog server, with
// replication_method CDC.
func cdcConfig(srv *testdb.Server, database string, extra map[string]any) map[string]any {
	cfg := srv.Config(database, map[string]any{"replication_method": map[string]any{"method": "CDC", "initial_waiting_seconds": 120}})
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// globals returns the GLOBAL states of a read, in order.
func (r *result) globals() []*protocol.StateMessage {
	var out []*protocol.StateMessage
	for _, m := range r.msgs {
		if m.Type == protocol.TypeState && m.State.Type == protocol.StateGlobal {
			out = append(out, m.State)
		}
	}
	return out
}

// lastGlobal returns the --state input of the next sync: the last GLOBAL
// state, as the platform keeps it.
func (r *result) lastGlobal(t *testing.T) []byte {
	t.Helper()
	g := r.globals()
	if len(g) == 0 {
		t.Fatalf("no GLOBAL state; stdout:\n%s", r.stdout)
	}
	b, _ := json.Marshal([]*protocol.StateMessage{g[len(g)-1]})
	return b
}

// checkCDCProtocol checks what every successful CDC read prints: per
// stream STARTED, at most one ESTIMATE, RUNNING before its first record,
// COMPLETE last; only GLOBAL states, each with sourceStats.recordCount
// equal to the records (of all streams) since the previous one, at least
// one, and none missing after the last record.
func checkCDCProtocol(t *testing.T, r *result, streams ...string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("read exited %d; stdout:\n%s\nstderr:\n%s", r.code, tail(r.stdout, 3000), r.stderr)
	}
	var since int64
	states := 0
	status := map[string][]protocol.StreamStatus{}
	estimates := map[string]int{}
	for _, m := range r.msgs {
		switch {
		case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus:
			n := m.Trace.StreamStatus.StreamDescriptor.Name
			status[n] = append(status[n], m.Trace.StreamStatus.Status)
		case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceEstimate:
			estimates[m.Trace.Estimate.Name]++
		case m.Type == protocol.TypeRecord:
			st := status[m.Record.Stream]
			if len(st) < 2 || st[len(st)-1] != protocol.StreamRunning {
				t.Errorf("stream %s: record before RUNNING (statuses so far %v)", m.Record.Stream, st)
			}
			since++
		case m.Type == protocol.TypeState:
			if m.State.Type != protocol.StateGlobal {
				t.Errorf("a %s state in a CDC read", m.State.Type)
			}
			states++
			if m.State.SourceStats == nil || m.State.SourceStats.RecordCount == nil {
				t.Errorf("GLOBAL state without sourceStats.recordCount")
			} else if got := m.State.SourceStats.RecordCount.Int(); got != since {
				t.Errorf("GLOBAL state recordCount %d, want %d", got, since)
			}
			since = 0
		}
	}
	if states == 0 {
		t.Error("no GLOBAL state")
	}
	if since != 0 {
		t.Errorf("%d records after the last state", since)
	}
	want := fmt.Sprint([]protocol.StreamStatus{protocol.StreamStarted, protocol.StreamRunning, protocol.StreamComplete})
	for _, s := range streams {
		if fmt.Sprint(status[s]) != want {
			t.Errorf("stream %s: statuses %v, want %s", s, status[s], want)
		}
		if estimates[s] > 1 {
			t.Errorf("stream %s: %d ESTIMATE messages", s, estimates[s])
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// cdcCatalog configures every discovered stream incremental when it can
// be, with its discovered schema.
func cdcCatalog(t *testing.T, disc *result) map[string]any {
	t.Helper()
	modes := map[string]string{}
	for _, m := range disc.msgs {
		if m.Type == protocol.TypeCatalog {
			for _, s := range m.Catalog.Streams {
				modes[s.Name] = "full_refresh"
				if s.SupportsSyncMode(protocol.SyncModeIncremental) {
					modes[s.Name] = "incremental"
				}
			}
		}
	}
	return catalogFor(t, disc, modes, nil)
}

// allColumnsCatalog configures stream incremental with a json_schema that
// lists no property: every column of every row event is written, which
// shows exactly what the binary log decoded.
func allColumnsCatalog(namespace string, streams ...string) map[string]any {
	var out []any
	for _, s := range streams {
		out = append(out, map[string]any{
			"stream": map[string]any{"name": s, "namespace": namespace, "json_schema": map[string]any{"type": "object"},
				"supported_sync_modes": []string{"full_refresh", "incremental"}, "source_defined_cursor": true,
				"default_cursor_field": []string{"_ab_cdc_cursor"}},
			"sync_mode": "incremental", "destination_sync_mode": "append"})
	}
	return map[string]any{"streams": out}
}

// rows renders records without the CDC metadata (except a D for deletes),
// sorted, for comparisons: "id=1 name=a" lines.
func dataLines(recs []map[string]any, keep ...string) []string {
	var out []string
	for _, r := range recs {
		var parts []string
		var keys []string
		for k := range r {
			if !strings.HasPrefix(k, "_ab_cdc_") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := json.Marshal(r[k])
			parts = append(parts, k+"="+string(v))
		}
		if r["_ab_cdc_deleted_at"] != nil {
			parts = append(parts, "DELETED")
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// cursorsIncrease fails unless _ab_cdc_cursor strictly increases over the
// records of the given runs, in order.
func cursorsIncrease(t *testing.T, runs ...*result) {
	t.Helper()
	var last json.Number
	var lastN int64 = -1 << 63
	for _, r := range runs {
		for _, m := range r.msgs {
			if m.Type != protocol.TypeRecord {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(m.Record.Data))
			dec.UseNumber()
			var rec map[string]any
			if err := dec.Decode(&rec); err != nil {
				t.Fatal(err)
			}
			c, ok := rec["_ab_cdc_cursor"].(json.Number)
			if !ok {
				continue
			}
			n, err := c.Int64()
			if err != nil {
				t.Fatalf("_ab_cdc_cursor %s is not an integer", c)
			}
			if n <= lastN {
				t.Errorf("_ab_cdc_cursor %s after %s: not increasing", c, last)
			}
			last, lastN = c, n
		}
	}
}

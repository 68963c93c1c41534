package runner

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
)

func sourceState(t *testing.T, stream string, id, count int64) *protocol.StateMessage {
	t.Helper()
	var m protocol.StateMessage
	js := fmt.Sprintf(`{"type":"STREAM","stream":{"stream_descriptor":{"name":%q,"namespace":"db"},"stream_state":{"pos":%d}},"id":%d,"partition_id":"abcd","sourceStats":{"recordCount":%d.0}}`, stream, id, id, count)
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func destState(stream string, id, count, committed int64) []byte {
	return fmt.Appendf(nil, `{"type":"STREAM","stream":{"stream_descriptor":{"name":%q,"namespace":"db"},"stream_state":{"pos":%d}},"id":%d,"partition_id":"abcd","sourceStats":{"recordCount":%d.0},"destinationStats":{"recordCount":%d.0},"committedRecordsCount":%d,"committedBytesCount":10}`, stream, id, id, count, count, committed)
}

func TestSocketLedgerMatches(t *testing.T) {
	l := NewSocketLedger()
	if got := l.Source(sourceState(t, "a", 1, 5)); got != nil {
		t.Fatalf("unexpected commit %v", got)
	}
	// The destination's state for b is read before the source's copy.
	if _, ok := l.Destination(destState("b", 1, 3, 3)); ok {
		t.Fatal("b matched before the source's copy")
	}
	c, ok := l.Destination(destState("a", 1, 5, 5))
	if !ok {
		t.Fatal("a 1 not matched")
	}
	l.Source(sourceState(t, "a", 2, 4))
	c, ok = l.Destination(destState("a", 2, 4, 9)) // cumulative
	if !ok || c.Scope != "STREAM db.a" || c.ID != 2 || c.Committed != 9 || c.Bytes != 10 || c.Rejected != -1 {
		t.Fatalf("commit %+v %v", c, ok)
	}
	got := l.Source(sourceState(t, "b", 1, 3))
	if len(got) != 1 || got[0].Source == nil || got[0].Scope != "STREAM db.b" {
		t.Fatalf("late match %+v", got)
	}
	l.Finish()
	if p := l.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
	if s, a := l.Counts(); s != 3 || a != 3 {
		t.Errorf("counts %d %d", s, a)
	}
}

func TestSocketLedgerProblems(t *testing.T) {
	l := NewSocketLedger()
	l.Source(sourceState(t, "a", 1, 5))
	l.Source(sourceState(t, "a", 2, 5))
	l.Source(sourceState(t, "a", 3, 5))
	l.Destination(destState("a", 2, 5, 5))
	l.Destination(destState("a", 1, 5, 10)) // out of order
	l.Destination(destState("a", 3, 4, 14)) // count
	l.Destination(destState("a", 9, 1, 15)) // never sent
	l.Destination(destState("c", 1, 2, 1))  // never sent, committed != recordCount
	l.Finish()
	p := strings.Join(l.Problems(), "\n")
	for _, want := range []string{
		"state STREAM db.a id 1 after id 2: out of order",
		"state STREAM db.a id 3: the destination counted 4 records, the source 5",
		"state STREAM db.a id 9, which the source never sent",
		"state STREAM db.c id 1, which the source never sent",
		"state STREAM db.c id 1: committedRecordsCount 1 + rejectedRecordsCount 0, but the acknowledged states of STREAM db.c counted 2",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("problems lack %q:\n%s", want, p)
		}
	}
}

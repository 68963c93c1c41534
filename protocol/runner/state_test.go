package runner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
)

func TestWithPlatformFields(t *testing.T) {
	tests := []struct {
		name, state string
		id, count   int64
		want        string
		wantID      int64
	}{
		{"adds id and stats", `{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}}}`, 7, 3,
			`{"type":"STATE","state":{"id":7,"sourceStats":{"recordCount":3.0},"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}}}}`, 7},
		{"keeps the source's stats", `{"type":"STREAM","sourceStats":{"recordCount":9.0},"stream":{"stream_descriptor":{"name":"a"}}}`, 8, 3,
			`{"type":"STATE","state":{"id":8,"type":"STREAM","sourceStats":{"recordCount":9.0},"stream":{"stream_descriptor":{"name":"a"}}}}`, 8},
		{"keeps an id already set", `{"id":42,"type":"GLOBAL","global":{"stream_states":[]}}`, 9, 0,
			`{"type":"STATE","state":{"sourceStats":{"recordCount":0.0},"id":42,"type":"GLOBAL","global":{"stream_states":[]}}}`, 42},
		{"empty object", `{}`, 1, 0, `{"type":"STATE","state":{"id":1,"sourceStats":{"recordCount":0.0}}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, id, err := withPlatformFields(nil, []byte(tt.state), tt.id, tt.count)
			if err != nil || string(got) != tt.want || id != tt.wantID {
				t.Errorf("withPlatformFields(%s) = %s, %d, %v; want %s, %d", tt.state, got, id, err, tt.want, tt.wantID)
			}
			if eid, _, ok := echoedID(got[len(`{"type":"STATE","state":`) : len(got)-1]); !ok || eid != tt.wantID {
				t.Errorf("echoedID of the forwarded state = %d, %v; want %d", eid, ok, tt.wantID)
			}
		})
	}
}

// TestStateBookSavesOnlyAcknowledged: a state sent but not acknowledged is
// never saved; an acknowledged one replaces its stream's earlier state and
// leaves the other streams' saved states alone.
func TestStateBookSavesOnlyAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	initial := `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"b"},"stream_state":{"k":1}}}]`
	book, err := newStateBook(FileStore(path), 0, []byte(initial))
	if err != nil {
		t.Fatal(err)
	}
	st := func(name, v string) *protocol.StateMessage {
		return &protocol.StateMessage{Type: protocol.StateStream, Stream: &protocol.StreamState{
			StreamDescriptor: protocol.StreamDescriptor{Name: name}, StreamState: []byte(v)}}
	}
	ctx := context.Background()
	book.send(1, st("a", `{"k":1}`), 10)
	book.send(2, st("a", `{"k":2}`), 10)
	book.ack(1, 10)
	if err := book.save(ctx, true); err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"b"},"stream_state":{"k":1}}},{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{"k":1}}}]`
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("saved after ack 1:\n%s\nwant\n%s", got, want)
	}
	book.ack(2, 11)
	book.save(ctx, true)
	want = bytes.NewBufferString(want).String()
	want = want[:len(want)-len(`{"k":1}}}]`)] + `{"k":2}}}]`
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("saved after ack 2:\n%s\nwant\n%s", got, want)
	}
	if len(book.problems) != 1 {
		t.Errorf("problems = %v, want the count mismatch of state 2", book.problems)
	}
	if in, err := protocol.ParseInputState([]byte(want)); err != nil || len(in.Messages) != 2 {
		t.Errorf("the saved state is not what --state accepts: %v", err)
	}
}

// BenchmarkForward measures the runner's cost per record between the
// source's stdout and the destination's stdin (parse, count, copy), on
// records of the demo's store table shape (about 400 bytes).
func BenchmarkForward(b *testing.B) {
	var in bytes.Buffer
	const perState = 1000
	for i := 0; i < 10*perState; i++ {
		fmt.Fprintf(&in, `{"type":"RECORD","record":{"namespace":"radar","stream":"store","data":{"Id":%d,"CNPJ":"53.837.282/1468-11","Company_Name":"Farmácia Rodrigues Pereira ME","Name":"Panvel Água Verde - Loja 1","Status":0,"Brand":5,"Created_At":"2023-03-23T10:11:12","Address":"Rua das Flores, 123, Curitiba, PR","Lat":-25.4284,"Lon":-49.2733,"Phone":"+55 41 3333-4444"},"emitted_at":1700000000000}}`+"\n", i)
		if i%perState == perState-1 {
			fmt.Fprintf(&in, `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"store","namespace":"radar"},"stream_state":{"pk":%d}}}}`+"\n", i)
		}
	}
	cat := &protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{{Stream: protocol.Stream{Name: "store", Namespace: "radar"}}}}
	data := in.Bytes()
	b.SetBytes(int64(len(data)) / (10 * perState))
	b.ReportAllocs()
	store := FileStore(filepath.Join(b.TempDir(), "s"))
	b.ResetTimer()
	// One op is one record: b.N records in runs of 10,000.
	for done := 0; done < b.N; done += 10 * perState {
		book, _ := newStateBook(store, 0, nil)
		a := &attempt{o: &Options{Log: io.Discard}, con: &console{w: io.Discard}, tr: newTracker(cat), book: book}
		if err := a.forward(context.Background(), bytes.NewReader(data), bufio.NewWriter(io.Discard)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProgressRendering: the one-line progress and the terminal table show
// rows, committed rows and objects per stream.
func TestProgressRendering(t *testing.T) {
	cat := &protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{
		{Stream: protocol.Stream{Name: "store", Namespace: "radar"}}, {Stream: protocol.Stream{Name: "product", Namespace: "radar"}}}}
	tr := newTracker(cat)
	s := tr.stream(protocol.StreamDescriptor{Name: "store", Namespace: "radar"})
	s.rows.Store(1500)
	s.status, s.acked, s.objects = "RUNNING", 1000, 1
	p := tr.stream(protocol.StreamDescriptor{Name: "product", Namespace: "radar"})
	p.rows.Store(300)
	p.status, p.acked, p.objects = "COMPLETE", 300, 1
	line, rows := tr.progressLine(tr.start.Add(10e9), 800, 10e9)
	want := "progress: 1800 rows (100 rows/s), 1300 committed, 2 objects, 1/2 streams complete; reading radar.store 1500"
	if line != want || rows != 1800 {
		t.Errorf("progressLine = %q, %d; want %q, 1800", line, rows, want)
	}
	table := tr.progressTable(tr.start.Add(10e9))
	if len(table) != 4 || !strings.Contains(table[1], "radar.store") || !strings.Contains(table[1], "running") ||
		!strings.Contains(table[3], "total 1/2 done") {
		t.Errorf("progressTable =\n%s", strings.Join(table, "\n"))
	}
}

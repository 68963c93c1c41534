package destination

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
)

// TestInfoLogNamesEveryObject: at the default level (INFO) the destination
// prints one "object written" line per object it completed, with the rows
// and bytes of that object, and one "stream written" line per stream at the
// end. The keys are compared with the bucket listing, the bytes with the
// objects' sizes, and no line carries a record value.
func TestInfoLogNamesEveryObject(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{
		"file_size_mb": 2, "buffer_memory_mb": 16, "write_success_markers": false,
		"format": map[string]any{"format_type": "Parquet", "compression_codec": "UNCOMPRESSED", "block_size_mb": 1},
	})
	const n, every = 8000, 1000
	var in strings.Builder
	for i := 0; i < n; i += every {
		in.WriteString(blobRecords("blobs", i, every))
		in.WriteString(streamState("", "blobs", i/every+1, fmt.Sprint(i)))
	}
	in.WriteString(recordLine("", "small", `{"id":1,"payload":"secret-value-42"}`, 1700000000000))
	in.WriteString(streamState("", "small", 100, "1"))
	r := write(t, cfg, catalog(catalogStream{name: "blobs", schema: blobSchema}, catalogStream{name: "small", schema: blobSchema}), in.String())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	logged := map[string]protocol.ObjectWritten{}
	summaries := map[string]protocol.StreamWritten{}
	for _, m := range r.msgs {
		if m.Type != protocol.TypeLog || m.Log.Level != protocol.LogInfo {
			continue
		}
		if strings.Contains(m.Log.Message, "secret-value-42") {
			t.Errorf("a LOG line carries a record value: %s", m.Log.Message)
		}
		if o, ok := protocol.ParseObjectWritten(m.Log.Message); ok {
			if _, dup := logged[o.Key]; dup {
				t.Errorf("object %s logged twice", o.Key)
			}
			logged[o.Key] = o
		}
		if s, ok := protocol.ParseStreamWritten(m.Log.Message); ok {
			summaries[s.Stream] = s
		}
	}
	keys := parquetKeys(t, srv, "")
	if len(keys) < 3 {
		t.Fatalf("keys = %v, want several files", keys)
	}
	var loggedKeys []string
	for k := range logged {
		loggedKeys = append(loggedKeys, k)
	}
	sort.Strings(loggedKeys)
	sort.Strings(keys)
	if strings.Join(loggedKeys, "\n") != strings.Join(keys, "\n") {
		t.Fatalf("logged objects:\n%s\nbucket listing:\n%s", strings.Join(loggedKeys, "\n"), strings.Join(keys, "\n"))
	}
	rows := map[string]int64{}
	objects := map[string]int64{}
	bytes := map[string]int64{}
	for _, k := range keys {
		o := logged[k]
		if size := int64(len(srv.Get(t, k))); o.Bytes != size {
			t.Errorf("%s: logged %d bytes, the object has %d", k, o.Bytes, size)
		}
		rows[o.Stream] += o.Rows
		objects[o.Stream]++
		bytes[o.Stream] += o.Bytes
	}
	for stream, want := range map[string]int64{"blobs": n, "small": 1} {
		if rows[stream] != want {
			t.Errorf("stream %s: object lines sum to %d rows, want %d", stream, rows[stream], want)
		}
		s, ok := summaries[stream]
		if !ok {
			t.Errorf("no stream written line for %s", stream)
			continue
		}
		if s.Rows != want || s.Objects != objects[stream] || s.Bytes != bytes[stream] {
			t.Errorf("stream %s summary = %+v, want rows %d, objects %d, bytes %d", stream, s, want, objects[stream], bytes[stream])
		}
	}
}

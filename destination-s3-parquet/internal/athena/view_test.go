package athena

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol"
)

const cdcSchema = `{"type":"object","properties":{"id":{"type":"integer"},"v":{"type":["null","string"]},` +
	`"updated_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone"},` +
	`"_ab_cdc_deleted_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"}}}`

// TestLatestQueryOverWrittenFiles writes three append_dedup syncs of a
// CDC-shaped stream through the destination (both layouts) and runs the
// view's SELECT over the files with DuckDB: the newest version by cursor
// wins, a key whose newest change is a delete is left out, a key deleted
// and inserted again is back.
func TestLatestQueryOverWrittenFiles(t *testing.T) {
	syncs := [][]string{
		{`{"id":1,"v":"a","updated_at":"2026-01-01T00:00:00"}`, `{"id":2,"v":"b","updated_at":"2026-01-01T00:00:00"}`,
			`{"id":3,"v":"c","updated_at":"2026-01-01T00:00:00"}`, `{"id":5,"v":"e","updated_at":"2026-01-01T00:00:00"}`},
		{`{"id":1,"v":"a2","updated_at":"2026-01-02T00:00:00"}`,
			`{"id":2,"v":"b","updated_at":"2026-01-02T00:00:00","_ab_cdc_deleted_at":"2026-01-02T00:00:00Z"}`,
			`{"id":4,"v":"d","updated_at":"2026-01-02T00:00:00"}`},
		{`{"id":2,"v":"b3","updated_at":"2026-01-03T00:00:00"}`,
			// Two changes of one key in one sync (same extraction time): the cursor decides.
			`{"id":3,"v":"c4","updated_at":"2026-01-03T00:00:04"}`, `{"id":3,"v":"c3","updated_at":"2026-01-03T00:00:03"}`,
			`{"id":5,"v":"e","updated_at":"2026-01-03T00:00:00","_ab_cdc_deleted_at":"2026-01-03T00:00:00Z"}`},
	}
	want := "1=a2 2=b3 3=c4 4=d"
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) {
			srv := s3test.Start(t)
			cfg := srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "column_layout": layout}})
			cs := protocol.ConfiguredStream{
				Stream:   protocol.Stream{Name: "tx", JSONSchema: json.RawMessage(cdcSchema), SupportedSyncModes: []protocol.SyncMode{protocol.SyncModeIncremental}},
				SyncMode: protocol.SyncModeIncremental, DestinationSyncMode: protocol.DestinationAppendDedup,
				CursorField: []string{"updated_at"}, PrimaryKey: [][]string{{"id"}},
			}
			cfgPath := writeFile(t, "config.json", cfg)
			catPath := writeFile(t, "catalog.json", protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{cs}})
			for i, recs := range syncs {
				var in strings.Builder
				for _, r := range recs {
					fmt.Fprintf(&in, `{"type":"RECORD","record":{"stream":"tx","data":%s,"emitted_at":%d}}`+"\n", r, 1700000000000+int64(i)*1000)
				}
				if code, out, _ := runCLI(t, in.String(), "write", "--config", cfgPath, "--catalog", catPath); code != 0 {
					t.Fatalf("sync %d: exit %d: %s", i+1, code, out)
				}
			}
			s, err := arrowschema.Resolve([]byte(cdcSchema), layoutOf(layout))
			if err != nil {
				t.Fatal(err)
			}
			q, err := LatestQuery(&cs, s, &Partitioning{}, readAll(t, srv))
			if err != nil {
				t.Fatal(err)
			}
			rows := s3test.Query(t, s3test.DuckDB(t), "SELECT string_agg(id || '=' || v, ' ' ORDER BY id) FROM ("+q+")")
			if rows[0][0] != want {
				t.Errorf("view rows = %s, want %s\n%s", rows[0][0], want, q)
			}
			all := s3test.Query(t, s3test.DuckDB(t), "SELECT count(*) FROM "+readAll(t, srv))
			if all[0][0] != "11" {
				t.Errorf("the files hold %s versions, want all 11", all[0][0])
			}
		})
	}
}

func readAll(t *testing.T, srv *s3test.Server) string {
	var keys []string
	for _, k := range srv.Keys(t, "") {
		if !strings.HasSuffix(k, "/_SUCCESS") {
			keys = append(keys, k)
		}
	}
	local := srv.Download(t, keys)
	var paths []string
	for _, k := range keys {
		paths = append(paths, local[k])
	}
	return "read_parquet(" + s3test.FileList(paths) + ")"
}

func TestLatestQueryRefusals(t *testing.T) {
	s, err := arrowschema.Resolve([]byte(cdcSchema), arrowschema.Current)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cs      protocol.ConfiguredStream
		wantErr string
	}{
		{"no primary key", protocol.ConfiguredStream{}, "has no primary key"},
		{"unknown key", protocol.ConfiguredStream{PrimaryKey: [][]string{{"nope"}}}, "primary key field nope is not in"},
		{"nested cursor", protocol.ConfiguredStream{PrimaryKey: [][]string{{"id"}}, CursorField: []string{"v", "x"}}, "cursor v.x is a nested field"},
	}
	for _, tt := range tests {
		tt.cs.Stream = protocol.Stream{Name: "tx"}
		if _, err := LatestQuery(&tt.cs, s, &Partitioning{}, "t"); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

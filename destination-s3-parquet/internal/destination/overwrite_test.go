package destination

import (
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

func generationOf(t *testing.T, srv *s3test.Server, key string) string {
	for k, v := range srv.Metadata(t, key) {
		if strings.EqualFold(k, "ab-generation-id") {
			return v
		}
	}
	return ""
}

// TestOverwrite: older generations stay until a sync has completely
// written the stream, then only they are removed; a failed sync never
// leaves the stream empty; append never deletes.
func TestOverwrite(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{"s3_path_format": "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "write_success_markers": false})
	users := func(gen int64) map[string]any {
		return catalog(catalogStream{name: "users", namespace: "radar", schema: smallSchema, mode: "overwrite", generation: i64(gen), minGeneration: i64(gen)},
			catalogStream{name: "users_archive", namespace: "radar", schema: smallSchema, mode: "append"})
	}
	// A neighbour whose prefix starts like the stream's, and a hand-made file.
	srv.Put(t, "airbyte/raw/radar/users_archive/2020_01_01_1577836800000_0.parquet", []byte("not ours"), nil)
	srv.Put(t, "airbyte/raw/radar/users/README.txt", []byte("hand made"), nil)

	// Generation 1.
	if r := write(t, cfg, users(1), records("radar", "users", 0, 3)+streamState("radar", "users", 1, "a")); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	gen1 := parquetKeys(t, srv, "airbyte/raw/radar/users/")
	gen1 = without(gen1, "airbyte/raw/radar/users/README.txt")
	if len(gen1) != 1 || generationOf(t, srv, gen1[0]) != "1" {
		t.Fatalf("generation 1 objects = %v", gen1)
	}

	// Generation 2 fails in the middle (a malformed line): generation 1 stays.
	bad := records("radar", "users", 10, 2) + "{not json\n"
	if r := write(t, cfg, users(2), bad); r.code != 1 {
		t.Fatalf("failed sync exit %d", r.code)
	}
	if got := parquetKeys(t, srv, "airbyte/raw/radar/users/"); !contains(got, gen1[0]) {
		t.Fatalf("generation 1 removed by a failed sync: %v", got)
	}

	// Generation 3 ends without a state after its last records (the source
	// died and the platform closed stdin): its data is written, generation 1 stays.
	if r := write(t, cfg, users(3), records("radar", "users", 20, 2)); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	after3 := parquetKeys(t, srv, "airbyte/raw/radar/users/")
	if !contains(after3, gen1[0]) || len(without(after3, "airbyte/raw/radar/users/README.txt")) != 2 {
		t.Fatalf("after an unfinished generation 3: %v", after3)
	}

	// Generation 4 completes: only its own object remains (plus foreign files).
	if r := write(t, cfg, users(4), records("radar", "users", 30, 4)+streamState("radar", "users", 4, "d")+recordLine("radar", "users_archive", `{"id":1}`, 1)); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	final := without(parquetKeys(t, srv, "airbyte/raw/radar/users/"), "airbyte/raw/radar/users/README.txt")
	if len(final) != 1 || generationOf(t, srv, final[0]) != "4" {
		t.Fatalf("after generation 4: %v", final)
	}
	if !contains(srv.Keys(t, ""), "airbyte/raw/radar/users/README.txt") || !contains(srv.Keys(t, ""), "airbyte/raw/radar/users_archive/2020_01_01_1577836800000_0.parquet") {
		t.Errorf("foreign objects were deleted: %v", srv.Keys(t, ""))
	}
	db := s3test.DuckDB(t)
	if got := s3test.Query(t, db, "SELECT min(id), max(id), count(*) FROM "+readSource(t, srv, final))[0]; strings.Join(got, ",") != "30,33,4" {
		t.Errorf("overwritten stream holds %v", got)
	}
}

// TestOverwriteWithStatuses: with stream statuses in the input, only a
// COMPLETE stream is cleaned; without generation ids everything older goes.
func TestOverwriteWithStatuses(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(map[string]any{"write_success_markers": false})
	cat := catalog(catalogStream{name: "a", schema: smallSchema, mode: "overwrite"}, catalogStream{name: "b", schema: smallSchema, mode: "overwrite"})
	first := records("", "a", 0, 1) + records("", "b", 0, 1) + streamState("", "a", 1, "x") + streamState("", "b", 2, "x")
	if r := write(t, cfg, cat, first); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	status := func(s, st string) string {
		return `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"` + s + `"},"status":"` + st + `"}}}` + "\n"
	}
	second := status("a", "STARTED") + records("", "a", 5, 1) + records("", "b", 5, 1) + streamState("", "a", 1, "y") + streamState("", "b", 2, "y") + status("a", "COMPLETE") + status("b", "INCOMPLETE")
	if r := write(t, cfg, cat, second); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	if n := len(parquetKeys(t, srv, "airbyte/raw/a/")); n != 1 {
		t.Errorf("stream a (COMPLETE) has %d objects, want 1", n)
	}
	if n := len(parquetKeys(t, srv, "airbyte/raw/b/")); n != 2 {
		t.Errorf("stream b (INCOMPLETE) has %d objects, want 2 (old data kept)", n)
	}
}

// TestAppendAndDedupModes: append keeps everything; append_dedup is written
// exactly as append (every version kept; the Athena view deduplicates);
// append_dedup without a primary key and the other dedup modes are a
// config error naming the stream.
func TestAppendAndDedupModes(t *testing.T) {
	for _, mode := range []string{"append", "append_dedup"} {
		t.Run(mode, func(t *testing.T) {
			srv := s3test.Start(t)
			cat := catalog(catalogStream{name: "users", schema: smallSchema, mode: mode, primaryKey: [][]string{{"id"}}, cursor: []string{"id"}})
			for i := 0; i < 2; i++ {
				// The same key twice: both versions are kept.
				if r := write(t, srv.Config(nil), cat, records("", "users", 0, 1)+streamState("", "users", 1, "x")); r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stdout)
				}
			}
			keys := parquetKeys(t, srv, "")
			if len(keys) != 2 {
				t.Fatalf("%d objects, want 2", len(keys))
			}
			rows := s3test.Query(t, s3test.DuckDB(t), "SELECT count(*), count(DISTINCT id) FROM "+readSource(t, srv, keys))
			if rows[0][0] != "2" || rows[0][1] != "1" {
				t.Errorf("rows, distinct ids = %v, want 2 rows of 1 id", rows[0])
			}
		})
	}
	tests := []struct {
		name, mode string
		pk         [][]string
		want       string
	}{
		{"append_dedup without a primary key", "append_dedup", nil, "needs a primary key"},
		{"update", "update", [][]string{{"id"}}, "not supported"},
		{"soft_delete", "soft_delete", [][]string{{"id"}}, "not supported"},
	}
	for _, tt := range tests {
		srv := s3test.Start(t)
		r := write(t, srv.Config(nil), catalog(catalogStream{name: "users", schema: smallSchema, mode: tt.mode, primaryKey: tt.pk}), "")
		te := traceError(r)
		if r.code != 1 || te == nil || te.FailureType != "config_error" || !strings.Contains(te.Message, tt.mode) ||
			!strings.Contains(te.Message, "users") || !strings.Contains(te.Message, tt.want) {
			t.Errorf("%s: exit %d, trace %+v", tt.name, r.code, te)
		}
	}
}

func without(ss []string, drop string) []string {
	var out []string
	for _, s := range ss {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// TestCheck covers a good bucket and every failure a user can fix: each is
// a CONNECTION_STATUS FAILED that says what to fix, without secrets.
func TestCheck(t *testing.T) {
	srv := s3test.Start(t)
	tests := []struct {
		name    string
		extra   map[string]any
		fault   s3test.Fault
		status  string
		message string
	}{
		{"ok", nil, nil, "SUCCEEDED", ""},
		{"no such bucket", map[string]any{"s3_bucket_name": "no-such-bucket"}, nil, "FAILED", "does not exist"},
		{"access denied", nil, s3test.AccessDeniedFault, "FAILED", "access denied"},
		{"wrong region", map[string]any{"s3_bucket_region": "us-west-2"}, s3test.RegionFault, "FAILED", "s3_bucket_region"},
		{"bad endpoint", map[string]any{"s3_endpoint": "http://127.0.0.1:1"}, nil, "FAILED", "s3_endpoint"},
		{"bucket path ends with slash", map[string]any{"s3_bucket_path": "airbyte/raw/"}, nil, "FAILED", "must not end with /"},
		{"bad codec", map[string]any{"format": map[string]any{"format_type": "Parquet", "compression_codec": "LZO"}}, nil, "FAILED", "LZO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFault(tt.fault)
			defer srv.SetFault(nil)
			r := check(t, srv.Config(tt.extra))
			if r.code != 0 || len(r.msgs) == 0 {
				t.Fatalf("exit %d: %s", r.code, r.stdout)
			}
			var cs *struct{ status, msg string }
			for _, m := range r.msgs {
				if m.ConnectionStatus != nil {
					cs = &struct{ status, msg string }{string(m.ConnectionStatus.Status), m.ConnectionStatus.Message}
				}
			}
			if cs == nil || cs.status != tt.status || !strings.Contains(cs.msg, tt.message) {
				t.Fatalf("connection status = %+v, want %s containing %q\n%s", cs, tt.status, tt.message, r.stdout)
			}
			if tt.status == "SUCCEEDED" {
				if keys := srv.Keys(t, ""); len(keys) != 0 {
					t.Errorf("check left objects: %v", keys)
				}
				if ups := srv.MultipartUploads(t); len(ups) != 0 {
					t.Errorf("check left multipart uploads: %v", ups)
				}
			}
		})
	}
}

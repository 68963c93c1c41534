package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// merge returns base with extra merged in: a nil value deletes a key, a
// dotted key sets a nested one ("ssl_mode.mode").
func merge(base map[string]any, extra map[string]any) map[string]any {
	b, _ := json.Marshal(base)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	for k, v := range extra {
		m := out
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		last := parts[len(parts)-1]
		if v == nil {
			delete(m, last)
		} else {
			m[last] = v
		}
	}
	return out
}

// expectConfigError runs a connector command and checks that it failed with
// exactly one config_error whose message contains want (for check: a
// CONNECTION_STATUS FAILED), and that it printed no record.
func expectConfigError(t *testing.T, bin string, want string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := harness.Command(ctx, bin, nil, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range r.Invalid {
		t.Errorf("invalid output line: %s", inv)
	}
	if n := len(r.OfType(protocol.TypeRecord)); n > 0 {
		t.Errorf("%d records printed", n)
	}
	if args[0] == "check" {
		cs := r.OfType(protocol.TypeConnectionStatus)
		if r.Code != 0 || len(cs) != 1 || cs[0].ConnectionStatus.Status != protocol.StatusFailed {
			t.Fatalf("check: exit %d, %d statuses, want one FAILED:\n%s", r.Code, len(cs), r.Stdout)
		}
		if msg := cs[0].ConnectionStatus.Message; !strings.Contains(msg, want) {
			t.Errorf("check message %q does not name %q", msg, want)
		}
		return
	}
	errs := r.Errors()
	if r.Code != 1 || len(errs) != 1 {
		t.Fatalf("exit %d with %d TRACE ERRORs, want 1 and 1:\n%s\n%s", r.Code, len(errs), r.Stdout, r.Stderr)
	}
	if errs[0].FailureType != protocol.FailureConfig {
		t.Errorf("failure_type %s, want config_error: %s", errs[0].FailureType, errs[0].Message)
	}
	if !strings.Contains(errs[0].Message, want) {
		t.Errorf("message %q does not name %q", errs[0].Message, want)
	}
}

// TestMalformedSourceInputs: every malformed source config, state file
// and catalog is a config_error that names what is wrong, through the
// built binary.
func TestMalformedSourceInputs(t *testing.T) {
	my := harness.SharedMySQL(t)
	db := newTestDB(t, my, "relcfg")
	db.exec(t, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	base := map[string]any{
		"host": my.Host, "port": my.Port, "database": db.name, "username": my.User, "password": my.Password,
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD"},
	}
	goodCfg := harness.WriteJSON(t, "good.json", base)
	cat := discover(t, goodCfg)
	full := harness.WriteJSON(t, "catalog.json", fullRefresh(cat))
	incr := fullRefresh(cat)
	incr.Streams[0].SyncMode = protocol.SyncModeIncremental
	incr.Streams[0].CursorField = []string{"id"}
	incrCat := harness.WriteJSON(t, "incremental.json", incr)

	configs := []struct {
		name string
		cfg  any // map or raw text
		want string
	}{
		{"not JSON", `{"host": "db", `, "not valid JSON"},
		{"port of the wrong type", merge(base, map[string]any{"port": "3306"}), "port"},
		{"chunk_size of the wrong type", merge(base, map[string]any{"chunk_size": "big"}), "chunk_size"},
		{"ssl of the wrong type", merge(base, map[string]any{"ssl": "yes"}), "ssl"},
		{"table_filters of the wrong type", merge(base, map[string]any{"table_filters": map[string]any{}}), "table_filters"},
		{"host missing", merge(base, map[string]any{"host": nil}), "host"},
		{"database missing", merge(base, map[string]any{"database": nil}), "database"},
		{"username missing", merge(base, map[string]any{"username": nil}), "username"},
		{"replication_method missing", merge(base, map[string]any{"replication_method": nil}), "replication_method"},
		{"unknown ssl mode", merge(base, map[string]any{"ssl_mode.mode": "sometimes"}), "ssl_mode"},
		{"unknown replication method", merge(base, map[string]any{"replication_method.method": "LOGICAL"}), "replication_method"},
		{"unknown tunnel method", merge(base, map[string]any{"tunnel_method.tunnel_method": "VPN"}), "tunnel_method"},
		{"verify_ca without its CA", merge(base, map[string]any{"ssl_mode.mode": "verify_ca"}), "ca_certificate"},
		{"SSH key tunnel without a key", merge(base, map[string]any{"tunnel_method": map[string]any{"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "jump", "tunnel_port": 22, "tunnel_user": "u"}}), "ssh_key"},
		{"SSH password tunnel without a password", merge(base, map[string]any{"tunnel_method": map[string]any{"tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": "jump", "tunnel_port": 22, "tunnel_user": "u"}}), "tunnel_user_password"},
	}
	for _, tc := range configs {
		t.Run("config/"+tc.name, func(t *testing.T) {
			cfg := harness.WriteJSON(t, "config.json", tc.cfg)
			expectConfigError(t, srcBin, tc.want, "read", "--config", cfg, "--catalog", full)
			expectConfigError(t, srcBin, tc.want, "check", "--config", cfg)
		})
	}

	stream := func(name string, state string) string {
		return `{"type":"STREAM","stream":{"stream_descriptor":{"name":"` + name + `","namespace":"` + db.name + `"},"stream_state":` + state + `}}`
	}
	states := []struct {
		name, state, catalog, want string
	}{
		{"not JSON", `[{"type":`, full, "state"},
		{"a string", `"yesterday"`, full, "state must be a JSON array"},
		{"array of numbers", `[1]`, full, "state[0]"},
		{"STREAM without stream", `[{"type":"STREAM"}]`, full, `"stream"`},
		{"stream without a name", `[{"type":"STREAM","stream":{"stream_descriptor":{},"stream_state":{}}}]`, full, "stream_descriptor.name"},
		{"unknown state type", `[{"type":"SOMETIMES"}]`, full, "SOMETIMES"},
		{"unusable stream_state", `[` + stream("t", `{"state_type":"cdc_offset","x":1}`) + `]`, full, "reset the stream"},
		{"cursor of the wrong type", `[` + stream("t", `{"cursor_field":["id"],"cursor":"not a number","cursor_record_count":1}`) + `]`, incrCat, `"id"`},
	}
	for _, tc := range states {
		t.Run("state/"+tc.name, func(t *testing.T) {
			expectConfigError(t, srcBin, tc.want, "read", "--config", goodCfg, "--catalog", tc.catalog, "--state", harness.WriteJSON(t, "state.json", tc.state))
		})
	}
	t.Run("state/unknown stream is ignored", func(t *testing.T) {
		// The platform keeps states of streams taken out of a connection:
		// they are not an error, and the configured stream is read.
		r := harness.Run(t, srcBin, "read", "--config", goodCfg, "--catalog", full,
			"--state", harness.WriteJSON(t, "state.json", `[`+stream("gone", `{"cursor":"5"}`)+`]`))
		if r.Code != 0 || len(r.OfType(protocol.TypeRecord)) != 2 {
			t.Errorf("exit %d, %d records, want 0 and 2: %s", r.Code, len(r.OfType(protocol.TypeRecord)), r.Stdout)
		}
	})

	schema := `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}}}`
	catStream := func(name, extra string) string {
		return `{"stream":{"name":"` + name + `","namespace":"` + db.name + `","json_schema":` + schema + `,"supported_sync_modes":["full_refresh","incremental"]},"destination_sync_mode":"append"` + extra + `}`
	}
	catalogs := []struct {
		name, catalog, want string
	}{
		{"not JSON", `{"streams":[`, "not valid JSON"},
		{"streams missing", `{}`, `"streams"`},
		{"streams of the wrong type", `{"streams":{}}`, "streams"},
		{"invalid sync mode", `{"streams":[` + catStream("t", `,"sync_mode":"sometimes"`) + `]}`, "sync_mode"},
		{"unknown stream", `{"streams":[` + catStream("nope", `,"sync_mode":"full_refresh"`) + `]}`, `"nope"`},
		{"unknown column", `{"streams":[{"stream":{"name":"t","namespace":"` + db.name + `","json_schema":{"type":"object","properties":{"id":{},"gone":{}}},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`, `"gone"`},
		{"unknown cursor", `{"streams":[` + catStream("t", `,"sync_mode":"incremental","cursor_field":["updated_at"]`) + `]}`, `"updated_at"`},
	}
	for _, tc := range catalogs {
		t.Run("catalog/"+tc.name, func(t *testing.T) {
			expectConfigError(t, srcBin, tc.want, "read", "--config", goodCfg, "--catalog", harness.WriteJSON(t, "catalog.json", tc.catalog))
		})
	}
}

// TestMalformedDestinationInputs: every malformed destination config and
// catalog is a config_error that names what is wrong, through the built
// binary, before anything is written.
func TestMalformedDestinationInputs(t *testing.T) {
	s3 := harness.StartS3(t, bucket)
	base := map[string]any{
		"s3_bucket_name": bucket, "s3_bucket_path": "cfg", "s3_bucket_region": "us-east-1",
		"s3_endpoint": s3.Endpoint, "access_key_id": s3.AccessKey, "secret_access_key": s3.SecretKey,
		"format": map[string]any{"format_type": "Parquet"},
	}
	goodCat := badCatalog(t)
	configs := []struct {
		name string
		cfg  any
		want string
	}{
		{"not JSON", `{"s3_bucket_name": `, "not valid JSON"},
		{"bucket missing", merge(base, map[string]any{"s3_bucket_name": nil}), "s3_bucket_name"},
		{"format missing", merge(base, map[string]any{"format": nil}), "format"},
		{"part size of the wrong type", merge(base, map[string]any{"upload_part_size_mb": "10"}), "upload_part_size_mb"},
		{"part size below the minimum", merge(base, map[string]any{"upload_part_size_mb": 2}), "upload_part_size_mb"},
		{"file size not an integer", merge(base, map[string]any{"file_size_mb": 1.5}), "file_size_mb"},
		{"markers of the wrong type", merge(base, map[string]any{"write_success_markers": "yes"}), "write_success_markers"},
		{"unknown region", merge(base, map[string]any{"s3_bucket_region": "mars-1"}), "s3_bucket_region"},
		{"unknown codec", merge(base, map[string]any{"format.compression_codec": "LZMA"}), "compression_codec"},
		{"unknown encryption", merge(base, map[string]any{"server_side_encryption": "ROT13"}), "server_side_encryption"},
		{"another format", merge(base, map[string]any{"format.format_type": "CSV"}), "format"},
	}
	for _, tc := range configs {
		t.Run("config/"+tc.name, func(t *testing.T) {
			cfg := harness.WriteJSON(t, "config.json", tc.cfg)
			expectConfigError(t, dstBin, tc.want, "write", "--config", cfg, "--catalog", goodCat)
			expectConfigError(t, dstBin, tc.want, "check", "--config", cfg)
		})
	}
	goodCfg := harness.WriteJSON(t, "good.json", base)
	catalogs := []struct {
		name, catalog, want string
	}{
		{"not JSON", `{"streams":[`, "not valid JSON"},
		{"streams missing", `{}`, `"streams"`},
		{"stream without a name", `{"streams":[{"stream":{"json_schema":{}},"destination_sync_mode":"append"}]}`, "stream.name"},
		{"invalid destination sync mode", `{"streams":[{"stream":{"name":"t","json_schema":{}},"destination_sync_mode":"upsert"}]}`, "destination_sync_mode"},
		{"append_dedup without a primary key", `{"streams":[{"stream":{"name":"t","json_schema":{}},"destination_sync_mode":"append_dedup"}]}`, "append_dedup needs a primary key"},
		{"json_schema of the wrong type", `{"streams":[{"stream":{"name":"t","json_schema":5},"destination_sync_mode":"append"}]}`, "json_schema"},
	}
	for _, tc := range catalogs {
		t.Run("catalog/"+tc.name, func(t *testing.T) {
			expectConfigError(t, dstBin, tc.want, "write", "--config", goodCfg, "--catalog", harness.WriteJSON(t, "catalog.json", tc.catalog))
		})
	}
	if objs, _ := s3.List(context.Background(), bucket, "cfg/"); len(objs) > 0 {
		t.Errorf("objects written despite the errors: %v", objs)
	}
}

package acceptance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// Airbyte's timestamp formats are looser than RFC 3339 (no offset for
// timestamp_without_timezone, a space separator, BC dates); CAT checks them
// with a permissive parser, and so do we.
var (
	dateTimeRe = regexp.MustCompile(`^\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?( BC)?$`)
	dateRe     = regexp.MustCompile(`^\d{4,}-\d{2}-\d{2}( BC)?$`)
	timeRe     = regexp.MustCompile(`^-?\d{2,3}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$`)
)

func init() {
	lenient := func(re *regexp.Regexp) func(any) bool {
		return func(v any) bool {
			s, ok := v.(string)
			return !ok || re.MatchString(s)
		}
	}
	jsonschema.Formats["date-time"] = lenient(dateTimeRe)
	jsonschema.Formats["date"] = lenient(dateRe)
	jsonschema.Formats["time"] = lenient(timeRe)
}

// PreviousCatalogFile holds the catalog of the previous release for the
// discovery backward-compatibility test.
const PreviousCatalogFile = "integration_tests/previous_catalog.json"

func (r *Runner) testCheck(ctx context.Context, t *tc, ct ConnectionTest) {
	res, err := r.exec(ctx, ct.TimeoutSeconds, "check", "--config", r.path(ct.ConfigPath))
	if err != nil {
		t.errorf("%v", err)
		return
	}
	r.checkOutput(t, "check", res)
	statuses := res.OfType(protocol.TypeConnectionStatus)
	traces := res.OfType(protocol.TypeTrace)
	switch ct.Status {
	case "succeed", "":
		if len(statuses) != 1 || statuses[0].ConnectionStatus.Status != protocol.StatusSucceeded {
			t.errorf("want exactly one CONNECTION_STATUS SUCCEEDED, got %d statuses (%s)", len(statuses), truncateStr(string(res.Stdout), 500))
		}
	case "failed":
		if len(statuses) != 1 || statuses[0].ConnectionStatus.Status != protocol.StatusFailed {
			t.errorf("want exactly one CONNECTION_STATUS FAILED, got %d statuses (%s)", len(statuses), truncateStr(string(res.Stdout), 500))
		} else if statuses[0].ConnectionStatus.Message == "" {
			t.errorf("FAILED status without a message")
		}
	case "exception":
		if len(traces) != 1 || traces[0].Trace.Error == nil || traces[0].Trace.Error.Message == "" {
			t.errorf("want exactly one TRACE ERROR with a message, got %d traces", len(traces))
		}
	default:
		t.errorf("unknown status %q in the config", ct.Status)
	}
}

func (r *Runner) discover(ctx context.Context, t *tc, cfgPath string, timeout int) *protocol.Catalog {
	res, err := r.exec(ctx, timeout, "discover", "--config", r.path(cfgPath))
	if err != nil {
		t.errorf("%v", err)
		return nil
	}
	r.checkOutput(t, "discover", res)
	cats := res.OfType(protocol.TypeCatalog)
	if len(cats) != 1 {
		t.errorf("discover printed %d CATALOG messages, want exactly one (exit %d, %s)", len(cats), res.Code, truncateStr(string(res.Stdout), 500))
		return nil
	}
	return cats[0].Catalog
}

func (r *Runner) discoverySuite(ctx context.Context, add func(string, string, func(*tc)), suite string, dt DiscoveryTest) {
	var cat *protocol.Catalog
	add(suite, "test_discover", func(t *tc) {
		cat = r.discover(ctx, t, dt.ConfigPath, dt.TimeoutSeconds)
		if cat == nil {
			return
		}
		if len(cat.Streams) == 0 {
			t.errorf("the catalog has no streams")
		}
		seen := map[string]bool{}
		for _, s := range cat.Streams {
			if seen[s.Name] {
				t.errorf("stream name %s is not unique", s.Name)
			}
			seen[s.Name] = true
		}
	})
	if cat == nil {
		return
	}
	schemas := map[string]map[string]any{}
	add(suite, "test_streams_have_valid_json_schemas", func(t *tc) {
		for _, s := range cat.Streams {
			if _, err := compileSchema(s.JSONSchema); err != nil {
				t.errorf("stream %s: json_schema is not a valid Draft 7 schema: %v", s.Name, err)
			}
			var m map[string]any
			if err := json.Unmarshal(s.JSONSchema, &m); err != nil {
				t.errorf("stream %s: json_schema is not an object", s.Name)
				continue
			}
			schemas[s.Name] = m
		}
	})
	add(suite, "test_defined_cursors_exist_in_schema", func(t *tc) {
		for _, s := range cat.Streams {
			if len(s.DefaultCursorField) > 0 && !pathExists(schemas[s.Name], s.DefaultCursorField) {
				t.errorf("stream %s: default_cursor_field %v is not in the schema", s.Name, s.DefaultCursorField)
			}
		}
	})
	add(suite, "test_defined_refs_exist_in_schema", func(t *tc) {
		for _, s := range cat.Streams {
			if bytes.Contains(s.JSONSchema, []byte(`"$ref"`)) {
				t.errorf("stream %s: json_schema uses $ref", s.Name)
			}
		}
	})
	for _, kw := range []string{"allOf", "not"} {
		kw := kw
		add(suite, "test_defined_keyword_exist_in_schema["+kw+"]", func(t *tc) {
			for _, s := range cat.Streams {
				walkSchema(schemas[s.Name], "", func(path string, node map[string]any) {
					if _, ok := node[kw]; ok {
						t.errorf("stream %s: %s uses %s", s.Name, orRoot(path), kw)
					}
				})
			}
		})
	}
	add(suite, "test_primary_keys_exist_in_schema", func(t *tc) {
		for _, s := range cat.Streams {
			for _, pk := range s.SourceDefinedPrimaryKey {
				if !pathExists(schemas[s.Name], pk) {
					t.errorf("stream %s: primary key %v is not in the schema", s.Name, pk)
				}
			}
		}
	})
	add(suite, "test_streams_has_sync_modes", func(t *tc) {
		for _, s := range cat.Streams {
			if len(s.SupportedSyncModes) == 0 {
				t.errorf("stream %s has no supported_sync_modes", s.Name)
			}
			for _, m := range s.SupportedSyncModes {
				if !m.Valid() {
					t.errorf("stream %s: unknown sync mode %q", s.Name, m)
				}
			}
		}
	})
	add(suite, "test_additional_properties_is_true", func(t *tc) {
		for _, s := range cat.Streams {
			walkSchema(schemas[s.Name], "", func(path string, node map[string]any) {
				if ap, ok := node["additionalProperties"]; ok && ap != true {
					t.errorf("stream %s: %s has additionalProperties %v", s.Name, orRoot(path), ap)
				}
			})
		}
	})
	add(suite, "test_primary_keys_data_type", func(t *tc) {
		if !boolOr(dt.ValidatePrimaryKeysDataType, true) {
			t.skipf("disabled")
			return
		}
		for _, s := range cat.Streams {
			for _, pk := range s.SourceDefinedPrimaryKey {
				node := lookupPath(schemas[s.Name], pk)
				typ := fmt.Sprint(node["type"])
				if strings.Contains(typ, "object") || strings.Contains(typ, "array") {
					t.errorf("stream %s: primary key %v has type %s", s.Name, pk, typ)
				}
			}
		}
	})
	add(suite, "test_backward_compatibility", func(t *tc) {
		var prev protocol.Catalog
		if err := readJSONFile(r.path(PreviousCatalogFile), &prev); err != nil {
			t.skipf("no %s", PreviousCatalogFile)
			return
		}
		now := map[string]protocol.Stream{}
		for _, s := range cat.Streams {
			now[s.Name] = s
		}
		for _, old := range prev.Streams {
			cur, ok := now[old.Name]
			if !ok {
				t.errorf("stream %s was removed", old.Name)
				continue
			}
			var om, nm map[string]any
			json.Unmarshal(old.JSONSchema, &om)
			json.Unmarshal(cur.JSONSchema, &nm)
			op, _ := om["properties"].(map[string]any)
			np, _ := nm["properties"].(map[string]any)
			for _, f := range sortedKeys(op) {
				nf, ok := np[f].(map[string]any)
				if !ok {
					t.errorf("stream %s: field %s was removed", old.Name, f)
					continue
				}
				of, _ := op[f].(map[string]any)
				if fmt.Sprint(of["type"]) != fmt.Sprint(nf["type"]) {
					t.errorf("stream %s: field %s changed type from %v to %v", old.Name, f, of["type"], nf["type"])
				}
			}
		}
	})
}

func lookupPath(schema map[string]any, path []string) map[string]any {
	node := schema
	for _, p := range path {
		props, _ := node["properties"].(map[string]any)
		next, ok := props[p].(map[string]any)
		if !ok {
			return nil
		}
		node = next
	}
	return node
}

func pathExists(schema map[string]any, path []string) bool { return lookupPath(schema, path) != nil }

// readOutput is one read run, decoded.
type readOutput struct {
	res     *harness.Result
	records []protocol.RecordMessage
	states  []protocol.StateMessage
	// stateLines are the raw STATE payloads in order, for re-reads.
	statesRaw []json.RawMessage
}

func (r *Runner) read(ctx context.Context, t *tc, cfgPath, catalogPath, statePath string, timeout int) *readOutput {
	args := []string{"read", "--config", r.path(cfgPath), "--catalog", catalogPath}
	if statePath != "" {
		args = append(args, "--state", statePath)
	}
	var res *harness.Result
	var channel []protocol.RecordMessage
	var err error
	if r.DataChannel != "" {
		res, channel, err = r.socketRead(ctx, timeout, catalogPath, args)
	} else {
		res, err = r.exec(ctx, timeout, args...)
	}
	if err != nil {
		t.errorf("%v", err)
		return nil
	}
	r.checkOutput(t, "read", res)
	out := &readOutput{res: res, records: channel}
	for _, m := range res.Messages {
		switch m.Type {
		case protocol.TypeRecord:
			if r.DataChannel != "" {
				t.errorf("read printed a RECORD on stdout in socket mode")
			}
			out.records = append(out.records, *m.Record)
		case protocol.TypeState:
			out.states = append(out.states, *m.State)
			b, _ := json.Marshal(m.State)
			out.statesRaw = append(out.statesRaw, b)
		}
	}
	return out
}

// catalogFor returns the configured catalog file for a read test: the
// configured_catalog_path, or one built from discover (full refresh,
// append) without the empty streams.
func (r *Runner) catalogFor(ctx context.Context, t *tc, path, cfgPath string, timeout int, skip map[string]bool) (string, *protocol.ConfiguredCatalog) {
	if path != "" {
		p := r.path(path)
		b, err := os.ReadFile(p)
		if err != nil {
			t.errorf("read configured catalog: %v", err)
			return "", nil
		}
		cat, err := protocol.ParseConfiguredCatalog(b, true)
		if err != nil {
			t.errorf("configured catalog %s: %v", path, err)
			return "", nil
		}
		return p, cat
	}
	disc := r.discover(ctx, t, cfgPath, timeout)
	if disc == nil {
		return "", nil
	}
	cat := &protocol.ConfiguredCatalog{}
	for _, s := range disc.Streams {
		if skip[s.Name] {
			continue
		}
		cat.Streams = append(cat.Streams, protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeFullRefresh, DestinationSyncMode: protocol.DestinationAppend})
	}
	return writeTemp(t, "catalog.json", cat), cat
}

func writeTemp(t *tc, name string, v any) string {
	dir, err := os.MkdirTemp("", "cat-")
	if err != nil {
		t.errorf("%v", err)
		return ""
	}
	b, _ := json.Marshal(v)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.errorf("%v", err)
	}
	return p
}

func (r *Runner) basicReadSuite(ctx context.Context, add func(string, string, func(*tc)), suite string, bt BasicReadTest) {
	add(suite, "test_read", func(t *tc) {
		empty := map[string]bool{}
		for _, e := range bt.EmptyStreams {
			empty[e.Name] = true
		}
		catPath, cat := r.catalogFor(ctx, t, bt.ConfiguredCatalogPath, bt.ConfigPath, bt.TimeoutSeconds, empty)
		if cat == nil {
			return
		}
		out := r.read(ctx, t, bt.ConfigPath, catPath, "", bt.TimeoutSeconds)
		if out == nil {
			return
		}
		if out.res.Code != 0 {
			t.errorf("read exited with %d: %s", out.res.Code, truncateStr(string(out.res.Stdout), 800))
		}
		if len(out.records) == 0 {
			t.errorf("read produced no records")
		}
		streams := map[string]*protocol.ConfiguredStream{}
		validators := map[string]*jsonschema.Schema{}
		props := map[string]map[string]any{}
		for i := range cat.Streams {
			cs := &cat.Streams[i]
			streams[cs.Stream.Name] = cs
			if sch, err := compileSchema(cs.Stream.JSONSchema); err == nil {
				validators[cs.Stream.Name] = sch
			} else {
				t.errorf("stream %s: schema does not compile: %v", cs.Stream.Name, err)
			}
			var m map[string]any
			json.Unmarshal(cs.Stream.JSONSchema, &m)
			p, _ := m["properties"].(map[string]any)
			props[cs.Stream.Name] = p
		}
		counts := map[string]int{}
		schemaErrors := 0
		for _, rec := range out.records {
			counts[rec.Stream]++
			cs, ok := streams[rec.Stream]
			if !ok {
				t.errorf("record for stream %s, which is not in the configured catalog", rec.Stream)
				continue
			}
			var data map[string]any
			dec := json.NewDecoder(bytes.NewReader(rec.Data))
			dec.UseNumber()
			if err := dec.Decode(&data); err != nil {
				t.errorf("stream %s: record data is not an object", rec.Stream)
				continue
			}
			if boolOr(bt.ValidateSchema, true) {
				if v := validators[rec.Stream]; v != nil {
					if err := v.Validate(data); err != nil && schemaErrors < 10 {
						schemaErrors++
						t.errorf("stream %s: record does not match its schema: %v", rec.Stream, err)
					}
				}
				shared := false
				for k := range data {
					if _, ok := props[rec.Stream][k]; ok {
						shared = true
					}
					if boolOr(bt.FailOnExtraColumns, true) && props[rec.Stream] != nil {
						if _, ok := props[rec.Stream][k]; !ok && schemaErrors < 10 {
							schemaErrors++
							t.errorf("stream %s: record field %s is not in the schema", rec.Stream, k)
						}
					}
				}
				if !shared && len(data) > 0 {
					t.errorf("stream %s: record shares no field with the schema", rec.Stream)
				}
			}
			pk := cs.PrimaryKey
			if len(pk) == 0 {
				pk = cs.Stream.SourceDefinedPrimaryKey
			}
			if len(pk) > 0 {
				allNull := true
				for _, p := range pk {
					v := valueAt(data, p)
					switch v.(type) {
					case map[string]any, []any:
						t.errorf("stream %s: primary key %v holds an object or array", rec.Stream, p)
					case nil:
					default:
						allNull = false
					}
				}
				if allNull {
					t.errorf("stream %s: a record's primary key is all null", rec.Stream)
				}
			}
		}
		for _, cs := range cat.Streams {
			if counts[cs.Stream.Name] == 0 && !empty[cs.Stream.Name] {
				t.errorf("stream %s produced no records (list it in empty_streams if that is expected)", cs.Stream.Name)
			}
		}
		if bt.ExpectRecords != nil && bt.ExpectRecords.Path != "" {
			r.checkExpectedRecords(t, bt.ExpectRecords, out.records, streams)
		}
		if boolOr(bt.ValidateStreamStatuses, true) {
			checkStreamStatuses(t, out.res.Messages, cat)
		}
		if boolOr(bt.ValidateStateMessages, true) {
			if len(out.states) < len(cat.Streams) {
				t.errorf("%d STATE messages for %d streams: every stream needs at least one", len(out.states), len(cat.Streams))
			}
			for _, s := range out.states {
				if s.Type == protocol.StateLegacy || s.Type == "" {
					t.errorf("a LEGACY state was emitted")
				}
				if s.SourceStats == nil || s.SourceStats.RecordCount == nil {
					t.errorf("a STATE has no sourceStats.recordCount")
				}
			}
		}
		if bt.ValidateDataPoints {
			for name, p := range props {
				for field := range p {
					found := false
					for _, rec := range out.records {
						if rec.Stream != name {
							continue
						}
						var data map[string]any
						json.Unmarshal(rec.Data, &data)
						if data[field] != nil {
							found = true
							break
						}
					}
					if !found && counts[name] > 0 {
						t.errorf("stream %s: field %s is null in every record", name, field)
					}
				}
			}
		}
	})
	add(suite, "test_airbyte_trace_message_on_failure", func(t *tc) {
		if !boolOr(bt.ExpectTraceMessageOnFailure, true) {
			t.skipf("disabled")
			return
		}
		bogus := map[string]any{"streams": []any{map[string]any{
			"stream":                map[string]any{"name": "__AIRBYTE__stream_that_does_not_exist", "json_schema": map[string]any{"type": "object", "properties": map[string]any{"f1": map[string]any{"type": "string"}}}, "supported_sync_modes": []string{"full_refresh"}},
			"sync_mode":             "INVALID",
			"destination_sync_mode": "INVALID",
		}}}
		out := r.read(ctx, t, bt.ConfigPath, writeTemp(t, "bogus_catalog.json", bogus), "", bt.TimeoutSeconds)
		if out == nil {
			return
		}
		n := 0
		for _, m := range out.res.OfType(protocol.TypeTrace) {
			if m.Trace.Type == protocol.TraceError {
				n++
			}
		}
		if n == 0 {
			t.errorf("reading a bogus catalog printed no TRACE ERROR")
		}
		if out.res.Code == 0 {
			t.errorf("reading a bogus catalog exited 0")
		}
	})
}

func valueAt(data map[string]any, path []string) any {
	var cur any = data
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// checkStreamStatuses requires STARTED, at least one RUNNING, then COMPLETE
// for every configured stream, in that order.
func checkStreamStatuses(t *tc, msgs []protocol.Message, cat *protocol.ConfiguredCatalog) {
	seq := map[string][]protocol.StreamStatus{}
	for _, m := range msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus {
			d := m.Trace.StreamStatus.StreamDescriptor
			seq[d.Name] = append(seq[d.Name], m.Trace.StreamStatus.Status)
		}
	}
	for _, cs := range cat.Streams {
		s := seq[cs.Stream.Name]
		ok := len(s) >= 3 && s[0] == protocol.StreamStarted && s[len(s)-1] == protocol.StreamComplete
		for i := 1; ok && i < len(s)-1; i++ {
			ok = s[i] == protocol.StreamRunning
		}
		if !ok {
			t.errorf("stream %s: statuses %v, want STARTED, RUNNING..., COMPLETE", cs.Stream.Name, s)
		}
	}
}

func (r *Runner) checkExpectedRecords(t *tc, er *ExpectRecords, actual []protocol.RecordMessage, streams map[string]*protocol.ConfiguredStream) {
	f, err := os.Open(r.path(er.Path))
	if err != nil {
		t.errorf("open expected records: %v", err)
		return
	}
	defer f.Close()
	expected := map[string][]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec struct {
			Stream    string          `json:"stream"`
			Data      json.RawMessage `json:"data"`
			EmittedAt json.Number     `json:"emitted_at"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Stream == "" || rec.Data == nil || rec.EmittedAt == "" {
			t.errorf("%s line %d is not an AirbyteRecordMessage with stream, data and emitted_at", er.Path, line)
			continue
		}
		expected[rec.Stream] = append(expected[rec.Stream], decodeNumbers(rec.Data))
	}
	got := map[string][]map[string]any{}
	for _, a := range actual {
		got[a.Stream] = append(got[a.Stream], decodeNumbers(a.Data))
	}
	for _, name := range sortedKeys(expected) {
		cs := streams[name]
		if cs == nil {
			t.errorf("expected records name stream %s, which is not configured", name)
			continue
		}
		exp, act := expected[name], got[name]
		pk := cs.PrimaryKey
		if len(pk) == 0 {
			pk = cs.Stream.SourceDefinedPrimaryKey
		}
		if len(pk) == 0 {
			if len(act) < len(exp) {
				t.errorf("stream %s: %d records read, %d expected", name, len(act), len(exp))
			}
			continue
		}
		byKey := map[string]map[string]any{}
		var actKeys []string
		for _, a := range act {
			k := keyOf(a, pk)
			byKey[k] = a
			actKeys = append(actKeys, k)
		}
		for i, e := range exp {
			k := keyOf(e, pk)
			a, ok := byKey[k]
			if !ok {
				t.errorf("stream %s: expected record with key %s was not read", name, k)
				continue
			}
			if !reflect.DeepEqual(e, a) {
				t.errorf("stream %s, key %s: record differs:\n      expected %s\n      actual   %s", name, k, mustJSON(e), mustJSON(a))
			}
			if er.ExactOrder && (i >= len(actKeys) || actKeys[i] != k) {
				t.errorf("stream %s: expected record %d (key %s) is out of order", name, i, k)
			}
		}
	}
}

// decodeNumbers decodes JSON with numbers as exact big.Rat strings, so 12.50
// and 12.5 compare equal and big integers stay exact.
func decodeNumbers(raw json.RawMessage) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	dec.Decode(&m)
	return normNumbers(m).(map[string]any)
}

func normNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if r, ok := new(big.Rat).SetString(x.String()); ok {
			return "num:" + r.RatString()
		}
		return "num:" + x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = normNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normNumbers(e)
		}
		return x
	}
	return v
}

func keyOf(m map[string]any, pk [][]string) string {
	parts := make([]string, len(pk))
	for i, p := range pk {
		parts[i] = strings.Join(p, ".") + "=" + strings.TrimPrefix(fmt.Sprint(valueAt(m, p)), "num:")
	}
	return strings.Join(parts, ",")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (r *Runner) testSequentialReads(ctx context.Context, t *tc, ft FullRefreshTest) {
	catPath, cat := r.catalogFor(ctx, t, ft.ConfiguredCatalogPath, ft.ConfigPath, ft.TimeoutSeconds, nil)
	if cat == nil {
		return
	}
	first := r.read(ctx, t, ft.ConfigPath, catPath, "", ft.TimeoutSeconds)
	second := r.read(ctx, t, ft.ConfigPath, catPath, "", ft.TimeoutSeconds)
	if first == nil || second == nil {
		return
	}
	if first.res.Code != 0 || second.res.Code != 0 {
		t.errorf("reads exited with %d and %d", first.res.Code, second.res.Code)
	}
	if len(first.records) == 0 || len(second.records) == 0 {
		t.errorf("a read produced no records (%d, %d)", len(first.records), len(second.records))
		return
	}
	var max1, min2 int64 = 0, 1<<63 - 1
	for _, r := range first.records {
		max1 = max(max1, r.EmittedAt)
	}
	for _, r := range second.records {
		min2 = min(min2, r.EmittedAt)
	}
	if max1 >= min2 {
		t.errorf("emitted_at does not increase between reads: last of the first %d, first of the second %d", max1, min2)
	}
	// The same data both times (full refresh of an unchanged database).
	a, b := recordSet(first.records), recordSet(second.records)
	if !reflect.DeepEqual(a, b) {
		t.errorf("two full-refresh reads of unchanged data differ (%d vs %d distinct records)", len(a), len(b))
	}
}

func recordSet(recs []protocol.RecordMessage) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		out[r.Stream+"|"+mustJSON(decodeNumbers(r.Data))]++
	}
	return out
}

func (r *Runner) incrementalSuite(ctx context.Context, add func(string, string, func(*tc)), suite string, it IncrementalTest) {
	add(suite, "test_two_sequential_reads", func(t *tc) {
		catPath, cat := r.catalogFor(ctx, t, it.ConfiguredCatalogPath, it.ConfigPath, it.TimeoutSeconds, nil)
		if cat == nil {
			return
		}
		for _, cs := range cat.Streams {
			if cs.SyncMode == protocol.SyncModeIncremental && len(cs.CursorField) == 0 && len(cs.Stream.DefaultCursorField) == 0 && !cs.Stream.SourceDefinedCursor {
				t.errorf("stream %s is incremental without a cursor_field or default_cursor_field", cs.Stream.Name)
			}
		}
		first := r.read(ctx, t, it.ConfigPath, catPath, "", it.TimeoutSeconds)
		if first == nil {
			return
		}
		if len(first.states) == 0 || len(first.records) == 0 {
			t.errorf("the first read must emit states and records (got %d and %d)", len(first.states), len(first.records))
			return
		}
		statePath := writeTemp(t, "state.json", finalStates(first.states))
		second := r.read(ctx, t, it.ConfigPath, catPath, statePath, it.TimeoutSeconds)
		if second == nil {
			return
		}
		if second.res.Code != 0 {
			t.errorf("the second read exited with %d", second.res.Code)
		}
		if reflect.DeepEqual(recordSet(first.records), recordSet(second.records)) {
			t.errorf("the second read, from the first read's final state, produced the same records")
		}
	})
	add(suite, "test_read_sequential_slices", func(t *tc) {
		if it.SkipComprehensiveIncrementalTests {
			t.skipf("skip_comprehensive_incremental_tests")
			return
		}
		catPath, cat := r.catalogFor(ctx, t, it.ConfiguredCatalogPath, it.ConfigPath, it.TimeoutSeconds, nil)
		if cat == nil {
			return
		}
		full := r.read(ctx, t, it.ConfigPath, catPath, "", it.TimeoutSeconds)
		if full == nil {
			return
		}
		// From each intermediate state, the rest of the read must still come:
		// at least the records the full read emitted after that state.
		emittedAfter := make([]int, len(full.states))
		total := len(full.records)
		seen := 0
		for i, s := range full.states {
			if s.SourceStats != nil && s.SourceStats.RecordCount != nil {
				seen += int(s.SourceStats.RecordCount.Int())
			}
			emittedAfter[i] = total - seen
		}
		checked := 0
		for i := range full.states {
			if i == len(full.states)-1 || checked >= 5 {
				break
			}
			if i%max(1, len(full.states)/5) != 0 {
				continue
			}
			checked++
			statePath := writeTemp(t, "state.json", finalStates(full.states[:i+1]))
			part := r.read(ctx, t, it.ConfigPath, catPath, statePath, it.TimeoutSeconds)
			if part == nil {
				return
			}
			if part.res.Code != 0 {
				t.errorf("read from state %d exited with %d", i, part.res.Code)
			}
			if len(part.records) < emittedAfter[i] {
				t.errorf("read from intermediate state %d produced %d records, at least %d expected", i, len(part.records), emittedAfter[i])
			}
		}
	})
	add(suite, "test_state_with_abnormally_large_values", func(t *tc) {
		if it.FutureState == nil || it.FutureState.FutureStatePath == "" {
			t.skipf("no future_state")
			return
		}
		catPath, cat := r.catalogFor(ctx, t, it.ConfiguredCatalogPath, it.ConfigPath, it.TimeoutSeconds, nil)
		if cat == nil {
			return
		}
		out := r.read(ctx, t, it.ConfigPath, catPath, r.path(it.FutureState.FutureStatePath), it.TimeoutSeconds)
		if out == nil {
			return
		}
		if out.res.Code != 0 {
			t.errorf("read from the abnormal state exited with %d: %s", out.res.Code, truncateStr(string(out.res.Stdout), 500))
		}
		if len(out.records) != 0 {
			t.errorf("read from the abnormal state produced %d records, want 0", len(out.records))
		}
		if len(out.states) == 0 {
			t.errorf("read from the abnormal state emitted no STATE")
		}
	})
}

// finalStates builds a state file from emitted states as CAT does: the last
// state per stream (STREAM) or the last global state, without stats.
func finalStates(states []protocol.StateMessage) []protocol.StateMessage {
	var out []protocol.StateMessage
	idx := map[string]int{}
	for _, s := range states {
		clean := protocol.StateMessage{Type: s.Type, Stream: s.Stream, Global: s.Global}
		key := "GLOBAL"
		if s.Type == protocol.StateStream && s.Stream != nil {
			key = s.Stream.StreamDescriptor.String()
		}
		if i, ok := idx[key]; ok {
			out[i] = clean
			continue
		}
		idx[key] = len(out)
		out = append(out, clean)
	}
	return out
}

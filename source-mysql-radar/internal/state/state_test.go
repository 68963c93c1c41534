package state

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
)

func str(s string) *string { return &s }

func TestMarshalParseRoundTrip(t *testing.T) {
	cur := &Cursor{Field: "updated_at", Value: str("2024-01-02T03:04:05.000000"), Count: 2, Fingerprint: "00000000000000ff"}
	tests := []struct {
		name string
		in   *Stream
		want string
	}{
		{"key in progress", &Stream{Name: "t", Namespace: "radar", KeyNames: []string{"a", "b"}, KeyValues: []string{"1", "x"}},
			`{"state_type":"primary_key","version":2,"stream_name":"t","stream_namespace":"radar","pk_name":"a","pk_val":"1","pk_names":["a","b"],"pk_vals":["1","x"]}`},
		{"full refresh done", &Stream{Name: "t", Namespace: "radar", Done: true},
			`{"state_type":"primary_key","version":2,"stream_name":"t","stream_namespace":"radar"}`},
		{"cursor", &Stream{Name: "t", Namespace: "radar", Cursor: cur},
			`{"state_type":"cursor_based","version":2,"stream_name":"t","stream_namespace":"radar","cursor_field":["updated_at"],"cursor":"2024-01-02T03:04:05.000000","cursor_record_count":2,"cursor_record_fingerprint":"00000000000000ff"}`},
		{"no cursor value yet", &Stream{Name: "t", Namespace: "radar", Cursor: &Cursor{Field: "c"}},
			`{"state_type":"cursor_based","version":2,"stream_name":"t","stream_namespace":"radar","cursor_field":["c"],"cursor":null,"cursor_record_count":0}`},
		{"cdc snapshot in progress", &Stream{Name: "t", Namespace: "radar", KeyNames: []string{"id"}, KeyValues: []string{"7"}, Since: &binlog.Position{File: "bin.000002", Pos: 691}},
			`{"state_type":"primary_key","version":2,"stream_name":"t","stream_namespace":"radar","pk_name":"id","pk_val":"7","pk_names":["id"],"pk_vals":["7"],"binlog_since":{"file":"bin.000002","pos":691}}`},
		{"cdc", &Stream{Name: "t", Namespace: "radar", CDC: true, Since: &binlog.Position{File: "bin.000002", Pos: 691}},
			`{"state_type":"cdc","version":2,"stream_name":"t","stream_namespace":"radar","cursor_field":["_ab_cdc_cursor"],"binlog_since":{"file":"bin.000002","pos":691}}`},
		{"cdc passed", &Stream{Name: "t", Namespace: "radar", CDC: true},
			`{"state_type":"cdc","version":2,"stream_name":"t","stream_namespace":"radar","cursor_field":["_ab_cdc_cursor"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.in.Marshal())
			if got != tt.want {
				t.Fatalf("Marshal = %s\nwant     %s", got, tt.want)
			}
			back, err := Parse(json.RawMessage(got))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.in) {
				t.Errorf("Parse(Marshal) = %+v, want %+v", back, tt.in)
			}
		})
	}
}

func TestParseAirbyteShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Stream
	}{
		{"3.0.0", `{"stream_name":"t","stream_namespace":"radar","cursor_field":["id"],"cursor":"42","cursor_record_count":1}`,
			&Stream{Name: "t", Namespace: "radar", Cursor: &Cursor{Field: "id", Value: str("42"), Count: 1}}},
		{"numeric cursor", `{"cursor_field":["id"],"cursor":42}`, &Stream{Cursor: &Cursor{Field: "id", Value: str("42")}}},
		{"abnormal state", `{"cursor":"9999-12-31"}`, &Stream{Cursor: &Cursor{Value: str("9999-12-31")}}},
		{"v2 pk", `{"state_type":"primary_key","version":2,"pk_name":"id","pk_val":"123","incremental_state":{"state_type":"cursor_based","version":2,"cursor_field":["u"],"cursor":"x","cursor_record_count":0}}`,
			&Stream{KeyNames: []string{"id"}, KeyValues: []string{"123"}, Cursor: &Cursor{Field: "u", Value: str("x")}}},
		{"v2 pk done", `{"state_type":"primary_key","version":2}`, &Stream{Done: true}},
		{"null", `null`, nil},
	}
	for _, tt := range tests {
		got, err := Parse(json.RawMessage(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Parse = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{`{"state_type":"cdc_offset"}`, `{"x":1}`, `[1]`, `{"state_type":"primary_key","pk_names":["a","b"],"pk_vals":["1"]}`} {
		if _, err := Parse(json.RawMessage(bad)); !errors.Is(err, ErrUnknownShape) {
			t.Errorf("Parse(%s) = %v, want ErrUnknownShape", bad, err)
		}
	}
}

func TestShared(t *testing.T) {
	in := &Shared{Server: binlog.Identity{Flavor: "mariadb", ServerID: 2}, Position: binlog.Position{File: "bin.000003", Pos: 1015},
		FileStarted: 1795649075, GTIDs: "0-2-9", Cursor: 1795649075000000042, Schemas: json.RawMessage(`{"charset":"utf8mb4","tables":{}}`)}
	raw := in.Marshal()
	want := `{"state_type":"binlog","version":1,"server":{"flavor":"mariadb","server_id":2},"binlog":{"file":"bin.000003","pos":1015},"file_started_at":1795649075,"gtids":"0-2-9","cursor":1795649075000000042,"schemas":{"charset":"utf8mb4","tables":{}}}`
	if string(raw) != want {
		t.Fatalf("Marshal = %s\nwant %s", raw, want)
	}
	back, err := ParseShared(raw)
	if err != nil || !reflect.DeepEqual(back, in) {
		t.Errorf("ParseShared = %+v, %v", back, err)
	}
	for _, bad := range []string{`{"state":{"mysql_cdc_offset":{}}}`, `{"state_type":"binlog","binlog":{}}`, `[]`} {
		if _, err := ParseShared(json.RawMessage(bad)); !errors.Is(err, ErrUnknownShape) {
			t.Errorf("ParseShared(%s) = %v, want ErrUnknownShape", bad, err)
		}
	}
	if s, err := ParseShared(nil); s != nil || err != nil {
		t.Errorf("ParseShared(nil) = %v, %v", s, err)
	}
}

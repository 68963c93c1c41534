package config

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
)

const production = `{"host": "radar.example.com", "port": 3306, "database": "radar", "username": "bi-cognitivo-read",
 "password": "x", "ssl": true, "ssl_mode": {"mode": "preferred"}, "tunnel_method": {"tunnel_method": "NO_TUNNEL"},
 "replication_method": {"method": "STANDARD", "initial_waiting_seconds": 300},
 "jdbc_url_params": "allowPublicKeyRetrieval=true&useSSL=false"}`

func TestProductionConfig(t *testing.T) {
	if err := Spec().Validate([]byte(production)); err != nil {
		t.Fatalf("the production config does not validate against the spec: %v", err)
	}
	c, err := Parse([]byte(production))
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.Mode != TLSPreferred {
		t.Errorf("TLS mode %s, want preferred (ssl_mode wins over useSSL=false, as in 3.0.0)", c.TLS.Mode)
	}
	if c.Method != MethodStandard || c.Tunnel.Enabled() || c.Addr() != "radar.example.com:3306" {
		t.Errorf("config %+v", c)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for the production config: %v", c.Warnings)
	}
	if c.ChunkSize != DefaultChunkSize || c.CheckpointInterval != DefaultCheckpointInterval || c.MaxRetries != DefaultMaxRetries || c.TinyInt1AsInteger {
		t.Errorf("defaults: %+v", c)
	}
	cfg, fallback := c.TLS.ClientConfig("radar.example.com")
	if cfg == nil || !cfg.InsecureSkipVerify || !fallback {
		t.Errorf("preferred: tls %+v fallback %v", cfg, fallback)
	}
}

func TestParseJDBCParams(t *testing.T) {
	tests := []struct {
		in      string
		want    []JDBCParam
		wantErr bool
	}{
		{"", nil, false},
		{"a=1", []JDBCParam{{"a", "1"}}, false},
		{"a=1&b=x%20y&", []JDBCParam{{"a", "1"}, {"b", "x y"}}, false},
		{"sessionVariables=sql_mode=ANSI,wait_timeout=60", []JDBCParam{{"sessionVariables", "sql_mode=ANSI,wait_timeout=60"}}, false},
		{"a=", []JDBCParam{{"a", ""}}, false},
		{"a=1&b", nil, true},
		{"=1", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseJDBCParams(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseJDBCParams(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if protocol.FailureTypeOf(err) != protocol.FailureConfig || !strings.Contains(err.Error(), "key=value") {
				t.Errorf("ParseJDBCParams(%q) error %v is not a config error about key=value", tt.in, err)
			}
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseJDBCParams(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ParseJDBCParams(%q) = %v, want %v", tt.in, got, tt.want)
			}
		}
	}
}

func parse(t *testing.T, extra string) *Config {
	t.Helper()
	base := `{"host":"h","port":3306,"database":"d","username":"u","replication_method":{"method":"STANDARD"}`
	c, err := Parse([]byte(base + extra + "}"))
	if err != nil {
		t.Fatalf("Parse(%s): %v", extra, err)
	}
	return c
}

func TestJDBCOptions(t *testing.T) {
	c := parse(t, `,"jdbc_url_params":"connectTimeout=1500&socketTimeout=60000&useCompression=true&tinyInt1isBit=false&enabledTLSProtocols=TLSv1.2,TLSv1.3&sessionVariables=sql_mode='ANSI',bad name=1&fooBar=1&zeroDateTimeBehavior=exception"`)
	d := c.Driver
	if d.ConnectTimeout != 1500*time.Millisecond || d.SocketTimeout != time.Minute || !d.Compress {
		t.Errorf("driver options %+v", d)
	}
	if !c.TinyInt1AsInteger {
		t.Error("tinyInt1isBit=false did not make tinyint(1) an integer")
	}
	if d.TLSMinVersion != tls.VersionTLS12 || d.TLSMaxVersion != tls.VersionTLS13 {
		t.Errorf("TLS versions %x..%x", d.TLSMinVersion, d.TLSMaxVersion)
	}
	if len(d.SessionVariables) != 1 || d.SessionVariables[0] != (JDBCParam{"sql_mode", "'ANSI'"}) {
		t.Errorf("session variables %v", d.SessionVariables)
	}
	w := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"bad name=1", "fooBar", "zeroDateTimeBehavior=exception"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q do not mention %q", w, want)
		}
	}
}

func TestTLSModeDecision(t *testing.T) {
	tests := []struct {
		extra string
		want  string
	}{
		{``, TLSPreferred},
		{`,"ssl":true`, TLSPreferred},
		{`,"ssl_mode":{"mode":"required"}`, TLSRequired},
		{`,"ssl_mode":{"mode":"required"},"jdbc_url_params":"sslMode=DISABLED"`, TLSRequired},
		{`,"ssl":false`, TLSPreferred},
		{`,"ssl":false,"jdbc_url_params":"useSSL=false"`, TLSDisabled},
		{`,"ssl":false,"jdbc_url_params":"useSSL=true"`, TLSRequired},
		{`,"ssl":false,"jdbc_url_params":"sslMode=REQUIRED&useSSL=false"`, TLSRequired},
		{`,"ssl":false,"ssl_mode":{"mode":"required"}`, TLSPreferred},
	}
	for _, tt := range tests {
		if got := parse(t, tt.extra).TLS.Mode; got != tt.want {
			t.Errorf("%s: TLS mode %s, want %s", tt.extra, got, tt.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		extra string
		want  string
	}{
		{`,"ssl_mode":{"mode":"verify_ca"}`, "`ssl_mode.ca_certificate` is required"},
		{`,"ssl_mode":{"mode":"verify_identity","ca_certificate":"x"}`, "holds no PEM certificate"},
		{`,"replication_method":{"method":"CDC","server_time_zone":"Mars/Olympus"}`, "must be an IANA time zone"},
		{`,"replication_method":{"method":"CDC","invalid_cdc_cursor_position_behavior":"Shrug"}`, "invalid_cdc_cursor_position_behavior"},
		{`,"checkpoint_interval_records":0`, "checkpoint_interval_records"},
		{`,"tunnel_method":{"tunnel_method":"SSH_KEY_AUTH","tunnel_host":"j","tunnel_user":"u","ssh_key":""}`, "ssh_key"},
		{`,"tunnel_method":{"tunnel_method":"SSH_PASSWORD_AUTH","tunnel_host":"","tunnel_user":"u"}`, "tunnel_host"},
		{`,"chunk_size":0`, "chunk_size"},
		{`,"table_filters":[{"database_name":"other","table_name_patterns":["a%"]}]`, "not the configured database"},
		{`,"port":70000`, "not a TCP port"},
	}
	base := `{"host":"h","port":3306,"database":"d","username":"u","replication_method":{"method":"STANDARD"}`
	for _, tt := range tests {
		raw := base + tt.extra + "}"
		// Some of these are also refused by the spec; Parse must refuse all.
		_, err := Parse([]byte(raw))
		var pe *protocol.Error
		if err == nil || !errors.As(err, &pe) || pe.Type != protocol.FailureConfig || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, want a config error containing %q", tt.extra, err, tt.want)
		}
	}
}

// TestSpecShape pins the 3.0.0 property names, order, defaults and secret
// flags, with tunnel_method last.
func TestSpecShape(t *testing.T) {
	var doc struct {
		ConnectionSpecification struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"connectionSpecification"`
	}
	if err := json.Unmarshal(SpecJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.ConnectionSpecification.Properties
	order := map[string]int{}
	for name, raw := range props {
		var p struct {
			Order int `json:"order"`
		}
		_ = json.Unmarshal(raw, &p)
		order[name] = p.Order
	}
	want300 := []string{"host", "port", "database", "username", "password", "jdbc_url_params", "ssl", "ssl_mode", "replication_method"}
	for i, name := range want300 {
		if o, ok := order[name]; !ok || o != i {
			t.Errorf("property %s: order %d (present %v), want %d", name, o, ok, i)
		}
	}
	maxOrder := 0
	for name, o := range order {
		if name != "tunnel_method" && o > maxOrder {
			maxOrder = o
		}
	}
	if order["tunnel_method"] <= maxOrder {
		t.Errorf("tunnel_method order %d is not the last (%d)", order["tunnel_method"], maxOrder)
	}
	if strings.Join(doc.ConnectionSpecification.Required, ",") != "host,port,database,username,replication_method" {
		t.Errorf("required %v", doc.ConnectionSpecification.Required)
	}
	secrets := map[string]bool{}
	for _, p := range Spec().SecretPaths() {
		secrets[strings.Join(p, ".")] = true
	}
	for _, s := range []string{"password", "ssl_mode.ca_certificate", "ssl_mode.client_certificate", "ssl_mode.client_key", "ssl_mode.client_key_password", "tunnel_method.ssh_key", "tunnel_method.tunnel_user_password"} {
		if !secrets[s] {
			t.Errorf("%s is not airbyte_secret", s)
		}
	}
	if len(secrets) != 7 {
		t.Errorf("secret paths %v", secrets)
	}
	for name, def := range map[string]string{"port": "3306", "ssl": "true", "replication_method": `"CDC"`} {
		var p struct {
			Default json.RawMessage `json:"default"`
		}
		_ = json.Unmarshal(props[name], &p)
		if string(p.Default) != def {
			t.Errorf("%s default %s, want %s", name, p.Default, def)
		}
	}
}

// TestCDCSettings: 3.0.0 rejects initial_waiting_seconds outside 120-1200
// in check and clamps it with a warning in read; the invalid position
// behaviour defaults to failing.
func TestCDCSettings(t *testing.T) {
	base := `{"host":"h","port":3306,"database":"d","username":"u","replication_method":{"method":"CDC"%s}}`
	parse := func(extra string) *Config {
		t.Helper()
		c, err := Parse([]byte(strings.Replace(base, "%s", extra, 1)))
		if err != nil {
			t.Fatalf("Parse(%s): %v", extra, err)
		}
		return c
	}
	c := parse("")
	if c.InitialWaitingSeconds != 300 || c.ResyncOnInvalidPosition || c.CheckInitialWaiting() != nil || len(c.Warnings) != 0 {
		t.Errorf("defaults: %+v", c)
	}
	if c.CheckpointRecords != DefaultCheckpointRecords {
		t.Errorf("checkpoint records %d", c.CheckpointRecords)
	}
	for _, tc := range []struct {
		value, clamped int
	}{{10, 120}, {5000, 1200}, {119, 120}, {1201, 1200}} {
		c := parse(`,"initial_waiting_seconds":` + strconv.Itoa(tc.value))
		if c.InitialWaitingSeconds != tc.clamped || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "outside 120-1200") {
			t.Errorf("%d: waiting %d, warnings %v; want %d and a warning", tc.value, c.InitialWaitingSeconds, c.Warnings, tc.clamped)
		}
		err := c.CheckInitialWaiting()
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Type != protocol.FailureConfig || !strings.Contains(err.Error(), "between 120 and 1200") {
			t.Errorf("%d: check error %v", tc.value, err)
		}
	}
	for _, v := range []int{120, 1200} {
		if err := parse(`,"initial_waiting_seconds":` + strconv.Itoa(v)).CheckInitialWaiting(); err != nil {
			t.Errorf("%d refused: %v", v, err)
		}
	}
	if !parse(`,"invalid_cdc_cursor_position_behavior":"Re-sync data"`).ResyncOnInvalidPosition {
		t.Error("Re-sync data not understood")
	}
	if parse(`,"invalid_cdc_cursor_position_behavior":"Fail sync"`).ResyncOnInvalidPosition {
		t.Error("Fail sync read as Re-sync")
	}
	raw := strings.Replace(base, "%s", `,"invalid_cdc_cursor_position_behavior":"Re-sync data"`, 1)
	if err := Spec().Validate([]byte(raw)); err != nil {
		t.Errorf("the spec refuses the CDC options: %v", err)
	}
	if err := Spec().Validate([]byte(strings.Replace(base, "%s", `,"invalid_cdc_cursor_position_behavior":"Maybe"`, 1))); err == nil {
		t.Error("the spec accepts an unknown invalid_cdc_cursor_position_behavior")
	}
}

// Package config parses the source's config (Airbyte source-mysql 3.0.0
// property names, unchanged) into the settings the connector uses:
// connection address and credentials, the TLS mode with its certificates,
// the SSH tunnel, the driver options derived from jdbc_url_params, and this
// connector's own options. The embedded spec.json is the config schema.
package config

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/connspec"
)

//go:embed spec.json
var specJSON []byte

// SpecJSON returns the connector specification document.
func SpecJSON() []byte { return specJSON }

// Spec returns the parsed connector specification.
func Spec() *connspec.Spec { return connspec.MustLoad(specJSON) }

// Defaults for the connector's own options.
const (
	DefaultChunkSize          = 100_000
	DefaultCheckpointInterval = 300 * time.Second
	DefaultMaxRetries         = 5
	DefaultConnectTimeout     = 30 * time.Second
	// DefaultCheckpointRecords is how many records a CDC read from the
	// binary log emits between two STATE messages at most.
	DefaultCheckpointRecords = 10_000
	// DefaultInitialWaitingSeconds and its range are 3.0.0's.
	DefaultInitialWaitingSeconds = 300
	MinInitialWaitingSeconds     = 120
	MaxInitialWaitingSeconds     = 1200
)

// What a CDC read does when the saved binlog position is no longer on the
// server (invalid_cdc_cursor_position_behavior).
const (
	InvalidPositionFail   = "Fail sync"
	InvalidPositionResync = "Re-sync data"
)

// Raw is the config file as Airbyte's source-mysql 3.0.0 names it, plus
// this connector's options. Unknown keys are ignored.
type Raw struct {
	Host              string           `json:"host"`
	Port              *int             `json:"port"`
	Database          string           `json:"database"`
	Username          string           `json:"username"`
	Password          string           `json:"password"`
	JDBCURLParams     string           `json:"jdbc_url_params"`
	SSL               *bool            `json:"ssl"`
	SSLMode           *RawSSLMode      `json:"ssl_mode"`
	ReplicationMethod *RawReplication  `json:"replication_method"`
	TunnelMethod      *RawTunnel       `json:"tunnel_method"`
	ChunkSize         *int             `json:"chunk_size"`
	CheckpointSeconds *int             `json:"checkpoint_target_interval_seconds"`
	TableFilters      []RawTableFilter `json:"table_filters"`
	TinyInt1AsInteger *bool            `json:"treat_tinyint1_as_integer"`
	MaxRetries        *int             `json:"max_retries"`
	CheckpointRecords *int             `json:"checkpoint_interval_records"`
	Concurrency       *int             `json:"concurrency"`
}

// RawSSLMode is the ssl_mode object.
type RawSSLMode struct {
	Mode              string `json:"mode"`
	CACertificate     string `json:"ca_certificate"`
	ClientCertificate string `json:"client_certificate"`
	ClientKey         string `json:"client_key"`
	ClientKeyPassword string `json:"client_key_password"`
}

// RawReplication is the replication_method object.
type RawReplication struct {
	Method                   string `json:"method"`
	InitialWaitingSeconds    *int   `json:"initial_waiting_seconds"`
	ServerTimeZone           string `json:"server_time_zone"`
	InvalidPositionBehaviour string `json:"invalid_cdc_cursor_position_behavior"`
}

// RawTunnel is the tunnel_method object.
type RawTunnel struct {
	TunnelMethod       string `json:"tunnel_method"`
	TunnelHost         string `json:"tunnel_host"`
	TunnelPort         *int   `json:"tunnel_port"`
	TunnelUser         string `json:"tunnel_user"`
	SSHKey             string `json:"ssh_key"`
	TunnelUserPassword string `json:"tunnel_user_password"`
}

// RawTableFilter is one entry of table_filters.
type RawTableFilter struct {
	DatabaseName      string   `json:"database_name"`
	TableNamePatterns []string `json:"table_name_patterns"`
}

// Replication methods.
const (
	MethodStandard = "STANDARD"
	MethodCDC      = "CDC"
)

// Tunnel methods.
const (
	TunnelNone     = "NO_TUNNEL"
	TunnelKey      = "SSH_KEY_AUTH"
	TunnelPassword = "SSH_PASSWORD_AUTH"
)

// Config is the interpreted config.
type Config struct {
	Host     string
	Port     int
	Database string
	Username string
	Password string

	TLS TLS

	// Method is MethodStandard or MethodCDC.
	Method string
	// InitialWaitingSeconds and ServerTimeZone are the CDC settings.
	// InitialWaitingSeconds is clamped to 120-1200 (as 3.0.0's read does);
	// InitialWaitingConfigured is the value as configured, which check
	// rejects when out of range (as 3.0.0's check does).
	InitialWaitingSeconds    int
	InitialWaitingConfigured int
	ServerTimeZone           string
	// ResyncOnInvalidPosition is invalid_cdc_cursor_position_behavior
	// "Re-sync data": a saved binlog position that is no longer on the
	// server starts the streams over instead of failing the sync.
	ResyncOnInvalidPosition bool

	Tunnel Tunnel

	// Driver holds what jdbc_url_params asked for.
	Driver DriverOptions

	ChunkSize          int
	CheckpointInterval time.Duration
	TablePatterns      []string
	TinyInt1AsInteger  bool
	MaxRetries         int
	// CheckpointRecords bounds the records between two STATE messages of a
	// CDC read from the binary log.
	CheckpointRecords int
	// Concurrency is how many partitions a socket-mode read reads at once
	// (0: one per socket). STDIO reads are sequential.
	Concurrency int

	// Warnings are problems that do not stop the connector (ignored JDBC
	// parameters); the caller logs them.
	Warnings []string
}

// Tunnel is the SSH tunnel setting.
type Tunnel struct {
	Method   string // TunnelNone, TunnelKey or TunnelPassword
	Host     string
	Port     int
	User     string
	Key      string
	Password string
}

// Enabled reports whether an SSH tunnel is configured.
func (t Tunnel) Enabled() bool { return t.Method == TunnelKey || t.Method == TunnelPassword }

// Addr returns the host:port of the MySQL server.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// IsCDC reports whether CDC replication is configured.
func (c *Config) IsCDC() bool { return c.Method == MethodCDC }

// CheckInitialWaiting returns 3.0.0's check failure for an
// initial_waiting_seconds outside 120-1200 (read clamps it instead).
func (c *Config) CheckInitialWaiting() error {
	if !c.IsCDC() {
		return nil
	}
	if w := c.InitialWaitingConfigured; w < MinInitialWaitingSeconds || w > MaxInitialWaitingSeconds {
		return protocol.ConfigError(nil, "initial_waiting_seconds must be between 120 and 1200 seconds, got %d: fix `replication_method.initial_waiting_seconds`", w)
	}
	return nil
}

// Parse interprets a config that already passed validation against the
// spec. Errors are protocol config errors naming the property.
func Parse(b []byte) (*Config, error) {
	var raw Raw
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, protocol.ConfigError(nil, "config cannot be read: %s", jsonTypeProblem(err))
	}
	return raw.interpret()
}

func jsonTypeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("`%s` has the wrong type (%s)", te.Field, te.Value)
	}
	return "not a valid JSON object"
}

func (r *Raw) interpret() (*Config, error) {
	c := &Config{
		Host:               strings.TrimSpace(r.Host),
		Port:               3306,
		Database:           r.Database,
		Username:           r.Username,
		Password:           r.Password,
		Method:             MethodStandard,
		ChunkSize:          DefaultChunkSize,
		CheckpointInterval: DefaultCheckpointInterval,
		MaxRetries:         DefaultMaxRetries,
		CheckpointRecords:  DefaultCheckpointRecords,
	}
	if c.Host == "" {
		return nil, protocol.ConfigError(nil, "`host` is empty: set it to the MySQL server's host name or IP address")
	}
	if r.Port != nil {
		c.Port = *r.Port
	}
	if c.Port <= 0 || c.Port > 65535 {
		return nil, protocol.ConfigError(nil, "`port` %d is not a TCP port (1-65535)", c.Port)
	}
	if c.Database == "" {
		return nil, protocol.ConfigError(nil, "`database` is empty: set it to the database (schema) to read")
	}
	if c.Username == "" {
		return nil, protocol.ConfigError(nil, "`username` is empty")
	}
	if err := c.interpretReplication(r.ReplicationMethod); err != nil {
		return nil, err
	}
	if err := c.interpretTunnel(r.TunnelMethod); err != nil {
		return nil, err
	}
	if err := c.interpretOptions(r); err != nil {
		return nil, err
	}
	params, err := ParseJDBCParams(r.JDBCURLParams)
	if err != nil {
		return nil, err
	}
	var jdbcWarnings []string
	c.Driver, jdbcWarnings = interpretJDBC(params)
	c.Warnings = append(c.Warnings, jdbcWarnings...)
	if c.Driver.TinyInt1IsBit != nil && !*c.Driver.TinyInt1IsBit {
		c.TinyInt1AsInteger = true
	}
	tlsCfg, err := interpretTLS(r.SSL, r.SSLMode, c.Driver)
	if err != nil {
		return nil, err
	}
	c.TLS = tlsCfg
	return c, nil
}

func (c *Config) interpretReplication(r *RawReplication) error {
	if r == nil {
		return nil // the spec requires it; an absent object reads as STANDARD
	}
	switch r.Method {
	case MethodStandard, "":
	case MethodCDC:
		c.Method = MethodCDC
		c.InitialWaitingSeconds = DefaultInitialWaitingSeconds
		if r.InitialWaitingSeconds != nil {
			c.InitialWaitingSeconds = *r.InitialWaitingSeconds
		}
		c.InitialWaitingConfigured = c.InitialWaitingSeconds
		if w := c.InitialWaitingSeconds; w < MinInitialWaitingSeconds || w > MaxInitialWaitingSeconds {
			c.InitialWaitingSeconds = min(max(w, MinInitialWaitingSeconds), MaxInitialWaitingSeconds)
			c.Warnings = append(c.Warnings, fmt.Sprintf("`replication_method.initial_waiting_seconds` %d is outside 120-1200: using %d", w, c.InitialWaitingSeconds))
		}
		c.ServerTimeZone = strings.TrimSpace(r.ServerTimeZone)
		if c.ServerTimeZone != "" {
			if _, err := time.LoadLocation(c.ServerTimeZone); err != nil {
				return protocol.ConfigError(nil, "Given timezone %q is not valid: `replication_method.server_time_zone` must be an IANA time zone name (for example America/Sao_Paulo), see https://www.iana.org/time-zones", c.ServerTimeZone)
			}
		}
		switch r.InvalidPositionBehaviour {
		case "", InvalidPositionFail:
		case InvalidPositionResync:
			c.ResyncOnInvalidPosition = true
		default:
			return protocol.ConfigError(nil, "`replication_method.invalid_cdc_cursor_position_behavior` must be %q or %q, got %q", InvalidPositionFail, InvalidPositionResync, r.InvalidPositionBehaviour)
		}
	default:
		return protocol.ConfigError(nil, "`replication_method.method` must be STANDARD or CDC, got %q", r.Method)
	}
	return nil
}

func (c *Config) interpretTunnel(r *RawTunnel) error {
	c.Tunnel.Method = TunnelNone
	if r == nil || r.TunnelMethod == "" || r.TunnelMethod == TunnelNone {
		return nil
	}
	t := Tunnel{Method: r.TunnelMethod, Host: strings.TrimSpace(r.TunnelHost), Port: 22, User: r.TunnelUser}
	if r.TunnelPort != nil {
		t.Port = *r.TunnelPort
	}
	switch r.TunnelMethod {
	case TunnelKey:
		t.Key = r.SSHKey
		if strings.TrimSpace(t.Key) == "" {
			return protocol.ConfigError(nil, "`tunnel_method.ssh_key` is empty: paste the private key of the SSH user")
		}
	case TunnelPassword:
		t.Password = r.TunnelUserPassword
	default:
		return protocol.ConfigError(nil, "`tunnel_method.tunnel_method` must be NO_TUNNEL, SSH_KEY_AUTH or SSH_PASSWORD_AUTH, got %q", r.TunnelMethod)
	}
	if t.Host == "" {
		return protocol.ConfigError(nil, "`tunnel_method.tunnel_host` is empty: set the SSH jump server's host name")
	}
	if t.Port <= 0 || t.Port > 65535 {
		return protocol.ConfigError(nil, "`tunnel_method.tunnel_port` %d is not a TCP port", t.Port)
	}
	if t.User == "" {
		return protocol.ConfigError(nil, "`tunnel_method.tunnel_user` is empty")
	}
	c.Tunnel = t
	return nil
}

func (c *Config) interpretOptions(r *Raw) error {
	if r.ChunkSize != nil {
		if *r.ChunkSize < 1 {
			return protocol.ConfigError(nil, "`chunk_size` must be at least 1")
		}
		c.ChunkSize = *r.ChunkSize
	}
	if r.CheckpointSeconds != nil {
		if *r.CheckpointSeconds < 1 {
			return protocol.ConfigError(nil, "`checkpoint_target_interval_seconds` must be positive")
		}
		c.CheckpointInterval = time.Duration(*r.CheckpointSeconds) * time.Second
	}
	if r.MaxRetries != nil {
		if *r.MaxRetries < 0 {
			return protocol.ConfigError(nil, "`max_retries` must not be negative")
		}
		c.MaxRetries = *r.MaxRetries
	}
	if r.Concurrency != nil {
		if *r.Concurrency < 1 {
			return protocol.ConfigError(nil, "`concurrency` must be at least 1")
		}
		c.Concurrency = *r.Concurrency
	}
	if r.CheckpointRecords != nil {
		if *r.CheckpointRecords < 1 {
			return protocol.ConfigError(nil, "`checkpoint_interval_records` must be positive")
		}
		c.CheckpointRecords = *r.CheckpointRecords
	}
	if r.TinyInt1AsInteger != nil {
		c.TinyInt1AsInteger = *r.TinyInt1AsInteger
	}
	for i, f := range r.TableFilters {
		if f.DatabaseName != "" && f.DatabaseName != c.Database {
			return protocol.ConfigError(nil, "`table_filters[%d].database_name` %q is not the configured database %q", i, f.DatabaseName, c.Database)
		}
		for _, p := range f.TableNamePatterns {
			if p == "" {
				return protocol.ConfigError(nil, "`table_filters[%d].table_name_patterns` has an empty pattern", i)
			}
			c.TablePatterns = append(c.TablePatterns, p)
		}
	}
	return nil
}

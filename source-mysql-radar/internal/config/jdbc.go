package config

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
)

// JDBCParam is one key=value pair of jdbc_url_params.
type JDBCParam struct {
	Key, Value string
}

// ParseJDBCParams splits jdbc_url_params the way Airbyte's source-mysql
// 3.0.0 does: pairs separated by '&', each "key=value" split at the first
// '=' (so sessionVariables=a=b works), values URL-decoded. Empty pieces
// ("a=b&") are skipped; a piece without '=' or with an empty key is a
// config error.
func ParseJDBCParams(s string) ([]JDBCParam, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []JDBCParam
	for i, piece := range strings.Split(s, "&") {
		if strings.TrimSpace(piece) == "" {
			continue
		}
		k, v, ok := strings.Cut(piece, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, protocol.ConfigError(nil, "`jdbc_url_params` must be formatted as 'key=value' pairs separated by the symbol '&'. (example: key1=value1&key2=value2&key3=value3); pair %d is not key=value", i+1)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v // keep the raw value, as the JDBC driver would
		}
		out = append(out, JDBCParam{Key: k, Value: dv})
	}
	return out, nil
}

// DriverOptions are the connection settings jdbc_url_params asked for.
type DriverOptions struct {
	// SSLMode is sslMode normalised to this package's TLS mode names, or "".
	SSLMode string
	// UseSSL is the legacy useSSL flag, if given.
	UseSSL *bool
	// ConnectTimeout (connectTimeout, ms) bounds connecting and the handshake.
	ConnectTimeout time.Duration
	// SocketTimeout (socketTimeout, ms) bounds each network read and write.
	SocketTimeout time.Duration
	// SessionVariables (sessionVariables=a=1,b=2) are set on every connection.
	SessionVariables []JDBCParam
	// TinyInt1IsBit (tinyInt1isBit) false reads TINYINT(1) as an integer.
	TinyInt1IsBit *bool
	// Compress (useCompression) enables protocol compression.
	Compress bool
	// TLSMinVersion and TLSMaxVersion come from enabledTLSProtocols.
	TLSMinVersion, TLSMaxVersion uint16
}

// jdbcIgnored are Connector/J parameters that have no meaning here because
// the connector always behaves one way; they are accepted silently.
var jdbcIgnored = map[string]string{
	"allowpublickeyretrieval": "the driver always retrieves the server's RSA key when it needs it",
	"usecursorfetch":          "rows are always streamed",
	"defaultfetchsize":        "rows are always streamed",
	"useunicode":              "the connection always uses utf8mb4",
	"characterencoding":       "the connection always uses utf8mb4",
	"zerodatetimebehavior":    "zero dates always become null (reported in the record's meta.changes)",
	"yearisdatetype":          "YEAR is always an integer",
	"autoreconnect":           "lost connections are always retried",
	"verifyservercertificate": "certificate checks follow ssl_mode",
	"requiressl":              "TLS follows ssl_mode",
	"trustservercertificate":  "certificate checks follow ssl_mode",
}

// interpretJDBC maps parameters to driver options and returns warnings for
// the ones it ignores.
func interpretJDBC(params []JDBCParam) (DriverOptions, []string) {
	var d DriverOptions
	var warnings []string
	var unknown []string
	for _, p := range params {
		key := strings.ToLower(p.Key)
		v := strings.TrimSpace(p.Value)
		switch key {
		case "sslmode":
			if m, ok := normaliseMode(v); ok {
				d.SSLMode = m
			} else {
				warnings = append(warnings, fmt.Sprintf("jdbc_url_params: sslMode=%s is not a known mode; ignored", v))
			}
		case "usessl":
			b := parseBool(v)
			d.UseSSL = &b
		case "connecttimeout":
			if ms, err := strconv.Atoi(v); err == nil && ms >= 0 {
				d.ConnectTimeout = time.Duration(ms) * time.Millisecond
			} else {
				warnings = append(warnings, "jdbc_url_params: connectTimeout is not a number of milliseconds; ignored")
			}
		case "sockettimeout":
			if ms, err := strconv.Atoi(v); err == nil && ms >= 0 {
				d.SocketTimeout = time.Duration(ms) * time.Millisecond
			} else {
				warnings = append(warnings, "jdbc_url_params: socketTimeout is not a number of milliseconds; ignored")
			}
		case "sessionvariables":
			vars, bad := parseSessionVariables(v)
			d.SessionVariables = append(d.SessionVariables, vars...)
			if bad != "" {
				warnings = append(warnings, fmt.Sprintf("jdbc_url_params: sessionVariables entry %q is not name=value with a plain variable name; ignored", bad))
			}
		case "tinyint1isbit":
			b := parseBool(v)
			d.TinyInt1IsBit = &b
		case "usecompression":
			d.Compress = parseBool(v)
		case "enabledtlsprotocols":
			d.TLSMinVersion, d.TLSMaxVersion = tlsVersions(v)
		default:
			if why, ok := jdbcIgnored[key]; ok {
				if key == "zerodatetimebehavior" && !strings.EqualFold(strings.ReplaceAll(v, "_", ""), "converttonull") {
					warnings = append(warnings, "jdbc_url_params: zeroDateTimeBehavior="+v+" ignored: "+why)
				}
				continue
			}
			unknown = append(unknown, p.Key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		warnings = append(warnings, "jdbc_url_params: ignoring parameters this connector does not use: "+strings.Join(unknown, ", "))
	}
	return d, warnings
}

func parseBool(s string) bool {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// parseSessionVariables splits "a=1,b='x'" into pairs. Names must be plain
// variable names; values are passed to SET as written, as Connector/J does.
func parseSessionVariables(s string) (vars []JDBCParam, bad string) {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || !isVariableName(k) || strings.TrimSpace(v) == "" {
			bad = item
			continue
		}
		vars = append(vars, JDBCParam{Key: k, Value: strings.TrimSpace(v)})
	}
	return vars, bad
}

func isVariableName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '.' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func tlsVersions(s string) (lo, hi uint16) {
	for _, p := range strings.Split(s, ",") {
		var v uint16
		switch strings.TrimSpace(strings.ToUpper(p)) {
		case "TLSV1":
			v = tls.VersionTLS10
		case "TLSV1.1":
			v = tls.VersionTLS11
		case "TLSV1.2":
			v = tls.VersionTLS12
		case "TLSV1.3":
			v = tls.VersionTLS13
		default:
			continue
		}
		if lo == 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

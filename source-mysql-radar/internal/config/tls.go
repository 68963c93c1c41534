package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol"
)

// TLS modes.
const (
	TLSDisabled       = "disabled"
	TLSPreferred      = "preferred"
	TLSRequired       = "required"
	TLSVerifyCA       = "verify_ca"
	TLSVerifyIdentity = "verify_identity"
)

// TLS is the interpreted TLS setting.
type TLS struct {
	// Mode is one of the TLS* mode constants.
	Mode string
	// RootCAs holds ca_certificate (verify modes only).
	RootCAs *x509.CertPool
	// ClientCert is client_certificate + client_key, if both were given.
	ClientCert *tls.Certificate
	// MinVersion and MaxVersion restrict the protocol (enabledTLSProtocols).
	MinVersion, MaxVersion uint16
}

// normaliseMode accepts the spec's mode names and the aliases Airbyte's
// SslMode.bySpec and Connector/J's sslMode accept.
func normaliseMode(s string) (string, bool) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "_")) {
	case "disabled", "disable":
		return TLSDisabled, true
	case "preferred", "prefer":
		return TLSPreferred, true
	case "required", "require":
		return TLSRequired, true
	case "verify_ca":
		return TLSVerifyCA, true
	case "verify_identity", "verify_full":
		return TLSVerifyIdentity, true
	}
	return "", false
}

// interpretTLS decides the TLS mode like Airbyte's source-mysql 3.0.0:
// with ssl true (the default) ssl_mode decides and overrides any sslMode or
// useSSL in jdbc_url_params (3.0.0 appends its sslMode after the user's
// parameters); with ssl false the JDBC parameters decide, and the driver
// default is preferred. One deliberate difference: ssl true without
// ssl_mode means preferred here (3.0.0 disabled TLS in that case).
func interpretTLS(ssl *bool, m *RawSSLMode, d DriverOptions) (TLS, error) {
	t := TLS{Mode: TLSPreferred, MinVersion: d.TLSMinVersion, MaxVersion: d.TLSMaxVersion}
	switch {
	case ssl == nil || *ssl:
		if m != nil && m.Mode != "" {
			mode, ok := normaliseMode(m.Mode)
			if !ok {
				return TLS{}, protocol.ConfigError(nil, "`ssl_mode.mode` must be preferred, required, verify_ca or verify_identity, got %q", m.Mode)
			}
			t.Mode = mode
		}
	case d.SSLMode != "":
		t.Mode = d.SSLMode
	case d.UseSSL != nil && !*d.UseSSL:
		t.Mode = TLSDisabled
	case d.UseSSL != nil:
		t.Mode = TLSRequired
	}
	if t.Mode != TLSVerifyCA && t.Mode != TLSVerifyIdentity {
		return t, nil
	}
	if m == nil || strings.TrimSpace(m.CACertificate) == "" {
		return TLS{}, protocol.ConfigError(nil, "`ssl_mode.ca_certificate` is required for %s: paste the PEM certificate of the CA that signed the server's certificate", t.Mode)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(m.CACertificate)) {
		return TLS{}, protocol.ConfigError(nil, "`ssl_mode.ca_certificate` holds no PEM certificate (it must start with -----BEGIN CERTIFICATE-----)")
	}
	t.RootCAs = pool
	cert, key := strings.TrimSpace(m.ClientCertificate), strings.TrimSpace(m.ClientKey)
	switch {
	case cert == "" && key == "":
	case cert == "" || key == "":
		return TLS{}, protocol.ConfigError(nil, "`ssl_mode.client_certificate` and `ssl_mode.client_key` must be given together")
	default:
		pair, err := loadClientCert(cert, key, m.ClientKeyPassword)
		if err != nil {
			return TLS{}, err
		}
		t.ClientCert = pair
	}
	return t, nil
}

func loadClientCert(cert, key, password string) (*tls.Certificate, error) {
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return nil, protocol.ConfigError(nil, "`ssl_mode.client_key` holds no PEM private key")
	}
	// Legacy encrypted PEM ("Proc-Type: 4,ENCRYPTED") is what openssl
	// writes with -des3; the functions are deprecated but still the only
	// standard-library way to read it.
	if x509.IsEncryptedPEMBlock(block) {
		if password == "" {
			return nil, protocol.ConfigError(nil, "`ssl_mode.client_key` is encrypted: set `ssl_mode.client_key_password`")
		}
		der, err := x509.DecryptPEMBlock(block, []byte(password))
		if err != nil {
			return nil, protocol.ConfigError(nil, "`ssl_mode.client_key` cannot be decrypted with `ssl_mode.client_key_password`")
		}
		key = string(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}))
	}
	pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
	if err != nil {
		return nil, protocol.ConfigError(nil, "`ssl_mode.client_certificate` and `ssl_mode.client_key` do not form a valid key pair: %s", pemProblem(err))
	}
	return &pair, nil
}

// pemProblem describes a key-pair error without quoting key material.
func pemProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "tls: "); i >= 0 {
		msg = msg[i+5:]
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// ClientConfig returns the *tls.Config for a connection to serverName (the
// configured host), or nil when TLS is disabled. fallback reports whether a
// server without TLS may be used in plain text (preferred).
func (t TLS) ClientConfig(serverName string) (cfg *tls.Config, fallback bool) {
	switch t.Mode {
	case TLSDisabled, "":
		return nil, false
	case TLSPreferred, TLSRequired:
		cfg = &tls.Config{InsecureSkipVerify: true} // the modes do not verify the certificate, by definition
	case TLSVerifyCA:
		roots := t.RootCAs
		cfg = &tls.Config{
			// The chain is verified below against ca_certificate; only the
			// host name check is skipped, which is what verify_ca means.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				return verifyChain(cs, roots)
			},
		}
	case TLSVerifyIdentity:
		cfg = &tls.Config{RootCAs: t.RootCAs, ServerName: serverName}
	}
	if t.ClientCert != nil {
		cfg.Certificates = []tls.Certificate{*t.ClientCert}
	}
	cfg.MinVersion, cfg.MaxVersion = t.MinVersion, t.MaxVersion
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg, t.Mode == TLSPreferred
}

func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return fmt.Errorf("tls: verify server certificate against ca_certificate: %w", err)
	}
	return nil
}

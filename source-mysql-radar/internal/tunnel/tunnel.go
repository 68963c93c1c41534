// Package tunnel opens the SSH tunnel of tunnel_method (SSH_KEY_AUTH or
// SSH_PASSWORD_AUTH) and dials MySQL through it, as Airbyte's
// SshWrappedSource does: the database host and port are resolved on the
// jump server, and the host key is not verified (Airbyte's config has no
// field for it).
package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
)

// keepAliveInterval keeps idle tunnels open through NAT and firewalls.
const keepAliveInterval = 30 * time.Second

// Tunnel is an SSH client connection that forwards TCP connections. It
// reconnects when the SSH connection breaks, so a retried read can go on.
// It is safe for concurrent use.
type Tunnel struct {
	cfg     config.Tunnel
	timeout time.Duration
	auth    ssh.AuthMethod

	mu     sync.Mutex
	client *ssh.Client
	closed bool
	stop   chan struct{}
}

// Open connects to the jump server. Errors a user can fix (unknown host,
// refused port, rejected credentials, unreadable key) are config errors.
func Open(ctx context.Context, cfg config.Tunnel, timeout time.Duration) (*Tunnel, error) {
	t := &Tunnel{cfg: cfg, timeout: timeout, stop: make(chan struct{})}
	switch cfg.Method {
	case config.TunnelKey:
		signer, err := ssh.ParsePrivateKey([]byte(cfg.Key))
		if err != nil {
			var pme *ssh.PassphraseMissingError
			if errors.As(err, &pme) {
				return nil, protocol.ConfigError(nil, "`tunnel_method.ssh_key` is protected by a passphrase; provide an unencrypted key")
			}
			return nil, protocol.ConfigError(nil, "`tunnel_method.ssh_key` is not a private key this connector can read (PEM or OpenSSH format)")
		}
		t.auth = ssh.PublicKeys(signer)
	case config.TunnelPassword:
		pw := cfg.Password
		t.auth = ssh.Password(pw)
	default:
		return nil, fmt.Errorf("tunnel method %q has no SSH connection", cfg.Method)
	}
	if _, err := t.connect(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tunnel) addr() string { return net.JoinHostPort(t.cfg.Host, strconv.Itoa(t.cfg.Port)) }

// connect returns the live client, dialing a new one if needed.
func (t *Tunnel) connect(ctx context.Context) (*ssh.Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errors.New("ssh tunnel is closed")
	}
	if t.client != nil {
		return t.client, nil
	}
	d := net.Dialer{Timeout: t.timeout, KeepAlive: keepAliveInterval}
	conn, err := d.DialContext(ctx, "tcp", t.addr())
	if err != nil {
		return nil, t.classifyDial(err)
	}
	if t.timeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(t.timeout))
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.addr(), &ssh.ClientConfig{
		User:            t.cfg.User,
		Auth:            []ssh.AuthMethod{t.auth},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // Airbyte's tunnel has no host key setting
		Timeout:         t.timeout,
	})
	if err != nil {
		conn.Close()
		return nil, t.classifyHandshake(err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	t.client = client
	go t.keepAlive(client)
	return client, nil
}

func (t *Tunnel) keepAlive(c *ssh.Client) {
	tick := time.NewTicker(keepAliveInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
				t.drop(c)
				return
			}
		}
	}
}

// drop forgets a broken client so the next dial reconnects.
func (t *Tunnel) drop(c *ssh.Client) {
	t.mu.Lock()
	if t.client == c {
		t.client = nil
	}
	t.mu.Unlock()
	c.Close()
}

// DialContext opens a forwarded connection to addr (host:port as seen from
// the jump server). Its signature matches go-sql-driver's DialFunc.
func (t *Tunnel) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	for attempt := 0; ; attempt++ {
		c, err := t.connect(ctx)
		if err != nil {
			return nil, err
		}
		conn, err := c.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		var oc *ssh.OpenChannelError
		if errors.As(err, &oc) {
			return nil, protocol.ConfigError(err, "the SSH jump server %s cannot reach MySQL at %s (%s): check `host` and `port` as seen from the jump server", t.addr(), addr, oc.Message)
		}
		if attempt > 0 || ctx.Err() != nil {
			return nil, fmt.Errorf("open tunnel to %s through %s: %w", addr, t.addr(), err)
		}
		t.drop(c) // the SSH connection itself broke: reconnect once
	}
}

// Close closes the SSH connection.
func (t *Tunnel) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	close(t.stop)
	if t.client != nil {
		return t.client.Close()
	}
	return nil
}

func (t *Tunnel) classifyDial(err error) error {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return protocol.ConfigError(err, "SSH tunnel: cannot resolve the jump server host %q: check `tunnel_method.tunnel_host`", t.cfg.Host)
	case isTimeout(err):
		return protocol.TransientError(err, "SSH tunnel: timed out connecting to the jump server %s: check `tunnel_method.tunnel_host` and `tunnel_port`, and that the firewall lets this machine in", t.addr())
	}
	return protocol.ConfigError(err, "SSH tunnel: cannot connect to the jump server %s: check `tunnel_method.tunnel_host` and `tunnel_port`", t.addr())
}

func (t *Tunnel) classifyHandshake(err error) error {
	if isTimeout(err) {
		return protocol.TransientError(err, "SSH tunnel: the jump server %s did not complete the SSH handshake in time", t.addr())
	}
	what := "the SSH key (`tunnel_method.ssh_key`)"
	if t.cfg.Method == config.TunnelPassword {
		what = "the password (`tunnel_method.tunnel_user_password`)"
	}
	return protocol.ConfigError(err, "SSH tunnel: the jump server %s rejected user %q: check `tunnel_method.tunnel_user` and %s", t.addr(), t.cfg.User, what)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

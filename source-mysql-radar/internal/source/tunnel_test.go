package source

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// sshServer is an in-process SSH jump server that accepts one user with a
// password or a key and forwards direct-tcpip channels.
type sshServer struct {
	port     int
	forwards atomic.Int64
}

func startSSHServer(t *testing.T, user, password string, key ssh.PublicKey) *sshServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == user && string(pw) == password {
				return nil, nil
			}
			return nil, io.EOF
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == user && key != nil && string(k.Marshal()) == string(key.Marshal()) {
				return nil, nil
			}
			return nil, io.EOF
		},
	}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &sshServer{port: l.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c, cfg)
		}
	}()
	return s
}

func (s *sshServer) serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			nc.Reject(ssh.UnknownChannelType, "only direct-tcpip")
			continue
		}
		var target struct {
			Host     string
			Port     uint32
			OrigHost string
			OrigPort uint32
		}
		if err := ssh.Unmarshal(nc.ExtraData(), &target); err != nil {
			nc.Reject(ssh.ConnectionFailed, "bad payload")
			continue
		}
		up, err := net.Dial("tcp", net.JoinHostPort(target.Host, strconv.Itoa(int(target.Port))))
		if err != nil {
			nc.Reject(ssh.ConnectionFailed, err.Error())
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			up.Close()
			continue
		}
		s.forwards.Add(1)
		go ssh.DiscardRequests(creqs)
		go func() {
			defer ch.Close()
			defer up.Close()
			go func() { io.Copy(up, ch); up.(*net.TCPConn).CloseWrite() }()
			io.Copy(ch, up)
		}()
	}
}

// TestSSHTunnel reaches MariaDB through an SSH jump server with password
// and key authentication.
func TestSSHTunnel(t *testing.T) {
	dbName, _ := testdb.Database(t, "tunnel",
		"CREATE TABLE t (id int PRIMARY KEY, v varchar(10))", "INSERT INTO t VALUES (1, 'tunneled')")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(rsaKey)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	const pw = "jump-Pa55"
	srv := startSSHServer(t, "radar", pw, signer.PublicKey())

	tunnel := func(m map[string]any) map[string]any {
		return testdb.Config(dbName, map[string]any{"tunnel_method": m})
	}
	byPassword := tunnel(map[string]any{"tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": srv.port, "tunnel_user": "radar", "tunnel_user_password": pw})
	byKey := tunnel(map[string]any{"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": srv.port, "tunnel_user": "radar", "ssh_key": keyPEM})

	for name, cfg := range map[string]map[string]any{"password": byPassword, "key": byKey} {
		t.Run(name, func(t *testing.T) {
			before := srv.forwards.Load()
			chk := runBinary(t, "check", cfg, nil, nil)
			if cs := chk.connectionStatus(t); cs.Status != protocol.StatusSucceeded {
				t.Fatalf("check through the tunnel: %s", cs.Message)
			}
			disc := runBinary(t, "discover", cfg, nil, nil)
			read := runBinary(t, "read", cfg, catalogFor(t, disc, nil, nil), nil)
			checkReadProtocol(t, read, "t")
			if got := strings.Join(read.rawRecords("t"), ""); got != `{"id":1,"v":"tunneled"}` {
				t.Errorf("records %s", got)
			}
			if srv.forwards.Load() == before {
				t.Error("no connection went through the SSH server")
			}
			noSecret(t, read, pw)
		})
	}

	failures := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"wrong password", tunnel(map[string]any{"tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": srv.port, "tunnel_user": "radar", "tunnel_user_password": "nope-" + pw}), "rejected user \"radar\""},
		{"unknown key", tunnel(map[string]any{"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": srv.port, "tunnel_user": "radar", "ssh_key": otherKeyPEM(t)}), "rejected user \"radar\""},
		{"not a key", tunnel(map[string]any{"tunnel_method": "SSH_KEY_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": srv.port, "tunnel_user": "radar", "ssh_key": "hello"}), "not a private key"},
		{"jump server down", tunnel(map[string]any{"tunnel_method": "SSH_PASSWORD_AUTH", "tunnel_host": "127.0.0.1", "tunnel_port": closedPort(t), "tunnel_user": "radar", "tunnel_user_password": pw}), "cannot connect to the jump server"},
		{"database unreachable from the jump server", func() map[string]any {
			c := testdb.Config(dbName, map[string]any{"port": closedPort(t)})
			c["tunnel_method"] = byPassword["tunnel_method"]
			return c
		}(), "cannot reach MySQL at 127.0.0.1"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			r := runBinary(t, "check", tc.cfg, nil, nil)
			cs := r.connectionStatus(t)
			if cs.Status != protocol.StatusFailed || !strings.Contains(cs.Message, tc.want) {
				t.Errorf("check %s %q, want FAILED containing %q", cs.Status, cs.Message, tc.want)
			}
			noSecret(t, r, pw)
		})
	}
}

func otherKeyPEM(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

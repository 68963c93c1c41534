package harness

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// S3Op names the S3 operation of a path-style request (roughly, from the
// method, the path depth and the query).
func S3Op(r *http.Request) string {
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	bucketOnly := path != "" && !strings.Contains(path, "/")
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodGet && q.Has("uploads"):
		return "ListMultipartUploads"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodPut && bucketOnly:
		return "CreateBucket"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodGet && bucketOnly:
		return "ListObjects"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead && bucketOnly:
		return "HeadBucket"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodDelete && bucketOnly:
		return "DeleteBucket"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}

// S3Fault is what an S3Proxy does with one request: pass it on (the zero
// value), answer an S3 error, or reset the connection.
type S3Fault struct {
	// Status and Code make an S3 error response (e.g. 503 SlowDown).
	Status  int
	Code    string
	Message string
	// Reset closes the connection with a TCP RST instead of answering.
	Reset bool
}

// Pass reports whether the fault lets the request through.
func (f S3Fault) Pass() bool { return f.Status == 0 && !f.Reset }

func (f S3Fault) String() string {
	if f.Reset {
		return "connection reset"
	}
	return fmt.Sprintf("%d %s", f.Status, f.Code)
}

// Common S3 faults.
var (
	S3InternalError = S3Fault{Status: http.StatusInternalServerError, Code: "InternalError", Message: "We encountered an internal error. Please try again."}
	S3SlowDown      = S3Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."}
	S3AccessDenied  = S3Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"}
	S3NoSuchBucket  = S3Fault{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
	S3Reset         = S3Fault{Reset: true}
)

// S3Rule decides the fault for a request; n counts the requests of the
// same operation, from 1, including this one.
type S3Rule func(op string, n int, r *http.Request) S3Fault

// S3Proxy is an HTTP proxy in front of an S3 server that injects faults a
// real server does not produce on demand: 5xx answers, throttling,
// connection resets and access denied. It keeps the Host header, so
// requests signed for the proxy's address verify at the server.
type S3Proxy struct {
	// Endpoint is the proxy's URL (https:// when started with TLS).
	Endpoint string
	// CAFile is, for a TLS proxy, a PEM file with its certificate, for
	// SSL_CERT_FILE.
	CAFile string

	srv  *httptest.Server
	rp   *httputil.ReverseProxy
	mu   sync.Mutex
	rule S3Rule
	n    map[string]int
	log  []string
	tls  int
	busy int // requests being served
}

// StartS3Proxy starts a proxy in front of upstream (an http:// S3
// endpoint); with useTLS it serves HTTPS with a self-signed certificate for
// 127.0.0.1. It stops when the test ends.
func StartS3Proxy(t testing.TB, upstream string, useTLS bool) *S3Proxy {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &S3Proxy{n: map[string]int{}}
	p.rp = &httputil.ReverseProxy{
		// Director (not Rewrite) keeps the incoming Host header, which
		// the client signed.
		Director: func(r *http.Request) {
			r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		},
		ErrorLog: nil,
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	if useTLS {
		p.srv.StartTLS()
		p.CAFile = filepath.Join(t.TempDir(), "s3proxy-ca.pem")
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
		if err := os.WriteFile(p.CAFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		p.srv.Start()
	}
	p.Endpoint = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SetRule installs the fault rule (nil passes everything).
func (p *S3Proxy) SetRule(rule S3Rule) {
	p.mu.Lock()
	p.rule = rule
	p.mu.Unlock()
}

// Requests returns how many requests of an operation arrived.
func (p *S3Proxy) Requests(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[op]
}

// TLSRequests returns how many requests arrived over TLS.
func (p *S3Proxy) TLSRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tls
}

// InFlight returns how many requests are being served, including the one
// whose rule is asking.
func (p *S3Proxy) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busy
}

// Injected lists the faults injected, as "op #n: fault".
func (p *S3Proxy) Injected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func (p *S3Proxy) serve(w http.ResponseWriter, r *http.Request) {
	op := S3Op(r)
	p.mu.Lock()
	p.busy++
	p.n[op]++
	n := p.n[op]
	if r.TLS != nil {
		p.tls++
	}
	rule := p.rule
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.busy--
		p.mu.Unlock()
	}()
	var f S3Fault
	if rule != nil {
		f = rule(op, n, r)
	}
	if f.Pass() {
		p.rp.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	p.log = append(p.log, fmt.Sprintf("%s #%d: %s", op, n, f))
	p.mu.Unlock()
	if f.Reset {
		resetConnection(w)
		return
	}
	// Read the body first, as S3 does, so the client sees the answer
	// rather than a broken pipe.
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>radar-s3proxy</RequestId></Error>`, f.Code, f.Message)
}

// resetConnection closes the client connection with a TCP RST.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("s3proxy: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

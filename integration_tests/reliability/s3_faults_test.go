package reliability

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// TestS3TransientFaults: S3 answers 500 InternalError and 503 SlowDown, or
// resets the connection, on some requests of every kind the destination
// sends (list, put, multipart create, part, complete). The requests are
// retried and the sync completes with every row exactly once.
func TestS3TransientFaults(t *testing.T) {
	harness.ForEachDataChannel(t, s3TransientFaults)
}

func s3TransientFaults(t *testing.T, mode string) {
	e := newSyncEnv(t, 1000)
	e.mode = mode
	proxy := harness.StartS3Proxy(t, e.s3.Endpoint, false)
	plan := map[string]map[int]harness.S3Fault{
		"ListObjects":             {1: harness.S3SlowDown},
		"PutObject":               {1: harness.S3InternalError, 2: harness.S3Reset, 3: harness.S3SlowDown},
		"CreateMultipartUpload":   {1: harness.S3InternalError},
		"UploadPart":              {1: harness.S3Reset, 2: harness.S3InternalError, 3: harness.S3SlowDown},
		"CompleteMultipartUpload": {1: harness.S3SlowDown, 2: harness.S3Reset},
	}
	want := 0
	for _, m := range plan {
		want += len(m)
	}
	proxy.SetRule(func(op string, n int, r *http.Request) harness.S3Fault {
		return plan[op][n]
	})
	to := s3Target{endpoint: proxy.Endpoint, accessKey: e.s3.AccessKey, secretKey: e.s3.SecretKey}
	start := time.Now()
	res := e.run(t, destinationConfig(t, to, nil), nil, nil)
	expectSuccess(t, res)
	injected := proxy.Injected()
	t.Logf("sync with %d injected faults took %s: %s", len(injected), time.Since(start).Round(time.Millisecond), strings.Join(injected, ", "))
	if len(injected) != want {
		t.Errorf("%d faults injected, planned %d: the destination did not send the requests the test expects", len(injected), want)
	}
	e.compare(t, "small", false)
	e.compare(t, "big", false)
	e.expectNoMultipartUpload(t)
	e.expectNoPartialObject(t)
}

// writeOps are the requests that need s3:PutObject.
var writeOps = map[string]bool{"PutObject": true, "CreateMultipartUpload": true, "UploadPart": true, "CompleteMultipartUpload": true}

// permanentFault runs a sync in which stream small completes and is
// acknowledged before big's records reach the destination; fault is called
// on every request once big's first part has been uploaded and returns the
// fault to answer from then on. In socket mode the source reads big (the
// largest table first) on one socket and small on the other: big must not
// be cut into key ranges, or its second range would start the fault before
// small is read, so the env's chunks are large (permanentFaultEnv).
func permanentFault(t *testing.T, e *syncEnv, fault func(op string, r *http.Request) harness.S3Fault) *harness.SyncResult {
	t.Helper()
	proxy := harness.StartS3Proxy(t, e.s3.Endpoint, false)
	var smallPut, failing atomic.Bool
	proxy.SetRule(func(op string, n int, r *http.Request) harness.S3Fault {
		if op == "PutObject" && strings.Contains(r.URL.Path, "/small/") {
			smallPut.Store(true)
		}
		if op == "UploadPart" && n == 2 {
			// Let the requests already under way finish first, so that
			// the fault starts at a clear point: a server may otherwise
			// recreate a deleted bucket's directory for a part it was
			// still storing.
			if !waitFor(20*time.Second, func() bool { return proxy.InFlight() == 1 }) {
				t.Errorf("S3 requests still under way after 20 s")
			}
			failing.Store(true)
		}
		if failing.Load() {
			return fault(op, r)
		}
		return harness.S3Fault{}
	})
	acks := &ackWatcher{}
	var paused sync.Once
	to := s3Target{endpoint: proxy.Endpoint, accessKey: e.s3.AccessKey, secretKey: e.s3.SecretKey}
	res := e.run(t, destinationConfig(t, to, map[string]any{"idle_stream_close_seconds": 0.2}), nil, func(s *harness.Sync) {
		s.OnDestinationLine = acks.observe
		// Hold big's first record until small is in S3 and acknowledged.
		s.Pause = func(line []byte) func() {
			if !bytes.Contains(line, []byte(`"stream":"big"`)) || !bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) {
				return nil
			}
			var wait func()
			paused.Do(func() {
				wait = func() {
					if !waitFor(20*time.Second, func() bool { return smallPut.Load() && acks.count() > 0 }) {
						t.Errorf("stream small was not written and acknowledged while the input was quiet")
					}
				}
			})
			return wait
		}
	})
	if !failing.Load() {
		t.Fatalf("the fault never started: big was uploaded in fewer than 2 parts")
	}
	t.Logf("faults: %d injected, e.g. %v", len(proxy.Injected()), head2(proxy.Injected()))
	return res
}

func head2(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// expectFailed checks that the destination failed with one TRACE ERROR of
// the given type whose message contains each of parts.
func expectFailed(t *testing.T, res *harness.SyncResult, ft protocol.FailureType, parts ...string) {
	t.Helper()
	for _, p := range res.Problems {
		t.Errorf("platform: %s", p)
	}
	if res.DestinationCode != 1 {
		t.Errorf("destination exit %d, want 1", res.DestinationCode)
	}
	var errs []*protocol.ErrorTrace
	for _, m := range res.DestinationMessages {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError {
			errs = append(errs, m.Trace.Error)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("%d TRACE ERRORs from the destination, want 1:%s\nstderr: %s", len(errs), errorsText(errs), res.DestinationStderr)
	}
	te := errs[0]
	if te.FailureType != ft {
		t.Errorf("failure_type %s, want %s: %s", te.FailureType, ft, te.Message)
	}
	for _, p := range parts {
		if !strings.Contains(te.Message, p) {
			t.Errorf("message %q does not contain %q", te.Message, p)
		}
	}
	t.Logf("destination error: %s", te.Message)
}

// TestS3AccessDeniedMidSync: from big's second part on, S3 denies every
// request that needs s3:PutObject (the policy changed mid-sync; aborting
// multipart uploads is still allowed). The sync ends with a config_error
// naming the permission, small's acknowledged states are backed by objects,
// big has no acknowledged state, no object and no open multipart upload.
func TestS3AccessDeniedMidSync(t *testing.T) {
	harness.ForEachDataChannel(t, s3AccessDeniedMidSync)
}

// permanentFaultEnv is the env of the permanent fault tests: chunks of 500
// rows in STDIO; in socket mode chunks of 7000, so that big (24,000 rows)
// spans fewer than two chunks per socket and is read as one partition.
func permanentFaultEnv(t *testing.T, mode string) *syncEnv {
	chunk := 500
	if mode != "stdio" {
		chunk = 7000
	}
	e := newSyncEnv(t, chunk)
	e.mode = mode
	return e
}

func s3AccessDeniedMidSync(t *testing.T, mode string) {
	e := permanentFaultEnv(t, mode)
	res := permanentFault(t, e, func(op string, r *http.Request) harness.S3Fault {
		if writeOps[op] {
			return harness.S3AccessDenied
		}
		return harness.S3Fault{}
	})
	expectFailed(t, res, protocol.FailureConfig, "s3:PutObject", bucket)
	small := e.expectAcksDurable(t, res, "small", smallRows)
	if !small.done {
		t.Errorf("small's final state was not acknowledged though its object was written")
	}
	big := e.expectAcksDurable(t, res, "big", bigRows)
	if big.pos > 0 || big.done {
		t.Errorf("big acknowledged up to %d (done %v) though its file failed", big.pos, big.done)
	}
	if n := len(e.parquetFiles(t, "big")); n != 0 {
		t.Errorf("%d objects of big, want none", n)
	}
	e.expectNoMultipartUpload(t)
	e.expectNoPartialObject(t)
}

// TestS3BucketDeletedMidSync: the bucket disappears (its directory is
// moved away from the server) while big's multipart upload is under way;
// the server answers every request but those with a body, which the proxy
// answers as S3 does.
// The sync ends with a config_error saying the bucket does not exist, and
// every acknowledged state is backed by an object that was in the bucket.
func TestS3BucketDeletedMidSync(t *testing.T) {
	harness.ForEachDataChannel(t, s3BucketDeletedMidSync)
}

func s3BucketDeletedMidSync(t *testing.T, mode string) {
	e := permanentFaultEnv(t, mode)
	bucketDir := filepath.Join(e.s3.Dir, bucket)
	aside := filepath.Join(t.TempDir(), "deleted-bucket")
	var once sync.Once
	res := permanentFault(t, e, func(op string, r *http.Request) harness.S3Fault {
		once.Do(func() {
			if err := os.Rename(bucketDir, aside); err != nil {
				t.Errorf("delete the bucket: %v", err)
			}
		})
		if r.ContentLength > 0 {
			// S3 takes a request's body before it answers NoSuchBucket;
			// versitygw answers at once and closes the connection, which
			// reaches the client as a proxy error (502) instead. Answer
			// what S3 answers.
			return harness.S3NoSuchBucket
		}
		return harness.S3Fault{} // the server itself answers
	})
	expectFailed(t, res, protocol.FailureConfig, bucket, "does not exist")
	// Inspect what the bucket held when it was deleted.
	if err := os.Rename(aside, bucketDir); err != nil {
		t.Fatal(err)
	}
	small := e.expectAcksDurable(t, res, "small", smallRows)
	if !small.done {
		t.Errorf("small's final state was not acknowledged though its object was written")
	}
	big := e.expectAcksDurable(t, res, "big", bigRows)
	if big.pos > 0 || big.done {
		t.Errorf("big acknowledged up to %d (done %v) though its file failed", big.pos, big.done)
	}
	e.expectNoPartialObject(t)
}

package runner

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/demo"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// TestTransientFailureRetried: S3 answers 500 InternalError to every
// upload of full_t objects during the first attempt; the destination fails
// with a transient error, the runner starts a second attempt from the saved
// state, S3 is healthy again, and the run succeeds with every row of both
// tables committed.
func TestTransientFailureRetried(t *testing.T) {
	e := setup(t)
	proxy := harness.StartS3Proxy(t, e.s3.Endpoint, false)
	var failing atomic.Bool
	failing.Store(true)
	proxy.SetRule(func(op string, n int, r *http.Request) harness.S3Fault {
		if failing.Load() && strings.Contains(r.URL.Path, "/full_t/") && op != "GetObject" && op != "HeadObject" {
			return harness.S3InternalError
		}
		return harness.S3Fault{}
	})
	e.dstCfg = harness.WriteJSON(t, "destination-proxy.json", demo.DestinationConfig(proxy.Endpoint, bucket))
	o := e.options(runner.FileStore(e.statePath))
	o.Log = &watchLog{t: t, on: "attempt 2 of 2", do: func() { failing.Store(false) }}
	res, err := e.run(o)
	if err != nil {
		t.Fatalf("run: %v (attempts %+v)", err, res.Attempts)
	}
	if len(res.Attempts) != 2 || res.Attempts[0].Error == "" || res.Attempts[0].FailureType == "config_error" {
		t.Fatalf("attempts = %+v, want a failed transient first attempt and a second one", res.Attempts)
	}
	for _, s := range res.Streams {
		if s.Status != "COMPLETE" || (s.Name == "full_t" && s.CommittedRows != 500) {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	t.Logf("first attempt: %s", res.Attempts[0].Error)
}

// watchLog logs the runner's lines and calls do once a line contains on.
type watchLog struct {
	t    *testing.T
	on   string
	do   func()
	done bool
}

func (w *watchLog) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	if !w.done && bytes.Contains(p, []byte(w.on)) {
		w.done = true
		w.do()
	}
	return len(p), nil
}

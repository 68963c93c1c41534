package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// The tests below run the connector images as the Airbyte platform does
// (harness.PlatformSync: the launcher's sh -c wrappers, FIFOs, uid 1000,
// no capabilities), against MariaDB and the S3 server on the host.

// platformImages returns the images under test: RADAR_SOURCE_IMAGE and
// RADAR_DESTINATION_IMAGE when set, else harness.Images (`make images`,
// skipping with the reason when no Docker daemon answers).
func platformImages(t *testing.T) (source, destination string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Docker containers")
	}
	source, destination = os.Getenv("RADAR_SOURCE_IMAGE"), os.Getenv("RADAR_DESTINATION_IMAGE")
	if source != "" && destination != "" {
		if err := harness.DockerAvailable(context.Background()); err != nil {
			t.Skipf("images %s and %s asked for, but %v", source, destination, err)
		}
		return source, destination
	}
	return harness.Images(t)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// platformSync runs one sync through the images and checks the platform's
// view of it: both exitCode.txt files 0 and every state acknowledged.
func (e *env) platformSync(srcImg, dstImg, srcCfg, dstCfg string, cat *protocol.ConfiguredCatalog, state []byte, hook func(*harness.PlatformSync)) *harness.PlatformResult {
	e.t.Helper()
	p := &harness.PlatformSync{SourceImage: srcImg, DestinationImage: dstImg, WorkDir: e.t.TempDir(),
		Name:         "platform-" + strings.ReplaceAll(strings.ToLower(e.t.Name()), "/", "-") + "-" + time.Now().Format("150405.000"),
		SourceConfig: readFile(e.t, srcCfg), DestinationConfig: readFile(e.t, dstCfg),
		Catalog: mustJSON(e.t, cat), State: state}
	p.Name = strings.ReplaceAll(p.Name, ".", "")
	if hook != nil {
		hook(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := p.Run(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("platform sync: %v, %d states, %d acknowledged", res.Elapsed.Round(time.Millisecond), res.StatesSent, len(res.Acks))
	return res
}

func expectPlatformSuccess(t *testing.T, res *harness.PlatformResult) {
	t.Helper()
	for _, p := range res.Problems {
		t.Errorf("platform: %s", p)
	}
	if res.SourceExitFile != 0 || res.DestinationExitFile != 0 || res.SourceCode != 0 || res.DestinationCode != 0 {
		var errs []string
		for _, e := range res.Errors() {
			errs = append(errs, fmt.Sprintf("%s: %s (%s)", e.FailureType, e.Message, e.InternalMessage))
		}
		t.Fatalf("exitCode.txt source %d destination %d (containers %d, %d)\nerrors: %s\nsource stderr: %s\ndestination stderr: %s\nwrappers: %s %s",
			res.SourceExitFile, res.DestinationExitFile, res.SourceCode, res.DestinationCode, strings.Join(errs, "; "),
			res.SourceStderr, res.DestinationStderr, res.SourceWrapper, res.DestinationWrapper)
	}
	if len(res.Acks) != res.StatesSent || res.StatesSent == 0 {
		t.Errorf("the destination acknowledged %d of %d states", len(res.Acks), res.StatesSent)
	}
	if !strings.Contains(res.SourceWrapper, "Using AIRBYTE_ENTRYPOINT: ") {
		t.Errorf("source wrapper output %q", res.SourceWrapper)
	}
}

// TestPlatformOperations runs spec, check and discover of both images
// through the launcher's connectorOperation wrapper and reads
// jobOutput.json and exitCode.txt as the sidecar does.
func TestPlatformOperations(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	e := newEnv(t, 50)
	srcCfg, dstCfg := readFile(t, e.sourceConfig()), readFile(t, e.destinationConfig(nil))
	ctx := context.Background()
	for _, tt := range []struct {
		image, op string
		config    []byte
		want      protocol.Type
	}{
		{srcImg, "spec", nil, protocol.TypeSpec},
		{srcImg, "check", srcCfg, protocol.TypeConnectionStatus},
		{srcImg, "discover", srcCfg, protocol.TypeCatalog},
		{dstImg, "spec", nil, protocol.TypeSpec},
		{dstImg, "check", dstCfg, protocol.TypeConnectionStatus},
	} {
		name := "platform-op-" + tt.op + "-" + time.Now().Format("150405000")
		start := time.Now()
		res, err := harness.RunOperation(ctx, tt.image, name, t.TempDir(), tt.op, tt.config)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.image, tt.op, err)
		}
		if res.ExitCode != 0 {
			t.Errorf("%s %s: exitCode.txt %d: %s", tt.image, tt.op, res.ExitCode, res.JobOutput)
		}
		var found int
		for _, l := range res.Messages {
			var m protocol.Message
			if err := json.Unmarshal(l, &m); err != nil {
				t.Errorf("%s %s: jobOutput.json line is not a message: %.200s", tt.image, tt.op, l)
				continue
			}
			if m.Type == tt.want {
				found++
				if m.Type == protocol.TypeConnectionStatus && m.ConnectionStatus.Status != protocol.StatusSucceeded {
					t.Errorf("%s check: %+v", tt.image, m.ConnectionStatus)
				}
			}
		}
		if found != 1 {
			t.Errorf("%s %s: %d %s messages in jobOutput.json, want 1", tt.image, tt.op, found, tt.want)
		}
		t.Logf("%s %s through the wrapper: %v", tt.image, tt.op, time.Since(start).Round(time.Millisecond))
	}
}

// TestPlatformFullRefreshThenIncremental: a full refresh, then an
// incremental sync resumed from the acknowledged states written to
// inputState.json, both through the images.
func TestPlatformFullRefreshThenIncremental(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	e := newEnv(t, 800)
	srcCfg, dstCfg := e.sourceConfig(), e.destinationConfig(nil)
	cat := e.discover(srcCfg)
	full := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 1,
		nil, map[string]bool{"store": true, "product": true}), nil, nil)
	expectPlatformSuccess(t, full)
	e.compare("store", duck.CompareOptions{})
	e.compare("product", duck.CompareOptions{})

	only := map[string]bool{"store": true, "product": true}
	inc := configure(cat, protocol.SyncModeIncremental, protocol.DestinationAppend, 1, cursors, only)
	first := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, inc, nil, nil)
	expectPlatformSuccess(t, first)
	if _, err := e.db.Exec("UPDATE product SET price = price + 1, updated_at = '2030-01-01 00:00:00' WHERE id <= 20"); err != nil {
		t.Fatal(err)
	}
	second := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, inc, first.NextState(), nil)
	expectPlatformSuccess(t, second)
	if n := second.Records[e.dbName+".product"]; n < 20 || n > 40 {
		t.Errorf("resumed sync read %d product records, want the 20 updated (plus boundary duplicates)", n)
	}
	e.compareLatest("product", "id", "updated_at")
	e.compareLatest("store", "Id", "Modified_At")
}

// TestPlatformTerminateMidTable creates TERMINATED in /source and /dest
// (what the orchestrator's exit trap does) while the big table streams;
// both containers must exit within the wrapper's check interval plus a
// margin, leave no open multipart upload and no unreadable object, and a
// sync resumed from the acknowledged states must lose no row.
func TestPlatformTerminateMidTable(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	e := newEnv(t, 20000)
	srcCfg := e.sourceConfig()
	// A stream's file closes after 0.5 s without records, so the states of
	// the finished stream are acknowledged while the driver holds the stop.
	dstCfg := e.destinationConfig(map[string]any{"idle_stream_close_seconds": 0.5})
	cat := e.discover(srcCfg)
	only := map[string]bool{"product": true, "store": true}
	inc := configure(cat, protocol.SyncModeIncremental, protocol.DestinationAppend, 1, cursors, only)

	var once sync.Once
	var stopped time.Time
	var records, states, sinceState int
	res := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, inc, nil, func(p *harness.PlatformSync) {
		var srcDir, dstDir string
		p.OnContainers = func(s, d string) { srcDir, dstDir = s, d }
		// At the stop the driver flushes what it forwarded, creates
		// TERMINATED and stops reading the source (the orchestrator is
		// gone), until the source's wrapper has written exitCode.txt.
		p.Sync.Pause = func(line []byte) func() {
			if bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) {
				states++
				return nil
			}
			if !bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) {
				return nil
			}
			records++
			// Stop 3000 records into the stream after the first state.
			if states == 0 {
				sinceState = 0
				return nil
			}
			if sinceState++; sinceState != 3000 {
				return nil
			}
			return func() {
				once.Do(func() {
					stopped = time.Now()
					if err := harness.Terminate(srcDir, dstDir); err != nil {
						t.Error(err)
					}
					deadline := time.Now().Add(30 * time.Second)
					for time.Now().Before(deadline) {
						if _, err := harness.ReadExitCode(srcDir); err == nil {
							return
						}
						time.Sleep(50 * time.Millisecond)
					}
				})
			}
		}
	})
	if stopped.IsZero() {
		t.Fatalf("the sync ended after %d records, before the stop", records)
	}
	t.Logf("stopped after %d records", records)
	expectTerminatedThenResume(t, e, srcImg, dstImg, srcCfg, dstCfg, inc, res, stopped, "stdio")
}

// expectTerminatedThenResume checks a sync stopped by TERMINATED at
// stopped: both containers gone within the wrapper's check interval plus a
// margin, the source killed by its wrapper, no open multipart upload, every
// object readable Parquet, some state acknowledged; then resumes from the
// acknowledged states (in mode) and checks that no row is lost.
func expectTerminatedThenResume(t *testing.T, e *env, srcImg, dstImg, srcCfg, dstCfg string, cat *protocol.ConfiguredCatalog, res *harness.PlatformResult, stopped time.Time, mode string) {
	t.Helper()
	took := time.Since(stopped)
	limit := time.Duration(harness.TerminationCheckInterval)*time.Second + 10*time.Second
	t.Logf("both containers gone %v after TERMINATED; exitCode.txt source %d destination %d; %d of %d states acknowledged",
		took.Round(time.Millisecond), res.SourceExitFile, res.DestinationExitFile, len(res.Acks), res.StatesSent)
	if took > limit {
		t.Errorf("containers took %v to exit after TERMINATED, limit %v", took, limit)
	}
	// In socket mode the two wrappers race: when the destination's sees
	// TERMINATED first, the source's next write to the sockets fails and
	// it ends with 1 before its own wrapper kills it.
	destinationFirst := mode != "stdio" && res.SourceExitFile == 1 && res.DestinationExitFile == 143
	if res.SourceExitFile != 143 && !destinationFirst {
		t.Errorf("source exitCode.txt %d after TERMINATED mid-table; want 143 (the wrapper's kill)", res.SourceExitFile)
	}
	if ups, err := e.s3.MultipartUploads(context.Background(), bucket); err != nil || len(ups) > 0 {
		t.Errorf("open multipart uploads after the stop: %v (%v)", ups, err)
	}
	// Every object is a whole Parquet file DuckDB reads.
	objs, _ := e.s3.List(context.Background(), bucket, bucketPath+"/store/")
	if len(objs) > 0 {
		if _, err := e.duck.Codecs(e.streamFiles("store")); err != nil {
			t.Errorf("an object left by the stopped sync is not readable Parquet: %v", err)
		}
	}
	if len(res.Acks) == 0 {
		t.Errorf("no state acknowledged before the stop: the resume would prove nothing")
	}
	second := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, cat, res.NextState(), func(p *harness.PlatformSync) { p.Sync.DataChannel = mode })
	expectPlatformSuccess(t, second)
	t.Logf("resumed sync read product %d, store %d records", second.Records[e.dbName+".product"], second.Records[e.dbName+".store"])
	e.compare("product", duck.CompareOptions{AllowDuplicates: true})
	e.compare("store", duck.CompareOptions{AllowDuplicates: true})
}

// TestPlatformTerminateMidTableSocket is TestPlatformTerminateMidTable in
// both socket modes. The platform does not read the sockets, so it cannot
// hold the source at a record as the STDIO test does: S3 answers every
// write after a second (a proxy) and the destination's buffer is the
// smallest allowed, so the destination, and through the full sockets the
// source, are mid-table for seconds. When the destination has acknowledged
// its first state of store, TERMINATED is created and S3 holds every write
// from then on, so that both connectors are still mid-sync when their
// wrappers look for TERMINATED (every 10 s).
func TestPlatformTerminateMidTableSocket(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	harness.ForEachDataChannel(t, func(t *testing.T, mode string) {
		if mode == "stdio" {
			t.Skip("STDIO is TestPlatformTerminateMidTable")
		}
		// store is larger than the destination's buffer, read in chunks
		// of 1000 rows with a state after each.
		e := newEnv(t, 60000)
		e.mode = mode
		srcCfg := e.sourceConfig()
		var cfg map[string]any
		json.Unmarshal(readFile(t, srcCfg), &cfg)
		cfg["chunk_size"] = 1000
		srcCfg = harness.WriteJSON(t, "source-chunked.json", cfg)
		var held atomic.Bool
		release := make(chan struct{})
		proxy := harness.StartS3Proxy(t, e.s3.Endpoint, false)
		proxy.SetRule(func(op string, n int, r *http.Request) harness.S3Fault {
			if op == "PutObject" || op == "UploadPart" || op == "CompleteMultipartUpload" {
				if held.Load() {
					select {
					case <-release:
					case <-time.After(time.Minute):
					}
				} else {
					time.Sleep(time.Second)
				}
			}
			return harness.S3Fault{}
		})
		slow := e.destinationConfig(map[string]any{"s3_endpoint": proxy.Endpoint, "buffer_memory_mb": 16, "file_size_mb": 1, "idle_stream_close_seconds": 0.5})
		cat := e.discover(srcCfg)
		only := map[string]bool{"product": true, "store": true}
		inc := configure(cat, protocol.SyncModeIncremental, protocol.DestinationAppend, 1, cursors, only)
		var once sync.Once
		var stopped time.Time
		res := e.platformSync(srcImg, dstImg, srcCfg, slow, inc, nil, func(p *harness.PlatformSync) {
			p.Sync.DataChannel = mode
			var srcDir, dstDir string
			p.OnContainers = func(s, d string) { srcDir, dstDir = s, d }
			p.Sync.OnDestinationLine = func(line []byte) {
				if !bytes.HasPrefix(line, []byte(`{"type":"STATE"`)) || !bytes.Contains(line, []byte(`"name":"store"`)) {
					return
				}
				once.Do(func() {
					held.Store(true)
					stopped = time.Now()
					if err := harness.Terminate(srcDir, dstDir); err != nil {
						t.Error(err)
					}
				})
			}
		})
		close(release)
		proxy.SetRule(nil)
		if stopped.IsZero() {
			t.Fatalf("the sync ended before the destination acknowledged a state of store (exit %d, %d)", res.SourceCode, res.DestinationCode)
		}
		expectTerminatedThenResume(t, e, srcImg, dstImg, srcCfg, e.destinationConfig(nil), inc, res, stopped, mode)
	})
}

// TestPlatformCDC runs the CDC snapshot and the CDC sync of
// TestCDCWithDeletes through the images, against the binlog mariadbd, in
// every data channel mode (in socket mode as the platform runs it: the
// sockets shared between the containers, GLOBAL states matched by id).
func TestPlatformCDC(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	harness.ForEachDataChannel(t, func(t *testing.T, mode string) {
		cdcWithDeletes(t, mode, func(e *env, srcCfg, dstCfg string, cat *protocol.ConfiguredCatalog, state []byte) *harness.SyncResult {
			res := e.platformSync(srcImg, dstImg, srcCfg, dstCfg, cat, state, func(p *harness.PlatformSync) { p.Sync.DataChannel = mode })
			expectPlatformSuccess(t, res)
			expectDataChannel(t, res, mode, 2) // nothing to check in STDIO
			if mode != "stdio" {
				// The bookkeeper counts records per stream from STREAM
				// states' sourceStats; CDC's are GLOBAL: it has the sync's
				// total only, which the ledger checked against the
				// destination's count.
				res.Records = nil
			}
			return res.SyncResult
		})
	})
}

// TestPlatformSocketMode runs the images as the platform does in speed mode
// (harness.PlatformSync with a data channel: both containers mount the
// sockets volume at /var/run/sockets and get DATA_CHANNEL_MEDIUM=SOCKET,
// the format and DATA_CHANNEL_SOCKET_PATHS=/var/run/sockets/
// airbyte_socket_<i>.sock; the destination's stdin FIFO is opened and left
// empty; the destination's states are matched to the source's copies by
// id). A full refresh runs in STDIO, socket/protobuf and socket/jsonl into
// three bucket paths: each must equal MySQL, and the socket ones the STDIO
// one cell for cell. Then an incremental sync in socket/protobuf, and a
// second one resumed from its acknowledged states.
func TestPlatformSocketMode(t *testing.T) {
	srcImg, dstImg := platformImages(t)
	e := newEnv(t, 800)
	srcCfg := e.sourceConfig()
	cat := e.discover(srcCfg)
	only := map[string]bool{"store": true, "product": true}
	full := configure(cat, protocol.SyncModeFullRefresh, protocol.DestinationOverwrite, 1, nil, only)
	path := func(mode string) string { return bucketPath + "/mode=" + harness.ModeName(mode) }
	modes := []string{"stdio", "socket/protobuf", "socket/jsonl"}
	// socket/protobuf gets 4 sockets, the platform's count for CPU limits
	// of 2 (2 × the smaller limit); socket/jsonl the harness's 2.
	sockets := map[string]int{"socket/protobuf": 4, "socket/jsonl": 2}
	for _, mode := range modes {
		res := e.platformSync(srcImg, dstImg, srcCfg, e.destinationConfig(map[string]any{"s3_bucket_path": path(mode)}), full, nil,
			func(p *harness.PlatformSync) { p.Sync.DataChannel, p.Sync.Sockets = mode, sockets[mode] })
		expectPlatformSuccess(t, res)
		expectDataChannel(t, res, mode, sockets[mode])
	}
	ctx := context.Background()
	for _, s := range full.Streams {
		files := map[string][]string{}
		for _, mode := range modes {
			f, err := e.s3.Download(ctx, bucket, path(mode)+"/"+s.Stream.Name+"/", t.TempDir())
			if err != nil || len(f) == 0 {
				t.Fatalf("stream %s, %s: %d files: %v", s.Stream.Name, mode, len(f), err)
			}
			files[mode] = f
			diff, err := duck.CompareTable(ctx, e.db, e.dbName, s.Stream.Name, e.duck, f, duck.CompareOptions{})
			if err != nil {
				t.Fatalf("compare %s (%s): %v", s.Stream.Name, mode, err)
			}
			if !diff.OK() {
				t.Errorf("%s: %s", mode, diff.Summary(10))
			}
		}
		for _, mode := range modes[1:] {
			e.compareParquet(s.Stream, "stdio", files["stdio"], mode, files[mode])
		}
	}

	socket := func(p *harness.PlatformSync) { p.Sync.DataChannel = "socket/protobuf" }
	inc := configure(cat, protocol.SyncModeIncremental, protocol.DestinationAppend, 1, cursors, only)
	first := e.platformSync(srcImg, dstImg, srcCfg, e.destinationConfig(nil), inc, nil, socket)
	expectPlatformSuccess(t, first)
	expectDataChannel(t, first, "socket/protobuf", 2)
	if _, err := e.db.Exec("UPDATE product SET price = price + 1, updated_at = '2030-01-01 00:00:00' WHERE id <= 20"); err != nil {
		t.Fatal(err)
	}
	second := e.platformSync(srcImg, dstImg, srcCfg, e.destinationConfig(nil), inc, first.NextState(), socket)
	expectPlatformSuccess(t, second)
	if n := second.Records[e.dbName+".product"]; n < 20 || n > 40 {
		t.Errorf("resumed sync read %d product records (sourceStats), want the 20 updated (plus boundary duplicates)", n)
	}
	e.compareLatest("product", "id", "updated_at")
	e.compareLatest("store", "Id", "Modified_At")
}

// expectDataChannel checks from the connectors' logs that a socket-mode
// platform sync ran in mode over n sockets: the source's "data channel:
// SOCKET/..." line, and the destination reading the last socket under
// /var/run/sockets.
func expectDataChannel(t *testing.T, res *harness.PlatformResult, mode string, n int) {
	t.Helper()
	if !strings.HasPrefix(mode, "socket") {
		return
	}
	m, _ := runner.ParseDataChannelMode(mode)
	want := fmt.Sprintf("data channel: SOCKET/%s over %d sockets", m.Format, n)
	logged := func(msgs []protocol.Message, s string) bool {
		for _, m := range msgs {
			if m.Type == protocol.TypeLog && strings.Contains(m.Log.Message, s) {
				return true
			}
		}
		return false
	}
	if !logged(res.SourceMessages, want) {
		t.Errorf("%s: the source did not log %q", mode, want)
	}
	sock := fmt.Sprintf("%s/%s%d%s", harness.SocketPath, runner.SocketFilePrefix, n, runner.SocketFileSuffix)
	if !logged(res.DestinationMessages, sock) {
		t.Errorf("%s: the destination did not log reading %s", mode, sock)
	}
}

package reliability

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// killConfig makes the destination complete big's first file at 11 MiB
// (about 11,000 rows, so some of big's states are acknowledged
// mid-stream); with 5 MiB parts (destinationConfig) the second file, from
// about row 11,000 to 22,000, is a multipart upload in flight from about
// row 17,500 on, whatever the row group boundaries. The stops at row 18,000
// meet it open. Idle streams close after 0.5 s: small's file completes
// while big's first record is held, and big's not while a stop is
// prepared.
var killConfig = map[string]any{"file_size_mb": 11, "idle_stream_close_seconds": 0.5}

// Where the kill tests stop the sync: the destination mid-file (see
// killConfig), the source once big's first file is acknowledged.
const (
	destinationStopAt = 18000
	sourceStopAt      = 13500
)

// isRecordOf reports whether line is a RECORD of stream with the given id.
func isRecordOf(line []byte, stream string, id int) bool {
	return bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) && bytes.Contains(line, []byte(`"stream":"`+stream+`"`)) &&
		bytes.Contains(line, []byte(`"data":{"id":`+strconv.Itoa(id)+`,`))
}

// exitedWithin waits until process pid has exited (a zombie or gone) and
// returns how long that took from start.
func exitedWithin(pid int, start time.Time, limit time.Duration) (time.Duration, bool) {
	ok := waitFor(limit, func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// pid (comm) state ...; comm may hold spaces, the state follows the last ')'.
		i := bytes.LastIndexByte(b, ')')
		return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
	})
	return time.Since(start), ok
}

// stopMidSync runs a sync of the env's two tables, incremental by id, and
// at big's record `at` (once big's first file is acknowledged and, if
// wantMultipart, a multipart upload of its second file is open) sends sig
// to the source or the destination. It returns the result and how long the
// signalled process took to exit.
func stopMidSync(t *testing.T, e *syncEnv, dstCfg string, at int, wantMultipart bool, target string, sig syscall.Signal) (*harness.SyncResult, time.Duration) {
	t.Helper()
	var src, dst *os.Process
	acks := &ackWatcher{}
	exitTime := make(chan time.Duration, 1)
	signalled := false
	res := e.run(t, dstCfg, nil, func(s *harness.Sync) {
		s.OnStart = func(source, destination *os.Process) { src, dst = source, destination }
		s.OnDestinationLine = acks.observe
		s.Pause = func(line []byte) func() {
			if isRecordOf(line, "big", 1) {
				// Hold big until small's file is complete and
				// acknowledged (big's states are acknowledged only
				// after small's), so that small's idle close does not
				// meet big's at the stop.
				return func() {
					if !waitFor(30*time.Second, func() bool { return acks.countOf("small") > 0 }) {
						t.Errorf("no state of small acknowledged before big started")
					}
				}
			}
			if signalled || !isRecordOf(line, "big", at) {
				return nil
			}
			signalled = true
			return func() {
				if !waitFor(30*time.Second, func() bool { return acks.countOf("big") > 0 }) {
					t.Errorf("no state of big acknowledged by record %d", at)
				}
				if wantMultipart && !waitFor(30*time.Second, func() bool {
					ups, err := e.s3.MultipartUploads(context.Background(), bucket)
					return err == nil && len(ups) > 0
				}) {
					t.Errorf("no multipart upload open by record %d", at)
				}
				p := dst
				if target == "source" {
					p = src
				}
				start := time.Now()
				if err := p.Signal(sig); err != nil {
					t.Errorf("signal %s: %v", target, err)
				}
				// The platform goes on reading both processes' output
				// while they stop: measure in the background.
				go func() {
					took, ok := exitedWithin(p.Pid, start, 60*time.Second)
					if !ok {
						took = -1
					}
					exitTime <- took
				}()
			}
		}
	})
	if !signalled {
		t.Fatalf("the sync never reached big's record %d (source exit %d, destination exit %d, problems %v, errors: %s)\nsource stderr: %.2000s\ndestination stderr: %.2000s",
			at, res.SourceCode, res.DestinationCode, res.Problems, errorsText(res.Errors()), res.SourceStderr, res.DestinationStderr)
	}
	took := <-exitTime
	if took < 0 {
		t.Fatalf("the %s did not exit within 60 s of %s", target, sig)
	}
	if !signalled {
		t.Fatalf("the sync never reached big's record %d", at)
	}
	t.Logf("%s exited %s after %s; acks before: %d, states sent: %d, acks: %d", target, took.Round(time.Millisecond), sig, acks.count(), res.StatesSent, len(res.Acks))
	return res, took
}

// rerunAndCheck runs the next sync from the acknowledged states and checks
// that the two syncs together hold every row, with duplicates only of rows
// after the first sync's acknowledged position.
func rerunAndCheck(t *testing.T, e *syncEnv, dstCfg string, first *harness.SyncResult) {
	t.Helper()
	pos := map[string]ackedPosition{"small": acked(t, first, "small"), "big": acked(t, first, "big")}
	second := e.run(t, dstCfg, first.NextState(), nil)
	expectSuccess(t, second)
	for _, table := range []string{"small", "big"} {
		e.compare(t, table, true)
		dups := e.expectDuplicatesOnlyAfter(t, table, pos[table])
		t.Logf("stream %s: acknowledged %s; rerun read %d records; %d ids twice in S3",
			table, pos[table], second.Records[e.db.name+"."+table], dups)
	}
}

// TestDestinationSIGKILLMidFile: the destination is killed (SIGKILL) while
// big's second file is being uploaded. No partial object is visible (the
// open multipart upload stays, invisible, until the bucket's lifecycle rule
// aborts it); every acknowledged state is backed by objects; a rerun from
// the acknowledged states completes the table.
func TestDestinationSIGKILLMidFile(t *testing.T) {
	harness.ForEachDataChannel(t, destinationSIGKILLMidFile)
}

func destinationSIGKILLMidFile(t *testing.T, mode string) {
	e := newSyncEnv(t, 500)
	e.mode = mode
	e.cat = incremental(e.cat)
	cfg := destinationConfig(t, targetOf(e.s3), killConfig)
	res, _ := stopMidSync(t, e, cfg, destinationStopAt, true, "destination", syscall.SIGKILL)
	if res.DestinationCode == 0 || res.DestinationCode == 1 {
		t.Errorf("destination exit %d, want killed", res.DestinationCode)
	}
	for _, p := range res.Problems {
		t.Logf("platform (destination killed): %s", p)
	}
	e.expectNoPartialObject(t)
	e.expectAcksDurable(t, res, "small", smallRows)
	e.expectAcksDurable(t, res, "big", bigRows)
	if ups, _ := e.s3.MultipartUploads(context.Background(), bucket); len(ups) > 0 {
		t.Logf("multipart uploads left by the killed process (not visible as objects): %v", ups)
	}
	rerunAndCheck(t, e, cfg, res)
}

// TestSourceSIGKILLMidStream: the source is killed mid-table. The platform
// ends the destination's input; the destination writes what it received
// and acknowledges every state; a rerun from those states completes the
// table, duplicating only rows the source emitted after its last state.
func TestSourceSIGKILLMidStream(t *testing.T) {
	harness.ForEachDataChannel(t, sourceSIGKILLMidStream)
}

func sourceSIGKILLMidStream(t *testing.T, mode string) {
	e := newSyncEnv(t, 500)
	e.mode = mode
	e.cat = incremental(e.cat)
	cfg := destinationConfig(t, targetOf(e.s3), killConfig)
	res, _ := stopMidSync(t, e, cfg, sourceStopAt, false, "source", syscall.SIGKILL)
	if res.SourceCode == 0 || res.SourceCode == 1 {
		t.Errorf("source exit %d, want killed", res.SourceCode)
	}
	if res.DestinationCode != 0 {
		t.Errorf("destination exit %d: %s", res.DestinationCode, errorsText(res.Errors()))
	}
	for _, p := range res.Problems {
		if !strings.Contains(p, "source line") {
			t.Errorf("platform: %s", p)
		}
	}
	e.expectNoPartialObject(t)
	e.expectNoMultipartUpload(t)
	e.expectAcksDurable(t, res, "big", bigRows)
	rerunAndCheck(t, e, cfg, res)
}

// TestSplitReadKilledResumes: in socket mode the source reads big, a full
// refresh, as two key ranges in parallel (one per socket), and every state
// carries each range's position. The source, or the destination, is killed
// (SIGKILL) once big's first file is acknowledged, with both ranges under
// way. A rerun from the acknowledged states resumes each range where its
// acknowledged position left it: the two syncs hold every row, and the only
// rows written twice are rows no acknowledged state covered. STDIO reads a
// table as one partition (the kill tests above cover it).
func TestSplitReadKilledResumes(t *testing.T) {
	harness.ForEachDataChannel(t, func(t *testing.T, mode string) {
		if mode == "stdio" {
			t.Skip("STDIO reads a table as one partition; key ranges are read in socket mode")
		}
		for _, target := range []string{"source", "destination"} {
			t.Run(target, func(t *testing.T) { splitReadKilledResumes(t, mode, target) })
		}
	})
}

func splitReadKilledResumes(t *testing.T, mode, target string) {
	e := newSyncEnv(t, 500)
	e.mode = mode
	cfg := destinationConfig(t, targetOf(e.s3), killConfig)
	acks := &ackWatcher{}
	var src, dst *os.Process
	var bigSeen int
	var lo, hi bool // records seen from the lower and the upper half of big
	killed := false
	first := e.run(t, cfg, nil, func(s *harness.Sync) {
		s.Sockets = 2
		s.OnStart = func(source, destination *os.Process) { src, dst = source, destination }
		s.OnDestinationLine = acks.observe
		// The hooks run one at a time.
		s.Pause = func(line []byte) func() {
			if killed || !bytes.HasPrefix(line, []byte(`{"type":"RECORD"`)) || !bytes.Contains(line, []byte(`"stream":"big"`)) {
				return nil
			}
			bigSeen++
			if isRecordOf(line, "big", 2000) {
				lo = true
			}
			if isRecordOf(line, "big", 14000) {
				hi = true
			}
			if bigSeen < 15000 || !lo || !hi {
				return nil
			}
			killed = true
			return func() {
				if !waitFor(30*time.Second, func() bool { return acks.countOf("big") > 0 }) {
					t.Errorf("no state of big acknowledged after %d of its records", bigSeen)
				}
				p := src
				if target == "destination" {
					p = dst
				}
				if err := p.Signal(syscall.SIGKILL); err != nil {
					t.Errorf("kill the %s: %v", target, err)
				}
			}
		}
	})
	if !killed {
		t.Fatalf("the sync ended before the kill (source exit %d, destination exit %d, %d big records, both ranges seen: %v %v): %s",
			first.SourceCode, first.DestinationCode, bigSeen, lo, hi, errorsText(first.Errors()))
	}
	for _, p := range first.Problems {
		t.Logf("platform (%s killed): %s", target, p)
	}
	big := acked(t, first, "big")
	if big.ranges == nil || big.done {
		t.Fatalf("big's acknowledged state is not a key-range position: %s", big)
	}
	started := 0
	for _, r := range big.ranges {
		if r.pos > 0 || r.done {
			started++
		}
	}
	if started == 0 {
		t.Errorf("no range of big has an acknowledged position: %s", big)
	}
	t.Logf("%s killed after %d records of big; acknowledged %s (%d of %d ranges started)", target, bigSeen, big, started, len(big.ranges))
	e.expectNoPartialObject(t)
	e.expectAcksDurable(t, first, "big", bigRows)

	// The rerun reads exactly the rows of big no acknowledged range
	// position covered. (small, a full refresh too, is read whole again
	// if it completed: a completed full refresh starts over.)
	second := e.run(t, cfg, first.NextState(), nil)
	expectSuccess(t, second)
	want := int64(0)
	for id := int64(1); id <= bigRows; id++ {
		if !big.covers(id) {
			want++
		}
	}
	if got := second.Records[e.db.name+".big"]; got != want {
		t.Errorf("the rerun read %d records of big, want the %d no acknowledged state covered", got, want)
	}
	e.compare(t, "small", true)
	e.compare(t, "big", true)
	dups := e.expectDuplicatesOnlyAfter(t, "big", big)
	t.Logf("rerun read %d records of big; %d ids twice in S3", second.Records[e.db.name+".big"], dups)
}

// sigtermLimit is how fast a connector must stop after SIGTERM.
const sigtermLimit = 3 * time.Second

// TestDestinationSIGTERMMidFile: SIGTERM while big's second file is being
// uploaded. The destination stops within a few seconds with exit 143 and
// valid output, acknowledges only durable data, aborts its multipart upload
// and leaves no partial object; a rerun completes the table.
func TestDestinationSIGTERMMidFile(t *testing.T) {
	harness.ForEachDataChannel(t, destinationSIGTERMMidFile)
}

func destinationSIGTERMMidFile(t *testing.T, mode string) {
	e := newSyncEnv(t, 500)
	e.mode = mode
	e.cat = incremental(e.cat)
	cfg := destinationConfig(t, targetOf(e.s3), killConfig)
	res, took := stopMidSync(t, e, cfg, destinationStopAt, true, "destination", syscall.SIGTERM)
	if res.DestinationCode != 143 {
		t.Errorf("destination exit %d, want 143", res.DestinationCode)
	}
	if took > sigtermLimit {
		t.Errorf("the destination took %s to stop, want under %s", took, sigtermLimit)
	}
	for _, p := range res.Problems {
		t.Errorf("platform: %s", p)
	}
	expectInterrupted(t, res.DestinationMessages)
	e.expectNoPartialObject(t)
	e.expectNoMultipartUpload(t)
	e.expectAcksDurable(t, res, "small", smallRows)
	e.expectAcksDurable(t, res, "big", bigRows)
	rerunAndCheck(t, e, cfg, res)
}

// TestSourceSIGTERMMidStream: SIGTERM to the source mid-table. It stops
// within a few seconds with exit 143, its output is valid and ends with the
// stream INCOMPLETE and a TRACE ERROR; the destination commits what it got;
// a rerun completes the table.
func TestSourceSIGTERMMidStream(t *testing.T) {
	harness.ForEachDataChannel(t, sourceSIGTERMMidStream)
}

func sourceSIGTERMMidStream(t *testing.T, mode string) {
	e := newSyncEnv(t, 500)
	e.mode = mode
	e.cat = incremental(e.cat)
	cfg := destinationConfig(t, targetOf(e.s3), killConfig)
	res, took := stopMidSync(t, e, cfg, sourceStopAt, false, "source", syscall.SIGTERM)
	if res.SourceCode != 143 {
		t.Errorf("source exit %d, want 143", res.SourceCode)
	}
	if took > sigtermLimit {
		t.Errorf("the source took %s to stop, want under %s", took, sigtermLimit)
	}
	for _, p := range res.Problems {
		t.Errorf("platform: %s", p)
	}
	expectInterrupted(t, res.SourceMessages)
	var last protocol.StreamStatus
	for _, m := range res.SourceMessages {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus && m.Trace.StreamStatus.StreamDescriptor.Name == "big" {
			last = m.Trace.StreamStatus.Status
		}
	}
	if last != protocol.StreamIncomplete {
		t.Errorf("big's last status %s, want INCOMPLETE", last)
	}
	if res.DestinationCode != 0 {
		t.Errorf("destination exit %d: %s", res.DestinationCode, errorsText(res.Errors()))
	}
	e.expectNoPartialObject(t)
	e.expectNoMultipartUpload(t)
	e.expectAcksDurable(t, res, "big", bigRows)
	rerunAndCheck(t, e, cfg, res)
}

// expectInterrupted checks for exactly one TRACE ERROR saying the sync was
// interrupted.
func expectInterrupted(t *testing.T, msgs []protocol.Message) {
	t.Helper()
	var errs []*protocol.ErrorTrace
	for _, m := range msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError {
			errs = append(errs, m.Trace.Error)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "interrupted") {
		t.Errorf("trace errors %s, want one saying the sync was interrupted", errorsText(errs))
	}
}

// TestBrokenPipe: `source read | destination write` as a shell pipe, and
// the destination exits early (its catalog lacks the stream). The source,
// writing into a pipe nobody reads, must notice and exit non-zero promptly.
func TestBrokenPipe(t *testing.T) {
	e := newSyncEnv(t, 500)
	srcCat := harness.WriteJSON(t, "catalog.json", fullRefresh(&protocol.Catalog{Streams: streamsOf(e.cat)}, "big"))
	dstCat := harness.WriteJSON(t, "dst-catalog.json", fullRefresh(&protocol.Catalog{Streams: streamsOf(e.cat)}, "small"))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src := exec.CommandContext(ctx, srcBin, "read", "--config", e.srcCfg, "--catalog", srcCat)
	dst := exec.CommandContext(ctx, dstBin, "write", "--config", destinationConfig(t, targetOf(e.s3), nil), "--catalog", dstCat)
	src.Stdout, dst.Stdin = w, r
	var srcErr, dstOut, dstErr syncBuffer
	src.Stderr, dst.Stdout, dst.Stderr = &srcErr, &dstOut, &dstErr
	if err := dst.Start(); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	dstDone := make(chan error, 1)
	go func() { dstDone <- dst.Wait() }()
	derr := <-dstDone
	exited := time.Now()
	serr := src.Wait()
	took := time.Since(exited)
	if exitCode(derr) != 1 {
		t.Errorf("destination exit %v, want 1", derr)
	}
	msgs, invalid := harness.ValidateLines([]byte(dstOut.String()))
	for _, inv := range invalid {
		t.Errorf("destination: %s", inv)
	}
	found := false
	for _, m := range msgs {
		if m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError && strings.Contains(m.Trace.Error.Message, "not in the configured catalog") {
			found = true
		}
	}
	if !found {
		t.Errorf("destination did not say why it stopped:\n%s", dstOut.String())
	}
	// A write to the broken pipe fails (EPIPE) rather than killing the
	// process silently: the source stops, says why on stderr, exits 1.
	if exitCode(serr) != 1 {
		t.Errorf("source exit %v after its output pipe broke, want 1", serr)
	}
	if !strings.Contains(srcErr.String(), "broken pipe") {
		t.Errorf("the source did not say on stderr that its output broke: %q", srcErr.String())
	}
	if took > 5*time.Second {
		t.Errorf("the source took %s to exit after the destination did", took)
	}
	t.Logf("source exited %s after the destination (%v); stderr: %q", took.Round(time.Millisecond), serr, srcErr.String())
}

func streamsOf(cat *protocol.ConfiguredCatalog) []protocol.Stream {
	var out []protocol.Stream
	for _, cs := range cat.Streams {
		out = append(out, cs.Stream)
	}
	return out
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -2
}

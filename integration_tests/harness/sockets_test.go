package harness_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/runner"
)

// envFakeDestination makes the test binary a socket-mode destination (see
// TestMain): it connects to every socket, counts each state's records and
// prints the states in id order per scope, with destinationStats and the
// top-level counts, as the Bulk CDK's destinations do. FAKE_DEST_SKEW adds
// the given number to every recordCount (a broken destination).
const envFakeDestination = "HARNESS_FAKE_SOCKET_DESTINATION"

// envFakeSource makes the test binary a socket-mode source (see TestMain):
// "fast" listens, accepts, writes fakeSourceRecords records of stream s and
// one state to the first socket, copies the state to stdout and exits at
// once; "fail" exits 1 before listening, as a source with a bad config.
const envFakeSource = "HARNESS_FAKE_SOCKET_SOURCE"

const fakeSourceRecords = 20

func TestMain(m *testing.M) {
	reading := len(os.Args) > 1 && os.Args[1] == "read" // the Sync runs the source with "read"
	switch os.Getenv(envFakeSource) {
	case "fast":
		if !reading {
			break
		}
		if err := fakeSource(); err != nil {
			fmt.Fprintln(os.Stderr, "fake source:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "fail":
		if !reading {
			break
		}
		fmt.Fprintln(os.Stderr, "fake source: failing before it listens")
		os.Exit(1)
	}
	if os.Getenv(envFakeDestination) == "1" {
		if err := fakeDestination(); err != nil {
			fmt.Fprintln(os.Stderr, "fake destination:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeSource() error {
	dc, err := datachannel.FromEnv()
	if err != nil {
		return err
	}
	if !dc.Socket() || dc.Protobuf() {
		return fmt.Errorf("the fake source speaks socket/jsonl only: %s", dc)
	}
	ln, err := datachannel.Listen(dc.SocketPaths)
	if err != nil {
		return err
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conns, err := ln.Accept(ctx)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(conns[0])
	for i := range fakeSourceRecords {
		fmt.Fprintf(w, `{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"id":%d},"partition_id":"abcd"}}`+"\n", i)
	}
	state := fmt.Sprintf(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{"n":%d}},"id":1,"partition_id":"abcd","sourceStats":{"recordCount":%d.0}}}`, fakeSourceRecords, fakeSourceRecords)
	fmt.Fprintln(w, state)
	if err := w.Flush(); err != nil {
		return err
	}
	for _, c := range conns {
		c.Close()
	}
	fmt.Println(state)
	return nil
}

func fakeDestination() error {
	dc, err := datachannel.FromEnv()
	if err != nil {
		return err
	}
	if !dc.Socket() {
		return fmt.Errorf("not in socket mode: %s", dc)
	}
	io.Copy(io.Discard, os.Stdin) // the platform closes it
	if d, err := time.ParseDuration(os.Getenv("FAKE_DEST_DELAY")); err == nil {
		time.Sleep(d) // a destination slow to start
	}
	skew := int64(0)
	fmt.Sscan(os.Getenv("FAKE_DEST_SKEW"), &skew)
	var outMu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	next := map[string]int64{}
	committed := map[string]int64{} // per scope, cumulative as the Bulk CDK writes it
	held := map[string]map[int64][]byte{}
	release := func(scope string, id int64, line []byte) {
		outMu.Lock()
		defer outMu.Unlock()
		if held[scope] == nil {
			held[scope] = map[int64][]byte{}
		}
		held[scope][id] = line
		for {
			l, ok := held[scope][next[scope]+1]
			if !ok {
				break
			}
			delete(held[scope], next[scope]+1)
			next[scope]++
			out.Write(l)
			out.WriteByte('\n')
		}
		out.Flush()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(dc.SocketPaths))
	for i, path := range dc.SocketPaths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := datachannel.Dial(ctx, path)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			since := map[string]int64{}
			onState := func(js []byte) error {
				var m struct {
					State map[string]json.RawMessage `json:"state"`
				}
				var sm protocol.Message
				if err := json.Unmarshal(js, &sm); err != nil {
					return err
				}
				if err := json.Unmarshal(js, &m); err != nil {
					return err
				}
				key := ""
				if sm.State.Stream != nil {
					key = sm.State.Stream.StreamDescriptor.String()
				}
				n := since[key] + skew
				since[key] = 0
				m.State["destinationStats"], _ = json.Marshal(protocol.NewStateStats(n))
				outMu.Lock()
				committed[runner.StateScope(sm.State)] += n
				m.State["committedRecordsCount"], _ = json.Marshal(committed[runner.StateScope(sm.State)])
				outMu.Unlock()
				m.State["committedBytesCount"] = json.RawMessage("100")
				b, _ := json.Marshal(map[string]any{"type": "STATE", "state": m.State})
				release(runner.StateScope(sm.State), *sm.State.ID, b)
				return nil
			}
			if dc.Protobuf() {
				fr := datachannel.NewFrameReader(c, 1<<20)
				for {
					f, err := fr.Next()
					if err == io.EOF {
						return
					}
					if err != nil {
						errs[i] = err
						return
					}
					m, err := datachannel.Parse(f)
					if err != nil {
						errs[i] = err
						return
					}
					switch m.Kind {
					case datachannel.KindRecord:
						if dc.Format == datachannel.FormatProtobuf {
							since[protocol.StreamDescriptor{Name: string(m.Record.Stream), Namespace: string(m.Record.Namespace)}.String()]++
						}
					case datachannel.KindProtocol:
						if strings.HasPrefix(string(m.JSON), `{"type":"STATE"`) {
							if err := onState(m.JSON); err != nil {
								errs[i] = err
								return
							}
						}
					}
				}
			}
			sc := bufio.NewScanner(c)
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				line := sc.Bytes()
				var m protocol.Message
				if err := json.Unmarshal(line, &m); err != nil {
					errs[i] = err
					return
				}
				switch m.Type {
				case protocol.TypeRecord:
					since[protocol.StreamDescriptor{Name: m.Record.Stream, Namespace: m.Record.Namespace}.String()]++
				case protocol.TypeState:
					if err := onState(line); err != nil {
						errs[i] = err
						return
					}
				}
			}
			errs[i] = sc.Err()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// socketSource creates two tables and a source config and catalog.
func socketSource(t *testing.T) (src, cfg, cat string, db string) {
	t.Helper()
	my := harness.SharedMySQL(t)
	db = my.CreateDatabase(t, "sockets")
	for _, tb := range []struct {
		name string
		rows int
	}{{"small", 300}, {"big", 5000}} {
		if _, err := my.Root.Exec(fmt.Sprintf("CREATE TABLE `%s`.%s (id INT PRIMARY KEY, v VARCHAR(40))", db, tb.name)); err != nil {
			t.Fatal(err)
		}
		if _, err := my.Root.Exec(fmt.Sprintf("INSERT INTO `%s`.%s SELECT seq, CONCAT('row ', seq) FROM `%s`.seq_1_to_%d", db, tb.name, db, tb.rows)); err != nil {
			t.Fatal(err)
		}
	}
	srcBin, _, err := harness.Binaries()
	if err != nil {
		t.Skip(err)
	}
	cfg = harness.WriteJSON(t, "source.json", map[string]any{
		"host": my.Host, "port": my.Port, "database": db, "username": "root", "password": "",
		"ssl": true, "ssl_mode": map[string]any{"mode": "preferred"},
		"tunnel_method":      map[string]any{"tunnel_method": "NO_TUNNEL"},
		"replication_method": map[string]any{"method": "STANDARD"},
		"chunk_size":         1000,
	})
	res := harness.Run(t, srcBin, "discover", "--config", cfg)
	cats := res.OfType(protocol.TypeCatalog)
	if res.Code != 0 || len(cats) != 1 {
		t.Fatalf("discover: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	var configured protocol.ConfiguredCatalog
	for _, s := range cats[0].Catalog.Streams {
		gen, minGen, syncID := int64(1), int64(0), int64(1)
		configured.Streams = append(configured.Streams, protocol.ConfiguredStream{Stream: s, SyncMode: protocol.SyncModeIncremental,
			CursorField: []string{"id"}, DestinationSyncMode: protocol.DestinationAppend, GenerationID: &gen, MinimumGenerationID: &minGen, SyncID: &syncID})
	}
	return srcBin, cfg, harness.WriteJSON(t, "catalog.json", &configured), db
}

// TestSocketModeDouble runs the real source in socket mode against a fake
// socket destination (this test binary) and checks the double's result:
// the same shape as in STDIO mode, every state acknowledged, records
// counted by the relay, and a second sync from NextState reading nothing.
func TestSocketModeDouble(t *testing.T) {
	src, cfg, cat, db := socketSource(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"socket/jsonl", "socket/protobuf"} {
		for _, direct := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/direct=%v", harness.ModeName(mode), direct), func(t *testing.T) {
				run := func(state []byte) *harness.SyncResult {
					s := harness.Sync{Source: src, Destination: self, SourceConfig: cfg, DestinationConfig: cfg, SourceCatalog: cat,
						DataChannel: mode, Sockets: 3, DirectSockets: direct, Env: []string{envFakeDestination + "=1"}, ValidateRecords: true}
					if state != nil {
						s.State = filepath.Join(t.TempDir(), "state.json")
						os.WriteFile(s.State, state, 0o600)
					}
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					defer cancel()
					res, err := s.Run(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if res.SourceCode != 0 || res.DestinationCode != 0 {
						t.Fatalf("exit %d %d\n%s\n%s", res.SourceCode, res.DestinationCode, res.SourceStderr, res.DestinationStderr)
					}
					for _, p := range res.Problems {
						t.Errorf("platform: %s", p)
					}
					if len(res.Acks) != res.StatesSent || res.StatesSent == 0 {
						t.Errorf("%d of %d states acknowledged", len(res.Acks), res.StatesSent)
					}
					return res
				}
				first := run(nil)
				if !direct {
					if first.Records[db+".small"] != 300 || first.Records[db+".big"] != 5000 {
						t.Errorf("records %v", first.Records)
					}
				}
				var acked int64
				for _, a := range first.Acks {
					acked += a.PlatformCount
				}
				if acked != 5300 {
					t.Errorf("acknowledged states cover %d records, want 5300", acked)
				}
				statuses := 0
				for _, m := range first.SourceMessages {
					if m.Type == protocol.TypeTrace && m.Trace.StreamStatus != nil && m.Trace.StreamStatus.Status == protocol.StreamComplete {
						statuses++
					}
				}
				if statuses != 2 {
					t.Errorf("%d COMPLETE stream statuses, want 2", statuses)
				}
				second := run(first.NextState())
				var n int64
				for _, a := range second.Acks {
					n += a.PlatformCount
				}
				if n != 0 {
					t.Errorf("second sync from the acknowledged states read %d records, want 0", n)
				}
			})
		}
	}
}

// TestSocketModeDoubleFlagsCounts: a destination whose counts disagree with
// the source's is reported.
func TestSocketModeDoubleFlagsCounts(t *testing.T) {
	src, cfg, cat, _ := socketSource(t)
	self, _ := os.Executable()
	s := harness.Sync{Source: src, Destination: self, SourceConfig: cfg, DestinationConfig: cfg, SourceCatalog: cat,
		DataChannel: "socket/jsonl", Env: []string{envFakeDestination + "=1", "FAKE_DEST_SKEW=1"}}
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Problems, "\n"), "the destination counted") {
		t.Errorf("problems do not report the counts: %v", res.Problems)
	}
}

// fakeSync is a socket/jsonl sync of the fake source (envFakeSource's
// behaviour) into the fake destination, which waits destDelay before it
// connects.
func fakeSync(t *testing.T, behaviour, destDelay string) harness.Sync {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cat := filepath.Join(t.TempDir(), "catalog.json")
	os.WriteFile(cat, []byte(`{"streams":[]}`), 0o600)
	return harness.Sync{Source: self, Destination: self, SourceConfig: cat, DestinationConfig: cat, SourceCatalog: cat,
		DataChannel: "socket/jsonl", Sockets: 2,
		Env: []string{envFakeSource + "=" + behaviour, envFakeDestination + "=1", "FAKE_DEST_DELAY=" + destDelay}}
}

// TestSocketModeDoubleFastSource: a source that writes everything and exits
// before the destination has connected loses nothing: the data waits in
// the sockets, and the double's relay still hands it over once the
// destination connects. (The double once gave up when the source's output
// ended first: the destination then read nothing and acknowledged nothing,
// or dialled a socket the relay had removed and never ended.)
func TestSocketModeDoubleFastSource(t *testing.T) {
	for i := range 3 {
		s := fakeSync(t, "fast", "700ms")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := s.Run(ctx)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if res.SourceCode != 0 || res.DestinationCode != 0 {
			t.Fatalf("run %d: exit %d %d\n%s\n%s", i, res.SourceCode, res.DestinationCode, res.SourceStderr, res.DestinationStderr)
		}
		for _, p := range res.Problems {
			t.Errorf("run %d: platform: %s", i, p)
		}
		if res.StatesSent != 1 || len(res.Acks) != 1 || res.Records["s"] != fakeSourceRecords {
			t.Errorf("run %d: %d of %d states acknowledged, records %v; want 1 of 1 and %d", i, len(res.Acks), res.StatesSent, res.Records, fakeSourceRecords)
		}
		if len(res.Acks) == 1 && res.Acks[0].PlatformCount != fakeSourceRecords {
			t.Errorf("run %d: the acknowledged state covers %d records, want %d", i, res.Acks[0].PlatformCount, fakeSourceRecords)
		}
	}
}

// TestSocketModeDoubleSourceFailsEarly: a source that fails before it
// listens ends the sync: the destination is handed empty sockets and ends
// too, instead of waiting for a connection that never comes.
func TestSocketModeDoubleSourceFailsEarly(t *testing.T) {
	s := fakeSync(t, "fail", "300ms")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatalf("the sync did not end within 30 s: %v", err)
	}
	if res.SourceCode != 1 || res.DestinationCode != 0 || len(res.Acks) != 0 {
		t.Errorf("exit %d %d, %d acks; want 1, 0 and none\n%s\n%s", res.SourceCode, res.DestinationCode, len(res.Acks), res.SourceStderr, res.DestinationStderr)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %v", res.Problems)
	}
	t.Logf("ended in %v", time.Since(start).Round(time.Millisecond))
}

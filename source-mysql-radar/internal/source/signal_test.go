package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// TestSIGTERMStopsRead: a read stopped by SIGTERM mid-table ends with the
// stream INCOMPLETE, a TRACE ERROR and exit code 143, and every line it
// printed is a valid message.
func TestSIGTERMStopsRead(t *testing.T) {
	dbName, _ := testdb.Database(t, "sigterm",
		"CREATE TABLE t (id int PRIMARY KEY, pad varchar(300))",
		"INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, REPEAT('x', 300) FROM n")
	cfg := testdb.Config(dbName, map[string]any{"chunk_size": 1000})
	disc := runInProcess(t, "discover", cfg, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, cmdArgs(t, "read", cfg, catalogFor(t, disc, nil, nil), nil)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	br := bufio.NewReader(stdout)
	for {
		line, err := br.ReadBytes('\n')
		out.Write(line)
		if err != nil {
			t.Fatalf("output ended before the first record: %v\n%s", err, out.String())
		}
		if bytes.Contains(line, []byte(`"type":"RECORD"`)) {
			break
		}
	}
	// The connector is now blocked writing to the full pipe.
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	out.Write(rest)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("exit: %v, want code 143", err)
	}
	msgs := protocoltest.ValidateOutput(t, out.Bytes())
	var last protocol.StreamStatus
	records := 0
	var trace *protocol.ErrorTrace
	for _, m := range msgs {
		switch {
		case m.Type == protocol.TypeRecord:
			records++
		case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceStreamStatus:
			last = m.Trace.StreamStatus.Status
		case m.Type == protocol.TypeTrace && m.Trace.Type == protocol.TraceError:
			trace = m.Trace.Error
		}
	}
	if last != protocol.StreamIncomplete {
		t.Errorf("last stream status %s, want INCOMPLETE", last)
	}
	if records >= 20000 {
		t.Errorf("all %d records were read; the signal did not stop the read", records)
	}
	if trace == nil || !strings.Contains(trace.Message, "interrupted") {
		t.Errorf("trace error %+v, want the interruption", trace)
	}
}

package source

import (
	"bufio"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// output is where one reader (a worker in socket mode) writes the records,
// states and stream statuses of what it reads.
//
// In STDIO mode everything goes to stdout, as it always has. In socket mode
// (Airbyte's data channel, see docs/speed-mode.md) records, states and
// stream statuses go to the worker's socket, as JSON lines or protobuf
// frames, and every state is copied to stdout, where the platform's
// bookkeeper matches it by id with the destination's acknowledgement. That
// is the Bulk CDK's routing: OutputMessageRouter (records, states and
// stream statuses to the socket) and the partition readers' checkpoint
// copy on the standard output consumer.
type output struct {
	stdout *protocol.Writer

	// Socket mode: exactly one of jsonl and frames is set. jsonl locks
	// itself; mu guards frames, enc and scratch, which a CDC read's binlog
	// writer goroutine and its reader goroutine (stream statuses, states)
	// both use.
	mu     sync.Mutex
	jsonl  *protocol.Writer
	frames *bufio.Writer
	conn   io.Closer
	enc    datachannel.RecordEncoder
	ids    *stateIDs
	// scratch holds the JSON of a state or status framed for the socket.
	scratch []byte
}

// socketBuffer is the write buffer of one socket: records are flushed in
// blocks of this size, and at every state.
const socketBuffer = 256 << 10

func stdioOutput(w *protocol.Writer) *output { return &output{stdout: w} }

// socketOutput writes to conn in format, with state ids from ids.
func socketOutput(stdout *protocol.Writer, conn io.WriteCloser, format datachannel.Format, ids *stateIDs) *output {
	o := &output{stdout: stdout, conn: conn, ids: ids}
	if format == datachannel.FormatProtobuf {
		o.frames = bufio.NewWriterSize(conn, socketBuffer)
	} else {
		o.jsonl = protocol.NewWriter(conn)
		o.jsonl.SetRedactor(stdout.Redactor())
	}
	return o
}

func (o *output) socket() bool { return o.ids != nil }

// protobuf reports whether records are protobuf frames.
func (o *output) protobuf() bool { return o.frames != nil }

// records returns the writer of JSON records: stdout or the socket.
func (o *output) records() *protocol.Writer {
	if o.jsonl != nil {
		return o.jsonl
	}
	return o.stdout
}

// recordPrefix is the prefix of a stream's JSON records in partition.
func (o *output) recordPrefix(d protocol.StreamDescriptor, partition string) *protocol.RecordPrefix {
	if o.socket() {
		return protocol.NewPartitionRecordPrefix(d.Namespace, d.Name, partition)
	}
	return protocol.NewRecordPrefix(d.Namespace, d.Name)
}

// frame writes one protobuf frame (a record) to the socket.
func (o *output) frame(b []byte) error {
	if _, err := o.frames.Write(b); err != nil {
		return fmt.Errorf("write to the data channel socket: %w", err)
	}
	return nil
}

// StreamStatus writes a stream status trace: to stdout, and in socket mode
// to the socket too, since the destination learns from it that a stream is
// complete (overwrite removes the previous files only then).
func (o *output) StreamStatus(d protocol.StreamDescriptor, status protocol.StreamStatus) error {
	if err := o.stdout.StreamStatus(d, status); err != nil {
		return err
	}
	if !o.socket() {
		return nil
	}
	m := &protocol.Message{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{
		Type: protocol.TraceStreamStatus, EmittedAt: protocol.MillisOf(o.stdout.Now()),
		StreamStatus: &protocol.StreamStatusTrace{StreamDescriptor: d, Status: status},
	}}
	return o.protocolMessage(m)
}

// State writes a checkpoint and flushes. In socket mode it first numbers it
// (the stream's next id, or the next GLOBAL id, unless the caller already
// did) and names its partition,
// writes it to the socket after the partition's records, then copies it to
// stdout.
func (o *output) State(msg *protocol.StateMessage, partition string) error {
	if !o.socket() {
		if err := o.stdout.State(msg); err != nil {
			return err
		}
		return o.stdout.Flush()
	}
	if msg.ID == nil {
		id := o.ids.next(msg)
		msg.ID = &id
	}
	msg.PartitionID = partition
	if err := o.protocolMessage(&protocol.Message{Type: protocol.TypeState, State: msg}); err != nil {
		return err
	}
	if err := o.stdout.State(msg); err != nil {
		return err
	}
	return o.stdout.Flush()
}

// protocolMessage writes a non-record message to the socket and flushes it.
func (o *output) protocolMessage(m *protocol.Message) error {
	if o.jsonl != nil {
		if err := o.jsonl.Write(m); err != nil {
			return err
		}
		return o.jsonl.Flush()
	}
	js, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scratch = datachannel.AppendProtocolFrame(o.scratch[:0], js)
	if err := o.frame(o.scratch); err != nil {
		return err
	}
	return o.flushSocket()
}

func (o *output) flushSocket() error {
	if o.frames != nil {
		if err := o.frames.Flush(); err != nil {
			return fmt.Errorf("write to the data channel socket: %w", err)
		}
	}
	if o.jsonl != nil {
		return o.jsonl.Flush()
	}
	return nil
}

// Close flushes and closes the socket (the destination reads it to EOF).
func (o *output) Close() error {
	if !o.socket() {
		return nil
	}
	o.mu.Lock()
	err := o.flushSocket()
	o.mu.Unlock()
	if cerr := o.conn.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close the data channel socket: %w", cerr)
	}
	return err
}

// stateIDs numbers the states of a socket-mode read: each stream's STREAM
// states 1, 2, 3… and the GLOBAL states on one counter of their own, as
// the Bulk CDK's StateManager does. Workers share it.
type stateIDs struct {
	mu     sync.Mutex
	stream map[protocol.StreamDescriptor]int64
	global int64
}

func newStateIDs() *stateIDs { return &stateIDs{stream: map[protocol.StreamDescriptor]int64{}} }

func (s *stateIDs) next(msg *protocol.StateMessage) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg.Type == protocol.StateStream && msg.Stream != nil {
		d := msg.Stream.StreamDescriptor
		s.stream[d]++
		return s.stream[d]
	}
	s.global++
	return s.global
}

// partitionAlphabet and partitionIDLen shape partition ids as the Bulk CDK
// makes them (a short random alphanumeric string per partition reader).
const (
	partitionAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	partitionIDLen    = 4
)

// newPartitionID returns a random partition id.
func newPartitionID() string {
	var b [partitionIDLen]byte
	_, _ = crand.Read(b[:])
	for i := range b {
		b[i] = partitionAlphabet[int(b[i])%len(partitionAlphabet)]
	}
	return string(b[:])
}

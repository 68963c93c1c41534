package acceptance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// socketRead runs a read in socket mode (Airbyte's data channel): the
// runner plays the destination's side of the channel. It creates the
// sockets, runs the source with the DATA_CHANNEL_* environment, connects
// to every socket and collects what they carry. Protobuf records are
// turned back into JSON records (their values are the catalog stream's
// properties in sorted order), so the suites check them as they check
// stdout records. The states the suites see are the copies the source
// prints on stdout, checked against those on the sockets.
func (r *Runner) socketRead(ctx context.Context, timeout int, catalogPath string, args []string) (*harness.Result, []protocol.RecordMessage, error) {
	if r.Image != "" {
		return nil, nil, errors.New("socket mode runs the connector binary, not an image")
	}
	var cat protocol.ConfiguredCatalog
	if err := readJSONFile(catalogPath, &cat); err != nil {
		return nil, nil, err
	}
	names := map[string][]string{}
	for _, cs := range cat.Streams {
		var sch struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		_ = json.Unmarshal(cs.Stream.JSONSchema, &sch)
		var ns []string
		for k := range sch.Properties {
			ns = append(ns, k)
		}
		sort.Strings(ns)
		names[cs.Stream.Namespace+"\x00"+cs.Stream.Name] = ns
	}
	dir, err := os.MkdirTemp("", "cat-sk")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	n := max(r.Sockets, 1)
	var paths []string
	for i := 1; i <= n; i++ {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("airbyte_socket_%d.sock", i)))
	}
	dc := datachannel.Config{Medium: datachannel.MediumSocket, Format: r.DataChannel, SocketPaths: paths}

	d := 10 * time.Minute
	if timeout > 0 {
		d = time.Duration(timeout) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	c := &channelReader{names: names}
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := datachannel.Dial(ctx, p)
			if err != nil {
				c.fail(err)
				return
			}
			defer conn.Close()
			c.read(conn, dc.Format)
		}()
	}
	res, err := harness.Command(ctx, r.Binary, nil, append(append([]string(nil), r.Env...), dc.Environ()...), args...)
	if err != nil {
		cancel()
		wg.Wait()
		return nil, nil, err
	}
	if res.Code != 0 {
		cancel() // a source that failed early may never have listened
	}
	wg.Wait()
	if c.err != nil && res.Code == 0 {
		return nil, nil, fmt.Errorf("read the data channel: %w", c.err)
	}
	// The sockets carry the states the stdout copies stand for.
	var copies int
	for _, m := range res.Messages {
		if m.Type == protocol.TypeState {
			copies++
		}
	}
	if copies != c.states && res.Code == 0 {
		return nil, nil, fmt.Errorf("the source printed %d states on stdout and sent %d on the data channel", copies, c.states)
	}
	return res, c.records, nil
}

// channelReader collects what the sockets of one read carry.
type channelReader struct {
	names   map[string][]string
	mu      sync.Mutex
	records []protocol.RecordMessage
	states  int
	err     error
}

func (c *channelReader) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (c *channelReader) read(conn net.Conn, format datachannel.Format) {
	if format == datachannel.FormatJSONL {
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if len(sc.Bytes()) > 0 {
				c.message(sc.Bytes())
			}
		}
		if err := sc.Err(); err != nil {
			c.fail(err)
		}
		return
	}
	fr := datachannel.NewFrameReader(conn, 256<<10)
	for {
		b, err := fr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			c.fail(err)
			return
		}
		m, err := datachannel.Parse(b)
		if err != nil {
			c.fail(err)
			return
		}
		switch m.Kind {
		case datachannel.KindRecord:
			rv := &m.Record
			key := string(rv.Namespace) + "\x00" + string(rv.Stream)
			ns, ok := c.names[key]
			if !ok {
				c.fail(fmt.Errorf("a record of stream %s, which is not in the catalog", rv.Stream))
				return
			}
			data, err := datachannel.AppendDataJSON(nil, rv, ns)
			if err != nil {
				c.fail(err)
				return
			}
			rec := protocol.RecordMessage{Namespace: string(rv.Namespace), Stream: string(rv.Stream), EmittedAt: rv.EmittedAtMs, Data: data}
			c.mu.Lock()
			c.records = append(c.records, rec)
			c.mu.Unlock()
		case datachannel.KindProtocol:
			c.message(m.JSON)
		}
	}
}

// message handles a JSON message from a socket: records are collected,
// states counted.
func (c *channelReader) message(b []byte) {
	var m protocol.Message
	if err := json.Unmarshal(b, &m); err != nil {
		c.fail(fmt.Errorf("a data channel message is not an Airbyte message: %w", err))
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case protocol.TypeRecord:
		c.records = append(c.records, *m.Record)
	case protocol.TypeState:
		c.states++
	}
}

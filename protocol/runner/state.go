package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// stateBook keeps the states sent to the destination by id and the
// acknowledged state per stream (or the GLOBAL one), and saves the latter.
type stateBook struct {
	store StateStore
	every time.Duration // at most one save per interval, plus one at the end

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]sentState
	order    []string                   // keys of saved, in first-seen order
	saved    map[string]json.RawMessage // "GLOBAL" or the stream descriptor → clean state
	dirty    bool
	lastSave time.Time
	sent     int
	acked    int
	problems []string
}

type sentState struct {
	key   string
	clean json.RawMessage
	count int64
}

// newStateBook starts from the store's current content.
func newStateBook(store StateStore, every time.Duration, initial []byte) (*stateBook, error) {
	b := &stateBook{store: store, every: every, pending: map[int64]sentState{}, saved: map[string]json.RawMessage{}}
	in, err := protocol.ParseInputState(initial)
	if err != nil {
		return nil, &StateStoreError{Store: store.String(), Err: fmt.Errorf("the saved state cannot be read: %w", err)}
	}
	if len(in.Legacy) > 0 {
		return nil, &StateStoreError{Store: store.String(), Err: errors.New("the saved state is a LEGACY blob; the runner keeps STREAM and GLOBAL states only")}
	}
	for i := range in.Messages {
		m := in.Messages[i]
		if err := b.keep(&m); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// keep records m as the saved state of its scope. A GLOBAL state replaces
// every STREAM state and the other way round, as a source writes one kind.
func (b *stateBook) keep(m *protocol.StateMessage) error {
	key, clean, err := cleanState(m)
	if err != nil {
		return err
	}
	_, isGlobal := b.saved["GLOBAL"]
	if (key == "GLOBAL") != isGlobal && len(b.saved) > 0 {
		b.saved, b.order = map[string]json.RawMessage{}, nil
	}
	if _, ok := b.saved[key]; !ok {
		b.order = append(b.order, key)
	}
	b.saved[key] = clean
	b.dirty = true
	return nil
}

// cleanState returns the scope key and the state as --state takes it:
// type and stream or global, without stats or the platform's id.
func cleanState(m *protocol.StateMessage) (string, json.RawMessage, error) {
	clean := protocol.StateMessage{Type: m.Type, Stream: m.Stream, Global: m.Global}
	key := "GLOBAL"
	switch {
	case m.Type == protocol.StateStream && m.Stream != nil:
		key = "STREAM " + m.Stream.StreamDescriptor.String()
	case m.Type == protocol.StateGlobal && m.Global != nil:
	default:
		return "", nil, fmt.Errorf("state of type %q is not kept (STREAM and GLOBAL only)", m.Type)
	}
	raw, err := json.Marshal(clean)
	return key, raw, err
}

// content returns the state file content: a JSON array, "[]" for none.
func (b *stateBook) content() []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, k := range b.order {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b.saved[k])
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// State returns the current saved-state content.
func (b *stateBook) State() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.content()
}

// next returns the id for the next state.
func (b *stateBook) next() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	return b.nextID
}

// send registers a state forwarded under id. The count is the records the
// runner forwarded for it.
func (b *stateBook) send(id int64, m *protocol.StateMessage, count int64) error {
	key, clean, err := cleanState(m)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID = max(b.nextID, id)
	b.pending[id] = sentState{key: key, clean: clean, count: count}
	b.sent++
	return nil
}

// ack marks the state with id as committed by the destination. The state
// saved is the one the source sent under that id, not the echo.
func (b *stateBook) ack(id int64, destCount int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.pending[id]
	if !ok {
		b.problems = append(b.problems, fmt.Sprintf("the destination acknowledged state id %d, which was never sent (or acknowledged twice)", id))
		return
	}
	delete(b.pending, id)
	// Earlier ids of the same scope that were not echoed are superseded.
	var m protocol.StateMessage
	_ = json.Unmarshal(s.clean, &m)
	_ = b.keep(&m)
	b.acked++
	if destCount >= 0 && destCount != s.count {
		b.problems = append(b.problems, fmt.Sprintf("state id %d: the destination counted %d records, the runner forwarded %d", id, destCount, s.count))
	}
}

// sentSocket counts a state the source sent in socket mode.
func (b *stateBook) sentSocket() {
	b.mu.Lock()
	b.sent++
	b.mu.Unlock()
}

// commitSocket keeps a state the destination committed in socket mode (the
// source's copy, matched by SocketLedger).
func (b *stateBook) commitSocket(m *protocol.StateMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.keep(m); err != nil {
		b.problems = append(b.problems, err.Error())
		return
	}
	b.acked++
}

// save writes the saved states to the store if they changed and force is
// set or the interval passed.
func (b *stateBook) save(ctx context.Context, force bool) error {
	b.mu.Lock()
	if !b.dirty || (!force && time.Since(b.lastSave) < b.every) {
		b.mu.Unlock()
		return nil
	}
	content := b.content()
	b.dirty = false
	b.lastSave = time.Now()
	b.mu.Unlock()
	if err := b.store.Save(ctx, content); err != nil {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
		return err
	}
	return nil
}

// withPlatformFields returns the STATE line to forward: the state object
// with the platform's integer "id" and, when missing, sourceStats. As in
// airbyte-platform StateWithId.attachIdToStateMessageFromSource, the id is
// an additional property of the AirbyteStateMessage (inside "state"), and
// an id the source already set is kept.
func withPlatformFields(dst, state []byte, id, count int64) ([]byte, int64, error) {
	var it jsonx.ObjectIter
	it.Reset(state)
	hasStats := false
	for it.Next() {
		switch string(it.Key()) {
		case "id":
			if v, err := strconv.ParseInt(string(it.Value()), 10, 64); err == nil {
				id = -v - 1 // marks "kept": decoded below
			}
		case "sourceStats":
			hasStats = true
		}
	}
	if err := it.Err(); err != nil {
		return nil, 0, fmt.Errorf("read state object: %w", err)
	}
	open := bytes.IndexByte(state, '{')
	body := bytes.TrimSpace(state[open+1:])
	dst = append(dst, `{"type":"STATE","state":{`...)
	if id >= 0 {
		dst = append(dst, `"id":`...)
		dst = strconv.AppendInt(dst, id, 10)
		dst = append(dst, ',')
	} else {
		id = -id - 1
	}
	if !hasStats {
		dst = append(dst, `"sourceStats":{"recordCount":`...)
		dst = jsonx.AppendFloatCount(dst, count)
		dst = append(dst, `},`...)
	}
	if len(body) > 0 && body[0] == '}' {
		dst = dst[:len(dst)-1] // the state was {}: drop the trailing comma
	}
	dst = append(dst, body...)
	return append(dst, '}'), id, nil
}

// echoedID returns the platform id of an acknowledged state object, and its
// destinationStats.recordCount (-1 if absent).
func echoedID(state []byte) (id int64, count int64, ok bool) {
	var v struct {
		ID               json.Number          `json:"id"`
		DestinationStats *protocol.StateStats `json:"destinationStats"`
	}
	if err := json.Unmarshal(state, &v); err != nil || v.ID == "" {
		return 0, -1, false
	}
	id, err := v.ID.Int64()
	if err != nil {
		return 0, -1, false
	}
	count = -1
	if v.DestinationStats != nil && v.DestinationStats.RecordCount != nil {
		count = v.DestinationStats.RecordCount.Int()
	}
	return id, count, true
}

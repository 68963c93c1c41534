package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// InputState is the --state input of read: the platform's array of state
// messages, or a legacy whole-source blob.
type InputState struct {
	// Messages are the STREAM or GLOBAL states, in file order.
	Messages []StateMessage
	// Legacy is the raw blob of a legacy (pre-per-stream) state file or of
	// LEGACY messages, if any.
	Legacy json.RawMessage
}

// ParseInputState parses a --state file's content. Accepted: empty input or
// null (no state), [] (no state), an array of AirbyteStateMessage, a single
// AirbyteStateMessage object, and a legacy object (anything else that is an
// object). Errors name the offending element.
func ParseInputState(b []byte) (*InputState, error) {
	st := &InputState{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return st, nil
	}
	if err := jsonx.Valid(b); err != nil {
		return nil, fmt.Errorf("state is not valid JSON: %w", err)
	}
	switch b[0] {
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		for i, r := range raw {
			m, err := parseStateMessage(r)
			if err != nil {
				return nil, fmt.Errorf("state[%d]: %w", i, err)
			}
			if m.Type == StateLegacy {
				st.Legacy = m.Data
				continue
			}
			st.Messages = append(st.Messages, *m)
		}
		return st, nil
	case '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		_, hasType := probe["type"]
		_, hasStream := probe["stream"]
		_, hasGlobal := probe["global"]
		if hasType && (hasStream || hasGlobal) {
			m, err := parseStateMessage(b)
			if err != nil {
				return nil, fmt.Errorf("state: %w", err)
			}
			st.Messages = append(st.Messages, *m)
			return st, nil
		}
		st.Legacy = append(json.RawMessage(nil), b...)
		return st, nil
	}
	return nil, errors.New("state must be a JSON array of state messages or an object")
}

func parseStateMessage(b []byte) (*StateMessage, error) {
	var m StateMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	switch m.Type {
	case StateStream:
		if m.Stream == nil {
			return nil, errors.New(`type STREAM without "stream"`)
		}
		if m.Stream.StreamDescriptor.Name == "" {
			return nil, errors.New("stream.stream_descriptor.name is empty")
		}
	case StateGlobal:
		if m.Global == nil {
			return nil, errors.New(`type GLOBAL without "global"`)
		}
	case StateLegacy, "":
		m.Type = StateLegacy
	default:
		return nil, fmt.Errorf("unknown state type %q", m.Type)
	}
	return &m, nil
}

// Global returns the GLOBAL state, or nil. If several are given the last
// one wins.
func (s *InputState) Global() *GlobalState {
	if s == nil {
		return nil
	}
	var g *GlobalState
	for i := range s.Messages {
		if s.Messages[i].Type == StateGlobal {
			g = s.Messages[i].Global
		}
	}
	return g
}

// StreamState returns the saved state blob of a stream from STREAM states
// (or from the stream states of a GLOBAL state), matching name and namespace.
// A state saved without a namespace matches by name alone, as the acceptance
// tests write states that way. It returns nil when there is none; a JSON
// null blob (a reset) is returned as nil too.
func (s *InputState) StreamState(d StreamDescriptor) json.RawMessage {
	if s == nil {
		return nil
	}
	var found json.RawMessage
	consider := func(ss *StreamState) {
		sd := ss.StreamDescriptor
		if sd.Name != d.Name {
			return
		}
		if sd.Namespace != "" && d.Namespace != "" && sd.Namespace != d.Namespace {
			return
		}
		found = ss.StreamState
	}
	for i := range s.Messages {
		m := &s.Messages[i]
		switch {
		case m.Type == StateStream && m.Stream != nil:
			consider(m.Stream)
		case m.Type == StateGlobal && m.Global != nil:
			for j := range m.Global.StreamStates {
				consider(&m.Global.StreamStates[j])
			}
		}
	}
	if string(bytes.TrimSpace(found)) == "null" {
		return nil
	}
	return found
}

// AckState returns the STATE line raw (as read, without line terminator)
// with "destinationStats":{"recordCount":N.0} set in its state object, and
// every other byte unchanged: the platform's "id", sourceStats and unknown
// fields come back exactly as they came in. An existing destinationStats is
// replaced.
func AckState(raw []byte, records int64) ([]byte, error) {
	var top jsonx.ObjectIter
	top.Reset(raw)
	var state []byte
	for top.Next() {
		if string(top.Key()) == "state" {
			state = top.Value()
		}
	}
	if err := top.Err(); err != nil {
		return nil, fmt.Errorf("ack state: %w", err)
	}
	if len(state) == 0 || state[0] != '{' {
		return nil, errors.New("ack state: message has no state object")
	}
	stateOff := offsetIn(raw, state)
	// Find an existing destinationStats field to drop, and the closing brace.
	var it jsonx.ObjectIter
	it.Reset(state)
	dropStart, dropEnd := -1, -1
	prevEnd := 1 // just past '{'
	n := 0
	for it.Next() {
		v := it.Value()
		vEnd := offsetIn(state, v) + len(v)
		if string(it.Key()) == "destinationStats" {
			if n == 0 {
				dropStart = 1
			} else {
				dropStart = prevEnd
			}
			dropEnd = vEnd
		}
		prevEnd = vEnd
		n++
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("ack state: %w", err)
	}
	closeIdx := bytes.LastIndexByte(state, '}')
	stats := []byte(`"destinationStats":{"recordCount":`)
	stats = jsonx.AppendFloatCount(stats, records)
	stats = append(stats, '}')

	out := make([]byte, 0, len(raw)+len(stats)+2)
	body := state[:closeIdx] // without the final '}'
	if dropStart >= 0 {
		// Remove the old field; if it was first, also eat the comma after it.
		rest := body[dropEnd:]
		if dropStart == 1 {
			rest = bytes.TrimLeft(rest, " \t\r\n")
			rest = bytes.TrimPrefix(rest, []byte(","))
		}
		body = append(append([]byte(nil), body[:dropStart]...), rest...)
		n--
	}
	out = append(out, raw[:stateOff]...)
	out = append(out, body...)
	if n > 0 {
		out = append(out, ',')
	}
	out = append(out, stats...)
	out = append(out, '}')
	out = append(out, raw[stateOff+len(state):]...)
	return out, nil
}

// offsetIn returns the offset of sub within b; sub must be a sub-slice of b.
func offsetIn(b, sub []byte) int { return cap(b) - cap(sub) }

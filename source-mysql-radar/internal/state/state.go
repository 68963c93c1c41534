// Package state reads and writes the per-stream state blobs of the source.
//
// Output shapes (stream_state of a STREAM state; with CDC the same blobs,
// in the stream_states of one GLOBAL state, plus the shapes below):
//
//	in progress, read by key:  {"state_type":"primary_key","version":2,"stream_name":..,"stream_namespace":..,
//	                            "pk_name":"id","pk_val":"123","pk_names":["id"],"pk_vals":["123"],
//	                            "incremental_state":{...cursor_based...}}      (incremental_state: incremental streams only)
//	in progress, key ranges:   {"state_type":"primary_key","version":2,"stream_name":..,"stream_namespace":..,
//	(socket mode, in parallel)  "pk_names":["id"],"ranges":[{"lower":null,"upper":"5000","pk_vals":["4096"]},
//	                            {"lower":"5000","upper":null,"done":true}]}
//	full refresh finished:     {"state_type":"primary_key","version":2,"stream_name":..,"stream_namespace":..}
//	incremental by cursor:     {"state_type":"cursor_based","version":2,"stream_name":..,"stream_namespace":..,
//	                            "cursor_field":["updated_at"],"cursor":"2024-01-02T03:04:05.000000",
//	                            "cursor_record_count":1,"cursor_record_fingerprint":"9f..."}
//	CDC, snapshot in progress: the primary_key shape plus "binlog_since":{"file":..,"pos":..}
//	CDC, snapshot done:        {"state_type":"cdc","version":2,"stream_name":..,"stream_namespace":..,
//	                            "cursor_field":["_ab_cdc_cursor"],"binlog_since":{...}}   (binlog_since until passed)
//
// binlog_since is the binary log position of the stream's snapshot: the
// snapshot holds every change of the table before it, so the binlog read
// skips them. The GLOBAL state's shared_state is a Shared.
//
// Input: the above, Airbyte source-mysql 3.0.0's {stream_name,
// stream_namespace, cursor_field, cursor, cursor_record_count}, the v2
// shapes of source-mysql 3.1+ (state_type primary_key / cursor_based, pk
// state with a single pk_name/pk_val), and a bare {"cursor": ...} as the
// acceptance tests' abnormal states write it.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
)

// State types.
const (
	TypePrimaryKey = "primary_key"
	TypeCursor     = "cursor_based"
	TypeCDC        = "cdc"
	version        = 2
)

// CDCCursorField is the source-defined cursor of CDC streams.
const CDCCursorField = "_ab_cdc_cursor"

// Cursor is the position of an incremental read by cursor: every row whose
// cursor is below Value has been emitted, and Count rows whose cursor equals
// Value (Fingerprint is the order-independent hash of their keys).
type Cursor struct {
	Field string
	// Value is the cursor's state string; nil means no row had a cursor yet.
	Value *string
	Count int64
	// Fingerprint is empty when the state did not carry one (3.0.0 states).
	Fingerprint string
}

// Stream is a decoded stream state.
type Stream struct {
	// Name and Namespace are the stream's, written into the blob so that
	// acceptance tests and humans can match it.
	Name, Namespace string
	// KeyNames and KeyValues are the chunk key position of a read by key in
	// progress (values in state form); both empty when none is.
	KeyNames  []string
	KeyValues []string
	// Cursor is the cursor position: of a finished incremental read, or,
	// while KeyValues is set, the one to switch to once the read by key
	// finishes. Nil for full refresh.
	Cursor *Cursor
	// Done marks a finished full refresh (the next sync starts over).
	Done bool
	// CDC marks a stream read from the binary log whose snapshot is done.
	CDC bool
	// Since is the binary log position of the snapshot of a CDC stream
	// (nil once the binlog read has passed it).
	Since *binlog.Position
	// Ranges is the progress of a full refresh read as key ranges in
	// parallel (socket mode), with KeyNames naming the key; nil otherwise.
	Ranges []Range
}

// Range is one key range of a table read in parallel: the rows whose first
// key column is at least Lower and below Upper (nil: unbounded), read up
// to the key position KeyValues (nil: none yet), or all of them (Done).
type Range struct {
	Lower     *string  `json:"lower"`
	Upper     *string  `json:"upper"`
	KeyValues []string `json:"pk_vals,omitempty"`
	Done      bool     `json:"done,omitempty"`
}

// InProgress reports whether a read by key is under way.
func (s *Stream) InProgress() bool { return len(s.KeyValues) > 0 }

// Split reports whether the state is a read by key ranges in progress.
func (s *Stream) Split() bool { return len(s.Ranges) > 0 }

type cursorBlob struct {
	StateType         string   `json:"state_type"`
	Version           int      `json:"version"`
	StreamName        string   `json:"stream_name"`
	StreamNamespace   string   `json:"stream_namespace"`
	CursorField       []string `json:"cursor_field"`
	Cursor            *string  `json:"cursor"`
	CursorRecordCount int64    `json:"cursor_record_count"`
	Fingerprint       string   `json:"cursor_record_fingerprint,omitempty"`
}

type keyBlob struct {
	StateType        string           `json:"state_type"`
	Version          int              `json:"version"`
	StreamName       string           `json:"stream_name"`
	StreamNamespace  string           `json:"stream_namespace"`
	PKName           string           `json:"pk_name,omitempty"`
	PKVal            string           `json:"pk_val,omitempty"`
	PKNames          []string         `json:"pk_names,omitempty"`
	PKVals           []string         `json:"pk_vals,omitempty"`
	IncrementalState *cursorBlob      `json:"incremental_state,omitempty"`
	Since            *binlog.Position `json:"binlog_since,omitempty"`
	Ranges           []Range          `json:"ranges,omitempty"`
}

type cdcBlob struct {
	StateType       string           `json:"state_type"`
	Version         int              `json:"version"`
	StreamName      string           `json:"stream_name"`
	StreamNamespace string           `json:"stream_namespace"`
	CursorField     []string         `json:"cursor_field"`
	Since           *binlog.Position `json:"binlog_since,omitempty"`
}

// Marshal encodes the state blob.
func (s *Stream) Marshal() json.RawMessage {
	var v any
	switch {
	case s.Split():
		v = keyBlob{StateType: TypePrimaryKey, Version: version, StreamName: s.Name, StreamNamespace: s.Namespace,
			PKNames: s.KeyNames, Ranges: s.Ranges}
	case s.InProgress():
		kb := keyBlob{StateType: TypePrimaryKey, Version: version, StreamName: s.Name, StreamNamespace: s.Namespace,
			PKName: s.KeyNames[0], PKVal: s.KeyValues[0], PKNames: s.KeyNames, PKVals: s.KeyValues, Since: s.Since}
		if s.Cursor != nil {
			kb.IncrementalState = s.cursorBlob()
		}
		v = kb
	case s.CDC:
		v = cdcBlob{StateType: TypeCDC, Version: version, StreamName: s.Name, StreamNamespace: s.Namespace,
			CursorField: []string{CDCCursorField}, Since: s.Since}
	case s.Cursor != nil:
		v = s.cursorBlob()
	default:
		v = keyBlob{StateType: TypePrimaryKey, Version: version, StreamName: s.Name, StreamNamespace: s.Namespace}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings and numbers: cannot fail
	}
	return b
}

func (s *Stream) cursorBlob() *cursorBlob {
	return &cursorBlob{StateType: TypeCursor, Version: version, StreamName: s.Name, StreamNamespace: s.Namespace,
		CursorField: []string{s.Cursor.Field}, Cursor: s.Cursor.Value, CursorRecordCount: s.Cursor.Count,
		Fingerprint: s.Cursor.Fingerprint}
}

// inBlob is the union of every input shape.
type inBlob struct {
	StateType         string           `json:"state_type"`
	StreamName        string           `json:"stream_name"`
	StreamNamespace   string           `json:"stream_namespace"`
	PKName            *string          `json:"pk_name"`
	PKVal             json.RawMessage  `json:"pk_val"`
	PKNames           []string         `json:"pk_names"`
	PKVals            []string         `json:"pk_vals"`
	IncrementalState  json.RawMessage  `json:"incremental_state"`
	CursorField       []string         `json:"cursor_field"`
	Cursor            json.RawMessage  `json:"cursor"`
	CursorRecordCount json.RawMessage  `json:"cursor_record_count"`
	Fingerprint       string           `json:"cursor_record_fingerprint"`
	Since             *binlog.Position `json:"binlog_since"`
	Ranges            []Range          `json:"ranges"`
}

// ErrUnknownShape is returned for a blob that is none of the known shapes.
var ErrUnknownShape = errors.New("the stream state is not a state this connector or Airbyte's source-mysql wrote")

// Parse decodes a stream state blob. A nil or null blob gives nil.
func Parse(raw json.RawMessage) (*Stream, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var in inBlob
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownShape, err)
	}
	s := &Stream{Name: in.StreamName, Namespace: in.StreamNamespace, Since: in.Since}
	switch in.StateType {
	case TypeCDC:
		s.CDC = true
		return s, nil
	case TypePrimaryKey:
		if err := s.parseKey(&in); err != nil {
			return nil, err
		}
		return s, nil
	case TypeCursor, "":
		if in.StateType == "" && len(in.Cursor) == 0 && in.CursorField == nil {
			return nil, ErrUnknownShape
		}
		c, err := parseCursor(&in)
		if err != nil {
			return nil, err
		}
		s.Cursor = c
		return s, nil
	}
	return nil, fmt.Errorf("%w: state_type %q", ErrUnknownShape, in.StateType)
}

func (s *Stream) parseKey(in *inBlob) error {
	switch {
	case len(in.Ranges) > 0:
		if len(in.PKNames) == 0 {
			return fmt.Errorf("%w: ranges without pk_names", ErrUnknownShape)
		}
		for _, r := range in.Ranges {
			if r.KeyValues != nil && len(r.KeyValues) != len(in.PKNames) {
				return fmt.Errorf("%w: a range's pk_vals and pk_names differ in length", ErrUnknownShape)
			}
		}
		s.KeyNames, s.Ranges = in.PKNames, in.Ranges
	case len(in.PKVals) > 0:
		if len(in.PKNames) != len(in.PKVals) {
			return fmt.Errorf("%w: pk_names and pk_vals differ in length", ErrUnknownShape)
		}
		s.KeyNames, s.KeyValues = in.PKNames, in.PKVals
	case in.PKName != nil && len(in.PKVal) > 0 && string(in.PKVal) != "null":
		v, err := scalarString(in.PKVal)
		if err != nil {
			return fmt.Errorf("%w: pk_val: %v", ErrUnknownShape, err)
		}
		s.KeyNames, s.KeyValues = []string{*in.PKName}, []string{v}
	default:
		s.Done = true
	}
	if len(in.IncrementalState) > 0 && string(in.IncrementalState) != "null" {
		var inc inBlob
		if err := json.Unmarshal(in.IncrementalState, &inc); err != nil {
			return fmt.Errorf("%w: incremental_state: %v", ErrUnknownShape, err)
		}
		c, err := parseCursor(&inc)
		if err != nil {
			return err
		}
		s.Cursor = c
	}
	return nil
}

func parseCursor(in *inBlob) (*Cursor, error) {
	c := &Cursor{Fingerprint: in.Fingerprint}
	if len(in.CursorField) > 0 {
		c.Field = in.CursorField[0]
	}
	if len(in.Cursor) > 0 && string(in.Cursor) != "null" {
		v, err := scalarString(in.Cursor)
		if err != nil {
			return nil, fmt.Errorf("%w: cursor: %v", ErrUnknownShape, err)
		}
		c.Value = &v
	}
	if len(in.CursorRecordCount) > 0 && string(in.CursorRecordCount) != "null" {
		n, err := strconv.ParseFloat(string(in.CursorRecordCount), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: cursor_record_count is not a number", ErrUnknownShape)
		}
		c.Count = int64(n)
	}
	return c, nil
}

// scalarString returns a JSON string's content or a number's text.
func scalarString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return "", errors.New("not a string or a number")
	}
	return n.String(), nil
}

// Shared is the shared_state of the GLOBAL state of a CDC read: where the
// next read starts, on which server, and the schemas of the captured
// tables as of that position.
type Shared struct {
	StateType string `json:"state_type"` // "binlog"
	Version   int    `json:"version"`
	// Server identifies the server the position belongs to.
	Server binlog.Identity `json:"server"`
	// Position is where the next read starts: the start of a transaction
	// of which SkipRowEvents row events were read, or the position after
	// the last transaction read.
	Position      binlog.Position `json:"binlog"`
	SkipRowEvents int             `json:"skip_row_events,omitempty"`
	// FileStarted is the creation time of Position's file (its format
	// description event), to tell a reset and renumbered binary log.
	FileStarted uint32 `json:"file_started_at,omitempty"`
	// GTIDs is the GTID set of the transactions before Position (when the
	// server has GTIDs).
	GTIDs string `json:"gtids,omitempty"`
	// Cursor is the last _ab_cdc_cursor emitted.
	Cursor int64 `json:"cursor"`
	// Schemas are the captured tables' schemas as of Position.
	Schemas json.RawMessage `json:"schemas"`
}

// TypeShared is the state_type of Shared.
const TypeShared = "binlog"

// Marshal encodes the shared state.
func (s *Shared) Marshal() json.RawMessage {
	s.StateType, s.Version = TypeShared, 1
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

// ParseShared decodes a shared state written by Marshal. A missing or null
// blob gives nil.
func ParseShared(raw json.RawMessage) (*Shared, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s Shared
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownShape, err)
	}
	if s.StateType != TypeShared || s.Position.IsZero() {
		return nil, fmt.Errorf("%w: the shared state is not a binlog position of this connector", ErrUnknownShape)
	}
	return &s, nil
}

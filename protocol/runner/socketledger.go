package runner

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/cognitivo/radar-connectors/protocol"
)

// SocketLedger is the platform's state bookkeeping in socket mode (Airbyte's
// data channel, "speed mode"): records and states travel from the source to
// the destination over Unix sockets the platform does not read. The source
// copies every STATE to its stdout, numbered per scope (each stream's STREAM
// states 1, 2, 3…, the GLOBAL states on one counter) and tagged with a
// partition_id and its sourceStats; the destination prints every state it
// has committed with the same id, its destinationStats and the top-level
// committedRecordsCount (and committedBytesCount, rejectedRecordsCount). The
// ledger matches the destination's states to the source's copies by scope
// and id and returns the source's copy of each committed state, the one to
// persist.
//
// This is what airbyte-platform's bookkeeper does in socket mode
// (PLATFORM_MODE=BOOKKEEPER, set by airbyte-workload-launcher
// src/main/kotlin/ArchitectureDecider.kt buildSocketEnvironment, read at
// commit 6768a528): in airbyte-container-orchestrator, the ids are the
// source's own (worker/state/StateEnricher.kt attaches the platform's ids
// and sourceStats "only in Orchestrator-mode", i.e. STDIO), and
// bookkeeping/ParallelStreamStatsTracker.kt updateSourceStatesStats and
// updateDestinationStateStats track each state per stream from both sides
// and take the committed counts from the destination's state.
//
// The ledger reports, as problems: a source state without an id or with an
// id seen before; a destination state without an id, with an id the source
// never sent (at Finish: the two stdouts are read concurrently, so a
// destination state may be read before the source's copy), acknowledged out
// of id order or twice within its scope; and a count mismatch (the
// destination's recordCount against the source's; the cumulative
// committedRecordsCount plus rejectedRecordsCount against the sum of the
// scope's acknowledged recordCounts). It is safe for concurrent use.
type SocketLedger struct {
	mu      sync.Mutex
	sent    map[ledgerKey]*protocol.StateMessage
	early   map[ledgerKey]SocketCommit // destination states read before the source's copy
	lastAck map[string]int64
	// received is each scope's sum of destinationStats.recordCount over the
	// states acknowledged so far: committedRecordsCount (+
	// rejectedRecordsCount) is cumulative per scope.
	received map[string]int64
	nSent    int
	nAcked   int
	problems []string
}

type ledgerKey struct {
	scope string
	id    int64
}

// SocketCommit is a destination state matched to the source's copy.
type SocketCommit struct {
	// Scope is "GLOBAL" or "STREAM namespace.name".
	Scope string
	ID    int64
	// Source is the source's copy: the state to persist.
	Source *protocol.StateMessage
	// Destination is the state the destination printed.
	Destination *protocol.StateMessage
	// Committed, Rejected and Bytes are the destination's top-level
	// committedRecordsCount, rejectedRecordsCount and committedBytesCount:
	// totals of the scope so far (-1 when absent).
	Committed, Rejected, Bytes int64
}

// NewSocketLedger returns an empty ledger.
func NewSocketLedger() *SocketLedger {
	return &SocketLedger{sent: map[ledgerKey]*protocol.StateMessage{}, early: map[ledgerKey]SocketCommit{}, lastAck: map[string]int64{}, received: map[string]int64{}}
}

// StateScope returns the scope a state is numbered in: "GLOBAL" or
// "STREAM namespace.name" ("" for other states).
func StateScope(m *protocol.StateMessage) string {
	switch {
	case m.Type == protocol.StateStream && m.Stream != nil:
		return "STREAM " + m.Stream.StreamDescriptor.String()
	case m.Type == protocol.StateGlobal:
		return "GLOBAL"
	}
	return ""
}

func (l *SocketLedger) problem(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// Source registers a state the source printed on stdout and returns the
// destination states already read that it matches.
func (l *SocketLedger) Source(m *protocol.StateMessage) []SocketCommit {
	l.mu.Lock()
	defer l.mu.Unlock()
	scope := StateScope(m)
	if scope == "" {
		l.problem("the source printed a STATE of type %q; socket mode numbers STREAM and GLOBAL states only", m.Type)
		return nil
	}
	if m.ID == nil {
		l.problem("the source printed a %s STATE without an id (socket mode numbers every state)", scope)
		return nil
	}
	if m.SourceStats == nil || m.SourceStats.RecordCount == nil {
		l.problem("source state %s id %d has no sourceStats.recordCount", scope, *m.ID)
	}
	k := ledgerKey{scope, *m.ID}
	if _, dup := l.sent[k]; dup {
		l.problem("the source printed state %s id %d twice", scope, *m.ID)
		return nil
	}
	cp := *m
	l.sent[k] = &cp
	l.nSent++
	if c, ok := l.early[k]; ok {
		delete(l.early, k)
		c.Source = &cp
		l.checkCounts(&c)
		l.nAcked++
		return []SocketCommit{c}
	}
	return nil
}

// Destination registers a state the destination printed; raw is the state
// object's JSON (it holds the top-level counts). It returns the commit and
// true when the source's copy is known; otherwise the state waits for it
// (Source returns it) and Finish reports it if it never comes.
func (l *SocketLedger) Destination(raw []byte) (SocketCommit, bool) {
	var m protocol.StateMessage
	var extra struct {
		Committed *float64 `json:"committedRecordsCount"`
		Rejected  *float64 `json:"rejectedRecordsCount"`
		Bytes     *float64 `json:"committedBytesCount"`
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := json.Unmarshal(raw, &m); err != nil {
		l.problem("the destination printed an unreadable STATE: %v", err)
		return SocketCommit{}, false
	}
	_ = json.Unmarshal(raw, &extra)
	scope := StateScope(&m)
	if scope == "" || m.ID == nil {
		l.problem("the destination printed a STATE without a scope and id (type %q)", m.Type)
		return SocketCommit{}, false
	}
	id := *m.ID
	if last, ok := l.lastAck[scope]; ok && id <= last {
		l.problem("the destination acknowledged state %s id %d after id %d: out of order or twice", scope, id, last)
	}
	l.lastAck[scope] = max(l.lastAck[scope], id)
	c := SocketCommit{Scope: scope, ID: id, Destination: &m, Committed: -1, Rejected: -1, Bytes: -1}
	for _, p := range []struct {
		v   *float64
		dst *int64
	}{{extra.Committed, &c.Committed}, {extra.Rejected, &c.Rejected}, {extra.Bytes, &c.Bytes}} {
		if p.v != nil {
			*p.dst = int64(math.Round(*p.v))
		}
	}
	// committedRecordsCount and rejectedRecordsCount are the scope's
	// totals so far, as the Bulk CDK's CheckpointManager writes them.
	if d := m.DestinationStats; d == nil || d.RecordCount == nil {
		l.problem("state %s id %d acknowledged without destinationStats.recordCount", scope, id)
	} else {
		l.received[scope] += d.RecordCount.Int()
		if c.Committed < 0 {
			l.problem("state %s id %d acknowledged without committedRecordsCount", scope, id)
		} else if rej := max(c.Rejected, 0); c.Committed+rej != l.received[scope] {
			l.problem("state %s id %d: committedRecordsCount %d + rejectedRecordsCount %d, but the acknowledged states of %s counted %d records (destinationStats)", scope, id, c.Committed, rej, scope, l.received[scope])
		}
	}
	k := ledgerKey{scope, id}
	src, ok := l.sent[k]
	if !ok {
		if _, dup := l.early[k]; dup {
			l.problem("the destination acknowledged state %s id %d twice", scope, id)
		}
		l.early[k] = c
		return c, false
	}
	c.Source = src
	l.checkCounts(&c)
	l.nAcked++
	return c, true
}

// checkCounts compares a commit's counts; l.mu is held.
func (l *SocketLedger) checkCounts(c *SocketCommit) {
	d := c.Destination
	if d.DestinationStats == nil || d.DestinationStats.RecordCount == nil {
		return // reported by Destination
	}
	got := d.DestinationStats.RecordCount.Int()
	if s := c.Source.SourceStats; s != nil && s.RecordCount != nil && s.RecordCount.Int() != got {
		l.problem("state %s id %d: the destination counted %d records, the source %d", c.Scope, c.ID, got, s.RecordCount.Int())
	}
}

// Finish reports the destination states that never matched a source state.
// Call it once both outputs have ended.
func (l *SocketLedger) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]ledgerKey, 0, len(l.early))
	for k := range l.early {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].scope != keys[j].scope {
			return keys[i].scope < keys[j].scope
		}
		return keys[i].id < keys[j].id
	})
	for _, k := range keys {
		l.problem("the destination acknowledged state %s id %d, which the source never sent", k.scope, k.id)
	}
	l.early = map[ledgerKey]SocketCommit{}
}

// Counts returns the states the source sent and the ones matched.
func (l *SocketLedger) Counts() (sent, acked int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nSent, l.nAcked
}

// Problems returns the problems found so far.
func (l *SocketLedger) Problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...)
}

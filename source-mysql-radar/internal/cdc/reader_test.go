package cdc

import (
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// ev builds an event ending at logPos with the given size.
func ev(e replication.Event, typ replication.EventType, logPos, size uint32) *replication.BinlogEvent {
	return &replication.BinlogEvent{Header: &replication.EventHeader{EventType: typ, LogPos: logPos, EventSize: size, Timestamp: 1700000000}, Event: e}
}

type cpSink struct{ cps []*Checkpoint }

func (s *cpSink) Row(*Capture, *Change) error     { return nil }
func (s *cpSink) Checkpoint(cp *Checkpoint) error { s.cps = append(s.cps, cp); return nil }

func newTestReader(t *testing.T, flavor, gtids string, start binlog.Position) *Reader {
	t.Helper()
	r, err := NewReader(Options{
		Server:  &binlog.Server{Flavor: flavor, GTIDs: true},
		Start:   Checkpoint{Position: start, GTIDs: gtids},
		Target:  binlog.Position{File: start.File, Pos: 1 << 30},
		Schemas: NewSchemas("db", "utf8mb4", flavor, column.Options{}), SameServer: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMySQLTransactions follows MySQL's event sequences: GTID, BEGIN, ...,
// XID; GTID then a DDL statement; an anonymous GTID (gtid_mode OFF).
func TestMySQLTransactions(t *testing.T) {
	sid := uuid.MustParse("3e11fa47-71ca-11e1-9e33-c80aa9429562")
	r := newTestReader(t, binlog.MySQL, sid.String()+":1-5", binlog.Position{File: "mysql-bin.000007", Pos: 1000})
	sink := &cpSink{}
	steps := []struct {
		e          *replication.BinlogEvent
		open       bool
		committed  uint32
		checkpoint uint32 // position a checkpoint here restarts at
	}{
		{ev(&replication.GTIDEvent{SID: sid[:], GNO: 6}, replication.GTID_EVENT, 1079, 79), true, 1000, 1000},
		{ev(&replication.QueryEvent{Query: []byte("BEGIN")}, replication.QUERY_EVENT, 1160, 81), true, 1000, 1000},
		{ev(&replication.XIDEvent{}, replication.XID_EVENT, 1191, 31), false, 1191, 1191},
		{ev(&replication.GTIDEvent{SID: sid[:], GNO: 7}, replication.GTID_EVENT, 1270, 79), true, 1191, 1191},
		{ev(&replication.QueryEvent{Schema: []byte("db"), Query: []byte("CREATE TABLE x (a int)")}, replication.QUERY_EVENT, 1400, 130), false, 1400, 1400},
		{ev(&replication.GTIDEvent{SID: make([]byte, 16), GNO: 0}, replication.ANONYMOUS_GTID_EVENT, 1479, 79), true, 1400, 1400},
		{ev(&replication.QueryEvent{Query: []byte("BEGIN")}, replication.QUERY_EVENT, 1560, 81), true, 1400, 1400},
		{ev(&replication.QueryEvent{Query: []byte("COMMIT")}, replication.QUERY_EVENT, 1640, 80), false, 1640, 1640},
	}
	for i, st := range steps {
		if err := r.handle(st.e, sink); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if r.open != st.open || r.committed.Position.Pos != st.committed {
			t.Errorf("step %d: open %v committed %d, want %v %d", i, r.open, r.committed.Position.Pos, st.open, st.committed)
		}
		if cp := r.checkpoint(); cp.Position.Pos != st.checkpoint {
			t.Errorf("step %d: checkpoint at %d, want %d", i, cp.Position.Pos, st.checkpoint)
		}
	}
	if got, want := r.committed.GTIDs, sid.String()+":1-7"; got != want {
		t.Errorf("GTID set %s, want %s", got, want)
	}
	// Inside a transaction, a checkpoint restarts at its GTID event, with
	// the row events read so far to skip.
	_ = r.handle(ev(&replication.GTIDEvent{SID: sid[:], GNO: 8}, replication.GTID_EVENT, 1719, 79), sink)
	_ = r.handle(ev(&replication.QueryEvent{Query: []byte("BEGIN")}, replication.QUERY_EVENT, 1800, 81), sink)
	other := &replication.TableMapEvent{Schema: []byte("other"), Table: []byte("t")}
	_ = r.handle(ev(&replication.RowsEvent{Table: other}, replication.WRITE_ROWS_EVENTv2, 1900, 100), sink)
	_ = r.handle(ev(&replication.RowsEvent{Table: other}, replication.WRITE_ROWS_EVENTv2, 2000, 100), sink)
	cp := r.checkpoint()
	if cp.Position.Pos != 1640 || cp.SkipEvents != 2 || cp.GTIDs != sid.String()+":1-7" {
		t.Errorf("checkpoint inside a transaction: %+v", cp)
	}
	// The target is reached only between transactions.
	r.opts.Target = binlog.Position{File: "mysql-bin.000007", Pos: 1900}
	if r.reached() {
		t.Error("reached inside a transaction")
	}
	_ = r.handle(ev(&replication.XIDEvent{}, replication.XID_EVENT, 2031, 31), sink)
	if !r.reached() {
		t.Error("not reached after the transaction")
	}
}

// TestMariaDBTransactions follows MariaDB's: a GTID event stands for
// BEGIN, a standalone GTID event for a DDL statement; the GTID state keeps
// one GTID per domain and server, and the connect position one per domain.
func TestMariaDBTransactions(t *testing.T) {
	r := newTestReader(t, binlog.MariaDB, "0-1-10", binlog.Position{File: "bin.000002", Pos: 400})
	sink := &cpSink{}
	for i, e := range []*replication.BinlogEvent{
		ev(&replication.MariadbGTIDEvent{GTID: gomysql.MariadbGTID{DomainID: 0, ServerID: 1, SequenceNumber: 11}}, replication.MARIADB_GTID_EVENT, 442, 42),
		ev(&replication.XIDEvent{}, replication.XID_EVENT, 600, 31),
		ev(&replication.MariadbGTIDEvent{GTID: gomysql.MariadbGTID{DomainID: 0, ServerID: 2, SequenceNumber: 12}, Flags: replication.BINLOG_MARIADB_FL_STANDALONE}, replication.MARIADB_GTID_EVENT, 642, 42),
		ev(&replication.QueryEvent{Schema: []byte("db"), Query: []byte("DROP TABLE x")}, replication.QUERY_EVENT, 700, 58),
	} {
		if err := r.handle(e, sink); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if r.open || r.committed.Position.Pos != 700 || r.committed.GTIDs != "0-1-11,0-2-12" {
		t.Errorf("after two transactions: open %v, %+v", r.open, r.committed)
	}
	set, _ := gomysql.ParseMariadbGTIDSet(r.committed.GTIDs)
	if got := binlog.ConnectState(set.(*gomysql.MariadbGTIDSet)).String(); got != "0-2-12" {
		t.Errorf("connect state %s, want 0-2-12", got)
	}
}

// TestRotateAndFile: a rotation moves the restart position to the new
// file; the format description event records the file's creation time,
// and a different one for the saved file is a stale position.
func TestRotateAndFile(t *testing.T) {
	r := newTestReader(t, binlog.MariaDB, "", binlog.Position{File: "bin.000002", Pos: 4})
	r.opts.Start.FileStarted = 1700000000
	sink := &cpSink{}
	fde := ev(&replication.FormatDescriptionEvent{}, replication.FORMAT_DESCRIPTION_EVENT, 0, 100)
	if err := r.handle(fde, sink); err != nil {
		t.Fatalf("the same file: %v", err)
	}
	_ = r.handle(ev(&replication.RotateEvent{NextLogName: []byte("bin.000003"), Position: 4}, replication.ROTATE_EVENT, 0, 40), sink)
	if r.committed.Position != (binlog.Position{File: "bin.000003", Pos: 4}) || r.committed.FileStarted != 0 {
		t.Errorf("after the rotation: %+v", r.committed)
	}
	r2 := newTestReader(t, binlog.MariaDB, "", binlog.Position{File: "bin.000002", Pos: 4})
	r2.opts.Start.FileStarted = 1600000000
	err := r2.handle(fde, sink)
	if _, ok := err.(*StaleError); !ok {
		t.Errorf("a replaced file: %v", err)
	}
}

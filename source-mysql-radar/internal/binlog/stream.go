package binlog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// StreamConfig is how to connect a replication stream.
type StreamConfig struct {
	Host     string
	Port     uint16
	User     string
	Password string
	// TLS is nil for a plain connection.
	TLS *tls.Config
	// Dial, if set, opens the TCP connection (an SSH tunnel).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Flavor is MySQL or MariaDB.
	Flavor string
	// Logger receives go-mysql's own log lines.
	Logger *slog.Logger
	// FillZeroLogPos computes the positions MariaDB 11.4+ leaves at zero
	// in some events (go-mysql then also asks for ANNOTATE_ROWS events).
	FillZeroLogPos bool
}

// Start is where a stream starts: at GTIDs (a GTID set of the flavor) when
// set, else at Position.
type Start struct {
	Position Position
	GTIDs    string
}

// Stream is an open replication stream.
type Stream struct {
	syncer   *replication.BinlogSyncer
	streamer *replication.BinlogStreamer
}

// Open registers as a replica with a random server id and starts
// streaming at start. go-mysql's own reconnection is off: a lost stream is
// an error, and the caller restarts from its last checkpoint (a position
// go-mysql would resume from may lie inside a transaction, after the table
// map its row events need).
func Open(cfg StreamConfig, start Start) (*Stream, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sc := replication.BinlogSyncerConfig{
		// A replica id unlikely to collide with real replicas; Debezium
		// picks from 5400-6400, this from a much wider range.
		ServerID:         uint32(0x40000000 + rand.N(0x3fffffff)),
		Flavor:           cfg.Flavor,
		Host:             cfg.Host,
		Port:             cfg.Port,
		User:             cfg.User,
		Password:         cfg.Password,
		Charset:          "utf8mb4",
		TLSConfig:        cfg.TLS,
		Logger:           logger,
		DisableRetrySync: true,
		EventCacheCount:  512,
		FillZeroLogPos:   cfg.FillZeroLogPos && cfg.Flavor == MariaDB,
		// Row events are decoded by RowDecoder, straight into text: only
		// the header is parsed here (see RowsData).
		RowsEventDecodeFunc: decodeRowsHeader,
	}
	if cfg.Dial != nil {
		sc.Dialer = cfg.Dial
	}
	s := &Stream{syncer: replication.NewBinlogSyncer(sc)}
	var err error
	if start.GTIDs != "" {
		var set gomysql.GTIDSet
		set, err = gomysql.ParseGTIDSet(cfg.Flavor, start.GTIDs)
		if err != nil {
			s.syncer.Close()
			return nil, fmt.Errorf("parse GTID set %q: %w", start.GTIDs, err)
		}
		if ms, ok := set.(*gomysql.MariadbGTIDSet); ok {
			set = ConnectState(ms)
		}
		s.streamer, err = s.syncer.StartSyncGTID(set)
	} else {
		s.streamer, err = s.syncer.StartSync(gomysql.Position{Name: start.Position.File, Pos: start.Position.Pos})
	}
	if err != nil {
		s.syncer.Close()
		return nil, err
	}
	return s, nil
}

// Next returns the next event. ctx bounds the wait.
func (s *Stream) Next(ctx context.Context) (*replication.BinlogEvent, error) {
	return s.streamer.GetEvent(ctx)
}

// Close stops the stream.
func (s *Stream) Close() {
	s.syncer.Close()
}

// decodeRowsHeader parses a row event's header (binding its table map) and
// keeps the row data, undecoded, in Rows[0][0].
func decodeRowsHeader(e *replication.RowsEvent, data []byte) error {
	pos, err := e.DecodeHeader(data)
	if err != nil {
		return err
	}
	e.Rows = [][]interface{}{{data[pos:]}}
	return nil
}

// RowsData returns the row images of a row event read from a Stream,
// decompressing MariaDB's compressed row events.
func RowsData(ev *replication.BinlogEvent, e *replication.RowsEvent) ([]byte, error) {
	if len(e.Rows) != 1 || len(e.Rows[0]) != 1 {
		return nil, errors.New("row event was not read by binlog.Stream")
	}
	data, _ := e.Rows[0][0].([]byte)
	switch ev.Header.EventType {
	case replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return gomysql.DecompressMariadbData(data)
	}
	return data, nil
}

// IsUpdate reports whether a row event holds before and after images.
func IsUpdate(ev *replication.BinlogEvent) bool {
	switch ev.Header.EventType {
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		return true
	}
	return false
}

// IsDelete reports whether a row event deletes rows.
func IsDelete(ev *replication.BinlogEvent) bool {
	switch ev.Header.EventType {
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return true
	}
	return false
}

// ServerError returns the MySQL error number of a stream error (0 if it
// is not a server error). 1236 is "the position or GTID is not in the
// binary log"; 1227/1045 are missing privileges.
func ServerError(err error) (uint16, string) {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return me.Code, me.Message
	}
	return 0, ""
}

// ConnectState reduces a MariaDB GTID state (the last GTID of every domain
// and server) to a replication position: the GTID with the highest
// sequence number of every domain, as @slave_connect_state wants it.
func ConnectState(s *gomysql.MariadbGTIDSet) *gomysql.MariadbGTIDSet {
	out := &gomysql.MariadbGTIDSet{Sets: map[uint32]map[uint32]*gomysql.MariadbGTID{}}
	for domain, servers := range s.Sets {
		var best *gomysql.MariadbGTID
		for _, g := range servers {
			if best == nil || g.SequenceNumber > best.SequenceNumber {
				best = g
			}
		}
		if best != nil {
			out.Sets[domain] = map[uint32]*gomysql.MariadbGTID{best.ServerID: best.Clone()}
		}
	}
	return out
}

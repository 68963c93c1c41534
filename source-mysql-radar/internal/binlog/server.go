package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
)

// Flavors.
const (
	MySQL   = gomysql.MySQLFlavor
	MariaDB = gomysql.MariaDBFlavor
)

// Querier runs queries; *sql.DB and *sql.Conn are Queriers.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Server is what the CDC reader needs to know about the server.
type Server struct {
	// Flavor is MySQL or MariaDB (from VERSION()).
	Flavor  string
	Version string
	// ServerID is @@server_id and ServerUUID MySQL's @@server_uuid (empty
	// on MariaDB). Together they identify the server whose binary log
	// positions a state holds.
	ServerID   uint32
	ServerUUID string
	// GTIDs reports whether transactions carry GTIDs: always on MariaDB,
	// gtid_mode=ON on MySQL.
	GTIDs bool
	// RowMetadataFull reports binlog_row_metadata=FULL: table map events
	// then carry column names, signedness, charsets and ENUM/SET values.
	RowMetadataFull bool
	// FoldCase reports lower_case_table_names other than 0: table and
	// database names are compared ignoring case.
	FoldCase bool
	// Variables the CDC reader cannot work with (MySQL only).
	TransactionCompression bool   // binlog_transaction_compression=ON
	RowValueOptions        string // binlog_row_value_options (PARTIAL_JSON)
}

// NeedsZeroLogPosFill reports a MariaDB 11.4 or later, which leaves the
// position of some events at zero.
func (s *Server) NeedsZeroLogPosFill() bool {
	if s.Flavor != MariaDB {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(s.Version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 11 || major == 11 && minor >= 4
}

// Identity is the server identity written into a state.
func (s *Server) Identity() Identity {
	return Identity{Flavor: s.Flavor, ServerID: s.ServerID, ServerUUID: s.ServerUUID}
}

// Identity names the server a binary log position belongs to.
type Identity struct {
	Flavor     string `json:"flavor"`
	ServerID   uint32 `json:"server_id"`
	ServerUUID string `json:"server_uuid,omitempty"`
}

// Inspect reads the server's flavor, identity and binary log settings.
func Inspect(ctx context.Context, q Querier) (*Server, error) {
	s := &Server{}
	v, err := variable(ctx, q, "VERSION()")
	if err != nil {
		return nil, fmt.Errorf("read the server version: %w", err)
	}
	s.Version = v
	s.Flavor = MySQL
	if strings.Contains(strings.ToLower(v), "mariadb") {
		s.Flavor = MariaDB
	}
	id, err := variable(ctx, q, "@@GLOBAL.server_id")
	if err != nil {
		return nil, fmt.Errorf("read server_id: %w", err)
	}
	n, _ := strconv.ParseUint(id, 10, 32)
	s.ServerID = uint32(n)
	if s.Flavor == MySQL {
		s.ServerUUID, _ = optionalVariable(ctx, q, "@@GLOBAL.server_uuid")
		mode, _ := optionalVariable(ctx, q, "@@GLOBAL.gtid_mode")
		s.GTIDs = strings.EqualFold(mode, "ON")
		c, _ := optionalVariable(ctx, q, "@@GLOBAL.binlog_transaction_compression")
		s.TransactionCompression = c == "1" || strings.EqualFold(c, "ON")
		s.RowValueOptions, _ = optionalVariable(ctx, q, "@@GLOBAL.binlog_row_value_options")
	} else {
		s.GTIDs = true
	}
	lc, _ := optionalVariable(ctx, q, "@@GLOBAL.lower_case_table_names")
	s.FoldCase = lc != "" && lc != "0"
	meta, _ := optionalVariable(ctx, q, "@@GLOBAL.binlog_row_metadata")
	s.RowMetadataFull = strings.EqualFold(meta, "FULL")
	return s, nil
}

// Status is the server's current binary log position.
type Status struct {
	Position Position
	// GTIDs is the set of transactions in the binary log up to Position:
	// MySQL's Executed_Gtid_Set, MariaDB's gtid_binlog_pos. Empty when
	// GTIDs are off.
	GTIDs string
}

// ErrBinlogOff is returned by CurrentStatus when binary logging is off.
var ErrBinlogOff = errors.New("binary logging is off on the server (SHOW MASTER STATUS is empty): set log_bin")

// CurrentStatus returns the current binary log position: SHOW MASTER
// STATUS, or SHOW BINARY LOG STATUS where MySQL 8.4 removed the former.
func CurrentStatus(ctx context.Context, q Querier, srv *Server) (Status, error) {
	rows, err := showRows(ctx, q, "SHOW MASTER STATUS")
	if err != nil && isSyntaxError(err) {
		rows, err = showRows(ctx, q, "SHOW BINARY LOG STATUS")
	}
	if err != nil {
		return Status{}, err
	}
	if len(rows) == 0 || rows[0]["File"] == "" {
		return Status{}, ErrBinlogOff
	}
	var st Status
	st.Position.File = rows[0]["File"]
	pos, err := strconv.ParseUint(rows[0]["Position"], 10, 32)
	if err != nil {
		return Status{}, fmt.Errorf("SHOW MASTER STATUS position %q: %w", rows[0]["Position"], err)
	}
	st.Position.Pos = uint32(pos)
	if srv.GTIDs {
		if srv.Flavor == MariaDB {
			st.GTIDs, err = variable(ctx, q, "@@GLOBAL.gtid_binlog_pos")
			if err != nil {
				return Status{}, fmt.Errorf("read gtid_binlog_pos: %w", err)
			}
		} else {
			st.GTIDs = normalizeGTIDs(rows[0]["Executed_Gtid_Set"])
		}
	}
	return st, nil
}

// LogFile is one binary log file on the server.
type LogFile struct {
	Name string
	Size uint64
}

// Logs lists the binary log files (SHOW BINARY LOGS), oldest first.
func Logs(ctx context.Context, q Querier) ([]LogFile, error) {
	rows, err := showRows(ctx, q, "SHOW BINARY LOGS")
	if err != nil {
		return nil, err
	}
	var out []LogFile
	for _, r := range rows {
		n, _ := strconv.ParseUint(r["File_size"], 10, 64)
		out = append(out, LogFile{Name: r["Log_name"], Size: n})
	}
	return out, nil
}

// GTIDState is what the server says about GTIDs, for validating a saved
// GTID set.
type GTIDState struct {
	// Executed is every GTID the server has (MySQL gtid_executed, MariaDB
	// gtid_binlog_state: the last GTID of every domain and server).
	Executed string
	// Purged is MySQL's gtid_purged (empty on MariaDB).
	Purged string
}

// ReadGTIDState reads the server's GTID sets.
func ReadGTIDState(ctx context.Context, q Querier, srv *Server) (GTIDState, error) {
	var st GTIDState
	var err error
	if srv.Flavor == MariaDB {
		st.Executed, err = variable(ctx, q, "@@GLOBAL.gtid_binlog_state")
		return st, err
	}
	if st.Executed, err = variable(ctx, q, "@@GLOBAL.gtid_executed"); err != nil {
		return st, err
	}
	st.Executed = normalizeGTIDs(st.Executed)
	st.Purged, err = variable(ctx, q, "@@GLOBAL.gtid_purged")
	st.Purged = normalizeGTIDs(st.Purged)
	return st, err
}

// normalizeGTIDs removes the line breaks MySQL puts into long sets.
func normalizeGTIDs(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// ParseGTIDs parses a GTID set of the flavor.
func ParseGTIDs(flavor, s string) (gomysql.GTIDSet, error) {
	return gomysql.ParseGTIDSet(flavor, s)
}

// variable reads one scalar value.
func variable(ctx context.Context, q Querier, expr string) (string, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+expr)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var v sql.NullString
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return "", err
		}
	}
	return v.String, rows.Err()
}

// optionalVariable reads a variable that older servers lack; a missing
// variable is "".
func optionalVariable(ctx context.Context, q Querier, expr string) (string, error) {
	v, err := variable(ctx, q, expr)
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1193 { // unknown system variable
		return "", nil
	}
	return v, err
}

// showRows runs a SHOW statement and returns its rows by column name.
func showRows(ctx context.Context, q Querier, stmt string) ([]map[string]string, error) {
	rows, err := q.QueryContext(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []map[string]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// isSyntaxError reports a parse error (MySQL 8.4 no longer knows SHOW
// MASTER STATUS).
func isSyntaxError(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1064
}

package binlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// fakeServer answers queries with canned results, standing in for a MySQL
// 8.4 server (none can run on the test machines): SHOW MASTER STATUS is a
// syntax error there.
type fakeServer map[string]fakeResult

type fakeResult struct {
	cols []string
	rows [][]string
	err  error
}

func (f fakeServer) Open(string) (driver.Conn, error) { return fakeConn{f}, nil }

// fakeConnector opens fakeServer connections for sql.OpenDB.
type fakeConnector struct{ srv fakeServer }

func (c fakeConnector) Connect(context.Context) (driver.Conn, error) { return c.srv.Open("") }
func (c fakeConnector) Driver() driver.Driver                        { return c.srv }

type fakeConn struct{ f fakeServer }

func (c fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c fakeConn) Close() error                        { return nil }
func (c fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

func (c fakeConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	r, ok := c.f[q]
	if !ok {
		return nil, &mysql.MySQLError{Number: 1193, Message: "Unknown system variable: " + q}
	}
	if r.err != nil {
		return nil, r.err
	}
	return &fakeRows{r: r}, nil
}

type fakeRows struct {
	r fakeResult
	i int
}

func (r *fakeRows) Columns() []string { return r.r.cols }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.rows) {
		return io.EOF
	}
	for j, v := range r.r.rows[r.i] {
		dest[j] = []byte(v)
	}
	r.i++
	return nil
}

func one(v string) fakeResult { return fakeResult{cols: []string{"v"}, rows: [][]string{{v}}} }

func TestMySQL84(t *testing.T) {
	srv := fakeServer{
		"SELECT VERSION()":                               one("8.4.3"),
		"SELECT @@GLOBAL.server_id":                      one("11"),
		"SELECT @@GLOBAL.server_uuid":                    one("3e11fa47-71ca-11e1-9e33-c80aa9429562"),
		"SELECT @@GLOBAL.gtid_mode":                      one("ON"),
		"SELECT @@GLOBAL.binlog_transaction_compression": one("0"),
		"SELECT @@GLOBAL.binlog_row_value_options":       one(""),
		"SELECT @@GLOBAL.binlog_row_metadata":            one("MINIMAL"),
		"SHOW MASTER STATUS":                             {err: &mysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}},
		"SHOW BINARY LOG STATUS": {cols: []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"},
			rows: [][]string{{"binlog.000042", "1337", "", "", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}}},
		"SELECT @@GLOBAL.gtid_executed": one("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"),
		"SELECT @@GLOBAL.gtid_purged":   one("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20"),
	}
	db := sql.OpenDB(fakeConnector{srv}) // not sql.Register: the test may run more than once
	defer db.Close()
	ctx := context.Background()
	info, err := Inspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if info.Flavor != MySQL || info.ServerID != 11 || !info.GTIDs || info.RowMetadataFull || info.TransactionCompression || info.NeedsZeroLogPosFill() {
		t.Errorf("inspect: %+v", info)
	}
	st, err := CurrentStatus(ctx, db, info)
	if err != nil {
		t.Fatal(err)
	}
	wantGTIDs := "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"
	if st.Position != (Position{"binlog.000042", 1337}) || st.GTIDs != wantGTIDs {
		t.Errorf("status %+v", st)
	}
	gs, err := ReadGTIDState(ctx, db, info)
	if err != nil {
		t.Fatal(err)
	}
	executed, err := ParseGTIDs(MySQL, gs.Executed)
	if err != nil {
		t.Fatal(err)
	}
	purged, _ := ParseGTIDs(MySQL, gs.Purged)
	saved, _ := ParseGTIDs(MySQL, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-50")
	if !executed.Contain(saved) || !saved.Contain(purged) {
		t.Errorf("GTID sets: executed %s, purged %s", gs.Executed, gs.Purged)
	}
	if !strings.Contains(ErrBinlogOff.Error(), "log_bin") {
		t.Error(ErrBinlogOff)
	}
}

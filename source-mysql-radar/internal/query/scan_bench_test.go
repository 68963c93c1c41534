package query

import (
	"context"
	"database/sql/driver"
	"io"
	"syscall"
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// BenchmarkScanTextHeavy reads the first 200,000 rows of the text_heavy
// table of integration_tests/cmd/bench (database radar_bench, created by a
// bench run; skipped when missing) two ways: the driver's rows alone, and
// Scan with the rows encoded as the source encodes them (without writing
// them out). Besides wall time per scan it reports this process's CPU time
// per row, which a machine shared with other work disturbs less:
//
//	go test ./internal/query -run '^$' -bench ScanTextHeavy -count 5
func BenchmarkScanTextHeavy(b *testing.B) {
	db := testdb.Open(b)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'radar_bench' AND table_name = 'text_heavy'").Scan(&n); err != nil || n == 0 {
		b.Skip("radar_bench.text_heavy is missing: run integration_tests/cmd/bench once")
	}
	columns := cols("id", "bigint", "sku", "varchar", "name", "varchar", "brand", "varchar", "category", "varchar", "price", "decimal",
		"short_description", "varchar", "description", "text", "specifications", "text", "long_description", "mediumtext", "updated_at", "datetime")
	q := SelectFrom("radar_bench", "text_heavy", columns) + " WHERE id <= 200000"
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	measure := func(b *testing.B, scan func() int64) {
		var rows int64
		before := cpuTime()
		for b.Loop() {
			rows += scan()
		}
		b.ReportMetric(float64(cpuTime()-before)/float64(rows), "cpu-ns/row")
	}
	b.Run("driver", func(b *testing.B) {
		measure(b, func() int64 {
			var rows int64
			err := conn.Raw(func(dc any) error {
				rs, err := dc.(driver.QueryerContext).QueryContext(ctx, q, nil)
				if err != nil {
					return err
				}
				defer rs.Close()
				dest := make([]driver.Value, len(columns))
				for {
					if err := rs.Next(dest); err == io.EOF {
						return nil
					} else if err != nil {
						return err
					}
					rows++
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			return rows
		})
	})
	b.Run("source", func(b *testing.B) {
		enc := rowcodec.NewRowEncoder(columns)
		buf := make([]byte, 0, 1<<20)
		measure(b, func() int64 {
			rows, err := Scan(ctx, conn, q, nil, len(columns), func(values [][]byte) error {
				buf = enc.AppendObject(buf[:0], values)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			return rows
		})
	})
}

// cpuTime returns the user and system CPU time of this process so far, in
// nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

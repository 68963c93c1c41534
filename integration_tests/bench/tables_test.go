package bench

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

func render(t Table, seed uint64, rows int) []byte {
	r := rand.New(rand.NewPCG(seed, t.Seed))
	var b []byte
	for i := range rows {
		b = t.Row(r, int64(i), b)
		b = append(b, '\n')
	}
	return b
}

func TestRowsAreDeterministic(t *testing.T) {
	for _, tb := range Tables() {
		t.Run(tb.Name, func(t *testing.T) {
			a, b := render(tb, 7, 300), render(tb, 7, 300)
			if !bytes.Equal(a, b) {
				t.Fatal("the same seed rendered different rows")
			}
			if c := render(tb, 8, 300); bytes.Equal(a, c) {
				t.Fatal("another seed rendered the same rows")
			}
			first := strings.SplitN(string(a), "\n", 2)[0]
			if got := strings.Count(first, ",") + 1; got < len(tb.Columns) {
				t.Errorf("row has %d comma-separated parts, want at least %d columns: %s", got, len(tb.Columns), first)
			}
		})
	}
}

func TestTextHeavyHasLongRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, textHeavy.Seed))
	var long int
	for i := range int64(2 * LongTextEvery) {
		row := textHeavy.Row(r, i, nil)
		if len(row) > 64<<10 {
			long++
			if len(row) > 260<<10 {
				t.Errorf("row %d is %d bytes, want at most ~256 KiB", i, len(row))
			}
		}
	}
	if long != 2 {
		t.Errorf("%d long rows in %d, want 2", long, 2*LongTextEvery)
	}
}

// TestGenerateIntoMariaDB loads every table (small) into a real server,
// checks the rows arrived exactly, and that EnsureTable skips a table the
// marker says is complete and regenerates it for another seed.
func TestGenerateIntoMariaDB(t *testing.T) {
	my := harness.SharedMySQL(t)
	db := my.CreateDatabase(t, "benchgen")
	ctx := context.Background()
	if err := EnsureDatabase(ctx, my.Root, db); err != nil {
		t.Fatal(err)
	}
	rows := int64(LongTextEvery + 10) // one 64–256 KiB text row
	for _, tb := range Tables() {
		res, err := EnsureTable(ctx, my.Root, db, tb, rows, 3)
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if !res.Generated {
			t.Errorf("%s: not generated in an empty database", tb.Name)
		}
		var n, maxID int64
		if err := my.Root.QueryRow("SELECT COUNT(*), MAX("+tb.Columns[0]+") FROM `"+db+"`.`"+tb.Name+"`").Scan(&n, &maxID); err != nil {
			t.Fatal(err)
		}
		if n != rows || maxID != rows {
			t.Errorf("%s: %d rows, max key %d; want %d", tb.Name, n, maxID, rows)
		}
	}
	// The server stored exactly what was rendered: compare a checksum of
	// two loads with the same seed.
	sum := func() string {
		var s string
		if err := my.Root.QueryRow("SELECT SHA2(GROUP_CONCAT(CONCAT_WS('|', id, d5_2, d65_30, dt6, ts6, tm, u64, doc) ORDER BY id SEPARATOR '\n'), 256) FROM `" + db + "`.decimal_time_heavy").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := sum()
	res, err := EnsureTable(ctx, my.Root, db, decimalTimeHeavy, rows, 3)
	if err != nil || res.Generated {
		t.Fatalf("second EnsureTable: generated %v, err %v; want a cache hit", res.Generated, err)
	}
	if err := Generate(ctx, my.Root, db, decimalTimeHeavy, rows, 3); err != nil {
		t.Fatal(err)
	}
	if after := sum(); after != before {
		t.Errorf("regenerating with the same seed changed the data")
	}
	res, err = EnsureTable(ctx, my.Root, db, decimalTimeHeavy, rows, 4)
	if err != nil || !res.Generated {
		t.Fatalf("EnsureTable with another seed: generated %v, err %v; want a regeneration", res.Generated, err)
	}
	if sum() == before {
		t.Errorf("another seed gave the same data")
	}
	lr, err := EnsureManyTables(ctx, my.Root, db, 4, rows, 3)
	if err != nil || !lr.Generated {
		t.Fatalf("EnsureManyTables: generated %v, err %v", lr.Generated, err)
	}
	var n int64
	if err := my.Root.QueryRow("SELECT COUNT(*) FROM `" + db + "`.`" + ManyTablesName(3) + "`").Scan(&n); err != nil || n != rows/4 {
		t.Errorf("%s holds %d rows (err %v), want %d", ManyTablesName(3), n, err, rows/4)
	}
	if lr, err := EnsureManyTables(ctx, my.Root, db, 4, rows, 3); err != nil || lr.Generated {
		t.Errorf("second EnsureManyTables: generated %v, err %v; want a cache hit", lr.Generated, err)
	}
}

func BenchmarkRenderRows(b *testing.B) {
	for _, tb := range Tables() {
		b.Run(tb.Name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, tb.Seed))
			buf := make([]byte, 0, 1<<20)
			var n int64
			for i := 0; b.Loop(); i++ {
				buf = tb.Row(r, int64(i%(LongTextEvery-1)), buf[:0])
				n += int64(len(buf))
			}
			b.SetBytes(n / int64(b.N))
		})
	}
}

// TestStageColors: every stage has a bar colour (the chart indexes them by
// stage).
func TestStageColors(t *testing.T) {
	if len(stageColors) < len(Stages) {
		t.Fatalf("%d stage colours for %d stages", len(stageColors), len(Stages))
	}
}

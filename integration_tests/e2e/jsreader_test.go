package e2e

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
)

var (
	jsReaderOnce sync.Once
	jsReaderDir  string
	jsReaderErr  error
)

// jsReader installs testdata/jsreader (hyparquet, a pure JavaScript Parquet
// reader) with `npm ci` into ~/.cache/radar-connectors/jsreader, once, and
// returns that directory. It skips the test when node or npm is missing.
func jsReader(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("hyparquet cross-check skipped: %s is not installed (.ci/run installs nodejs and npm)", tool)
		}
	}
	jsReaderOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			jsReaderErr = err
			return
		}
		dir := filepath.Join(cache, "radar-connectors", "jsreader")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			jsReaderErr = err
			return
		}
		fresh := true
		for _, f := range []string{"package.json", "package-lock.json", "read.mjs"} {
			b, err := os.ReadFile(filepath.Join("testdata", "jsreader", f))
			if err != nil {
				jsReaderErr = err
				return
			}
			if old, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Equal(old, b) {
				fresh = false
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				jsReaderErr = err
				return
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "hyparquet")); err == nil && fresh {
			jsReaderDir = dir
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			jsReaderErr = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
			return
		}
		jsReaderDir = dir
	})
	if jsReaderErr != nil {
		t.Fatalf("install the hyparquet reader: %v", jsReaderErr)
	}
	return jsReaderDir
}

// crossCheckJS reads every file with hyparquet and with DuckDB (which the
// tests have compared with MySQL) and compares them cell by cell.
func crossCheckJS(t *testing.T, d *duck.DuckDB, files []string) {
	t.Helper()
	dir := jsReader(t)
	for _, f := range files {
		out, err := exec.Command("node", filepath.Join(dir, "read.mjs"), f).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("hyparquet read %s: %v\n%s", filepath.Base(f), err, stderr)
		}
		rows, err := d.DB.Query("SELECT * FROM read_parquet('" + strings.ReplaceAll(f, "'", "''") + "', hive_partitioning=false)")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 64<<20)
		n, bad := 0, 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if !sc.Scan() {
				t.Fatalf("%s: hyparquet gave %d rows, DuckDB more", filepath.Base(f), n)
			}
			var js map[string]any
			if err := json.Unmarshal(sc.Bytes(), &js); err != nil {
				t.Fatalf("hyparquet output: %v", err)
			}
			for i, c := range cols {
				want := canonDuck(vals[i])
				if !sameCell(want, js[c]) && bad < 10 {
					bad++
					t.Errorf("%s row %d column %s: DuckDB %v, hyparquet %v", filepath.Base(f), n, c, want, js[c])
				}
			}
			n++
		}
		rows.Close()
		if sc.Scan() {
			t.Errorf("%s: hyparquet gave more rows than DuckDB's %d", filepath.Base(f), n)
		}
		if n == 0 {
			t.Errorf("%s: no rows", filepath.Base(f))
		}
	}
}

// canonDuck tags a DuckDB value as read.mjs tags hyparquet's.
func canonDuck(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		return fmt.Sprintf("i:%d", x)
	case float32:
		return "f:" + strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return "f:" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "b:" + strconv.FormatBool(x)
	case string:
		return "s:" + x
	case []byte:
		return "x:" + hex.EncodeToString(x)
	case time.Time:
		return "t:" + strconv.FormatInt(x.UnixMicro(), 10)
	case duckdb.Decimal:
		return "d:" + x.String()
	case duckdb.OrderedMap:
		m := map[string]any{}
		keys, vals := x.Keys(), x.Values()
		for i := range keys {
			m[fmt.Sprint(keys[i])] = canonDuck(vals[i])
		}
		return m
	case duckdb.Map:
		m := map[string]any{}
		for k, val := range x {
			m[fmt.Sprint(k)] = canonDuck(val)
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, val := range x {
			m[k] = canonDuck(val)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = canonDuck(e)
		}
		return l
	}
	return fmt.Sprintf("?%T:%v", v, v)
}

// sameCell compares a tagged DuckDB value with a tagged hyparquet one.
// Numbers compare by value (JavaScript has one number type); hyparquet
// reads DECIMAL as a JavaScript number, so a decimal compares to within
// a double's precision there.
func sameCell(want, got any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if w == g {
			return true
		}
		wn, wok := numberOf(w)
		gn, gok := numberOf(g)
		if !wok || !gok {
			return false
		}
		if strings.HasPrefix(w, "d:") {
			return math.Abs(wn-gn) <= 1e-15*math.Max(math.Abs(wn), math.Abs(gn))
		}
		return wn == gn || (math.IsNaN(wn) && math.IsNaN(gn))
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if !sameCell(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameCell(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func numberOf(s string) (float64, bool) {
	if len(s) < 2 || s[1] != ':' || !strings.ContainsRune("ifd", rune(s[0])) {
		return 0, false
	}
	f, _, err := big.ParseFloat(s[2:], 10, 64, big.ToNearestEven)
	if err != nil {
		switch s[2:] {
		case "NaN":
			return math.NaN(), true
		case "Infinity", "+Inf":
			return math.Inf(1), true
		case "-Infinity", "-Inf":
			return math.Inf(-1), true
		}
		return 0, false
	}
	v, _ := f.Float64()
	return v, true
}

package bench

import (
	"fmt"
	"os"
	"testing"
)

// tb lets a command use the harness helpers written for tests
// (harness.SharedMySQL, harness.StartS3): Fatal and Skip become errors
// returned by withTB, Cleanup functions run at Close. Methods the helpers
// do not call are not implemented (the embedded nil TB panics).
type tb struct {
	testing.TB
	cleanups []func()
}

type tbStop struct{ msg string }

func (t *tb) Helper()                         {}
func (t *tb) Name() string                    { return "bench" }
func (t *tb) Cleanup(f func())                { t.cleanups = append(t.cleanups, f) }
func (t *tb) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (t *tb) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (t *tb) Errorf(format string, args ...any) {
	panic(tbStop{fmt.Sprintf(format, args...)})
}
func (t *tb) Fatalf(format string, args ...any) { panic(tbStop{fmt.Sprintf(format, args...)}) }
func (t *tb) Fatal(args ...any)                 { panic(tbStop{fmt.Sprint(args...)}) }
func (t *tb) Skipf(format string, args ...any)  { panic(tbStop{fmt.Sprintf(format, args...)}) }
func (t *tb) Skip(args ...any)                  { panic(tbStop{fmt.Sprint(args...)}) }
func (t *tb) TempDir() string {
	d, err := os.MkdirTemp("", "radar-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// withTB calls f with t, turning a Fatal or Skip into an error.
func (t *tb) withTB(f func(testing.TB)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s, ok := r.(tbStop)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%s", s.msg)
		}
	}()
	f(t)
	return nil
}

// Close runs the cleanups, last first.
func (t *tb) Close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

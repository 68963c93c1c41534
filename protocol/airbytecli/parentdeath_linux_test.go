package airbytecli

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopWithParent starts this test binary as a grandchild through
// sh (like the platform's wrapper subshell), kills the sh and expects the
// grandchild to get SIGTERM and exit.
func TestStopWithParent(t *testing.T) {
	if os.Getenv("AIRBYTECLI_PDEATH_CHILD") == "1" {
		StopWithParent()
		time.Sleep(30 * time.Second) // killed by SIGTERM long before
		os.Exit(0)
	}
	pidFile := t.TempDir() + "/pid"
	sh := exec.Command("sh", "-c", os.Args[0]+" -test.run=TestStopWithParent & echo $! > "+pidFile+"; wait")
	sh.Env = append(os.Environ(), "AIRBYTECLI_PDEATH_CHILD=1")
	if err := sh.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	var pid int
	for i := 0; i < 100 && pid == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		pid = atoi(strings.TrimSpace(string(b)))
	}
	if pid == 0 {
		t.Fatal("grandchild did not start")
	}
	time.Sleep(200 * time.Millisecond) // let it call StopWithParent
	_ = sh.Process.Kill()
	_ = sh.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err != nil {
			return // gone
		}
		if b, _ := os.ReadFile("/proc/" + itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
			return // exited, a zombie until init reaps it
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Fatal("grandchild still running 5 s after its parent died")
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

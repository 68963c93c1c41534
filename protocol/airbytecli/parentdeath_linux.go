package airbytecli

import (
	"os"
	"syscall"
)

// StopWithParent asks Linux to send the process SIGTERM when its parent
// dies (prctl PR_SET_PDEATHSIG). The Airbyte platform starts a connector
// from a subshell of its `sh -c` wrapper (ContainerCommandFactory.kt,
// connectorCommandWrapper), and on TERMINATED it kills that subshell, not
// the connector; with this the connector gets SIGTERM and stops through
// its normal interrupt path (a destination aborts its uploads). If the
// parent died before the call took effect, the process signals itself.
// Call it in main right after SIGTERM is routed to the context
// (signal.NotifyContext), so the signal takes the graceful path.
func StopWithParent() {
	parent := os.Getppid()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return
	}
	if os.Getppid() != parent {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}

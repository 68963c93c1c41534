//go:build !linux

package airbytecli

// StopWithParent does nothing outside Linux (no PR_SET_PDEATHSIG).
func StopWithParent() {}

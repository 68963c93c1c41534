// Package reliability drives the built connectors through faults, bad input
// and secrets: MySQL connections killed, reset, restarted and locked during
// a read; S3 answering 5xx, throttling, resetting connections, denying
// access and losing its bucket during a write; the processes killed or
// stopped mid-sync; malformed input, configs, catalogs and states; and a
// scan of everything printed or written for the secrets of the config.
//
// Every test runs the real binaries (built as the Makefile builds them)
// against real servers: MariaDB (the shared one, or a private mariadbd
// where the server itself is the fault), versitygw for S3, and DuckDB to
// read the Parquet back. Fault proxies stand in only where a real part
// cannot show the fault on demand: toxiproxy (in-process) for TCP resets of
// MySQL connections, and harness.S3Proxy for S3 error answers.
package reliability

import (
	"fmt"
	"os"
	"testing"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

var srcBin, dstBin string

func TestMain(m *testing.M) {
	var err error
	srcBin, dstBin, err = harness.Binaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "build connectors:", err)
		os.Exit(1)
	}
	code := m.Run()
	harness.CleanupBinaries()
	os.Exit(code)
}

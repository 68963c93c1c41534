// Command demo runs a complete sync with nothing installed but Go:
//
//	make demo                      # from the repository root
//	make demo DEMO_ARGS='-rows 20000 -out /tmp/radar-demo'
//	make demo DEMO_ARGS='-mysql 127.0.0.1:3306 -user root -database radar_demo'
//
// It starts an embedded MySQL-protocol server seeded with a Radar-like
// database (or uses the real server given with -mysql), an S3 endpoint that
// keeps objects as plain files under -out, runs the built connectors
// (bin/source-mysql-radar discover, then read | bin/destination-s3-parquet
// write) with live progress, reads the Parquet files back and prints a
// summary and the commands to rerun the pipe by hand. It exits 1 if
// anything failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cognitivo/radar-connectors/integration_tests/demo"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
)

func main() {
	os.Exit(run())
}

func run() int {
	root, err := harness.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	out := fs.String("out", "demo-output", "folder for the configs and the S3 bucket's files (relative paths are taken from the repository root)")
	bin := fs.String("bin", "bin", "folder holding the built connectors (relative paths are taken from the repository root)")
	rows := fs.Int("rows", 3000, "rows in each of the big sample tables (the small ones get at most 300)")
	seed := fs.Uint64("seed", 1, "seed of the sample data")
	mysqlAddr := fs.String("mysql", "", "host:port of a real MySQL/MariaDB server to use instead of the embedded one; the sample tables are (re)created in -database")
	user := fs.String("user", "root", "user name for -mysql")
	password := fs.String("password", "", "password for -mysql")
	database := fs.String("database", "radar_demo", "database for -mysql (created if missing; it must hold no other tables)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	opts := demo.Options{
		Source:      filepath.Join(abs(*bin), harness.SourceName),
		Destination: filepath.Join(abs(*bin), harness.DestinationName),
		OutDir:      abs(*out),
		Rows:        *rows,
		Seed:        *seed,
		Out:         os.Stdout,
		TTY:         demo.IsTerminal(os.Stdout),
		Width:       terminalWidth(os.Stdout),
		RepoRoot:    root,
	}
	if *mysqlAddr != "" {
		host, portS, err := net.SplitHostPort(*mysqlAddr)
		port, perr := strconv.Atoi(portS)
		if err != nil || perr != nil {
			fmt.Fprintf(os.Stderr, "demo: -mysql wants host:port, got %q\n", *mysqlAddr)
			return 2
		}
		opts.External = &demo.External{Host: host, Port: port, User: *user, Password: *password, Database: *database}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if _, err := demo.Run(ctx, opts); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n", err)
		return 1
	}
	return 0
}

// terminalWidth returns f's width in columns, or 0 if f is no terminal.
func terminalWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

// Command acceptance runs the connector acceptance suites (a Go
// reimplementation of Airbyte's CAT) against a connector binary:
//
//	go run ./cmd/acceptance -connector ../source-mysql-radar -binary ../bin/source-mysql-radar \
//	    -path secrets/config.json=/path/to/config.json
//
// It reads the connector folder's acceptance-test-config.yml and
// integration_tests/ files, prints one line per test, and exits 1 if any
// test failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cognitivo/radar-connectors/integration_tests/acceptance"
)

type pathFlags map[string]string

func (p pathFlags) String() string { return fmt.Sprint(map[string]string(p)) }

func (p pathFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want config-path=real-path, got %q", v)
	}
	p[k] = val
	return nil
}

func main() {
	connector := flag.String("connector", "", "connector folder holding acceptance-test-config.yml")
	binary := flag.String("binary", "", "connector executable")
	image := flag.String("image", "", "connector image to run instead of -binary (through its ENTRYPOINT, as CAT does)")
	paths := pathFlags{}
	flag.Var(paths, "path", "map a path used in the config to a real file (repeatable), e.g. secrets/config.json=/tmp/c.json")
	flag.Parse()
	if *connector == "" || (*binary == "" && *image == "") {
		flag.Usage()
		os.Exit(2)
	}
	r := &acceptance.Runner{Dir: *connector, Binary: *binary, Image: *image, Paths: paths}
	results, err := r.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "acceptance:", err)
		os.Exit(2)
	}
	counts := map[acceptance.Status]int{}
	for _, res := range results {
		fmt.Println(res)
		counts[res.Status]++
	}
	fmt.Printf("\n%d passed, %d failed, %d skipped\n", counts[acceptance.Passed], counts[acceptance.Failed], counts[acceptance.Skipped])
	if counts[acceptance.Failed] > 0 {
		os.Exit(1)
	}
}

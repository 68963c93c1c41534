// Package binlog reads the MySQL/MariaDB binary log for change data
// capture: it inspects the server (flavor, identity, GTID mode, binary log
// files and position, with MySQL 8.4's SHOW BINARY LOG STATUS spelling),
// opens a replication stream with go-mysql-org/go-mysql's replication
// package, and decodes row images straight into the MySQL text-protocol
// form of each value, so that package rowcodec encodes binlog values with
// the same encoders as snapshot values.
package binlog

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is a position in the binary log: a file name and a byte offset.
type Position struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
}

// IsZero reports whether the position is unset.
func (p Position) IsZero() bool { return p.File == "" }

func (p Position) String() string { return p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10) }

// Compare orders positions of one server: by the file's sequence number
// (the numeric extension, so mysql-bin.1000000 follows mysql-bin.999999),
// then by offset. Positions of different servers, or of one server before
// and after RESET MASTER, cannot be compared meaningfully; callers compare
// positions only within one server's current binary log.
func (p Position) Compare(o Position) int {
	if c := compareFiles(p.File, o.File); c != 0 {
		return c
	}
	switch {
	case p.Pos < o.Pos:
		return -1
	case p.Pos > o.Pos:
		return 1
	}
	return 0
}

func compareFiles(a, b string) int {
	if a == b {
		return 0
	}
	ab, as, aok := splitFile(a)
	bb, bs, bok := splitFile(b)
	if aok && bok && ab == bb {
		switch {
		case as < bs:
			return -1
		case as > bs:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// splitFile splits "mysql-bin.000123" into its base name and sequence.
func splitFile(name string) (base string, seq uint64, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], n, true
}

// ParsePosition parses "file:pos".
func ParsePosition(s string) (Position, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return Position{}, fmt.Errorf("binlog position %q is not file:offset", s)
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return Position{}, fmt.Errorf("binlog position %q is not file:offset", s)
	}
	return Position{File: s[:i], Pos: uint32(n)}, nil
}

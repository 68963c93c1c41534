package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// streamOf returns the stream name a protocol line belongs to, or nil for
// lines of no stream (logs, global states). It looks for the first
// `"stream":"` (RECORD) or `"name":"` (stream descriptors) key, which is
// where this source puts them; it does not parse the line.
func streamOf(line []byte) []byte {
	key := []byte(`"name":"`)
	if bytes.HasPrefix(line, recordPrefix) {
		key = []byte(`"stream":"`)
	}
	i := bytes.Index(line, key)
	if i < 0 {
		return nil
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// Interleave rewrites a recorded multi-stream source output so that the
// streams' lines alternate one by one (round robin), each stream keeping
// its own order: the worst case for a destination that buffers per stream.
// Lines of no stream come first.
func Interleave(in, out, tmpDir string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	dir, err := os.MkdirTemp(tmpDir, "interleave-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type part struct {
		f *os.File
		w *bufio.Writer
		r *bufio.Reader
	}
	parts := map[string]*part{}
	var order []string
	var global [][]byte
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			name := streamOf(line)
			if name == nil {
				global = append(global, line)
			} else {
				p := parts[string(name)]
				if p == nil {
					pf, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.jsonl", len(order))))
					if err != nil {
						return err
					}
					defer pf.Close()
					p = &part{f: pf, w: bufio.NewWriterSize(pf, 64<<10)}
					parts[string(name)] = p
					order = append(order, string(name))
				}
				if _, err := p.w.Write(line); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(o, 1<<20)
	for _, l := range global {
		w.Write(l)
	}
	live := make([]*part, 0, len(order))
	for _, name := range order {
		p := parts[name]
		if err := p.w.Flush(); err != nil {
			return err
		}
		if _, err := p.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		p.r = bufio.NewReaderSize(p.f, 64<<10)
		live = append(live, p)
	}
	for len(live) > 0 {
		next := live[:0]
		for _, p := range live {
			line, err := p.r.ReadBytes('\n')
			if len(line) > 0 {
				if _, werr := w.Write(line); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				continue
			}
			if err != nil {
				return err
			}
			next = append(next, p)
		}
		live = next
	}
	if err := w.Flush(); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
)

// acceptTimeout bounds the wait for the destination to connect to every
// socket; AcceptTimeoutEnv overrides it.
const acceptTimeout = 10 * time.Minute

// AcceptTimeoutEnv is the environment variable that overrides acceptTimeout.
const AcceptTimeoutEnv = "RADAR_SOCKET_ACCEPT_TIMEOUT"

// readSockets is a read in socket mode: the destination connects to every
// socket; then workers, one per socket up to `concurrency`, read the
// streams' partitions, each partition's records and states on its worker's
// socket. A CDC read is one partition (its GLOBAL states have one
// counter) on the first socket. The sockets a read does not use are
// closed at once, so the destination sees their end.
func (r *reader) readSockets(ctx context.Context, dc datachannel.Config, ls *datachannel.Listeners, tables []*schema.Table, plans []*streamPlan, st *protocol.InputState) error {
	wait := acceptTimeout
	if v := os.Getenv(AcceptTimeoutEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			wait = d
		}
	}
	actx, cancel := context.WithTimeout(ctx, wait)
	conns, err := ls.Accept(actx)
	cancel()
	if err != nil {
		return protocol.SystemError(err, "the destination did not connect to the %d data channel sockets within %s", len(dc.SocketPaths), wait)
	}
	ids := newStateIDs()
	if r.cfg.IsCDC() {
		closeConns(conns[1:])
		r.out = socketOutput(r.w, conns[0], dc.Format, ids)
		r.partition = newPartitionID()
		err := r.readCDC(ctx, tables, plans, st)
		return errors.Join(err, r.closeOutput())
	}
	n := len(conns)
	if r.cfg.Concurrency > 0 {
		n = min(n, r.cfg.Concurrency)
	}
	closeConns(conns[n:])
	r.log.Info(fmt.Sprintf("reading %d streams on %d sockets in parallel (%s)", len(plans), n, dc.Format))
	return r.readParallel(ctx, plans, conns[:n], dc.Format, ids)
}

func closeConns(conns []net.Conn) {
	for _, c := range conns {
		_ = c.Close()
	}
}

func (r *reader) closeOutput() error {
	if err := r.out.Close(); err != nil {
		return &outputError{err}
	}
	return nil
}

// worker returns a reader for one worker: the shared configuration and
// connection pool, its own output and warning set.
func (r *reader) worker(out *output) *reader {
	w := *r
	w.out = out
	w.warned = map[string]bool{}
	return &w
}

// job is one partition of a parallel read: a whole stream, or range idx
// of a stream read as key ranges.
type job struct {
	p     *streamPlan
	split *splitRun
	idx   int
}

// readParallel reads the streams' partitions on the sockets, largest table
// first; a full refresh of a table with an integer key large enough is cut
// into one key range per socket. The first failure stops every worker; the
// streams not started are reported INCOMPLETE and the first error is
// returned.
func (r *reader) readParallel(ctx context.Context, plans []*streamPlan, conns []net.Conn, format datachannel.Format, ids *stateIDs) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := slices.Clone(plans)
	slices.SortStableFunc(queue, func(a, b *streamPlan) int {
		switch {
		case a.table.RowEstimate > b.table.RowEstimate:
			return -1
		case a.table.RowEstimate < b.table.RowEstimate:
			return 1
		}
		return 0
	})
	var jobs []job
	for _, p := range queue {
		sr, err := r.planSplit(ctx, p, len(conns))
		if err != nil {
			closeConns(conns)
			for _, p := range plans {
				_ = r.w.StreamStatus(p.desc, protocol.StreamIncomplete)
			}
			return protocol.WithStream(err, p.desc)
		}
		if sr == nil {
			jobs = append(jobs, job{p: p})
			continue
		}
		for i, rg := range sr.ranges {
			if !rg.Done {
				jobs = append(jobs, job{p: p, split: sr, idx: i})
			}
		}
	}
	feed := make(chan job)
	var (
		mu       sync.Mutex
		firstErr error
		failed   *streamPlan
		started  = map[*streamPlan]bool{}
		wg       sync.WaitGroup
	)
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := r.worker(socketOutput(r.w, conn, format, ids))
			for j := range feed {
				mu.Lock()
				started[j.p] = true
				mu.Unlock()
				var err error
				if j.split != nil {
					err = w.readRange(ctx, j.split, j.idx)
				} else {
					err = w.readStream(ctx, j.p)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr, failed = err, j.p
					}
					mu.Unlock()
					cancel()
				}
			}
			if err := w.closeOutput(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
send:
	for _, j := range jobs {
		select {
		case feed <- j:
		case <-ctx.Done():
			break send
		}
	}
	close(feed)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr == nil {
		return nil
	}
	if !isOutputError(firstErr) {
		for _, p := range plans {
			if !started[p] {
				_ = r.w.StreamStatus(p.desc, protocol.StreamIncomplete)
			}
		}
	}
	if failed != nil {
		return protocol.WithStream(firstErr, failed.desc)
	}
	return firstErr
}

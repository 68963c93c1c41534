package destination

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
)

// writeMarkers writes an empty _SUCCESS object in every folder a stream
// wrote an object to.
func (w *syncWriter) writeMarkers() error {
	seen := map[string]bool{}
	for _, o := range w.written {
		m := objectkey.MarkerKey(o.key)
		if seen[m] {
			continue
		}
		seen[m] = true
		meta := map[string]string{s3sink.GenerationMetadataKey: strconv.FormatInt(o.stream.generation, 10)}
		if err := w.client.PutSmall(w.ctx, m, nil, meta); err != nil {
			return protocol.WithStream(s3Failure(w.cfg, err, "cannot write the _SUCCESS marker "+m), o.stream.desc)
		}
	}
	return nil
}

// overwrite removes, for every overwrite stream whose data is complete, the
// objects of older generations: objects this sync's templates could have
// produced for the stream, not written by this sync, and (when the catalog
// carries generation ids) tagged with a generation below the minimum.
//
// The platform ends the input with a plain EOF even when the source failed,
// so a stream counts as complete only when it received a COMPLETE stream
// status (if the input carries statuses at all) or, without statuses, when
// a STATE covering it came after its last record.
func (w *syncWriter) overwrite() error {
	mine := map[string]bool{}
	for _, o := range w.written {
		mine[o.key] = true
	}
	for _, s := range w.streams {
		if !s.overwriteWanted() {
			continue
		}
		done := s.endedWithState
		if w.statuses {
			done = s.complete
		}
		if !done {
			w.log.Warn(fmt.Sprintf("stream %s: older data is kept because the stream did not end with a state or a COMPLETE status (the source may have failed)", s.desc))
			continue
		}
		n, err := w.removeOlder(s, mine)
		if err != nil {
			return protocol.WithStream(err, s.desc)
		}
		if n > 0 {
			w.log.Info(fmt.Sprintf("stream %s: overwrite removed %d objects of earlier syncs", s.desc, n))
		}
	}
	return nil
}

func (w *syncWriter) removeOlder(s *stream, mine map[string]bool) (int, error) {
	prefix, re := w.tmpl.Matcher(s.desc.Namespace, s.desc.Name)
	keys, err := w.client.ListKeys(w.ctx, prefix)
	if err != nil {
		return 0, s3Failure(w.cfg, err, "cannot list objects to overwrite under "+prefix)
	}
	var min int64 = -1
	if m := s.cs.MinimumGenerationID; m != nil && *m > 0 {
		min = *m
	}
	var doomed []string
	for _, k := range keys {
		if mine[k] || !re.MatchString(k) {
			continue
		}
		if min > 0 {
			g, err := w.client.GenerationOf(w.ctx, k)
			if err != nil {
				return 0, s3Failure(w.cfg, err, "cannot read the generation of "+k)
			}
			if g >= min {
				continue
			}
		}
		doomed = append(doomed, k)
	}
	sort.Strings(doomed)
	if err := w.client.DeleteKeys(w.ctx, doomed); err != nil {
		return 0, s3Failure(w.cfg, err, "cannot delete older objects")
	}
	return len(doomed), nil
}

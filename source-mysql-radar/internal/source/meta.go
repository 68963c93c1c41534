package source

import (
	"strconv"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/state"
)

// metaFields selects the CDC metadata columns of a stream's records.
type metaFields uint8

// The CDC metadata columns, in the order they are written.
const (
	metaUpdatedAt metaFields = 1 << iota
	metaDeletedAt
	metaLogFile
	metaLogPos
	metaCursor
	metaAll = metaUpdatedAt | metaDeletedAt | metaLogFile | metaLogPos | metaCursor
)

var metaNames = []struct {
	f      metaFields
	name   string
	schema string
}{
	{metaUpdatedAt, "_ab_cdc_updated_at", `{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}`},
	{metaDeletedAt, "_ab_cdc_deleted_at", `{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"}`},
	{metaLogFile, "_ab_cdc_log_file", `{"type":"string"}`},
	{metaLogPos, "_ab_cdc_log_pos", `{"type":"number","airbyte_type":"integer"}`},
	{metaCursor, state.CDCCursorField, `{"type":"number","airbyte_type":"integer"}`},
}

// splitMeta separates the CDC metadata columns from the table columns of
// a catalog's selection. A nil selection (every column) selects all.
func splitMeta(selected []string) ([]string, metaFields) {
	if selected == nil {
		return nil, metaAll
	}
	var cols []string
	var m metaFields
	for _, n := range selected {
		found := false
		for _, mn := range metaNames {
			if n == mn.name {
				m |= mn.f
				found = true
			}
		}
		if !found {
			cols = append(cols, n)
		}
	}
	return cols, m
}

// cdcStream returns the discovered stream of a table under
// replication_method CDC: with a primary key, the metadata columns are
// added and the binary log position is the source-defined cursor; without
// one, the stream is full refresh only.
func cdcStream(t *schema.Table, database string) protocol.Stream {
	s := t.Stream(database)
	if len(t.PrimaryKey) == 0 {
		s.SupportedSyncModes = []protocol.SyncMode{protocol.SyncModeFullRefresh}
		return s
	}
	js := s.JSONSchema[:len(s.JSONSchema)-2] // strip "}}"
	for _, m := range metaNames {
		js = append(js, ',')
		js = jsonx.AppendString(js, m.name)
		js = append(js, ':')
		js = append(js, m.schema...)
	}
	s.JSONSchema = append(js, "}}"...)
	s.SourceDefinedCursor = true
	s.DefaultCursorField = []string{state.CDCCursorField}
	return s
}

// metaWriter writes the metadata columns of CDC records.
type metaWriter struct {
	// Caches: the quoted time of the last event second, the quoted file.
	ts       uint32
	tsQuoted []byte
	file     string
	fileJSON []byte
}

// quotedTime returns the JSON string of an event time (seconds), as
// "2006-01-02T15:04:05.000000Z".
func (w *metaWriter) quotedTime(sec uint32) []byte {
	if sec != w.ts || w.tsQuoted == nil {
		w.ts = sec
		w.tsQuoted = appendQuotedTime(w.tsQuoted[:0], time.Unix(int64(sec), 0))
	}
	return w.tsQuoted
}

func appendQuotedTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	return append(dst, '"')
}

func (w *metaWriter) quotedFile(f string) []byte {
	if f != w.file || w.fileJSON == nil {
		w.file = f
		w.fileJSON = jsonx.AppendString(w.fileJSON[:0], f)
	}
	return w.fileJSON
}

// appendMeta appends the selected metadata fields; first is set when no
// field was written before them.
func appendMeta(dst []byte, sel metaFields, first bool, updatedAt []byte, deleted bool, file []byte, pos uint32, cursor int64) []byte {
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	if sel&metaUpdatedAt != 0 {
		sep()
		dst = append(dst, `"_ab_cdc_updated_at":`...)
		dst = append(dst, updatedAt...)
	}
	if sel&metaDeletedAt != 0 {
		sep()
		dst = append(dst, `"_ab_cdc_deleted_at":`...)
		if deleted {
			dst = append(dst, updatedAt...)
		} else {
			dst = append(dst, "null"...)
		}
	}
	if sel&metaLogFile != 0 {
		sep()
		dst = append(dst, `"_ab_cdc_log_file":`...)
		dst = append(dst, file...)
	}
	if sel&metaLogPos != 0 {
		sep()
		dst = append(dst, `"_ab_cdc_log_pos":`...)
		dst = strconv.AppendUint(dst, uint64(pos), 10)
	}
	if sel&metaCursor != 0 {
		sep()
		dst = append(dst, `"_ab_cdc_cursor":`...)
		dst = strconv.AppendInt(dst, cursor, 10)
	}
	return dst
}

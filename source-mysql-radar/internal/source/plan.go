package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/config"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/schema"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/state"
)

// streamPlan is what read needs to know about one configured stream,
// resolved and checked against the database before anything is read.
type streamPlan struct {
	desc  protocol.StreamDescriptor
	table *schema.Table
	// emit are the columns written into records (the catalog's selection,
	// in table order); cols are emit plus the key and cursor columns the
	// read needs but the catalog did not select.
	emit []*column.Column
	cols []*column.Column
	// key is the chunk key (empty: one pass) and keyIdx its positions in cols.
	key    []*column.Column
	keyIdx []int
	// cursor is set for incremental streams; cursorIdx is its position.
	cursor    *column.Column
	cursorIdx int
	saved     *state.Stream
	// missing are catalog columns the table no longer has (CDC streams).
	missing []string
	// allColumns: the catalog lists no columns, so every column is read
	// (under CDC, every column a row event has).
	allColumns bool
	// cdc is set for incremental streams under replication_method CDC:
	// read by a snapshot, then from the binary log.
	cdc bool
	// meta selects the CDC metadata columns written into records (CDC
	// config, tables with a primary key).
	meta metaFields
}

func (p *streamPlan) incremental() bool { return p.cursor != nil }

// planStreams resolves every configured stream; any problem is a config
// error that names the stream.
func planStreams(cfg *config.Config, cat *protocol.ConfiguredCatalog, st *protocol.InputState, tables []*schema.Table, log *slog.Logger) ([]*streamPlan, error) {
	byName := make(map[string]*schema.Table, len(tables))
	for _, t := range tables {
		byName[t.Name] = t
	}
	var plans []*streamPlan
	for i := range cat.Streams {
		cs := &cat.Streams[i]
		p, err := planStream(cfg, cs, st, byName, log)
		if err != nil {
			return nil, protocol.WithStream(err, cs.Descriptor())
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func planStream(cfg *config.Config, cs *protocol.ConfiguredStream, st *protocol.InputState, tables map[string]*schema.Table, log *slog.Logger) (*streamPlan, error) {
	d := cs.Descriptor()
	if d.Namespace != "" && d.Namespace != cfg.Database {
		return nil, protocol.ConfigError(nil, "the stream's namespace %q is not the configured database %q: run discover with this config and rebuild the catalog", d.Namespace, cfg.Database)
	}
	t := tables[d.Name]
	if t == nil {
		return nil, protocol.ConfigError(nil, "table %q does not exist in database %q (or is excluded by `table_filters`, or the user cannot see it): refresh the catalog with discover", d.Name, cfg.Database)
	}
	p := &streamPlan{desc: d, table: t}
	selected, err := selectedColumns(cs.Stream.JSONSchema)
	if err != nil {
		return nil, err
	}
	listed := selected != nil
	selected, p.meta = splitMeta(selected)
	if !cfg.IsCDC() || len(t.PrimaryKey) == 0 {
		if listed && p.meta != 0 {
			log.Warn("the catalog lists CDC metadata columns, which only streams with a primary key have under replication_method CDC: refresh the catalog", "stream", d.String())
		}
		p.meta = 0
	}
	if err := p.selectColumns(selected, cfg.IsCDC() && cs.SyncMode == protocol.SyncModeIncremental, log); err != nil {
		return nil, err
	}
	p.key = t.ChunkKey
	p.keyIdx = p.need(p.key)
	if cs.SyncMode == protocol.SyncModeIncremental {
		if err := p.planCursor(cfg, cs, log); err != nil {
			return nil, err
		}
	}
	saved, err := state.Parse(st.StreamState(d))
	if err != nil {
		return nil, protocol.ConfigError(err, "the saved state of this stream cannot be used (%v): reset the stream", errors.Unwrap(err))
	}
	p.saved = saved
	return p, nil
}

// selectedColumns returns the property names of a configured json_schema,
// or nil when it lists none (then every column is read).
func selectedColumns(schemaJSON json.RawMessage) ([]string, error) {
	if len(schemaJSON) == 0 || string(schemaJSON) == "null" {
		return nil, nil
	}
	var top jsonx.ObjectIter
	top.Reset(schemaJSON)
	var props []byte
	for top.Next() {
		if string(top.Key()) == "properties" {
			props = top.Value()
		}
	}
	if top.Err() != nil {
		return nil, protocol.ConfigError(top.Err(), "the stream's json_schema is not a JSON object")
	}
	if len(props) == 0 || props[0] != '{' {
		return nil, nil
	}
	var it jsonx.ObjectIter
	it.Reset(props)
	var names []string
	for it.Next() {
		names = append(names, string(it.Key()))
	}
	if it.Err() != nil {
		return nil, protocol.ConfigError(it.Err(), "the stream's json_schema.properties is not a JSON object")
	}
	return names, nil
}

// selectColumns resolves the catalog's columns. A column that no longer
// exists is an error, except for CDC streams (lenient): their binary log
// still holds it in changes made before it was dropped.
func (p *streamPlan) selectColumns(selected []string, lenient bool, log *slog.Logger) error {
	if selected == nil {
		p.allColumns = true
		p.emit = append([]*column.Column(nil), p.table.Columns...)
	} else {
		want := map[string]bool{}
		for _, n := range selected {
			if p.table.Column(n) == nil {
				if lenient {
					log.Warn("column "+strconv.Quote(n)+" of the catalog no longer exists in the table: its values are read from changes made before it was dropped; refresh the catalog", "stream", p.desc.String())
					p.missing = append(p.missing, n)
					continue
				}
				return protocol.ConfigError(nil, "column %q of the catalog does not exist in table %q (dropped or renamed?): refresh the catalog with discover", n, p.table.Name)
			}
			want[n] = true
		}
		for _, c := range p.table.Columns {
			if want[c.Name] {
				p.emit = append(p.emit, c)
			}
		}
	}
	p.cols = append([]*column.Column(nil), p.emit...)
	return nil
}

// need returns the positions of cols in p.cols, adding the missing ones.
func (p *streamPlan) need(cols []*column.Column) []int {
	var idx []int
	for _, c := range cols {
		i := indexOf(p.cols, c)
		if i < 0 {
			p.cols = append(p.cols, c)
			i = len(p.cols) - 1
		}
		idx = append(idx, i)
	}
	return idx
}

func indexOf(cols []*column.Column, c *column.Column) int {
	for i, x := range cols {
		if x == c {
			return i
		}
	}
	return -1
}

func (p *streamPlan) planCursor(cfg *config.Config, cs *protocol.ConfiguredStream, log *slog.Logger) error {
	if cfg.IsCDC() {
		if len(p.table.PrimaryKey) == 0 {
			return protocol.ConfigError(nil, "table %q has no primary key, which incremental sync from the binary log (replication_method CDC) needs: sync it in full refresh, or add a primary key", p.table.Name)
		}
		if len(cs.CursorField) > 0 && cs.CursorField[0] != state.CDCCursorField {
			log.Warn("with replication_method CDC the cursor is the binary log position (_ab_cdc_cursor); the configured cursor field is ignored", "stream", p.desc.String(), "cursor_field", strings.Join(cs.CursorField, "."))
		}
		p.cdc = true
		return nil
	}
	path := cs.CursorField
	if len(path) == 0 {
		path = cs.Stream.DefaultCursorField
	}
	if len(path) == 0 {
		log.Warn("incremental sync requested without a cursor field: reading the stream in full refresh", "stream", p.desc.String())
		return nil
	}
	if len(path) > 1 {
		return protocol.ConfigError(nil, "cursor field %q is a nested path; choose a top-level column", strings.Join(path, "."))
	}
	c := p.table.Column(path[0])
	if c == nil {
		return protocol.ConfigError(nil, "cursor column %q does not exist in table %q: choose an existing column as cursor", path[0], p.table.Name)
	}
	if !c.CursorAllowed() {
		return protocol.ConfigError(nil, "column %q (%s) cannot be an incremental cursor: choose an integer, decimal, float, date, datetime, timestamp, time, year or character column", c.Name, c.ColumnType)
	}
	if c.Nullable {
		log.Warn("the cursor column is nullable: rows whose cursor is NULL are read by the first sync only", "stream", p.desc.String(), "cursor", c.Name)
	}
	p.cursor = c
	p.cursorIdx = p.need([]*column.Column{c})[0]
	return nil
}

// describe says how the stream is read, for the log.
func (p *streamPlan) describe(chunk int) string {
	var b strings.Builder
	if p.cdc {
		b.WriteString("incremental from the binary log (CDC)")
	} else if p.incremental() {
		fmt.Fprintf(&b, "incremental by cursor %s", p.cursor.Name)
	} else {
		b.WriteString("full refresh")
	}
	if len(p.key) > 0 {
		var names []string
		for _, c := range p.key {
			names = append(names, c.Name)
		}
		fmt.Fprintf(&b, ", by key (%s) in chunks of %d rows", strings.Join(names, ", "), chunk)
	} else {
		b.WriteString(", in one pass (no primary or unique NOT NULL key)")
	}
	return b.String()
}

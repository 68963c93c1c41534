package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// LogHandler is a slog.Handler that writes each record as an Airbyte LOG
// message through a Writer (and so through its Redactor). Attributes are
// rendered as key=value after the message.
type LogHandler struct {
	w      *Writer
	level  slog.Leveler
	attrs  []slog.Attr
	groups []string
}

// NewLogHandler returns a handler writing to w at the given minimum level.
func NewLogHandler(w *Writer, level slog.Leveler) *LogHandler {
	return &LogHandler{w: w, level: level}
}

// NewLogger returns a slog.Logger over NewLogHandler.
func NewLogger(w *Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewLogHandler(w, level))
}

// Enabled reports whether level is at or above the handler's level.
func (h *LogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle writes r as one LOG message. Warnings and errors are flushed at
// once, so that a connector waiting (a retry backoff, a slow server) has
// already said why.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	prefix := strings.Join(h.groups, ".")
	for _, a := range h.attrs {
		appendAttr(&b, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, prefix, a)
		return true
	})
	if err := h.w.Log(levelOf(r.Level), b.String()); err != nil {
		return err
	}
	if r.Level >= slog.LevelWarn {
		return h.w.Flush()
	}
	return nil
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			appendAttr(b, key, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(key)
	b.WriteByte('=')
	s := a.Value.String()
	if strings.ContainsAny(s, " \t\n\"=") {
		fmt.Fprintf(b, "%q", s)
	} else {
		b.WriteString(s)
	}
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	cp := *h
	prefix := strings.Join(h.groups, ".")
	cp.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if prefix != "" {
			a.Key = prefix + "." + a.Key
		}
		cp.attrs = append(cp.attrs, a)
	}
	return &cp
}

// WithGroup returns a handler that qualifies later attribute keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	cp := *h
	cp.groups = append(append([]string(nil), h.groups...), name)
	return &cp
}

func levelOf(l slog.Level) LogLevel {
	switch {
	case l >= slog.LevelError:
		return LogError
	case l >= slog.LevelWarn:
		return LogWarn
	case l >= slog.LevelInfo:
		return LogInfo
	}
	return LogDebug
}

var _ slog.Handler = (*LogHandler)(nil)

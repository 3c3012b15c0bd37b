package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/runtime/herder"
)

// Loggers holds the worker's named loggers and their levels, adjustable at run time through
// /admin/loggers as in Kafka Connect: setting a namespace's level (e.g. "io.connectd.runtime")
// applies to every logger under it; "root" is the default of all others. Levels use log4j names
// (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF).
type Loggers struct {
	base slog.Handler

	mu      sync.RWMutex
	set     map[string]setLevel // namespaces set explicitly, "root" always
	created map[string]struct{} // names of loggers handed out
}

type setLevel struct {
	level    slog.Level
	name     string
	modified *int64
}

// NewLoggers returns loggers writing to base, with root at rootLevel.
func NewLoggers(base slog.Handler, rootLevel slog.Level) *Loggers {
	return &Loggers{base: base,
		set:     map[string]setLevel{"root": {level: rootLevel, name: levelName(rootLevel)}},
		created: map[string]struct{}{}}
}

// Logger returns the logger called name; its records carry logger=name.
func (l *Loggers) Logger(name string) *slog.Logger {
	l.mu.Lock()
	l.created[name] = struct{}{}
	l.mu.Unlock()
	return slog.New(&levelHandler{l: l, name: name, h: l.base.WithAttrs([]slog.Attr{slog.String("logger", name)})})
}

// effective returns the level of name: its own or its nearest namespace's, else root's.
func (l *Loggers) effective(name string) setLevel {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for n := name; n != ""; {
		if s, ok := l.set[n]; ok {
			return s
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return l.set["root"]
}

// Levels implements rest.Loggers.
func (l *Loggers) Levels() map[string]herder.LoggerLevel {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[string]herder.LoggerLevel, len(l.set))
	for n, s := range l.set {
		out[n] = herder.LoggerLevel{Level: s.name, LastModified: s.modified}
	}
	return out
}

// Level implements rest.Loggers.
func (l *Loggers) Level(name string) (herder.LoggerLevel, bool) {
	l.mu.RLock()
	_, created := l.created[name]
	_, set := l.set[name]
	l.mu.RUnlock()
	if !created && !set {
		return herder.LoggerLevel{}, false
	}
	s := l.effective(name)
	return herder.LoggerLevel{Level: s.name, LastModified: s.modified}, true
}

// SetLevel implements rest.Loggers.
func (l *Loggers) SetLevel(namespace, level string) ([]string, error) {
	lvl, ok := parseLevel(level)
	if !ok {
		return nil, herder.NotFound("invalid log level '%s'.", level)
	}
	now := time.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	if namespace == "root" {
		// Setting root resets every namespace under it, as log4j's root logger does.
		for n := range l.set {
			delete(l.set, n)
		}
	}
	l.set[namespace] = setLevel{level: lvl, name: strings.ToUpper(level), modified: &now}
	var affected []string
	for n := range l.created {
		if namespace == "root" || n == namespace || strings.HasPrefix(n, namespace+".") {
			affected = append(affected, n)
		}
	}
	if namespace == "root" || !slices.Contains(affected, namespace) {
		affected = append(affected, namespace)
	}
	slices.Sort(affected)
	return affected, nil
}

var levels = []struct {
	name  string
	level slog.Level
}{
	{"TRACE", slog.LevelDebug - 4}, {"DEBUG", slog.LevelDebug}, {"INFO", slog.LevelInfo},
	{"WARN", slog.LevelWarn}, {"ERROR", slog.LevelError}, {"FATAL", slog.LevelError + 4}, {"OFF", slog.LevelError + 100},
}

func parseLevel(s string) (slog.Level, bool) {
	for _, l := range levels {
		if strings.EqualFold(l.name, strings.TrimSpace(s)) {
			return l.level, true
		}
	}
	return 0, false
}

func levelName(lvl slog.Level) string {
	for _, l := range levels {
		if l.level == lvl {
			return l.name
		}
	}
	return fmt.Sprint(lvl)
}

// ParseLogLevel reads a log4j level name (for the worker's own settings).
func ParseLogLevel(s string) (slog.Level, error) {
	if l, ok := parseLevel(s); ok {
		return l, nil
	}
	return 0, fmt.Errorf("unknown log level %q; use TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF", s)
}

type levelHandler struct {
	l    *Loggers
	name string
	h    slog.Handler
}

func (h *levelHandler) Enabled(_ context.Context, lvl slog.Level) bool {
	return lvl >= h.l.effective(h.name).level
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.h.Handle(ctx, r) }

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{l: h.l, name: h.name, h: h.h.WithAttrs(as)}
}

func (h *levelHandler) WithGroup(g string) slog.Handler {
	return &levelHandler{l: h.l, name: h.name, h: h.h.WithGroup(g)}
}

package heartbeat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

func TestSchemas(t *testing.T) {
	k, v := KeySchema(), ValueSchema()
	if k.Name != KeySchemaName || k.Version != 1 || len(k.Fields) != 1 || k.Fields[0].Name != "serverName" || k.Fields[0].Schema.Optional {
		t.Errorf("key %+v", k)
	}
	if v.Name != ValueSchemaName || v.Version != 1 || len(v.Fields) != 1 || v.Fields[0].Name != "ts_ms" || v.Fields[0].Schema.Type != api.TypeInt64 {
		t.Errorf("value %+v", v)
	}
}

func TestTopic(t *testing.T) {
	tests := []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{"topic.prefix": "dbserver1"}, "__debezium-heartbeat.dbserver1"},
		{map[string]string{"topic.prefix": "dbserver1", "topic.heartbeat.prefix": "hb"}, "hb.dbserver1"},
		{map[string]string{"topic.prefix": "dbserver1", "topic.heartbeat.name": "shared-heartbeats"}, "shared-heartbeats"},
	}
	for _, tt := range tests {
		if got := TopicFromConfig(tt.cfg); got != tt.want {
			t.Errorf("TopicFromConfig(%v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	tests := []struct {
		cfg     map[string]string
		enabled bool
		err     string
	}{
		{map[string]string{"topic.prefix": "s"}, false, ""},
		{map[string]string{"topic.prefix": "s", "heartbeat.interval.ms": "0"}, false, ""},
		{map[string]string{"topic.prefix": "s", "heartbeat.interval.ms": "5000"}, true, ""},
		{map[string]string{"topic.prefix": "s", "heartbeat.interval.ms": "-1"}, false, "heartbeat.interval.ms"},
		{map[string]string{"topic.prefix": "s", "heartbeat.interval.ms": "soon"}, false, "heartbeat.interval.ms"},
		{map[string]string{"topic.prefix": "s", "topic.heartbeat.prefix": "a b"}, false, "invalid characters"},
	}
	for _, tt := range tests {
		h, err := FromConfig(tt.cfg)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("FromConfig(%v) error %v, want %q", tt.cfg, err, tt.err)
			}
			continue
		}
		if err != nil || h.Enabled() != tt.enabled {
			t.Errorf("FromConfig(%v) = %v, %v", tt.cfg, h, err)
		}
	}
}

func TestRecord(t *testing.T) {
	h := New("__debezium-heartbeat.s", "s", time.Second)
	if h.Record(map[string]any{"server": "s"}, nil, time.Now()) != nil {
		t.Fatal("heartbeat without an offset")
	}
	part := map[string]any{"server": "s"}
	off := map[string]any{"lsn": int64(42)}
	r := h.Record(part, off, time.UnixMilli(12345))
	if r.Topic != "__debezium-heartbeat.s" || r.Partition != 0 || r.SourceOffset["lsn"] != int64(42) || r.SourcePartition["server"] != "s" {
		t.Errorf("record %+v", r)
	}
	if r.Key.(*api.Struct).Get("serverName") != "s" || r.Value.(*api.Struct).Get("ts_ms") != int64(12345) {
		t.Errorf("key %v value %v", r.Key, r.Value)
	}
	if err := r.Value.(*api.Struct).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	h := New("hb.s", "s", time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []*api.SourceRecord
	actions := 0
	calls := 0
	pos := func() (map[string]any, map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return map[string]any{"server": "s"}, nil // no offset yet: no record
		}
		return map[string]any{"server": "s"}, map[string]any{"pos": int64(calls)}
	}
	done := make(chan error, 1)
	go func() {
		done <- h.Run(ctx, pos, func(context.Context) error { mu.Lock(); actions++; mu.Unlock(); return nil },
			func(_ context.Context, r *api.SourceRecord) error {
				mu.Lock()
				got = append(got, r)
				n := len(got)
				mu.Unlock()
				if n == 3 {
					cancel()
				}
				return nil
			})
	}()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0].SourceOffset["pos"] != int64(2) || actions < 4 {
		t.Fatalf("records %d first %v actions %d", len(got), got[0].SourceOffset, actions)
	}
}

func TestRunErrors(t *testing.T) {
	h := New("hb.s", "s", time.Millisecond)
	pos := func() (map[string]any, map[string]any) { return nil, map[string]any{"x": int64(1)} }
	boom := errors.New("boom")
	err := h.Run(context.Background(), pos, func(context.Context) error { return boom }, nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "heartbeat.action.query") {
		t.Errorf("action error %v", err)
	}
	err = h.Run(context.Background(), pos, nil, func(context.Context, *api.SourceRecord) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("emit error %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New("t", "s", 0).Run(ctx, pos, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("disabled Run returned %v", err)
	}
}

func TestInline(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	off := map[string]any{"pos": int64(1)}
	in := New("hb.s", "s", 10*time.Second).Inline(t0)
	steps := []struct {
		at     time.Duration
		offset map[string]any
		want   bool
	}{
		{0, off, false},
		{9 * time.Second, off, false},
		{10 * time.Second, off, true},
		{15 * time.Second, off, false},
		{20 * time.Second, nil, false}, // due but no offset: dropped, schedule restarts
		{25 * time.Second, off, false},
		{30 * time.Second, off, true},
	}
	for _, s := range steps {
		r := in.Maybe(t0.Add(s.at), nil, s.offset)
		if (r != nil) != s.want {
			t.Errorf("at +%v: record %v, want %v", s.at, r != nil, s.want)
		}
	}
	off0 := New("hb.s", "s", 0).Inline(t0)
	if off0.Maybe(t0.Add(time.Hour), nil, off) != nil {
		t.Error("disabled heartbeat emitted")
	}
}

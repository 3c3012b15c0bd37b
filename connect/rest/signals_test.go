package rest

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/connectd/connectd/signals"
)

func TestPostSignal(t *testing.T) {
	hub, err := signals.OpenHub(context.Background(), &signals.Config{}, "sig-conn", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	s := NewServer(Options{})
	code, body, _ := do(t, s, "POST", "/connectors/sig-conn/signals",
		`{"id":"r-1","type":"execute-snapshot","data":{"data-collections":["db.t"],"type":"incremental"}}`)
	if code != 202 {
		t.Fatalf("POST signal: %d %s", code, body)
	}
	if got := <-hub.C; got.ID != "r-1" || got.Type != "execute-snapshot" || got.Data != `{"data-collections":["db.t"],"type":"incremental"}` || got.Channel != signals.ChannelREST {
		t.Fatalf("delivered %+v", got)
	}
	if code, body, _ := do(t, s, "POST", "/connectors/sig-conn/signals", `{"id":"r-2","type":"execute-snapshot","data":"{}"}`); code != 400 || !strings.Contains(body, "data-collections") {
		t.Errorf("malformed signal: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "POST", "/connectors/sig-conn/signals", `not json`); code != 400 {
		t.Errorf("not JSON: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "POST", "/connectors/nobody/signals", `{"id":"x","type":"log","data":{"message":"m"}}`); code != 404 {
		t.Errorf("no task: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "GET", "/connectors/nobody/notifications", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("notifications: %d %s", code, body)
	}
}

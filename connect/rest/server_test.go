package rest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// stubHerder is a Herder for the REST layer's own tests (routing, parsing, forwarding): methods
// not set answer 500, so a test notices a call it did not expect.
type stubHerder struct {
	Herder
	reg    *plugins.Registry
	alter  func(name string, o herder.ConnectorOffsets) (herder.Message, error)
	put    func(name string, cfg map[string]string, initial herder.TargetState, replace bool) (herder.ConnectorInfo, bool, error)
	info   func(name string) (herder.ConnectorInfo, error)
	pause  func(name string) error
	status func(name string) (herder.ConnectorStateInfo, error)
}

func (s *stubHerder) Plugins() *plugins.Registry { return s.reg }
func (s *stubHerder) Ready() bool                { return true }
func (s *stubHerder) AlterConnectorOffsets(_ context.Context, n string, o herder.ConnectorOffsets) (herder.Message, error) {
	return s.alter(n, o)
}
func (s *stubHerder) PutConnectorConfig(_ context.Context, n string, c map[string]string, i herder.TargetState, r bool) (herder.ConnectorInfo, bool, error) {
	return s.put(n, c, i, r)
}
func (s *stubHerder) ConnectorInfo(_ context.Context, n string) (herder.ConnectorInfo, error) {
	return s.info(n)
}
func (s *stubHerder) PauseConnector(_ context.Context, n string) error { return s.pause(n) }
func (s *stubHerder) ConnectorStatus(_ context.Context, n string) (herder.ConnectorStateInfo, error) {
	return s.status(n)
}
func (s *stubHerder) Connectors(context.Context) ([]string, error) { return []string{"a", "gone"}, nil }

func testRegistry(t *testing.T) *plugins.Registry {
	t.Helper()
	reg, err := plugins.New(api.Plugin{Class: "io.example.DemoConnector", Version: "1", New: func() api.SourceConnector { return nil },
		Spec: api.ConfigSpec{{Name: "database.password", Type: api.ConfigPassword}}})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func do(t *testing.T, h http.Handler, method, path, body string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b), rec.Header()
}

func errorOf(t *testing.T, body string) ErrorMessage {
	t.Helper()
	var e ErrorMessage
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q is not {\"error_code\",\"message\"}: %v", body, err)
	}
	return e
}

// The malformed bodies of Kafka's OffsetsApiIntegrationTest are refused before the herder is
// asked; connectd answers 400 where Kafka answers Jackson's 500.
func TestAlterOffsetsMalformedBodies(t *testing.T) {
	called := false
	h := &stubHerder{reg: testRegistry(t), alter: func(string, herder.ConnectorOffsets) (herder.Message, error) {
		called = true
		return herder.Message{}, nil
	}}
	s := NewServer(Options{Herder: h})
	cases := []struct{ body, want string }{
		{``, msgNoOffsets},
		{`[]`, "Cannot deserialize"},
		{`{}`, msgNoOffsets},
		{`{"key": []}`, "Unrecognized field"},
		{`{"offsets": []}`, msgNoOffsets},
		{`{"offsets": null}`, msgNoOffsets},
		{`{"offsets": {}}`, "Cannot deserialize"},
		{`{"offsets": [123]}`, "Cannot construct"},
		{`{"offsets": [{"key": "val"}]}`, "Unrecognized field"},
		{`{"offsets": [{"partition": []]}]}`, "not valid JSON"},
		{`{"offsets": [{"partition": [], "offset": {}}]}`, "must be a JSON object"},
		{`{"offsets": [{"partition": {"a":1}, "offset": "x"}]}`, "must be a JSON object"},
	}
	for _, c := range cases {
		code, body, _ := do(t, s, "PATCH", "/connectors/c/offsets", c.body)
		e := errorOf(t, body)
		if code != 400 || e.ErrorCode != 400 || !strings.Contains(e.Message, c.want) {
			t.Errorf("body %s: got %d %q, want 400 containing %q", c.body, code, e.Message, c.want)
		}
	}
	if called {
		t.Fatal("the herder was asked to alter offsets for a malformed body")
	}
}

func TestAlterOffsetsParsesIntegersAsInt64(t *testing.T) {
	var got herder.ConnectorOffsets
	h := &stubHerder{reg: testRegistry(t), alter: func(_ string, o herder.ConnectorOffsets) (herder.Message, error) {
		got = o
		return herder.Message{Message: "ok"}, nil
	}}
	code, body, _ := do(t, NewServer(Options{Herder: h}), "PATCH", "/connectors/c/offsets",
		`{"offsets":[{"partition":{"server":"s","n":3},"offset":{"pos":9007199254740993,"f":1.5,"gtids":null}},{"partition":{"server":"t"},"offset":null}]}`)
	if code != 200 || !strings.Contains(body, `"message":"ok"`) {
		t.Fatalf("got %d %s", code, body)
	}
	if len(got.Offsets) != 2 {
		t.Fatalf("offsets = %v", got.Offsets)
	}
	o := got.Offsets[0]
	if v, ok := o.Offset["pos"].(int64); !ok || v != 9007199254740993 {
		t.Errorf("pos = %#v, want int64 9007199254740993 (no float rounding)", o.Offset["pos"])
	}
	if v, ok := o.Partition["n"].(int64); !ok || v != 3 {
		t.Errorf("partition n = %#v, want int64 3", o.Partition["n"])
	}
	if v, ok := o.Offset["f"].(float64); !ok || v != 1.5 {
		t.Errorf("f = %#v, want 1.5", o.Offset["f"])
	}
	if got.Offsets[1].Offset != nil {
		t.Errorf("a null offset must stay nil (it deletes), got %#v", got.Offsets[1].Offset)
	}
}

func TestCreateConnectorBodies(t *testing.T) {
	var gotCfg map[string]string
	var gotInitial herder.TargetState
	h := &stubHerder{reg: testRegistry(t), put: func(name string, cfg map[string]string, initial herder.TargetState, replace bool) (herder.ConnectorInfo, bool, error) {
		if replace {
			t.Error("POST /connectors must not replace")
		}
		gotCfg, gotInitial = cfg, initial
		return herder.ConnectorInfo{Name: name, Config: cfg, Type: "source"}, true, nil
	}}
	s := NewServer(Options{Herder: h})
	code, body, hdr := do(t, s, "POST", "/connectors",
		`{"name":" demo ","config":{"connector.class":"io.example.DemoConnector","tasks.max":2,"snapshot":true,"database.password":"pw"},"initial_state":"paused"}`)
	if code != 201 {
		t.Fatalf("got %d %s", code, body)
	}
	if gotCfg["name"] != "demo" || gotCfg["tasks.max"] != "2" || gotCfg["snapshot"] != "true" || gotInitial != herder.TargetPaused {
		t.Errorf("herder got config %v initial %q", gotCfg, gotInitial)
	}
	if loc := hdr.Get("Location"); !strings.HasSuffix(loc, "/connectors/demo") {
		t.Errorf("Location = %q", loc)
	}
	if strings.Contains(body, "pw") || !strings.Contains(body, `"database.password":"[hidden]"`) {
		t.Errorf("the response shows the password: %s", body)
	}

	bad := []struct{ body, want string }{
		{`{"name":"x","config":{"a":{"b":1}}}`, "Cannot deserialize value of type String"},
		{`{"name":"x","config":{"a":null}}`, "Null value can not be supplied"},
		{`{"name":"x","config":{"name":"y"}}`, "Connector name configuration (y) doesn't match connector name in the URL (x)"},
		{`{"name":"x","config":{},"extra":1}`, "Unrecognized field"},
		{`{"name":"x"}`, "no connector config"},
		{`{"name":"x","config":{},"initial_state":"SLEEPING"}`, "Invalid initial_state"},
		{`not json`, "not valid JSON"},
	}
	for _, c := range bad {
		code, body, _ := do(t, s, "POST", "/connectors", c.body)
		if e := errorOf(t, body); code != 400 || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: got %d %q, want 400 with %q", c.body, code, e.Message, c.want)
		}
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	s := NewServer(Options{Herder: &stubHerder{reg: testRegistry(t)}})
	if code, body, _ := do(t, s, "GET", "/nope", ""); code != 404 || errorOf(t, body).Message != "HTTP 404 Not Found" {
		t.Errorf("unknown path: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "DELETE", "/connectors", ""); code != 405 || errorOf(t, body).ErrorCode != 405 {
		t.Errorf("unknown method: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "GET", "/connectors/c/tasks/x/status", ""); code != 404 {
		t.Errorf("non-numeric task: %d %s", code, body)
	}
	if code, body, _ := do(t, s, "GET", "/connectors/", ""); code != 200 || !strings.Contains(body, `"gone"`) {
		t.Errorf("trailing slash: %d %s", code, body)
	}
}

func TestExpandLeavesOutDeletedConnectors(t *testing.T) {
	h := &stubHerder{reg: testRegistry(t),
		status: func(n string) (herder.ConnectorStateInfo, error) {
			if n == "gone" {
				return herder.ConnectorStateInfo{}, herder.NotFound("No status found for connector gone")
			}
			return herder.ConnectorStateInfo{Name: n, Connector: herder.ConnectorState{State: herder.StateRunning}, Type: "source"}, nil
		},
		info: func(n string) (herder.ConnectorInfo, error) {
			return herder.ConnectorInfo{Name: n, Config: map[string]string{"connector.class": "io.example.DemoConnector", "database.password": "pw"}, Type: "source"}, nil
		}}
	code, body, _ := do(t, NewServer(Options{Herder: h}), "GET", "/connectors?expand=status&expand=info", "")
	var out map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &out); err != nil || code != 200 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	if _, ok := out["gone"]; ok {
		t.Error("a connector deleted during the listing is included")
	}
	if out["a"]["status"] == nil || out["a"]["info"] == nil {
		t.Errorf("expansions missing: %s", body)
	}
	if strings.Contains(body, "pw") {
		t.Errorf("expand=info shows the password: %s", body)
	}
}

func TestDrainRefusesChangesButServesReads(t *testing.T) {
	paused := false
	h := &stubHerder{reg: testRegistry(t), pause: func(string) error { paused = true; return nil }}
	s := NewServer(Options{Herder: h})
	s.Drain()
	if code, _, _ := do(t, s, "PUT", "/connectors/a/pause", ""); code != 503 || paused {
		t.Errorf("a change while draining: %d (paused=%v), want 503", code, paused)
	}
	if code, _, _ := do(t, s, "GET", "/connectors", ""); code != 200 {
		t.Errorf("a read while draining: %d, want 200", code)
	}
}

// A follower forwards a write to the leader with forward=true, the leader's answer (status,
// Location, body) reaches the client unchanged, and a request already forwarded twice is refused.
func TestForwardToLeader(t *testing.T) {
	var leaderQuery string
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaderQuery = r.URL.RawQuery
		body, _ := io.ReadAll(r.Body)
		if r.Method != "PUT" || r.URL.Path != "/connectors/a/pause" || len(body) != 0 {
			t.Errorf("leader got %s %s %q", r.Method, r.URL.Path, body)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer leader.Close()
	h := &stubHerder{reg: testRegistry(t), pause: func(string) error {
		return &herder.NotLeaderError{LeaderURL: leader.URL}
	}}
	s := NewServer(Options{Herder: h})
	if code, body, _ := do(t, s, "PUT", "/connectors/a/pause", ""); code != 202 {
		t.Fatalf("forwarded pause: %d %s", code, body)
	}
	if leaderQuery != "forward=true" {
		t.Errorf("first hop query %q, want forward=true", leaderQuery)
	}
	do(t, s, "PUT", "/connectors/a/pause?forward=true", "")
	if leaderQuery != "forward=false" {
		t.Errorf("second hop query %q, want forward=false", leaderQuery)
	}
	code, body, _ := do(t, s, "PUT", "/connectors/a/pause?forward=false", "")
	if code != 409 || !strings.Contains(errorOf(t, body).Message, "conflicting operation") {
		t.Errorf("third hop: %d %s, want 409", code, body)
	}
	h.pause = func(string) error { return &herder.NotLeaderError{} }
	code, body, _ = do(t, s, "PUT", "/connectors/a/pause", "")
	if code != 409 || !strings.Contains(errorOf(t, body).Message, "no known leader URL") {
		t.Errorf("no leader: %d %s, want 409", code, body)
	}
}

func TestConnectorOffsetJSONUsesKafkaConnectFieldOrder(t *testing.T) {
	b, err := json.Marshal(wireOffsets{Offsets: []herder.ConnectorOffset{{
		Partition: map[string]any{"server": "dbserver1"},
		Offset:    map[string]any{"file": "mysql-bin.000003", "pos": int64(154), "row": int64(1), "server_id": int64(223344), "event": int64(2), "ts_sec": int64(1700000000)},
	}, {Partition: map[string]any{"server": "x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	// The offset value as Kafka Connect's JsonConverter writes Debezium's HashMap (offsets' goldens).
	want := `{"offsets":[{"partition":{"server":"dbserver1"},"offset":{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154,"row":1,"server_id":223344,"event":2}},{"partition":{"server":"x"},"offset":null}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

// Package e2e holds what the end-to-end tests under tests/ share: an in-process standalone worker
// with its offsets in a Kafka topic, a client of a Kafka Connect REST API (ours or the Debezium
// reference worker's), a reader of the topics the connectors write with change events reduced to
// what the assertions compare, and the small pieces around them (a worker process's log buffer,
// free ports, properties files, the throughput benchmarks' record count and peak RSS).
package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// Client talks to one Kafka Connect REST API. Call and the helpers built on it fail the test when
// the worker cannot be reached; Do reports that as status -1.
type Client struct {
	// T is the test that fails when a request cannot be sent.
	T testing.TB
	// URL is the worker's base address, such as http://127.0.0.1:8083.
	URL string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
	// Name, when set, starts every failure message, so a test that talks to two workers says which.
	Name string
}

// NewClient returns a client of the REST API at url.
func NewClient(t testing.TB, url string) *Client { return &Client{T: t, URL: url} }

func (c *Client) prefix() string {
	if c.Name == "" {
		return ""
	}
	return c.Name + ": "
}

// Call sends a request with body encoded as JSON (none when nil) and returns the status and body.
func (c *Client) Call(method, path string, body any) (int, []byte) {
	c.T.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r, err := c.send(method, path, rd)
	if err != nil {
		c.T.Fatalf("%s%s %s: %v", c.prefix(), method, path, err)
	}
	return r.Code, r.Body
}

// send does one request with a JSON body.
func (c *Client) send(method, path string, body io.Reader) (Response, error) {
	req, err := http.NewRequest(method, c.URL+path, body)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Code: resp.StatusCode, Body: b, Header: resp.Header}, nil
}

// Create creates a connector with POST /connectors and fails the test unless it is created.
func (c *Client) Create(name string, cfg map[string]string) {
	c.T.Helper()
	if code, b := c.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		c.T.Fatalf("%sPOST /connectors: %d %s", c.prefix(), code, b)
	}
}

// connectorStatus is the part of GET /connectors/{c}/status the helpers read.
type connectorStatus struct {
	Connector struct{ State, Trace string }
	Tasks     []struct{ State, Trace string }
}

func (c *Client) status(name string) (connectorStatus, bool, []byte) {
	var st connectorStatus
	code, b := c.Call("GET", "/connectors/"+name+"/status", nil)
	if code != 200 {
		return st, false, b
	}
	_ = json.Unmarshal(b, &st)
	return st, true, b
}

// Status returns the connector's state and its first task's state and trace; task and trace are
// empty when the connector has no task, and trace holds the response when there is no status.
func (c *Client) Status(name string) (connector, task, trace string) {
	st, ok, b := c.status(name)
	if !ok {
		return "", "", string(b)
	}
	if len(st.Tasks) == 0 {
		return st.Connector.State, "", ""
	}
	return st.Connector.State, st.Tasks[0].State, st.Tasks[0].Trace
}

// TaskState returns the first task's state and trace: "NO_TASK" and the connector's state and
// trace when it has no task, "" and the response when there is no status.
func (c *Client) TaskState(name string) (string, string) {
	st, ok, b := c.status(name)
	if !ok {
		return "", string(b)
	}
	if len(st.Tasks) == 0 {
		return "NO_TASK", st.Connector.State + " " + st.Connector.Trace
	}
	return st.Tasks[0].State, st.Tasks[0].Trace
}

// WaitState waits until the first task reaches state and returns its trace; the deadline only
// guards against a hang.
func (c *Client) WaitState(name, state string) string {
	c.T.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		s, trace := c.TaskState(name)
		if s == state {
			return trace
		}
		if time.Now().After(deadline) {
			c.T.Fatalf("%sconnector %s: task state %s, want %s; %s", c.prefix(), name, s, state, trace)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WaitConnector waits until the connector itself (not its task) reaches state.
func (c *Client) WaitConnector(name, state string) {
	c.T.Helper()
	for i := 0; i < 300; i++ {
		if conn, _, _ := c.Status(name); conn == state {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.T.Fatalf("%sconnector %s did not reach %s", c.prefix(), name, state)
}

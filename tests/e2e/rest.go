package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/wait"
)

// Response is a REST response as the tests read it.
type Response struct {
	// Code is the HTTP status, or -1 when the request could not be sent (Body holds the error).
	Code   int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v and fails the test if it is not the expected JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d %q is not the expected JSON: %v", r.Code, r.Body, err)
	}
}

// ErrorMessage returns the message of a Kafka Connect error body, failing the test unless its
// error_code repeats the HTTP status as Kafka Connect's does.
func (r Response) ErrorMessage(t testing.TB) string {
	t.Helper()
	var e struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	r.JSON(t, &e)
	if e.Code != r.Code {
		t.Fatalf("error_code %d differs from the HTTP status %d", e.Code, r.Code)
	}
	return e.Message
}

// Do sends a request with a raw JSON body (none when empty). A worker that cannot be reached
// gives Code -1, so a test can wait for one that is starting or check one that stopped.
func (c *Client) Do(method, path, body string) Response {
	c.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := c.send(method, path, rd)
	if err != nil {
		return Response{Code: -1, Body: []byte(err.Error())}
	}
	return r
}

// Expect does a request and fails the test unless the status is code.
func (c *Client) Expect(code int, method, path, body string) Response {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Code != code {
		c.T.Fatalf("%s%s %s%s: %d %s, want %d", c.prefix(), method, c.URL, path, r.Code, r.Body, code)
	}
	return r
}

// TaskStatus is one task's entry in GET /connectors/{c}/status.
type TaskStatus struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace"`
}

// Status is GET /connectors/{c}/status.
type Status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"connector"`
	Tasks []TaskStatus `json:"tasks"`
	Type  string       `json:"type"`
}

// GetStatus returns the connector's status, and false when the worker does not give one.
func (c *Client) GetStatus(name string) (Status, bool) {
	c.T.Helper()
	var st Status
	r := c.Do("GET", "/connectors/"+name+"/status", "")
	if r.Code != 200 {
		return st, false
	}
	r.JSON(c.T, &st)
	return st, true
}

// WaitStatus waits until the connector is in state conn with exactly the given task states, in
// task order, and returns that status.
func (c *Client) WaitStatus(name, conn string, tasks ...string) Status {
	c.T.Helper()
	var st Status
	describe := func() string { return fmt.Sprintf("%+v", st) }
	wait.UntilDescribed(c.T, name+" is "+conn+" with tasks "+strings.Join(tasks, ","), func() bool {
		var ok bool
		st, ok = c.GetStatus(name)
		if !ok || st.Connector.State != conn || len(st.Tasks) != len(tasks) {
			return false
		}
		for i, s := range tasks {
			if st.Tasks[i].State != s {
				return false
			}
		}
		return true
	}, describe)
	return st
}

// GeneratorSeqs returns the committed seq per task ("0", "1", ...) of a test generator connector
// from a GET /connectors/{c}/offsets response.
func GeneratorSeqs(t testing.TB, r Response) map[string]int64 {
	t.Helper()
	var offs struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	r.JSON(t, &offs)
	out := map[string]int64{}
	for _, o := range offs.Offsets {
		task, _ := o.Partition["task"].(string)
		seq, _ := o.Offset["seq"].(float64)
		out[task] = int64(seq)
	}
	return out
}

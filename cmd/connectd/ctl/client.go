// Package ctl is the operator command line of connectd: `connectd ctl ...` drives connectors over
// the Kafka Connect REST API of any worker (connectd's or Kafka Connect's), and `connectd tail`
// prints change events from a topic as they arrive.
package ctl

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Exit codes scripts can rely on.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitFailed means the worker or a database could not be reached or answered with an error.
	ExitFailed = 1
	// ExitUsage means the command line was wrong.
	ExitUsage = 2
	// ExitNotFound means the connector (or topic) does not exist.
	ExitNotFound = 3
	// ExitRefused means the request was understood but refused: a connector in the wrong state,
	// an offset that the connector or the database server cannot resume from.
	ExitRefused = 4
)

// cmdError is an error with the exit code it should end the process with.
type cmdError struct {
	code int
	err  error
}

func (e *cmdError) Error() string { return e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

func fail(code int, format string, args ...any) error {
	return &cmdError{code: code, err: fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		return ce.code
	}
	return ExitFailed
}

// client talks to one worker's REST API.
type client struct {
	base       string
	http       *http.Client
	user, pass string // basic authentication; user "" sends none
}

// newClient makes a client for base; caFile, when set, is a PEM file of the CAs that sign the
// worker's https certificate (otherwise the system's CAs are trusted).
func newClient(base, user, pass, caFile string) (*client, error) {
	c := &client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}, user: user, pass: pass}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fail(ExitUsage, "could not read the CA file %s (--cacert or CONNECTD_CACERT): %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fail(ExitUsage, "the CA file %s (--cacert or CONNECTD_CACERT) holds no PEM certificate", caFile)
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		c.http.Transport = t
	}
	return c, nil
}

// reachError says why the worker could not be reached, with what to do for TLS failures.
func (c *client) reachError(err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var tlsRecord tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("the worker at %s presented a certificate not signed by a trusted CA: pass the CA's PEM file with --cacert (or CONNECTD_CACERT): %w", c.base, err)
	case errors.As(err, &host):
		return fmt.Errorf("the worker's certificate does not name the host in %s: use the host name it was issued for: %w", c.base, err)
	case errors.As(err, &tlsRecord):
		return fmt.Errorf("the worker at %s does not speak TLS: use an http:// URL: %w", c.base, err)
	}
	return fmt.Errorf("could not reach the worker at %s (is it running? set --url or CONNECTD_URL): %w", c.base, err)
}

// call sends a request and decodes a 2xx JSON answer into out (when out is not nil). A non-2xx
// answer becomes an error carrying the worker's message and an exit code matching its status.
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("could not encode the request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fail(ExitUsage, "bad worker URL %q: %w", c.base, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.reachError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("could not read the worker's answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var em struct {
			Message string `json:"message"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &em) == nil && em.Message != "" {
			msg = em.Message
		}
		// 409 (a rebalance in progress) and 5xx stay ExitFailed: retrying may succeed.
		code := ExitFailed
		switch {
		case resp.StatusCode == http.StatusNotFound:
			code = ExitNotFound
		case resp.StatusCode == http.StatusBadRequest:
			code = ExitRefused
		case resp.StatusCode == http.StatusUnauthorized && c.user == "":
			msg += " (the worker requires basic authentication: pass --user USER[:PASSWORD] or set CONNECTD_USER and CONNECTD_PASSWORD)"
		case resp.StatusCode == http.StatusUnauthorized:
			msg += " (the worker refused user " + c.user + ": check the password)"
		}
		return fail(code, "%s %s: HTTP %d: %s", method, path, resp.StatusCode, msg)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("could not decode the worker's answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

func connPath(name string, rest ...string) string {
	p := "/connectors/" + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// stateInfo is a connector's or task's state in a status body.
type stateInfo struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// taskState is one task of a status body.
type taskState struct {
	ID int `json:"id"`
	stateInfo
	Progress *taskProgress `json:"progress,omitempty"`
	Lag      *taskLag      `json:"lag,omitempty"`
}

// status is the body of GET /connectors/{c}/status.
type status struct {
	Name      string      `json:"name"`
	Connector stateInfo   `json:"connector"`
	Tasks     []taskState `json:"tasks"`
	Type      string      `json:"type"`
}

// offsetEntry is one partition's offset, as GET/PATCH /connectors/{c}/offsets carry it.
type offsetEntry struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// offsets is the body of GET/PATCH /connectors/{c}/offsets.
type offsets struct {
	Offsets []offsetEntry `json:"offsets"`
}

// historyEntry is one entry of GET /connectors/{c}/offsets/history.
type historyEntry struct {
	Time    time.Time     `json:"time"`
	TsMs    int64         `json:"ts_ms"`
	Offsets []offsetEntry `json:"offsets"`
}

// history is the body of GET /connectors/{c}/offsets/history, newest first.
type history struct {
	History []historyEntry `json:"history"`
}

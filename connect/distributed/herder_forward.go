package distributed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// leaderOnly refuses a change on a follower (the REST layer forwards it to the leader) and while
// the group rebalances (409, as Kafka Connect's RebalanceNeededException: the client retries).
func (h *Herder) leaderOnly(msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.assigned:
		return herder.Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance); retry in a moment")
	case !h.leader:
		return &herder.NotLeaderError{Message: msg, LeaderURL: h.leaderURL}
	}
	return nil
}

// ownerURL returns the URL of the worker the leader assigned a connector (task < 0) or task to.
// Called with h.mu held.
func (h *Herder) ownerURL(connector string, task int) string {
	for id, a := range h.assignments {
		if task < 0 && slices.Contains(a.Connectors, connector) || task >= 0 && slices.Contains(a.Tasks, TaskID{Connector: connector, Task: int32(task)}) {
			return h.memberURLs[id]
		}
	}
	return ""
}

// elsewhere answers a request for an instance this worker does not run: the leader knows its
// owner and has the request forwarded there; a follower has it forwarded to the leader.
func (h *Herder) elsewhere(connector string, task int, what string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.leader && h.assigned {
		if u := h.ownerURL(connector, task); u != "" && u != h.url {
			return &herder.NotLeaderError{Message: "Cannot restart " + what + " since it is not assigned to this member", LeaderURL: u}
		}
		return herder.Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance): %s is not assigned to any worker right now", what)
	}
	return &herder.NotLeaderError{Message: "Cannot restart " + what + " since it is not assigned to this member", LeaderURL: h.leaderURL}
}

// sendTaskConfigs posts task configurations to the leader, as Kafka Connect's worker does:
// POST /connectors/{c}/tasks with a JSON list of maps.
func (h *Herder) sendTaskConfigs(leaderURL, name string, cfgs []map[string]string) error {
	body, err := json.Marshal(cfgs)
	if err != nil {
		return err
	}
	u := strings.TrimRight(leaderURL, "/") + "/connectors/" + url.PathEscape(name) + "/tasks?forward=true"
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	h.signRequest(req, body)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var em rest.ErrorMessage
		_ = json.NewDecoder(resp.Body).Decode(&em)
		return fmt.Errorf("the leader answered %d: %s", resp.StatusCode, em.Message)
	}
	return nil
}

// PutTaskConfigs is the leader's side of POST /connectors/{c}/tasks: the worker running the
// connector sends the task configurations it generated.
func (h *Herder) PutTaskConfigs(ctx context.Context, name string, cfgs []map[string]string) error {
	return h.do(ctx, func() error {
		if err := h.leaderOnly("Only the leader may write task configurations."); err != nil {
			return err
		}
		if !h.configs.Contains(name) {
			return herder.ConnectorNotFound(name)
		}
		if err := h.putTaskConfigs(ctx, name, cfgs); err != nil {
			return err
		}
		h.log.Info("task configurations written", "connector", name, "tasks", len(cfgs))
		return nil
	})
}

// ---- internal REST endpoint ----

// Handler wraps the REST API with the endpoint workers use among themselves: POST
// /connectors/{c}/tasks, by which the worker running a connector hands the leader its task
// configurations (Kafka Connect's internal endpoint: signed with the session key under
// connect.protocol=sessioned, unsigned under eager and compatible).
func (h *Herder) Handler(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := taskConfigsPath(r)
		if !ok {
			api.ServeHTTP(w, localProgress(r))
			return
		}
		writeErr := func(status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(rest.ErrorMessage{ErrorCode: status, Message: msg})
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
		if err != nil {
			writeErr(http.StatusBadRequest, "could not read the request body: "+err.Error())
			return
		}
		if code, msg := h.checkSignature(r, body); code != 0 {
			writeErr(code, msg)
			return
		}
		var cfgs []map[string]string
		if err := json.Unmarshal(body, &cfgs); err != nil {
			writeErr(http.StatusBadRequest, "the body must be a JSON list of task configurations (maps of strings): "+err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), rest.DefaultRequestTimeout)
		defer cancel()
		err = h.PutTaskConfigs(ctx, name, cfgs)
		var re *herder.Error
		var nl *herder.NotLeaderError
		switch {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.As(err, &re):
			writeErr(re.Status, re.Message)
		case errors.As(err, &nl):
			// The sender retries once it knows the new leader (after the rebalance).
			writeErr(http.StatusConflict, nl.Error())
		default:
			writeErr(http.StatusInternalServerError, err.Error())
		}
	})
}

// taskConfigsPath matches POST /connectors/{c}/tasks.
func taskConfigsPath(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	p := strings.TrimRight(r.URL.Path, "/")
	tail, ok := strings.CutPrefix(p, "/connectors/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(tail, "/tasks")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

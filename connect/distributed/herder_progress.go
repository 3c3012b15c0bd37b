package distributed

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// progressHeader marks a task status request one worker sends another for the task's progress;
// the answering worker reports only what runs there (runtime.LocalProgressOnly).
const progressHeader = "X-Connectd-Progress-Request"

// progressTimeout bounds the wait for another worker's answer: a status request must not hang
// on a worker that is gone; the status is then shown without the progress.
const progressTimeout = 2 * time.Second

// authKey carries the Authorization header of the REST request being answered, so a request
// this worker sends another on its behalf has the user's credentials (REST basic authentication).
type authKey struct{}

// RemoteTaskProgress asks the worker running a task (its worker id is its advertised host:port,
// reached with this worker's own scheme) for the task's progress and lag (runtime.RemoteProgress):
// only that worker's task counts them. Without an answer in time there is none.
func (b clusterBackend) RemoteTaskProgress(ctx context.Context, workerID string, id herder.TaskID) (*herder.TaskProgress, *herder.TaskLag) {
	scheme, _, ok := strings.Cut(b.h.url, "://")
	if !ok || workerID == "" {
		return nil, nil
	}
	owner := scheme + "://" + workerID
	ctx, cancel := context.WithTimeout(ctx, progressTimeout)
	defer cancel()
	u := strings.TrimRight(owner, "/") + "/connectors/" + url.PathEscape(id.Connector) + "/tasks/" + strconv.Itoa(id.Task) + "/status"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil
	}
	req.Header.Set(progressHeader, "1")
	if a, _ := ctx.Value(authKey{}).(string); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := b.h.client.Do(req)
	if err != nil {
		return nil, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil
	}
	var st herder.TaskState
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, nil
	}
	return st.Progress, st.Lag
}

// localProgress keeps the request's credentials for the requests this worker sends on its behalf,
// and has a progress request from another worker answered from this worker's tasks only.
func localProgress(r *http.Request) *http.Request {
	ctx := r.Context()
	if a := r.Header.Get("Authorization"); a != "" {
		ctx = context.WithValue(ctx, authKey{}, a)
	}
	if r.Header.Get(progressHeader) != "" {
		ctx = runtime.LocalProgressOnly(ctx)
	}
	if ctx == r.Context() {
		return r
	}
	return r.WithContext(ctx)
}

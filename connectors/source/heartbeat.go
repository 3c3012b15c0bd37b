package source

import (
	"context"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// StartHeartbeatAction runs heartbeat.action.query (query) every heartbeat interval until ctx
// ends, on a connection of its own that open returns as the function running one statement and
// the one closing it, so an idle captured database still produces changes that move the log
// position. Nothing runs when heartbeats are off or query is empty; a panic fails the task
// through Poll, not the worker.
func (t *Task) StartHeartbeatAction(ctx context.Context, query string, open func(ctx context.Context) (exec func(ctx context.Context, q string) error, closeConn func(), err error)) {
	if !t.Heartbeat.Enabled() || query == "" {
		return
	}
	go func() {
		if err := api.Guard(func() error { t.runHeartbeatAction(ctx, query, open); return nil }); err != nil {
			t.Reader.Queue.Close(err)
		}
	}()
}

func (t *Task) runHeartbeatAction(ctx context.Context, query string, open func(ctx context.Context) (func(context.Context, string) error, func(), error)) {
	exec, closeConn, err := open(ctx)
	if err != nil {
		t.Log.Warn("heartbeat.action.query: cannot connect", "error", err)
		return
	}
	defer closeConn()
	tk := time.NewTicker(t.Heartbeat.Interval())
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			if err := exec(ctx, query); err != nil && ctx.Err() == nil {
				t.Log.Warn("heartbeat.action.query failed", "query", query, "error", err)
			}
		}
	}
}

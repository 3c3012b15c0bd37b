package source

import (
	"context"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connectors/envelope"
)

// Observe connects the reader to the task's progress the runtime passed in ctx (none: metrics
// are off and nothing is counted). plugin is Debezium's name of the connector in its metrics
// ("mysql", "mariadb", "postgres"), server its topic.prefix.
func (r *Reader) Observe(ctx context.Context, plugin, server string) *progress.Task {
	p := progress.FromContext(ctx)
	if p == nil {
		return nil
	}
	p.Init(plugin, server, r.Queue)
	r.Progress = p
	return p
}

// observe counts a record being queued: a read event is a snapshot row of its table, any other
// change event (an incremental snapshot's reads too) a streamed event; schema changes, heartbeats and transaction records are not
// events in Debezium's metrics.
func (r *Reader) observe(rec *api.SourceRecord) {
	in, ok := envelope.Inspect(rec.Value)
	if !ok {
		return
	}
	if in.Op == byte(envelope.OpRead) && !in.Incremental {
		r.Progress.SnapshotRow(rec.Topic, in.ProcessedMs, in.LastOfTable)
		return
	}
	r.Progress.StreamEvent(in.Op, in.SourceMs, in.ProcessedMs)
}

// SnapshotStarted tells the reader's progress which tables (ids) the snapshot reads, with the
// server's row estimates (est; a table missing or negative there is unknown, -1), the tables
// an earlier run finished (done; nil: none) first.
func (r *Reader) SnapshotStarted(ids []string, est map[string]int64, done func(id string) bool) {
	if r.Progress == nil {
		return
	}
	list := make([]progress.TableEstimate, 0, len(ids))
	var finished []progress.TableEstimate
	for _, id := range ids {
		n, ok := est[id]
		if !ok || n < 0 {
			n = -1
		}
		te := progress.TableEstimate{Name: id, Estimated: n}
		if done != nil && done(id) {
			finished = append(finished, te)
		} else {
			list = append(list, te)
		}
	}
	r.Progress.SnapshotStarted(append(finished, list...), len(finished))
}

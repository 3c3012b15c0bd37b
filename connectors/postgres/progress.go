package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api/progress"
)

// observe connects the reader to the task's progress: Debezium's postgres metrics and the WAL
// the replication slot holds back (the server's WAL end at its last keepalive minus the LSN last
// confirmed), read from what the stream already tracks, without a query.
func (t *Task) observe(ctx context.Context) {
	p := t.Reader.Observe(ctx, "postgres", t.cfg.TopicPrefix)
	p.SetLagProbe(progress.LagSlotBytes, func(context.Context) (int64, error) { return t.Status().LagBytes, nil })
}

// snapshotStarted tells the progress which tables the snapshot reads, with the planner's row
// estimates (pg_class.reltuples: unknown, -1, for a table never analysed). done says which
// tables (schema.table) an earlier run finished (a resumed snapshot); nil: none.
func (t *Task) snapshotStarted(ctx context.Context, conn *pgconn.PgConn, captured []*catalogTable, done func(id string) bool) {
	if t.Reader.Progress == nil {
		return
	}
	est := map[string]int64{}
	if len(captured) > 0 {
		oids := make([]string, len(captured))
		for i, ct := range captured {
			oids[i] = strconv.FormatUint(uint64(ct.OID), 10)
		}
		// A partitioned parent has no rows of its own: its estimate is its partitions'.
		rows, err := simpleQuery(ctx, conn, "SELECT c.oid, CASE WHEN c.relkind = 'p' THEN "+
			"(SELECT CASE WHEN min(p.reltuples) < 0 THEN -1 ELSE sum(p.reltuples) END FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid) "+
			"ELSE c.reltuples END::bigint FROM pg_class c WHERE c.oid IN ("+strings.Join(oids, ",")+")")
		if err != nil {
			t.log.Warn("cannot read the tables' row estimates; the snapshot progress will have no percentage", "error", err)
		}
		byOID := map[string]string{}
		for _, ct := range captured {
			byOID[strconv.FormatUint(uint64(ct.OID), 10)] = ct.ID.Schema + "." + ct.ID.Table
		}
		for _, r := range rows {
			if n, err := strconv.ParseInt(string(r[1]), 10, 64); err == nil && r[1] != nil {
				est[byOID[string(r[0])]] = n
			}
		}
	}
	ids := make([]string, len(captured))
	for i, ct := range captured {
		ids[i] = ct.ID.Schema + "." + ct.ID.Table
	}
	t.Reader.SnapshotStarted(ids, est, done)
}

// tablesBefore says which tables are among the first n of captured (read by an earlier run).
func tablesBefore(captured []*catalogTable, n int) func(id string) bool {
	done := make(map[string]bool, n)
	for _, ct := range captured[:n] {
		done[ct.ID.Schema+"."+ct.ID.Table] = true
	}
	return func(id string) bool { return done[id] }
}

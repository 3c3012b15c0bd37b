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

// snapshotEstimates returns, for the snapshot's progress, the planner's row estimates of the
// captured tables (pg_class.reltuples: unknown, -1, for a table never analysed) by
// schema.table; nil without progress.
func (t *Task) snapshotEstimates(ctx context.Context, conn *pgconn.PgConn, captured []*catalogTable) map[string]int64 {
	if t.Reader.Progress == nil || len(captured) == 0 {
		return nil
	}
	oids := make([]string, len(captured))
	byOID := map[string]string{}
	for i, ct := range captured {
		oids[i] = strconv.FormatUint(uint64(ct.OID), 10)
		byOID[oids[i]] = ct.ID.Schema + "." + ct.ID.Table
	}
	// A partitioned parent has no rows of its own: its estimate is its partitions'.
	rows, err := simpleQuery(ctx, conn, "SELECT c.oid, CASE WHEN c.relkind = 'p' THEN "+
		"(SELECT CASE WHEN min(p.reltuples) < 0 THEN -1 ELSE sum(p.reltuples) END FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid) "+
		"ELSE c.reltuples END::bigint FROM pg_class c WHERE c.oid IN ("+strings.Join(oids, ",")+")")
	if err != nil {
		t.log.Warn("cannot read the tables' row estimates; the snapshot progress will have no percentage", "error", err)
	}
	est := map[string]int64{}
	for _, r := range rows {
		if n, err := strconv.ParseInt(string(r[1]), 10, 64); err == nil && r[1] != nil {
			est[byOID[string(r[0])]] = n
		}
	}
	return est
}

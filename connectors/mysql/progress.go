package mysql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connect/api/progress"
)

// observe connects the reader to the task's progress: Debezium's metrics of the flavour's
// plugin and the bytes of binlog behind the server's end.
func (t *Task) observe(ctx context.Context) {
	// stream.go records the position of every event read, captured or not, so the lag is the
	// binlog not read yet.
	p := t.Reader.Observe(ctx, t.flavor.connectorName(), t.cfg.TopicPrefix)
	p.SetLagProbe(progress.LagBinlogBytes, func(ctx context.Context) (int64, error) {
		file, pos := p.BinlogPosition()
		if file == "" {
			return -1, fmt.Errorf("no binlog event read yet")
		}
		conn, err := t.connect(ctx)
		if err != nil {
			return -1, err
		}
		defer conn.Close()
		logs, err := queryRows(conn, "SHOW BINARY LOGS")
		if err != nil {
			return -1, err
		}
		return binlogBytesBehind(logs, file, pos)
	})
}

// binlogBytesBehind is the size of the binlog after file:pos: the rest of file and every later
// file, as SHOW BINARY LOGS lists them (name, size).
func binlogBytesBehind(logs [][]string, file string, pos int64) (int64, error) {
	var n int64
	found := false
	for _, l := range logs {
		if len(l) < 2 {
			continue
		}
		size, err := strconv.ParseInt(strings.TrimSpace(l[1]), 10, 64)
		if err != nil {
			return -1, fmt.Errorf("SHOW BINARY LOGS gave the size %q for %s: %w", l[1], l[0], err)
		}
		switch c := compareBinlogFiles(l[0], file); {
		case c == 0:
			found = true
			n += max(size-pos, 0)
		case c > 0:
			n += size
		}
	}
	if !found {
		return -1, fmt.Errorf("the binlog file %s being read is not listed by the server", file)
	}
	return n, nil
}

// snapshotEstimates returns, for the snapshot's progress, the server's row estimates of the
// tables (information_schema.TABLES.TABLE_ROWS: exact for MyISAM/Aria, an estimate for InnoDB)
// by db.table; nil without progress.
func (t *Task) snapshotEstimates(conn *client.Conn, tables []snapshotTable) map[string]int64 {
	if t.Reader.Progress == nil || len(tables) == 0 {
		return nil
	}
	dbs := map[string]bool{}
	var in []string
	for _, st := range tables {
		if !dbs[st.id.Catalog] {
			dbs[st.id.Catalog] = true
			in = append(in, "'"+strings.ReplaceAll(strings.ReplaceAll(st.id.Catalog, `\`, `\\`), "'", "''")+"'")
		}
	}
	rows, err := queryRows(conn, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ("+strings.Join(in, ",")+")")
	if err != nil {
		t.log.Warn("cannot read the tables' row estimates; the snapshot progress will have no percentage", "error", err)
	}
	est := map[string]int64{}
	for _, r := range rows {
		if n, err := strconv.ParseInt(r[2], 10, 64); err == nil {
			est[r[0]+"."+r[1]] = n
		}
	}
	return est
}

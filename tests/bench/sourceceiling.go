package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// SourceCeiling is how fast the database alone hands out what a connector reads: the snapshot
// rows through one plain SELECT, and a backlog of change events through a replication client
// that decodes the stream's framing and throws the events away. With the Kafka ceiling it gives
// a phase's physical limit on this machine: the lower of the two.
type SourceCeiling struct {
	ScanRows   int
	ScanDur    time.Duration
	LogEvents  int // change events written into the backlog
	LogDur     time.Duration
	LogReader  string // what read the log
	ScanReader string
}

// ScanRate is rows/s of the plain SELECT.
func (c SourceCeiling) ScanRate() float64 { return rate(c.ScanRows, c.ScanDur) }

// LogRate is events/s of the trivial log reader.
func (c SourceCeiling) LogRate() float64 { return rate(c.LogEvents, c.LogDur) }

// logMark is where a backlog starts and ends in the database's log.
type logMark struct {
	file string // MariaDB binlog file
	pos  uint64 // MariaDB position, PostgreSQL LSN
}

// sourceCeiling preloads rows, times a full scan, then writes events while nothing reads the
// log and times the trivial reader draining them.
func sourceCeiling(ctx context.Context, cfg Config, src Source) (SourceCeiling, error) {
	var c SourceCeiling
	if err := src.Reset(ctx); err != nil {
		return c, err
	}
	if err := src.Preload(ctx, benchTable, cfg.Rows); err != nil {
		return c, err
	}
	var err error
	switch s := src.(type) {
	case *mariaDB:
		c.ScanReader = "SELECT * through go-mysql's client, rows discarded"
		c.LogReader = "go-mysql's BinlogSyncer from the backlog's first position to its last, events parsed and discarded"
		c.ScanRows, c.ScanDur, err = s.scan(ctx)
		if err != nil {
			return c, err
		}
		start, err := s.logPosition()
		if err != nil {
			return c, err
		}
		if c.LogEvents, err = newStreamPlan(cfg.Rows).write(ctx, src, benchTable, cfg.Events); err != nil {
			return c, err
		}
		end, err := s.logPosition()
		if err != nil {
			return c, err
		}
		c.LogDur, err = s.drain(ctx, start, end)
		return c, err
	case *postgres:
		c.ScanReader = "COPY (SELECT * ...) TO STDOUT through pgx, rows discarded"
		c.LogReader = "pglogrepl with pgoutput (proto_version 1, the bench publication) from a fresh slot to the backlog's end LSN, messages discarded"
		c.ScanRows, c.ScanDur, err = s.scan(ctx)
		if err != nil {
			return c, err
		}
		slot := s.slot(9)
		if err := s.dropSlot(ctx, slot); err != nil {
			return c, err
		}
		if err := s.exec(ctx, "SELECT pg_create_logical_replication_slot('"+slot+"', 'pgoutput')"); err != nil {
			return c, err
		}
		defer func() { _ = s.dropSlot(context.Background(), slot) }()
		if c.LogEvents, err = newStreamPlan(cfg.Rows).write(ctx, src, benchTable, cfg.Events); err != nil {
			return c, err
		}
		var lsn string
		if err := s.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
			return c, fmt.Errorf("postgres: could not read the current WAL position: %w", err)
		}
		end, err := pglogrepl.ParseLSN(lsn)
		if err != nil {
			return c, err
		}
		c.LogDur, err = s.drain(ctx, slot, end)
		return c, err
	}
	return c, fmt.Errorf("no source ceiling for %s", src.Name())
}

func (m *mariaDB) scan(ctx context.Context) (int, time.Duration, error) {
	conn, err := client.ConnectWithContext(ctx, m.cfg.Addr(), m.cfg.User, m.cfg.Password, m.schema, 10*time.Second)
	if err != nil {
		return 0, 0, fmt.Errorf("mariadb: %w", err)
	}
	defer conn.Close()
	var res mysql.Result
	n := 0
	start := time.Now()
	err = conn.ExecuteSelectStreaming("SELECT * FROM "+benchTable, &res, func(row []mysql.FieldValue) error {
		n++
		return nil
	}, nil)
	return n, time.Since(start), err
}

func (m *mariaDB) logPosition() (logMark, error) {
	r, err := m.conn.Execute("SHOW MASTER STATUS")
	if err != nil {
		return logMark{}, fmt.Errorf("mariadb: SHOW MASTER STATUS: %w", err)
	}
	defer r.Close()
	if r.RowNumber() == 0 {
		return logMark{}, fmt.Errorf("mariadb: SHOW MASTER STATUS returned nothing: is the binlog on?")
	}
	// GetString's string aliases the result's buffer, which Close hands back to go-mysql's pool
	// for the next query to overwrite: keep a copy.
	file, _ := r.GetString(0, 0)
	file = strings.Clone(file)
	pos, _ := r.GetUint(0, 1)
	return logMark{file: file, pos: pos}, nil
}

// drain reads the binlog from start until an event ends at or after end.
func (m *mariaDB) drain(ctx context.Context, start, end logMark) (time.Duration, error) {
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 4242901, Flavor: mysql.MariaDBFlavor, Host: m.cfg.Host, Port: uint16(m.cfg.Port),
		User: m.cfg.User, Password: m.cfg.Password, Logger: slog.New(slog.DiscardHandler),
	})
	defer syncer.Close()
	t0 := time.Now()
	st, err := syncer.StartSync(mysql.Position{Name: start.file, Pos: uint32(start.pos)})
	if err != nil {
		return 0, fmt.Errorf("mariadb: could not start the binlog stream at %s:%d: %w", start.file, start.pos, err)
	}
	file := start.file
	for {
		ectx, cancel := context.WithTimeout(ctx, time.Minute)
		ev, err := st.GetEvent(ectx)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("mariadb: binlog stream stopped before %s:%d: %w", end.file, end.pos, err)
		}
		if r, ok := ev.Event.(*replication.RotateEvent); ok {
			file = string(r.NextLogName)
			continue
		}
		if file == end.file && uint64(ev.Header.LogPos) >= end.pos {
			return time.Since(t0), nil
		}
	}
}

func (p *postgres) scan(ctx context.Context) (int, time.Duration, error) {
	start := time.Now()
	tag, err := p.conn.PgConn().CopyTo(ctx, discard{}, "COPY (SELECT * FROM "+p.schema+"."+benchTable+") TO STDOUT")
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: COPY: %w", err)
	}
	return int(tag.RowsAffected()), time.Since(start), nil
}

// drain streams the slot with pgoutput until the server has sent WAL up to end.
func (p *postgres) drain(ctx context.Context, slot string, end pglogrepl.LSN) (time.Duration, error) {
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable replication=database",
		p.cfg.Host, p.cfg.Port, p.cfg.User, p.cfg.Password, p.cfg.Database))
	if err != nil {
		return 0, fmt.Errorf("postgres: replication connection: %w", err)
	}
	defer conn.Close(context.Background())
	t0 := time.Now()
	err = pglogrepl.StartReplication(ctx, conn, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + p.pub() + "'"},
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: START_REPLICATION: %w", err)
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		msg, err := conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("postgres: replication stream stopped before %s: %w", end, err)
		}
		cd, ok := msg.(*pgproto3.CopyData)
		if !ok || len(cd.Data) == 0 {
			continue
		}
		var at pglogrepl.LSN
		switch cd.Data[0] {
		case pglogrepl.XLogDataByteID:
			x, err := pglogrepl.ParseXLogData(cd.Data[1:])
			if err != nil {
				return 0, err
			}
			at = x.WALStart + pglogrepl.LSN(len(x.WALData))
		case pglogrepl.PrimaryKeepaliveMessageByteID:
			k, err := pglogrepl.ParsePrimaryKeepaliveMessage(cd.Data[1:])
			if err != nil {
				return 0, err
			}
			at = k.ServerWALEnd
			if k.ReplyRequested {
				_ = pglogrepl.SendStandbyStatusUpdate(ctx, conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: at})
			}
		}
		if at >= end {
			return time.Since(t0), nil
		}
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The memory benchmark (RunMemory, `tests/bench/memory`): one very large transaction and rows of
// 10 MiB each streamed through connectd at its default memory settings, with connectd's peak RSS
// (VmHWM) reported against a budget, every event checked by content.

// MemoryConfig is one run of the memory benchmark.
type MemoryConfig struct {
	// DBs are the databases to run, "mariadb" and/or "postgres".
	DBs []string
	// Namespace names the run's database objects, topics, connectors and slots.
	Namespace string
	// TxnBytes is the payload written by the one large transaction, in rows of TxnRowBytes.
	TxnBytes    int64
	TxnRowBytes int
	// BigRows rows of BigRowBytes each are inserted (one transaction each) and then updated.
	BigRows     int
	BigRowBytes int
	// LimitMiB is the peak RSS budget the report checks (256 MiB).
	LimitMiB int
	// MaxMessageBytes is the change event topics' max.message.bytes and the connector's
	// producer.override.max.request.size: what a record of a 10 MiB row (base64 in JSON, before
	// and after images in an update) needs.
	MaxMessageBytes int
	// Connectd is the connectd binary; ProfileBinary, when set, is run instead with a heap
	// profile (tests/bench/cmd/connectd-pprof), and the report shows the live heap at its peak.
	Connectd, ProfileBinary string
	// Kafka is the bootstrap address; MariaDB and Postgres the databases.
	Kafka             string
	MariaDB, Postgres DBConfig
	// WorkDir holds connectd's logs, offsets and profiles.
	WorkDir string
	// Stall fails a case whose topic does not grow for this long.
	Stall time.Duration
	// Log receives progress lines.
	Log io.Writer
	// Env is added to connectd's environment (e.g. GOMEMLIMIT).
	Env []string
}

// DefaultMemoryConfig is the workload: a 2 GiB transaction of 1 KiB rows and 20 rows of
// 10 MiB, on both databases, against a 256 MiB budget.
func DefaultMemoryConfig() MemoryConfig {
	return MemoryConfig{
		DBs: []string{"mariadb", "postgres"}, Namespace: "benchmem",
		TxnBytes: 2 << 30, TxnRowBytes: 1024, BigRows: 20, BigRowBytes: 10 << 20,
		LimitMiB: 256, MaxMessageBytes: 64 << 20, Stall: 3 * time.Minute, Log: io.Discard,
	}
}

// MemoryCase is what one case did on one database.
type MemoryCase struct {
	DB, Name string
	// Events is the change events expected and Seen those read back; Bad describes the first
	// events that were missing, duplicated or whose content differed (empty when all is well).
	Events, Seen int
	Bad          []string
	// Checksum is the order-independent sum of FNV-64a over (op, id, payload) of the events read
	// back; Want the same over what was written.
	Checksum, Want uint64
	Bytes          int64         // key+value bytes of the events on the topics
	WriteDur       time.Duration // the writes, first statement to last commit
	Dur            time.Duration // first write (big: the resume) to the append time of the last event
	AfterCommitDur time.Duration // last commit (big: the resume) to the append time of the last event
	PeakRSSKiB     int64         // VmHWM of connectd at the end of the case (a fresh process per case)
	MaxSampledKiB  int64
	CPUSeconds     float64
	Err            string
	Notes          []string
	HeapTop        string // go tool pprof -top of the live heap at its peak, with ProfileBinary
}

// OK reports whether every event arrived once with the right content.
func (c MemoryCase) OK() bool {
	return c.Err == "" && len(c.Bad) == 0 && c.Seen == c.Events && c.Checksum == c.Want
}

// Rate is events/s from the first write to the last event's append time.
func (c MemoryCase) Rate() float64 { return rate(c.Events, c.Dur) }

// The tables of the memory benchmark.
const (
	memTxnTable = "mem_txn" // the large transaction: id, payload text
	memBigTable = "mem_big" // 10 MiB rows: id, payload binary
)

// RunMemory runs the two cases on each database, a fresh connectd per case so its VmHWM covers
// that case alone, and returns what each did; a case that fails is reported with its error and
// the run goes on.
func RunMemory(ctx context.Context, cfg MemoryConfig) ([]MemoryCase, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Connectd == "" && cfg.ProfileBinary == "" {
		return nil, errors.New("no connectd binary given; build one with go build -o /tmp/connectd ./cmd/connectd")
	}
	if cfg.TxnRowBytes < 16 || cfg.BigRowBytes < 16 || cfg.TxnBytes < 0 || cfg.BigRows < 0 {
		return nil, errors.New("row sizes must be at least 16 bytes and counts not negative")
	}
	k, err := openKafka(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	defer k.close()
	var out []MemoryCase
	err = eachSource(ctx, Config{Namespace: cfg.Namespace, MariaDB: cfg.MariaDB, Postgres: cfg.Postgres}, cfg.DBs, cfg.Log, func(db string, src Source) error {
		for _, name := range []string{"txn", "big"} {
			if name == "txn" && cfg.TxnBytes == 0 || name == "big" && cfg.BigRows == 0 {
				continue
			}
			c := runMemoryCase(ctx, cfg, k, src, name)
			if c.Err != "" {
				fmt.Fprintf(cfg.Log, "bench: %s/%s: %s\n", db, name, c.Err)
			}
			out = append(out, c)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	})
	return out, err
}

// CleanupMemory removes what RunMemory left in cfg.Namespace: topics, schema, publication, slots.
func CleanupMemory(ctx context.Context, cfg MemoryConfig) error {
	return Cleanup(ctx, Config{Namespace: cfg.Namespace, DBs: cfg.DBs, Kafka: cfg.Kafka, MariaDB: cfg.MariaDB, Postgres: cfg.Postgres})
}

// memSource is what the memory cases need of a database beyond Source.
type memSource interface {
	Source
	createMemTables(ctx context.Context) error
	// writeTxn inserts rows 1..n of txnPayload in one transaction.
	writeTxn(ctx context.Context, n, rowBytes int) error
	// writeBig inserts rows 1..n of bigPayload version 0, one transaction each, then sets each
	// to version 1.
	writeBig(ctx context.Context, n, rowBytes int) error
	// warmup inserts row 0 of the txn table, whose event shows the connector is streaming.
	warmup(ctx context.Context) error
}

func runMemoryCase(ctx context.Context, cfg MemoryConfig, k *kafka, src Source, name string) (c MemoryCase) {
	db := src.Name()
	c.DB, c.Name = db, name
	ms, ok := src.(memSource)
	if !ok {
		c.Err = "the database has no memory workload"
		return c
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "bench: "+db+"/"+name+": "+format+"\n", args...)
	}
	prefix := cfg.Namespace + "_" + db + "_" + name
	txnTopic := prefix + "." + src.Schema() + "." + memTxnTable
	bigTopic := prefix + "." + src.Schema() + "." + memBigTable
	fail := func(err error) MemoryCase {
		c.Err = err.Error()
		return c
	}
	logf("resetting %s and topics %s.*", src.Schema(), prefix)
	if err := k.deleteTopics(ctx, nil, []string{prefix}); err != nil {
		return fail(err)
	}
	if err := src.Reset(ctx); err != nil {
		return fail(err)
	}
	if err := ms.createMemTables(ctx); err != nil {
		return fail(err)
	}
	for _, tp := range []string{txnTopic, bigTopic} {
		if err := k.createTopicWith(ctx, tp, map[string]string{"max.message.bytes": strconv.Itoa(cfg.MaxMessageBytes)}); err != nil {
			return fail(err)
		}
	}
	dir := filepath.Join(cfg.WorkDir, db+"-"+name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	bin, env := cfg.Connectd, cfg.Env
	heap := filepath.Join(dir, "heap.pprof")
	if cfg.ProfileBinary != "" {
		bin = cfg.ProfileBinary
		env = append(env, "CONNECTD_CPUPROFILE="+filepath.Join(dir, "cpu.pprof"), "CONNECTD_HEAPPROFILE="+heap)
	}
	sys, err := startConnectd(ctx, bin, dir, cfg.Kafka, env)
	if err != nil {
		return fail(err)
	}
	connName := cfg.Namespace + "-" + db + "-" + name + "-" + strconv.FormatInt(time.Now().Unix(), 10)
	stopped := false
	defer func() {
		if !stopped {
			_ = sys.rest.deleteConnector(context.Background(), connName)
			_ = sys.stop()
		}
		_ = src.DropSlots(context.Background())
	}()
	conn := src.ConnectorConfig(prefix, serverIDFor(cfg.Namespace, 10))
	conn["name"] = connName
	conn["table.include.list"] = src.Schema() + `\.` + memTxnTable + "|" + src.Schema() + `\.` + memBigTable
	if db == "postgres" {
		conn["publication.autocreate.mode"] = "disabled"
	}
	if _, ok := conn["schema.history.internal.kafka.topic"]; ok {
		conn["schema.history.internal.kafka.bootstrap.servers"] = cfg.Kafka
	}
	// As Debezium users do for large rows: a producer that accepts records of the topics'
	// max.message.bytes. Everything else (queue, batch, producer buffer) stays at its default.
	conn["producer.override.max.request.size"] = strconv.Itoa(cfg.MaxMessageBytes)
	for _, cv := range []string{"key", "value"} {
		conn[cv+".converter"] = "org.apache.kafka.connect.json.JsonConverter"
		conn[cv+".converter.schemas.enable"] = "false"
	}
	check := func(ctx context.Context) error { return sys.rest.failed(ctx, connName) }
	s := startSampler(sys.pid, 100*time.Millisecond)
	u0 := s.now()
	if err := sys.rest.createConnector(ctx, connName, conn); err != nil {
		s.finish()
		return fail(err)
	}
	// The warm-up row's event proves the connector streams before the measured writes start.
	if err := ms.warmup(ctx); err != nil {
		s.finish()
		return fail(err)
	}
	if err := k.waitForEnd(ctx, txnTopic, 1, cfg.Stall, check); err != nil {
		s.finish()
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	topic, from := txnTopic, int64(1)
	var want uint64
	resumed := false
	t0 := time.Now()
	switch name {
	case "txn":
		n := int(cfg.TxnBytes / int64(cfg.TxnRowBytes))
		c.Events = n
		logf("one transaction of %d rows of %d bytes (%.0f MiB)", n, cfg.TxnRowBytes, float64(n)*float64(cfg.TxnRowBytes)/(1<<20))
		if err := ms.writeTxn(ctx, n, cfg.TxnRowBytes); err != nil {
			s.finish()
			return fail(fmt.Errorf("writing the transaction: %w", err))
		}
		for id := 1; id <= n; id++ {
			want += eventSum("c", id, txnPayload(id, cfg.TxnRowBytes))
		}
	case "big":
		n := cfg.BigRows
		c.Events = 2 * n
		topic, from = bigTopic, 0
		// Written while the connector is paused, so it resumes with the whole backlog in the
		// log: what connectd reads ahead of Kafka is then bounded only by connectd.
		logf("%d rows of %d bytes inserted, then each updated, while the connector is paused", n, cfg.BigRowBytes)
		if err := sys.rest.setState(ctx, connName, "pause", "PAUSED"); err != nil {
			s.finish()
			return fail(err)
		}
		t0 = time.Now()
		if err := ms.writeBig(ctx, n, cfg.BigRowBytes); err != nil {
			s.finish()
			return fail(fmt.Errorf("writing the rows: %w", err))
		}
		for id := 1; id <= n; id++ {
			want += eventSum("c", id, bigPayload(id, 0, cfg.BigRowBytes)) + eventSum("u", id, bigPayload(id, 1, cfg.BigRowBytes))
		}
		c.WriteDur = time.Since(t0)
		t0 = time.Now()
		if err := sys.rest.setState(ctx, connName, "resume", "RUNNING"); err != nil {
			s.finish()
			return fail(err)
		}
		resumed = true
	}
	if !resumed {
		c.WriteDur = time.Since(t0)
	}
	c.Want = want
	logf("written in %s; waiting for %d events", c.WriteDur.Round(time.Millisecond), c.Events)
	if err := k.waitForEnd(ctx, topic, from+int64(c.Events), cfg.Stall, check); err != nil {
		last, maxRSS, _ := s.finish()
		c.PeakRSSKiB, c.MaxSampledKiB = last.HWMKiB, maxRSS
		return fail(err)
	}
	last, maxRSS, err := s.finish()
	if err != nil {
		return fail(err)
	}
	c.PeakRSSKiB, c.MaxSampledKiB, c.CPUSeconds = last.HWMKiB, maxRSS, last.CPU-u0.CPU
	if end, err := k.appendTime(ctx, topic, from+int64(c.Events)-1); err == nil {
		c.Dur = end.Sub(t0)
		c.AfterCommitDur = end.Sub(t0.Add(c.WriteDur))
		if resumed {
			c.AfterCommitDur = c.Dur
		}
	}
	c.Notes = append(c.Notes, sys.logNotes()...)
	logf("peak RSS %d MiB; stopping connectd and checking every event", c.PeakRSSKiB>>10)
	stopped = true
	_ = sys.rest.deleteConnector(ctx, connName)
	if err := sys.stop(); err != nil {
		c.Notes = append(c.Notes, err.Error())
	}
	if cfg.ProfileBinary != "" {
		if _, err := os.Stat(heap); err == nil {
			if top, err := pprofTop(ctx, cfg.ProfileBinary, heap); err == nil {
				c.HeapTop = top
			} else {
				c.Notes = append(c.Notes, err.Error())
			}
		}
	}
	if err := verifyMemoryEvents(ctx, k, topic, from, &c, cfg); err != nil {
		return fail(err)
	}
	if err := k.deleteTopics(ctx, nil, []string{prefix}); err != nil {
		c.Notes = append(c.Notes, err.Error())
	}
	return c
}

// verifyMemoryEvents reads the case's events back and checks each against what was written:
// every id once per operation, the payload byte for byte, and the checksum.
func verifyMemoryEvents(ctx context.Context, k *kafka, topic string, from int64, c *MemoryCase, cfg MemoryConfig) error {
	seen := map[string][]bool{"c": make([]bool, c.Events+1), "u": make([]bool, c.Events+1)}
	bad := func(format string, args ...any) {
		if len(c.Bad) < 10 {
			c.Bad = append(c.Bad, fmt.Sprintf(format, args...))
		}
	}
	var decodeErr error
	err := k.readRange(ctx, topic, from, from+int64(c.Events), func(r *kgo.Record) {
		c.Bytes += int64(len(r.Key) + len(r.Value))
		c.Seen++
		var v struct {
			Op    string `json:"op"`
			After *struct {
				ID      int64  `json:"id"`
				Payload string `json:"payload"`
			} `json:"after"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			if decodeErr == nil {
				decodeErr = fmt.Errorf("record at offset %d of %s is not JSON: %w", r.Offset, topic, err)
			}
			return
		}
		if v.After == nil {
			bad("offset %d: op %q without after", r.Offset, v.Op)
			return
		}
		id := int(v.After.ID)
		var want []byte
		switch {
		case c.Name == "txn" && v.Op == "c" && id >= 1 && id <= c.Events:
			want = txnPayload(id, cfg.TxnRowBytes)
		case c.Name == "big" && (v.Op == "c" || v.Op == "u") && id >= 1 && id <= cfg.BigRows:
			version := 0
			if v.Op == "u" {
				version = 1
			}
			want = bigPayload(id, version, cfg.BigRowBytes)
		default:
			bad("offset %d: unexpected op %q for id %d", r.Offset, v.Op, id)
			return
		}
		got := []byte(v.After.Payload)
		if c.Name == "big" {
			b, err := base64.StdEncoding.DecodeString(v.After.Payload)
			if err != nil {
				bad("offset %d: id %d payload is not base64: %v", r.Offset, id, err)
				return
			}
			got = b
		}
		if string(got) != string(want) {
			bad("offset %d: id %d op %s: payload of %d bytes differs from the %d written", r.Offset, id, v.Op, len(got), len(want))
			return
		}
		if seen[v.Op][id] {
			bad("offset %d: id %d op %s is a duplicate", r.Offset, id, v.Op)
		}
		seen[v.Op][id] = true
		c.Checksum += eventSum(v.Op, id, got)
	})
	if err != nil {
		return err
	}
	return decodeErr
}

// eventSum is one event's term of the checksum.
func eventSum(op string, id int, payload []byte) uint64 {
	h := fnv.New64a()
	h.Write([]byte(op))
	h.Write([]byte(strconv.Itoa(id)))
	h.Write(payload)
	return h.Sum64()
}

// memAlphabet holds characters that need no escaping in SQL literals, JSON or CSV.
const memAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// fill writes a deterministic pseudo-random text of len(b) bytes from seed into b.
func fill(b []byte, seed uint64) []byte {
	x := seed*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = memAlphabet[x%uint64(len(memAlphabet))]
	}
	return b
}

// txnPayload is row id's text in the large transaction.
func txnPayload(id, n int) []byte { return fill(make([]byte, n), uint64(id)) }

// bigPayload is row id's content at version 0 (insert) or 1 (update).
func bigPayload(id, version, n int) []byte {
	return fill(make([]byte, n), uint64(id)<<1|uint64(version)|1<<40)
}

// mariaDB's memory workload.

func (m *mariaDB) createMemTables(context.Context) error {
	if err := m.exec("CREATE TABLE " + m.schema + "." + memTxnTable + " (id BIGINT NOT NULL PRIMARY KEY, payload LONGTEXT NOT NULL) ENGINE=InnoDB"); err != nil {
		return err
	}
	return m.exec("CREATE TABLE " + m.schema + "." + memBigTable + " (id BIGINT NOT NULL PRIMARY KEY, payload LONGBLOB NOT NULL) ENGINE=InnoDB")
}

func (m *mariaDB) warmup(context.Context) error {
	return m.exec("INSERT INTO " + m.schema + "." + memTxnTable + " VALUES (0, 'warm-up')")
}

// memStatementBytes is the largest INSERT the memory workload sends (MariaDB's
// max_allowed_packet is 16 MiB by default).
const memStatementBytes = 4 << 20

func (m *mariaDB) writeTxn(ctx context.Context, n, rowBytes int) error {
	if err := m.exec("BEGIN"); err != nil {
		return err
	}
	var b strings.Builder
	buf := make([]byte, rowBytes)
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := m.exec(b.String())
		b.Reset()
		return err
	}
	for id := 1; id <= n; id++ {
		if err := ctx.Err(); err != nil {
			_ = m.exec("ROLLBACK")
			return err
		}
		if b.Len() == 0 {
			b.WriteString("INSERT INTO " + m.schema + "." + memTxnTable + " VALUES ")
		} else {
			b.WriteByte(',')
		}
		b.WriteString("(" + strconv.Itoa(id) + ",'")
		b.Write(fill(buf, uint64(id)))
		b.WriteString("')")
		if b.Len() >= memStatementBytes {
			if err := flush(); err != nil {
				_ = m.exec("ROLLBACK")
				return err
			}
		}
	}
	if err := flush(); err != nil {
		_ = m.exec("ROLLBACK")
		return err
	}
	return m.exec("COMMIT")
}

func (m *mariaDB) writeBig(ctx context.Context, n, rowBytes int) error {
	buf := make([]byte, rowBytes)
	for version := 0; version < 2; version++ {
		for id := 1; id <= n; id++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := string(fill(buf, uint64(id)<<1|uint64(version)|1<<40))
			q := "INSERT INTO " + m.schema + "." + memBigTable + " VALUES (" + strconv.Itoa(id) + ",'" + p + "')"
			if version == 1 {
				q = "UPDATE " + m.schema + "." + memBigTable + " SET payload='" + p + "' WHERE id=" + strconv.Itoa(id)
			}
			if err := m.exec(q); err != nil {
				return err
			}
		}
	}
	return nil
}

// postgres's memory workload.

func (p *postgres) createMemTables(ctx context.Context) error {
	for _, q := range []string{
		"CREATE TABLE " + p.schema + "." + memTxnTable + " (id BIGINT NOT NULL PRIMARY KEY, payload TEXT NOT NULL)",
		"CREATE TABLE " + p.schema + "." + memBigTable + " (id BIGINT NOT NULL PRIMARY KEY, payload BYTEA NOT NULL)",
		"ALTER PUBLICATION " + p.pub() + " ADD TABLE " + p.schema + "." + memTxnTable + ", " + p.schema + "." + memBigTable,
	} {
		if err := p.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (p *postgres) warmup(ctx context.Context) error {
	return p.exec(ctx, "INSERT INTO "+p.schema+"."+memTxnTable+" VALUES (0, 'warm-up')")
}

// writeTxn loads the rows with COPY inside one transaction: the server streams it to the
// connector in chunks (pgoutput protocol 2) once it passes logical_decoding_work_mem.
func (p *postgres) writeTxn(ctx context.Context, n, rowBytes int) error {
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: BEGIN: %w", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	id := 0
	buf := make([]byte, rowBytes)
	rows := pgx.CopyFromFunc(func() ([]any, error) {
		if id >= n {
			return nil, nil
		}
		id++
		return []any{int64(id), string(fill(buf, uint64(id)))}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{p.schema, memTxnTable}, []string{"id", "payload"}, rows); err != nil {
		return fmt.Errorf("postgres: COPY into %s.%s: %w", p.schema, memTxnTable, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: COMMIT: %w", err)
	}
	return nil
}

func (p *postgres) writeBig(ctx context.Context, n, rowBytes int) error {
	buf := make([]byte, rowBytes)
	for version := 0; version < 2; version++ {
		for id := 1; id <= n; id++ {
			v := fill(buf, uint64(id)<<1|uint64(version)|1<<40)
			// The bytes are ASCII letters and digits: convert_to gives them as bytea without
			// a 2× hex literal.
			q := "INSERT INTO " + p.schema + "." + memBigTable + " VALUES (" + strconv.Itoa(id) + ", convert_to('" + string(v) + "', 'UTF8'))"
			if version == 1 {
				q = "UPDATE " + p.schema + "." + memBigTable + " SET payload=convert_to('" + string(v) + "', 'UTF8') WHERE id=" + strconv.Itoa(id)
			}
			if err := p.exec(ctx, q); err != nil {
				return err
			}
		}
	}
	return nil
}

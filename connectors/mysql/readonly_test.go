package mysql

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/incrtest"
)

// readOnlyUser creates a user that can read and replicate but write nothing (SELECT,
// REPLICATION SLAVE, REPLICATION CLIENT, RELOAD), dropped when the test ends, and checks that it
// indeed cannot write into the test database.
func readOnlyUser(t *testing.T, d *db) (user, password string) {
	t.Helper()
	user, password = fmt.Sprintf("ro%d", time.Now().UnixNano()%1e9), "ro-Secret-7"
	hosts := []string{"%", "localhost", "127.0.0.1"}
	for _, h := range hosts {
		d.exec(fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, h, password),
			fmt.Sprintf("GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.* TO '%s'@'%s'", user, h))
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			if r, err := d.conn.Execute(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%s'", user, h)); err == nil {
				r.Close()
			}
		}
	})
	conn, err := client.Connect(net.JoinHostPort(d.tb.Host, strconv.Itoa(d.tb.Port)), user, password, d.name)
	if err != nil {
		t.Fatalf("connect as the read-only user: %v", err)
	}
	defer conn.Close()
	if r, err := conn.Execute("INSERT INTO dbz_signal VALUES ('x', 'log', '{}')"); err == nil {
		r.Close()
		t.Fatal("the read-only user could write into the signal table")
	}
	return user, password
}

// TestIncrementalSnapshotReadOnly runs a read.only=true incremental snapshot as a user without
// any write privilege, signalled through Kafka while a writer inserts, updates and deletes rows.
// The task is stopped in the middle (keeping what it handed out, as after kill -9) and a second
// task continues from the offsets at the current chunk. The latest event of every key is the
// table's row, the offsets carry Debezium's incremental_snapshot_* fields, and the signal table
// (configured, so a writing connector would use it) stays empty.
func TestIncrementalSnapshotReadOnly(t *testing.T) {
	rows := incrtest.Rows(t, 20000) / 2
	const chunk = 400
	d := newDB(t)
	createBig(d, rows)
	user, password := readOnlyUser(t, d)

	cl, brokers, sigTopic := signalTopic(t, "rosignals")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	prefix := "incro" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "database.user", user, "database.password", password, "read.only", "true",
		"snapshot.mode", "no_data", "signal.data.collection", d.name+".dbz_signal",
		"signal.enabled.channels", "source,kafka", "signal.kafka.topic", sigTopic, "signal.kafka.bootstrap.servers", brokers,
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "log",
		"max.batch.size", "256", "max.queue.size", "1024", "database.server.id", "6314")
	bigTopic := prefix + "." + d.name + ".big"
	hist, offs := &memHistory{}, &memOffsets{}
	readIDs := map[string]int{}
	reads := 0
	count := func(rec *api.SourceRecord) {
		if rec.Topic != bigTopic || rec.Value == nil {
			return
		}
		if dr := decode(t, rec); dr.Value["op"] == "r" {
			reads++
			readIDs[fmt.Sprint(dr.Key["id"])]++
			if src, _ := dr.Value["source"].(map[string]any); src["snapshot"] != "incremental" {
				t.Fatalf("a read event's source.snapshot is %v, want incremental", src["snapshot"])
			}
		}
	}

	r1, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r1.waitStreaming()
	w := startWriter(t, d, rows)
	defer w.Halt()
	signal := `{"id":"ro-1","type":"execute-snapshot","data":{"data-collections":["` + d.name + `.big"],"type":"INCREMENTAL"}}`
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: sigTopic, Key: []byte(prefix), Value: []byte(signal)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r1.pollOffsets(offs, "a third of the rows", count, func() bool { return reads >= rows/3 })
	if err := r1.task.Stop(); err != nil {
		t.Fatal(err)
	}
	firstReads := reads
	stored, _ := offs.Offset(context.Background(), nil)
	if stored[source.OffIncCollections] == nil || stored[source.OffIncPrimaryKey] == nil || stored[source.OffIncMaximumKey] == nil ||
		stored[source.OffIncCorrelationID] != "ro-1" {
		t.Fatalf("the committed offset mid-snapshot has no incremental snapshot progress: %v", stored)
	}
	if _, err := source.DecodeJavaKey(stored[source.OffIncPrimaryKey].(string)); err != nil {
		t.Fatalf("incremental_snapshot_primary_key is not Debezium's serialized key: %v", err)
	}

	r2 := finishSnapshot(t, d, cfg, hist, offs, w, count)
	t.Logf("writes %d; reads: first run %d, total %d, distinct keys %d, of %d initial rows", w.Changes(), firstReads, reads, len(readIDs), rows)
	if dup := reads - len(readIDs); dup > 2*chunk {
		t.Errorf("%d of %d read events repeat a key (limit %d): the second run did not continue at the current chunk", dup, reads, 2*chunk)
	}
	if reads > rows+rows/10+2*chunk || reads == firstReads {
		t.Errorf("%d read events (%d in the first run) for a table of at most %d rows", reads, firstReads, rows+rows/10)
	}
	if last, _ := offs.Offset(context.Background(), nil); last[source.OffIncCollections] != nil {
		t.Errorf("the offset after the snapshot still has its progress: %v", last)
	}
	if n := d.m.Query("SELECT COUNT(*) FROM dbz_signal")[0][0]; n != "0" {
		t.Errorf("the signal table has %s rows: a read-only connector wrote into it", n)
	}
	checkLatest(t, d, append(r1.all, r2.all...), bigTopic)
}

func TestWatermarkReached(t *testing.T) {
	s := &streamer{t: &Task{flavor: FlavorMariaDB}}
	for _, c := range []struct {
		stream, low, high string
		want              bool
	}{
		{"0-1-10", "0-1-8", "0-1-10", true},
		{"0-1-9", "0-1-8", "0-1-10", false},
		{"0-1-12,1-2-5", "0-1-8,1-2-5", "0-1-10,1-2-5", true},
		{"0-1-12,1-2-4", "0-1-8,1-2-4", "0-1-10,1-2-6", false},
		// A domain the stream has not seen yet counts when the chunk's read left it alone.
		{"0-1-12", "0-1-8,3-1-7", "0-1-10,3-1-7", true},
		{"0-1-12", "0-1-8,3-1-7", "0-1-10,3-1-8", false},
		// The high watermark names the last GTID of a domain, whatever server wrote it.
		{"0-2-10", "0-1-8", "0-1-10", true},
	} {
		g, err := newGTIDTracker(FlavorMariaDB, c.stream)
		if err != nil {
			t.Fatal(err)
		}
		s.gtids = g
		if got := s.watermarkReached(c.low, c.high); got != c.want {
			t.Errorf("stream at %s, chunk %s..%s: reached=%v, want %v", c.stream, c.low, c.high, got, c.want)
		}
	}
	s = &streamer{t: &Task{flavor: FlavorMySQL}}
	u := "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	for _, c := range []struct {
		stream, high string
		want         bool
	}{
		{u + ":1-10", u + ":1-10", true},
		{u + ":1-9", u + ":1-10", false},
		{u + ":1-12", u + ":1-10", true},
	} {
		g, err := newGTIDTracker(FlavorMySQL, c.stream)
		if err != nil {
			t.Fatal(err)
		}
		s.gtids = g
		if got := s.watermarkReached("", c.high); got != c.want {
			t.Errorf("MySQL stream at %s, high %s: reached=%v, want %v", c.stream, c.high, got, c.want)
		}
	}
}

func TestCollationFold(t *testing.T) {
	for _, c := range []struct {
		coll, a, b string
		equal      bool
	}{
		{"utf8mb4_general_ci", "Abc  ", "aBC", true},
		{"utf8mb4_general_ci", "abc", "abd", false},
		{"utf8mb4_bin", "abc ", "abc", true},
		{"utf8mb4_bin", "abc", "ABC", false},
		{"utf8mb4_nopad_bin", "abc ", "abc", false},
		{"utf8mb4_0900_ai_ci", "ABC", "abc", true},
		{"utf8mb4_0900_ai_ci", "abc ", "abc", false},
		{"utf8mb4_turkish_ci", "I", "i", false},
		{"utf8mb4_turkish_ci", "i ", "i", true},
		{"latin1_swedish_ci", "\tx", "\tX", true},
		{"binary", "a ", "a", false},
	} {
		f := collationFold(c.coll)
		fa, fb := c.a, c.b
		if f != nil {
			fa, fb = f(c.a), f(c.b)
		}
		if (fa == fb) != c.equal {
			t.Errorf("%s: %q and %q folded to %q and %q; want equal=%v", c.coll, c.a, c.b, fa, fb, c.equal)
		}
	}
}

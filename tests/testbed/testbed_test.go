package testbed_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// deadline bounds each wait on a real service so a broken test bed fails the test instead of
// hanging it; it is a safety net, not an assertion about speed.
const deadline = 2 * time.Minute

// createTopic makes a one-partition topic so producers never race the broker's auto-creation.
func createTopic(t *testing.T, ctx context.Context, bootstrap, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		t.Fatalf("create admin client: %v", err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// consumeOne reads the first record of topic from the start.
func consumeOne(t *testing.T, ctx context.Context, bootstrap, topic string) *kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("no record arrived on %s: %v", topic, err)
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s[%d]: %v", fe.Topic, fe.Partition, fe.Err)
			}
		}
		if recs := fetches.Records(); len(recs) > 0 {
			return recs[0]
		}
	}
}

func TestKafkaProduceConsume(t *testing.T) {
	bootstrap := testbed.Kafka(t)
	topic := testbed.Topic(t, "testbed")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	createTopic(t, ctx, bootstrap, topic)

	prod, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(topic), kgo.UnknownTopicRetries(-1))
	if err != nil {
		t.Fatalf("create producer: %v", err)
	}
	defer prod.Close()
	// Bytes that are not valid UTF-8 and contain the separators text tools use, so any
	// re-encoding on the way would show.
	key := []byte{0x00, 'k', '|', 0xff}
	value := []byte{0xde, 0xad, '\n', 0xbe, 0xef, 0x00}
	if err := prod.ProduceSync(ctx, &kgo.Record{Key: key, Value: value}).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}

	rec := consumeOne(t, ctx, bootstrap, topic)
	if !bytes.Equal(rec.Key, key) || !bytes.Equal(rec.Value, value) {
		t.Fatalf("read back key %x value %x, want key %x value %x", rec.Key, rec.Value, key, value)
	}
}

func TestConsoleProducerKeyedRecord(t *testing.T) {
	producer := testbed.ConsoleProducer(t)
	bootstrap := testbed.Kafka(t)
	topic := testbed.Topic(t, "testbed")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	createTopic(t, ctx, bootstrap, topic)

	cmd := exec.CommandContext(ctx, producer, "--bootstrap-server", bootstrap, "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=|")
	cmd.Stdin = strings.NewReader("k1|v1\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("console producer failed: %v\n%s", err, out)
	}

	rec := consumeOne(t, ctx, bootstrap, topic)
	if string(rec.Key) != "k1" || string(rec.Value) != "v1" {
		t.Fatalf("read back key %q value %q, want key \"k1\" value \"v1\"", rec.Key, rec.Value)
	}
}

func TestPostgresLogicalWAL(t *testing.T) {
	db := testbed.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	dsn := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(db.User, db.Password),
		Host:   db.Addr(),
		Path:   "/" + db.Database,
	}
	conn, err := pgx.Connect(ctx, dsn.String())
	if err != nil {
		t.Fatalf("connect to PostgreSQL at %s: %v", db.Addr(), err)
	}
	defer conn.Close(context.Background())

	var walLevel string
	var replication bool
	if err := conn.QueryRow(ctx, "SELECT current_setting('wal_level'), rolreplication FROM pg_roles WHERE rolname = current_user").
		Scan(&walLevel, &replication); err != nil {
		t.Fatalf("query settings: %v", err)
	}
	if walLevel != "logical" {
		t.Errorf("wal_level = %q, want logical", walLevel)
	}
	if !replication {
		t.Errorf("user %s lacks REPLICATION", db.User)
	}
}

func TestMariaDBRowBinlog(t *testing.T) {
	db := testbed.MariaDB(t)
	conn, err := client.Connect(db.Addr(), db.User, db.Password, db.Database)
	if err != nil {
		t.Fatalf("connect to MariaDB at %s: %v", db.Addr(), err)
	}
	defer conn.Close()

	res, err := conn.Execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata')")
	if err != nil {
		t.Fatalf("read variables: %v", err)
	}
	defer res.Close()
	got := map[string]string{}
	for row := range res.Values {
		name, _ := res.GetString(row, 0)
		value, _ := res.GetString(row, 1)
		got[name] = value
	}
	want := map[string]string{"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL"}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %q, want %q", name, got[name], v)
		}
	}
}

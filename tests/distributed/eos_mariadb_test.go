package distributed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	myclient "github.com/go-mysql-org/go-mysql/client"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// The MariaDB connector streams inserts (one row per transaction, ~200/s) under
// transaction.boundary=poll while a worker process is killed -9 at random points and replaced.
// A read_committed consumer then sees every inserted row exactly once with exactly-once support
// enabled; with it disabled nothing is lost and the duplicates are counted.
func TestExactlyOnceMariaDBKillNine(t *testing.T) {
	for i, mode := range []string{"enabled", "disabled"} {
		t.Run(mode, func(t *testing.T) { eosMariaDBRun(t, mode == "enabled", strconv.Itoa(6281+i)) })
	}
}

func eosMariaDBRun(t *testing.T, eos bool, serverID string) {
	kills := eosKills(t)
	d := mariadb.New(t, "eos")
	d.Exec("CREATE TABLE rows_in (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)")
	c := newEOSCluster(t)
	if eos {
		c.props["exactly.once.source.support"] = "enabled"
	}
	ws := []*worker{c.startProcess(), c.startProcess()}
	settled(t, ws...)
	prefix := testbed.Topic(t, "eosdb")
	topic := prefix + "." + d.Name + ".rows_in"
	cfg := map[string]string{
		"connector.class": "io.debezium.connector.mariadb.MariaDbConnector", "tasks.max": "1", "topic.prefix": prefix,
		"database.hostname": d.TB.Host, "database.port": strconv.Itoa(d.TB.Port), "database.user": d.TB.User, "database.password": d.TB.Password,
		"database.server.id": serverID, "database.include.list": d.Name,
		"schema.history.internal.kafka.topic": prefix + "-history", "schema.history.internal.kafka.bootstrap.servers": c.brokers,
		"poll.interval.ms": "50", "transaction.boundary": "poll",
	}
	if eos {
		cfg["exactly.once.support"] = "required"
	}
	body, _ := json.Marshal(map[string]any{"name": "db", "config": cfg})
	ws[0].expect(201, "POST", "/connectors", string(body))
	ws[0].WaitStatus("db", "RUNNING", "RUNNING")

	// The writer inserts rows 1, 2, ... one per transaction until stopped.
	var written atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		w, err := myclient.Connect(net.JoinHostPort(d.TB.Host, strconv.Itoa(d.TB.Port)), d.TB.User, d.TB.Password, d.Name)
		if err != nil {
			done <- err
			return
		}
		defer w.Close()
		for id := 1; ; id++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			r, err := w.Execute(fmt.Sprintf("INSERT INTO rows_in VALUES (%d, 'v%d')", id, id))
			if err != nil {
				done <- err
				return
			}
			r.Close()
			written.Store(int64(id))
			time.Sleep(5 * time.Millisecond)
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 29))
	for i := range kills {
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		// The worker running the task: killing the other one only causes a rebalance, which
		// stops the task gracefully.
		st := ws[0].WaitStatus("db", "RUNNING", "RUNNING")
		k := 0
		if ws[1].url == st.Tasks[0].WorkerID {
			k = 1
		}
		ws[k].kill()
		t.Logf("kill %d: killed -9 worker %s after %d rows written", i+1, ws[k].url, written.Load())
		ws[k] = c.startProcess()
		ws[1-k].WaitStatus("db", "RUNNING", "RUNNING")
	}
	time.Sleep(2 * time.Second)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	n := written.Load()

	seen := readRowIDs(t, c.brokers, topic, n)
	lost, dups := 0, 0
	for id := int64(1); id <= n; id++ {
		switch k := seen[id]; {
		case k == 0:
			lost++
		case k > 1:
			dups += k - 1
		}
	}
	t.Logf("MariaDB, exactly.once.source.support=%v: %d kills, %d rows, read_committed saw %d lost, %d duplicates",
		map[bool]string{true: "enabled", false: "disabled"}[eos], kills, n, lost, dups)
	if lost > 0 {
		t.Fatalf("%d rows lost", lost)
	}
	if eos && dups > 0 {
		t.Fatalf("%d duplicates with exactly-once support enabled", dups)
	}
}

// readRowIDs reads the table topic read_committed until rows 1..n were all seen and nothing more
// came for 3 s, and returns how often each row's insert event appeared.
func readRowIDs(t *testing.T, brokers, topic string, n int64) map[int64]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[int64]int{}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		got := 0
		fs.EachRecord(func(r *kgo.Record) {
			if r.Value == nil {
				return
			}
			var ev struct {
				Op    string `json:"op"`
				After *struct {
					ID int64 `json:"id"`
				} `json:"after"`
			}
			if err := json.Unmarshal(r.Value, &ev); err != nil {
				t.Fatalf("event %q: %v", r.Value, err)
			}
			if ev.After != nil && (ev.Op == "c" || ev.Op == "r") {
				seen[ev.After.ID]++
				got++
			}
		})
		if got == 0 && int64(len(seen)) >= n {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d distinct rows of %d in %s after 3 minutes", len(seen), n, topic)
		}
	}
}

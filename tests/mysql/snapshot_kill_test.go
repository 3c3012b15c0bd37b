package mysql

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestSnapshotKillResume runs the test binary as a standalone worker (file offsets, flushed
// every 100 ms), SIGKILLs it in the middle of the snapshot of a large table while a writer
// inserts, updates and deletes, starts a new worker on the same offsets file and creates the
// connector again. The snapshot must continue after the last committed chunk (at most two chunks
// of keys read twice: the test fails if it starts from zero), and once the log from the
// snapshot's position is replayed, the latest event of every key must equal the table (no key
// lost: the test fails if a chunk is skipped; no deleted row back). CONNECTD_RESUME_ROWS sets
// the table's size (the full run is 1000000; the default keeps the test short).
//
// The threads=4 variant reads three more tables (static, half the size) on four connections,
// so the kill leaves a parallel progress (finished tables, per-table keys) in the offsets; the
// same bounds apply, over all tables.
func TestSnapshotKillResume(t *testing.T) {
	for _, threads := range []int{1, 4} {
		t.Run("threads="+strconv.Itoa(threads), func(t *testing.T) { snapshotKillResume(t, threads) })
	}
}

func snapshotKillResume(t *testing.T, threads int) {
	rows := 150000
	if s := os.Getenv("CONNECTD_RESUME_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			t.Fatalf("CONNECTD_RESUME_ROWS=%q: want an integer of at least 1000", s)
		}
		rows = n
	}
	// Chunks large against what the worker hands to Kafka between two offset flushes (some
	// 20,000 records here), since only flushed offsets survive the kill.
	chunk := min(rows/10, 20000)
	d := mariadb.New(t, "kill")
	d.Exec("CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL)", "CREATE TABLE done (id INT PRIMARY KEY)")
	for start := 1; start <= rows; start += 10000 {
		var b strings.Builder
		b.WriteString("INSERT INTO big VALUES ")
		for i := start; i < start+10000 && i <= rows; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,0)", i)
		}
		d.Exec(b.String())
	}
	var extras []string
	if threads > 1 {
		extras = []string{"big_a", "big_b", "big_c"}
	}
	for _, x := range extras {
		d.Exec("CREATE TABLE "+x+" (id INT PRIMARY KEY, v INT NOT NULL)",
			"INSERT INTO "+x+" SELECT seq, 0 FROM seq_1_to_"+strconv.Itoa(rows/2))
	}
	prefix := testbed.Topic(t, "kill")
	cfg := connectorConfig(d, prefix, prefix+"-history", "snapshot.fetch.size", strconv.Itoa(chunk),
		"snapshot.max.threads", strconv.Itoa(threads),
		// A server id of its own: another test of this package may stream at the same time.
		"database.server.id", strconv.Itoa(6296+threads))
	bigTopic := prefix + "." + d.Name + ".big"
	doneTopic := prefix + "." + d.Name + ".done"
	topics := []string{bigTopic}
	for _, x := range extras {
		topics = append(topics, prefix+"."+d.Name+"."+x)
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "connectd-test")
	build := exec.Command("go", "build", "-o", bin, "./tests/cmd/connectd-test")
	build.Dir = testbed.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	wr := startBigWriter(t, d, 2, rows, 2*time.Millisecond)
	defer func() { _ = wr.Halt() }()

	c := e2e.NewConsumer(t, append([]string{doneTopic}, topics...)...)
	w1, cmd1 := startKillableWorker(t, bin, dir, "1")
	if code, b := w1.Call("POST", "/connectors", map[string]any{"name": "kill", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	c.WaitFor(bigTopic, rows/4)
	if err := cmd1.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd1.Wait()
	c.Settle(2 * time.Second)
	firstRun := len(c.Records(bigTopic))
	before := map[string]int{}
	for _, tp := range topics {
		before[tp] = len(c.Records(tp))
	}
	if firstRun >= rows {
		t.Fatalf("the snapshot (%d records) ended before the kill: make the table larger", firstRun)
	}

	w2, _ := startKillableWorker(t, bin, dir, "2")
	if code, b := w2.Call("POST", "/connectors", map[string]any{"name": "kill", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	// Wait for the end of the snapshot, then stop the writer and mark the end of the log.
	deadline := time.Now().Add(3 * time.Minute)
	ended := func() bool {
		for _, tp := range topics {
			if snapshotEnded(c.Records(tp)[before[tp]:]) {
				return true
			}
		}
		return false
	}
	for !ended() {
		if time.Now().After(deadline) {
			t.Fatalf("the resumed snapshot did not end; last records:\n%s", e2e.Dump(e2e.Tail(c.Records(bigTopic), 5)))
		}
		c.Settle(500 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if err := wr.Halt(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	d.Exec("INSERT INTO done VALUES (1)")
	c.WaitFor(doneTopic, 1)
	c.Settle(time.Second)

	evs := e2e.Events(t, c.Records(bigTopic))
	reads, readKeys := 0, map[string]bool{}
	latest := map[string]string{} // key -> after, "" when deleted
	for _, e := range evs {
		var k struct{ ID int64 }
		if err := json.Unmarshal([]byte(e.Key), &k); err != nil {
			t.Fatalf("key %q: %v", e.Key, err)
		}
		id := strconv.FormatInt(k.ID, 10)
		switch e.Op {
		case "r":
			reads++
			readKeys[id] = true
			latest[id] = e.After
		case "c", "u":
			latest[id] = e.After
		case "d", "tombstone":
			latest[id] = ""
		}
	}
	t.Logf("%d writes; %d records before the kill, %d after; %d read events, %d distinct keys read, chunk %d",
		wr.Changes(), firstRun, len(evs)-firstRun, reads, len(readKeys), chunk)
	// The static tables: every row read, once but for what was emitted after the last flush.
	dup := reads - len(readKeys)
	for _, tp := range topics[1:] {
		seen := map[string]int{}
		for _, e := range e2e.Events(t, c.Records(tp)) {
			if e.Op != "r" {
				t.Fatalf("%s: a %s event in a table nothing writes", tp, e)
			}
			seen[e.Key]++
			dup += max(0, seen[e.Key]-1)
		}
		if len(seen) != rows/2 {
			t.Errorf("%s: %d keys read, want %d: a chunk was lost", tp, len(seen), rows/2)
		}
	}
	if dup > 2*chunk {
		t.Errorf("%d read events repeat a key (limit 2 chunks = %d): the snapshot did not continue after the committed chunk", dup, 2*chunk)
	}
	table := map[string]string{}
	for _, r := range d.Query("SELECT id, v FROM big") {
		table[r[0]] = fmt.Sprintf(`{"id":%s,"v":%s}`, r[0], r[1])
	}
	lost, back, wrong := 0, 0, 0
	for id, want := range table {
		got := latest[id]
		switch {
		case got == "":
			lost++
			if lost <= 5 {
				t.Errorf("key %s is in the table (%s) but has no live latest event", id, want)
			}
		case got != want:
			wrong++
			if wrong <= 5 {
				t.Errorf("key %s: table %s, latest event %s", id, want, got)
			}
		}
	}
	for id, got := range latest {
		if _, ok := table[id]; !ok && got != "" {
			back++
			if back <= 5 {
				t.Errorf("key %s was deleted but its latest event is %s", id, got)
			}
		}
	}
	if lost+back+wrong > 0 {
		t.Fatalf("%d keys lost, %d deleted rows back, %d wrong among %d rows", lost, back, wrong, len(table))
	}
}

// snapshotEnded reports whether rs holds the snapshot's last record (source.snapshot "last").
func snapshotEnded(rs []*kgo.Record) bool {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Value != nil && strings.Contains(string(rs[i].Value), `"snapshot":"last"`) {
			return true
		}
	}
	return false
}

// startKillableWorker runs bin as a standalone worker with its offsets in dir/offsets, flushed
// every 100 ms; tag names its log. The process is killed at the test's end if still running.
func startKillableWorker(t *testing.T, bin, dir, tag string) (*e2e.Worker, *exec.Cmd) {
	t.Helper()
	port := e2e.FreePort(t)
	props := fmt.Sprintf("bootstrap.servers=%s\noffset.storage.file.filename=%s\nlisteners=http://127.0.0.1:%d\n"+
		"key.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n"+
		"key.converter.schemas.enable=false\nvalue.converter.schemas.enable=false\noffset.flush.interval.ms=100\n",
		testbed.Kafka(t), filepath.Join(dir, "offsets"), port)
	pf := filepath.Join(dir, "worker"+tag+".properties")
	if err := os.WriteFile(pf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "standalone", pf)
	logName := filepath.Join(dir, "worker"+tag+".log")
	logf, _ := os.Create(logName)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
		if t.Failed() {
			b, _ := os.ReadFile(logName)
			t.Logf("worker %s log (last 6000 bytes):\n%s", tag, tail(b, 6000))
		}
	})
	w := &e2e.Worker{Client: e2e.NewClient(t, fmt.Sprintf("http://127.0.0.1:%d", port))}
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if i > 300 {
			t.Fatal("the worker's REST API did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return w, cmd
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

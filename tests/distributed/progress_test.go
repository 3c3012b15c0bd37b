package distributed_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// A task's progress and lag are known only to the worker running it; in a group, the status
// every worker answers carries them: the others ask the owner (issue 20's progress in the REST
// status, distributed mode).
func TestTaskProgressFromAnyWorker(t *testing.T) {
	d := mariadb.New(t, "prog")
	d.Exec("CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)")
	for i := 1; i <= 50; i++ {
		d.Exec("INSERT INTO items VALUES (" + strconv.Itoa(i) + ", 'v')")
	}
	c := newCluster(t)
	ws := []*worker{c.startInProcess(nil), c.startInProcess(nil)}
	settled(t, ws...)
	prefix := testbed.Topic(t, "prog")
	cfg := map[string]string{
		"connector.class": "io.debezium.connector.mariadb.MariaDbConnector", "tasks.max": "1", "topic.prefix": prefix,
		"database.hostname": d.TB.Host, "database.port": strconv.Itoa(d.TB.Port), "database.user": d.TB.User, "database.password": d.TB.Password,
		"database.server.id": "6291", "database.include.list": d.Name,
		"schema.history.internal.kafka.topic": prefix + "-history", "schema.history.internal.kafka.bootstrap.servers": c.brokers,
	}
	body, _ := json.Marshal(map[string]any{"name": "prog", "config": cfg})
	ws[0].expect(201, "POST", "/connectors", string(body))
	ws[0].WaitStatus("prog", "RUNNING", "RUNNING")

	type status struct {
		Tasks []struct {
			WorkerID string          `json:"worker_id"`
			Progress json.RawMessage `json:"progress"`
		} `json:"tasks"`
	}
	seen := map[string]bool{} // worker URL -> answered with progress
	var owner string
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < len(ws) && time.Now().Before(deadline) {
		for _, w := range ws {
			r := w.expect(200, "GET", "/connectors/prog/status", "")
			var st status
			if err := json.Unmarshal(r.Body, &st); err != nil || len(st.Tasks) != 1 {
				continue
			}
			owner = st.Tasks[0].WorkerID
			if len(st.Tasks[0].Progress) > 0 && string(st.Tasks[0].Progress) != "null" {
				seen[w.url] = true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range ws {
		if !seen[w.url] {
			t.Errorf("worker %s (the task runs on %s) never showed the task's progress in its status", w.url, owner)
		}
	}
	// The task's own endpoint answers the same from the worker that does not run it.
	for _, w := range ws {
		if w.url == owner {
			continue
		}
		r := w.expect(200, "GET", "/connectors/prog/tasks/0/status", "")
		var ts struct {
			Progress *struct {
				Phase string `json:"phase"`
			} `json:"progress"`
		}
		if err := json.Unmarshal(r.Body, &ts); err != nil || ts.Progress == nil || ts.Progress.Phase == "" {
			t.Errorf("GET /connectors/prog/tasks/0/status on %s (not the owner %s): %s, want the owner's progress", w.url, owner, r.Body)
		}
	}
}

package distributed_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// TestConfigProvidersInACluster creates a connector whose topic and password come from a
// FileConfigProvider: the tasks, on other workers than the one asked, write to the resolved
// topic, while REST, the task configs and the config topic itself only hold the references.
func TestConfigProvidersInACluster(t *testing.T) {
	dir := t.TempDir()
	topic := testbed.Topic(t, "prov")
	const password = "dist-Secret-7c1e"
	file := filepath.Join(dir, "conn.properties")
	if err := os.WriteFile(file, []byte("topic="+topic+"\npassword="+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t)
	providers := map[string]string{
		"config.providers":                          "file",
		"config.providers.file.class":               workerconfig.FileConfigProviderClass,
		"config.providers.file.param.allowed.paths": dir,
	}
	ws := []*worker{c.startInProcess(providers), c.startInProcess(providers)}
	_, followers := settled(t, ws...)
	f := followers[0]

	topicRef, pwRef := "${file:"+file+":topic}", "${file:"+file+":password}"
	f.expect(201, "POST", "/connectors", generatorConfig("prov", topicRef, map[string]string{"password": pwRef, "count": "20"}))
	f.WaitStatus("prov", "RUNNING", "RUNNING", "RUNNING")
	wait.Until(t, "both tasks wrote 20 records to the resolved topic", func() bool { return len(readAll(t, c.brokers, topic)) >= 40 })

	for _, w := range ws {
		var info struct {
			Config map[string]string `json:"config"`
		}
		w.expect(200, "GET", "/connectors/prov", "").JSON(t, &info)
		if info.Config["topic"] != topicRef || strings.Contains(info.Config["password"], password) {
			t.Errorf("%s shows config %v, want the raw references", w.URL, info.Config)
		}
		var tasks []struct {
			Config map[string]string `json:"config"`
		}
		w.expect(200, "GET", "/connectors/prov/tasks", "").JSON(t, &tasks)
		for i, ti := range tasks {
			// connectd shows passwords as [hidden] in any case.
			if ti.Config["topic"] != topicRef || strings.Contains(ti.Config["password"], password) {
				t.Errorf("%s task %d config %v, want the raw references", w.URL, i, ti.Config)
			}
		}
	}

	// Nothing resolved reaches the config topic.
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers), kgo.ConsumeTopics(c.props["config.storage.topic"]),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var records int
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			records++
			if strings.Contains(string(r.Value), password) || strings.Contains(string(r.Value), `"topic":"`+topic+`"`) {
				t.Errorf("config topic record %s holds a resolved value", r.Key)
			}
		})
	}
	if records == 0 {
		t.Error("read no record from the config topic")
	}
	for _, w := range ws {
		if strings.Contains(w.log.String(), password) {
			t.Errorf("worker %s logged the resolved password", w.URL)
		}
	}
}

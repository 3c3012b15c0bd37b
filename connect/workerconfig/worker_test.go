package workerconfig

import (
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	in := "# comment\n! also\nbootstrap.servers=127.0.0.1:9092\n  group.id : connect-cluster\nkey value with spaces\n" +
		"multi=a,\\\n   b\nunicode=caf\\u00e9\nescaped\\=key=v\nempty=\n"
	got, err := ParseProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bootstrap.servers": "127.0.0.1:9092", "group.id": "connect-cluster", "key": "value with spaces",
		"multi": "a,b", "unicode": "café", "escaped=key": "v", "empty": "",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestParseWorkerErrors(t *testing.T) {
	cases := []struct {
		name  string
		mode  Mode
		props map[string]string
		want  string
	}{
		{"distributed without bootstrap", Distributed, map[string]string{"group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s"}, "Missing required configuration \"bootstrap.servers\""},
		{"non-numeric port", Standalone, map[string]string{"offset.storage.file.filename": "/tmp/o", "listeners": "http://:80x3"}, "port \"80x3\" is not a number"},
		{"unknown converter", Standalone, map[string]string{"offset.storage.file.filename": "/tmp/o", "value.converter": "com.example.Nope"}, "Invalid value com.example.Nope for configuration value.converter"},
		{"distributed without group", Distributed, map[string]string{"bootstrap.servers": "k:9092", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s"}, "\"group.id\""},
		{"standalone without offsets file", Standalone, map[string]string{}, "offset.storage.file.filename"},
		{"bad flush interval", Standalone, map[string]string{"offset.storage.file.filename": "/tmp/o", "offset.flush.interval.ms": "soon"}, "Not a number of type LONG"},
		{"config topic partitions", Distributed, map[string]string{"bootstrap.servers": "k:9092", "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s", "config.storage.partitions": "3"}, "must be 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Parse(c.props, c.mode)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseWorkerOK(t *testing.T) {
	w, probs, err := Parse(map[string]string{
		"bootstrap.servers": "127.0.0.1:9092", "group.id": "g", "config.storage.topic": "c",
		"offset.storage.topic": "o", "status.storage.topic": "s", "listeners": "http://127.0.0.1:8084",
		"producer.linger.ms": "5", "made.up": "x",
	}, Distributed)
	if err != nil {
		t.Fatal(err)
	}
	if w.Listeners[0].Addr() != "127.0.0.1:8084" || w.OffsetPartitions != 25 || w.FlushIntervalMs != 60000 || w.ValueConverter != JSONConverter {
		t.Fatalf("unexpected %+v", w)
	}
	if len(probs) != 1 || probs[0].Key != "made.up" || probs[0].Error {
		t.Fatalf("want one warning for made.up, got %v", probs)
	}
}

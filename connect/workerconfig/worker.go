package workerconfig

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Mode is how a worker runs: standalone (file offsets, configs from the command line) or
// distributed (internal Kafka topics and a Kafka group).
type Mode int

// The worker modes.
const (
	Standalone Mode = iota
	Distributed
)

func (m Mode) String() string {
	if m == Distributed {
		return "distributed"
	}
	return "standalone"
}

// Converter class names accepted for key.converter / value.converter.
const (
	JSONConverter      = "org.apache.kafka.connect.json.JsonConverter"
	StringConverter    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverter = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

var converters = []string{JSONConverter, StringConverter, ByteArrayConverter}

// Worker is a validated worker configuration.
type Worker struct {
	Mode  Mode
	Props map[string]string // every property, references resolved, for prefixes such as producer.*
	// Providers resolve ${provider:path:key} references in connector configurations (KIP-297).
	Providers *Providers

	BootstrapServers []string
	GroupID          string
	ConfigTopic      string
	OffsetTopic      string
	StatusTopic      string
	ConfigRF         int16
	OffsetRF         int16
	StatusRF         int16
	OffsetPartitions int32
	StatusPartitions int32
	OffsetFile       string
	FlushIntervalMs  int64
	FlushTimeoutMs   int64
	Listeners        []Listener
	AdvertisedHost   string
	AdvertisedPort   int
	KeyConverter     string
	ValueConverter   string
	ExactlyOnce      string
	SessionTimeoutMs int64
	HeartbeatMs      int64
	RebalanceMs      int64
	ShutdownMs       int64
}

// Listener is one REST listener from `listeners`.
type Listener struct {
	Scheme string
	Host   string
	Port   int
}

// Addr is the listener's host:port for net.Listen.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Spec lists the worker properties connectd knows, with Kafka Connect's names and defaults.
var Spec = api.ConfigSpec{
	{Name: "bootstrap.servers", Type: api.ConfigList, Default: "localhost:9092", Importance: api.High, Doc: "Kafka brokers to bootstrap from (host:port, comma-separated)."},
	{Name: "group.id", Type: api.ConfigString, Importance: api.High, Doc: "Connect cluster this worker belongs to (distributed mode)."},
	{Name: "config.storage.topic", Type: api.ConfigString, Importance: api.High, Doc: "Topic holding connector configurations (distributed mode; exactly 1 partition)."},
	{Name: "offset.storage.topic", Type: api.ConfigString, Importance: api.High, Doc: "Compacted topic holding source offsets (distributed mode)."},
	{Name: "status.storage.topic", Type: api.ConfigString, Importance: api.High, Doc: "Compacted topic holding connector and task statuses (distributed mode)."},
	{Name: "config.storage.replication.factor", Type: api.ConfigShort, Default: "3", Importance: api.Low, Doc: "Replication factor of the config topic; -1 uses the broker default."},
	{Name: "offset.storage.replication.factor", Type: api.ConfigShort, Default: "3", Importance: api.Low, Doc: "Replication factor of the offsets topic; -1 uses the broker default."},
	{Name: "status.storage.replication.factor", Type: api.ConfigShort, Default: "3", Importance: api.Low, Doc: "Replication factor of the status topic; -1 uses the broker default."},
	{Name: "offset.storage.partitions", Type: api.ConfigInt, Default: "25", Importance: api.Low, Doc: "Partitions of the offsets topic when it is created."},
	{Name: "status.storage.partitions", Type: api.ConfigInt, Default: "5", Importance: api.Low, Doc: "Partitions of the status topic when it is created."},
	{Name: "offset.storage.file.filename", Type: api.ConfigString, Importance: api.High, Doc: "File holding source offsets (standalone mode)."},
	{Name: "offset.flush.interval.ms", Type: api.ConfigLong, Default: "60000", Importance: api.Low, Doc: "How often acknowledged offsets are committed."},
	{Name: "offset.flush.timeout.ms", Type: api.ConfigLong, Default: "5000", Importance: api.Low, Doc: "How long an offset commit may wait for outstanding records."},
	{Name: "listeners", Type: api.ConfigList, Default: "http://:8083", Importance: api.Low, Doc: "REST listeners, e.g. http://:8083."},
	{Name: "rest.advertised.host.name", Type: api.ConfigString, Importance: api.Low, Doc: "Host name other workers use to reach this one."},
	{Name: "rest.advertised.port", Type: api.ConfigInt, Importance: api.Low, Doc: "Port other workers use to reach this one."},
	{Name: "rest.advertised.listener", Type: api.ConfigString, Importance: api.Low, Doc: "Scheme other workers use to reach this one (http or https); by default the first listener's."},
	{Name: "rest.extension.classes", Type: api.ConfigList, Importance: api.Low, Doc: "REST extensions; connectd has org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension (basic authentication against the JAAS KafkaConnect section)."},
	{Name: "java.security.auth.login.config", Type: api.ConfigString, Importance: api.Low, Doc: "JAAS file with the KafkaConnect section for basic authentication (Kafka Connect takes it from the JVM option of this name; connectd also reads -Djava.security.auth.login.config= in KAFKA_OPTS)."},
	{Name: "access.control.allow.origin", Type: api.ConfigString, Importance: api.Low, Doc: "Origins browsers may call the REST API from (CORS), comma-separated, * for any."},
	{Name: "access.control.allow.methods", Type: api.ConfigString, Importance: api.Low, Doc: "Methods allowed cross-origin; default GET,POST,HEAD."},
	{Name: "key.converter", Type: api.ConfigClass, Default: JSONConverter, Importance: api.High, Doc: "Converter for record keys.", Allowed: converters},
	{Name: "value.converter", Type: api.ConfigClass, Default: JSONConverter, Importance: api.High, Doc: "Converter for record values.", Allowed: converters},
	{Name: "exactly.once.source.support", Type: api.ConfigString, Default: "disabled", Importance: api.High, Doc: "Whether source records and offsets are written in Kafka transactions.", Allowed: []string{"disabled", "preparing", "enabled"}},
	{Name: "session.timeout.ms", Type: api.ConfigInt, Default: "10000", Importance: api.High, Doc: "Group session timeout (distributed mode)."},
	{Name: "heartbeat.interval.ms", Type: api.ConfigInt, Default: "3000", Importance: api.High, Doc: "Group heartbeat interval (distributed mode)."},
	{Name: "rebalance.timeout.ms", Type: api.ConfigInt, Default: "60000", Importance: api.High, Doc: "Group rebalance timeout (distributed mode)."},
	{Name: "task.shutdown.graceful.timeout.ms", Type: api.ConfigLong, Default: "5000", Importance: api.Low, Doc: "How long a task may take to stop."},
	{Name: "plugin.path", Type: api.ConfigList, Importance: api.Low, Doc: "Accepted for compatibility; connectd's connectors are built in."},
	{Name: "client.id", Type: api.ConfigString, Importance: api.Low, Doc: "Client id prefix for Kafka clients."},
	{Name: "connect.protocol", Type: api.ConfigString, Default: "sessioned", Importance: api.Low, Doc: "Group protocol: eager (every rebalance stops everything), compatible (incremental cooperative, KIP-415) or sessioned (cooperative with signed internal requests, KIP-507).", Allowed: []string{"eager", "compatible", "sessioned"}},
	{Name: "scheduled.rebalance.max.delay.ms", Type: api.ConfigInt, Default: "300000", Importance: api.Low, Doc: "How long the leader holds a departed worker's connectors and tasks back before reassigning them (cooperative protocols)."},
	{Name: "inter.worker.key.ttl.ms", Type: api.ConfigInt, Default: "3600000", Importance: api.Low, Doc: "How long a session key signing internal requests lives (connect.protocol=sessioned)."},
	{Name: "topic.creation.enable", Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "Whether connectors may create their topics with topic.creation.* groups (KIP-158)."},
	{Name: "producer.buffer.memory", Type: api.ConfigLong, Default: "33554432", Importance: api.Medium, Doc: "Bytes a task may have unacknowledged by Kafka before polling pauses (backpressure)."},
	{Name: "config.storage.partitions", Type: api.ConfigInt, Importance: api.Low, Doc: "Must be 1 when set."},
}

// knownPrefixes are property prefixes passed through to clients and converters.
var knownPrefixes = []string{"producer.", "consumer.", "admin.", "key.converter.", "value.converter.",
	"header.converter.", "config.providers", "listeners.", "ssl.", "sasl.", "security.", "metric", "offset.history."}

// Problem is one finding about a worker configuration; an Error stops the worker.
type Problem struct {
	Key     string
	Message string
	Error   bool
}

func (p Problem) String() string { return p.Message }

// Parse validates worker properties for a mode. It returns the configuration and every problem found
// (unknown properties as warnings); err is non-nil when any problem is an error.
func Parse(props map[string]string, mode Mode) (*Worker, []Problem, error) {
	var probs []Problem
	fail := func(key, format string, args ...any) {
		probs = append(probs, Problem{Key: key, Message: fmt.Sprintf(format, args...), Error: true})
	}
	providers, err := NewProviders(props)
	if err != nil {
		fail("config.providers", "%v", err)
	} else if resolved, err := providers.Transform(props); err != nil {
		fail("config.providers", "%v", err)
	} else {
		// The worker's own settings may use the providers it declares, as in Kafka Connect.
		props = resolved
	}
	values, _ := Spec.Validate(props)
	get := map[string]string{}
	for _, v := range values {
		get[v.Name] = strings.TrimSpace(v.Value)
		for _, e := range v.Errors {
			fail(v.Name, "%s", e)
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if Spec.Key(k) == nil && !hasKnownPrefix(k) {
			probs = append(probs, Problem{Key: k, Message: fmt.Sprintf("the configuration '%s' was supplied but isn't a known config; it is kept and ignored", k)})
		}
	}

	w := &Worker{Mode: mode, Props: props, Providers: providers}
	w.BootstrapServers = splitList(get["bootstrap.servers"])
	w.GroupID = get["group.id"]
	w.ConfigTopic, w.OffsetTopic, w.StatusTopic = get["config.storage.topic"], get["offset.storage.topic"], get["status.storage.topic"]
	w.OffsetFile = get["offset.storage.file.filename"]
	w.KeyConverter, w.ValueConverter = get["key.converter"], get["value.converter"]
	w.ExactlyOnce = strings.ToLower(get["exactly.once.source.support"])
	w.AdvertisedHost = get["rest.advertised.host.name"]
	w.ConfigRF, w.OffsetRF, w.StatusRF = int16(num(get["config.storage.replication.factor"])), int16(num(get["offset.storage.replication.factor"])), int16(num(get["status.storage.replication.factor"]))
	w.OffsetPartitions, w.StatusPartitions = int32(num(get["offset.storage.partitions"])), int32(num(get["status.storage.partitions"]))
	w.FlushIntervalMs, w.FlushTimeoutMs = num(get["offset.flush.interval.ms"]), num(get["offset.flush.timeout.ms"])
	w.SessionTimeoutMs, w.HeartbeatMs, w.RebalanceMs = num(get["session.timeout.ms"]), num(get["heartbeat.interval.ms"]), num(get["rebalance.timeout.ms"])
	w.ShutdownMs = num(get["task.shutdown.graceful.timeout.ms"])
	w.AdvertisedPort = int(num(get["rest.advertised.port"]))

	for _, l := range splitList(get["listeners"]) {
		ln, err := parseListener(l)
		if err != nil {
			fail("listeners", "Invalid value %s for configuration listeners: %v", l, err)
			continue
		}
		w.Listeners = append(w.Listeners, ln)
	}
	if v, ok := props["rest.port"]; ok {
		if p, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || p < 0 || p > 65535 {
			fail("rest.port", "Invalid value %s for configuration rest.port: not a port number (0-65535)", v)
		}
	}

	if mode == Distributed {
		if _, ok := props["bootstrap.servers"]; !ok {
			fail("bootstrap.servers", "Missing required configuration \"bootstrap.servers\": distributed mode stores configs, offsets and status in Kafka; set bootstrap.servers=host:port")
		}
		for _, k := range []string{"group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"} {
			if get[k] == "" {
				fail(k, "Missing required configuration %q which has no default value.", k)
			}
		}
		if v, ok := props["config.storage.partitions"]; ok && strings.TrimSpace(v) != "1" {
			fail("config.storage.partitions", "config.storage.partitions must be 1: connector configs must stay totally ordered")
		}
	} else if w.OffsetFile == "" {
		fail("offset.storage.file.filename", "Missing required configuration \"offset.storage.file.filename\" which has no default value (standalone mode keeps offsets in that file).")
	}
	for _, s := range w.BootstrapServers {
		if _, port, err := net.SplitHostPort(s); err != nil {
			fail("bootstrap.servers", "Invalid url in bootstrap.servers: %s (expected host:port)", s)
		} else if _, err := strconv.Atoi(port); err != nil {
			fail("bootstrap.servers", "Invalid port in bootstrap.servers: %s", s)
		}
	}

	var errs []error
	for _, p := range probs {
		if p.Error {
			errs = append(errs, errors.New(p.Message))
		}
	}
	return w, probs, errors.Join(errs...)
}

func hasKnownPrefix(k string) bool {
	for _, p := range knownPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func parseListener(s string) (Listener, error) {
	scheme, hostPort, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return Listener{}, fmt.Errorf("expected a URL such as http://:8083")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return Listener{}, fmt.Errorf("scheme %q is not supported (use http or https)", scheme)
	}
	hostPort = strings.TrimSuffix(hostPort, "/")
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return Listener{}, fmt.Errorf("expected host:port after the scheme")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return Listener{}, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return Listener{Scheme: scheme, Host: host, Port: p}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func num(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// Options configures RunStandalone.
type Options struct {
	Config *workerconfig.Worker
	// Connectors are the connector configurations from the command line, created at start-up.
	Connectors []map[string]string
	Plugins    *plugins.Registry
	// Version is reported by GET /.
	Version string
	// Loggers are the worker's loggers; nil logs to slog.Default's handler at INFO.
	Loggers *Loggers
	// Offsets, when set, replaces the offsets file (offset.storage.file.filename) as the offset
	// store, e.g. a Kafka topic store; RunStandalone starts and closes it.
	Offsets offsets.Store
	// OnReady, when set, is called with the REST listeners' addresses once the worker serves
	// and the command-line connectors are created (tests use it with port 0).
	OnReady func(addrs []string)
}

// ConnectorConfigError is a connector given on the command line that could not be created; the
// worker does not start (Kafka's ConnectStandalone exits too).
type ConnectorConfigError struct {
	Name string
	Err  error
}

func (e *ConnectorConfigError) Error() string {
	return fmt.Sprintf("could not create connector %s from its properties file: %v", e.Name, e.Err)
}

func (e *ConnectorConfigError) Unwrap() error { return e.Err }

// RunStandalone runs a standalone worker until ctx is done (SIGTERM), then shuts down within a
// bounded time: it stops accepting REST changes, stops the tasks (each within
// task.shutdown.graceful.timeout.ms, waiting up to offset.flush.timeout.ms for Kafka to
// acknowledge what is in flight), commits their offsets, closes the producer and the offset store,
// and stops the REST server.
func RunStandalone(ctx context.Context, o Options) (err error) {
	cfg := o.Config
	if cfg.ExactlyOnce == "enabled" {
		return errStandaloneExactlyOnce
	}
	if o.Loggers == nil {
		o.Loggers = NewLoggers(slog.Default().Handler(), slog.LevelInfo)
	}
	log := o.Loggers.Logger("io.connectd.runtime.Worker")

	historySize, err := OffsetHistorySize(cfg)
	if err != nil {
		return err
	}
	var store offsets.Store = offsets.NewFileStore(cfg.OffsetFile, historySize)
	if o.Offsets != nil {
		store = o.Offsets
	}
	if err := store.Start(ctx); err != nil {
		if o.Offsets != nil {
			if hint, permanent := kafkasec.Explain(err); permanent {
				return fmt.Errorf("could not start the offset store: %s: %w", hint, err)
			}
			return fmt.Errorf("could not start the offset store: %w", err)
		}
		return fmt.Errorf("could not open the offsets file %s (offset.storage.file.filename): %w", cfg.OffsetFile, err)
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			log.Warn("closing the offset store failed", "error", cerr)
		}
	}()

	producer, err := NewProducer(cfg)
	if err != nil {
		return err
	}
	defer producer.Close()
	admin, err := NewAdmin(cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	if ignored := unsupportedProducerSettings(cfg.Props, "producer."); len(ignored) > 0 {
		log.Warn("producer settings connectd does not support are ignored", "settings", ignored, "supported", ProducerSettings)
	}
	clusterID, err := ClusterID(ctx, producer, cfg)
	if err != nil {
		return err
	}

	restSec, listeners, addrs, err := ListenREST(cfg)
	if err != nil {
		return err
	}
	defer func() { CloseListeners(listeners) }()
	workerID := WorkerID(cfg, listeners)

	status := NewMemoryStatusStore()
	worker, err := NewWorker(WorkerOptions{Config: cfg, Plugins: o.Plugins, Offsets: store, Producer: producer, Admin: kadm.NewClient(admin),
		Listener: StatusRecorder(status, workerID), Logger: o.Loggers.Logger("io.connectd.runtime.Worker")})
	if err != nil {
		return err
	}
	info := herder.ServerInfo{Version: o.Version, Commit: version.Commit(), KafkaClusterID: clusterID}
	hd := NewStandaloneHerder(HerderOptions{Worker: worker, Plugins: o.Plugins, Status: status, WorkerID: workerID,
		Info: info, Logger: o.Loggers.Logger("io.connectd.runtime.standalone.StandaloneHerder")})
	server := rest.NewServer(rest.Options{Herder: hd, Loggers: o.Loggers, Logger: o.Loggers.Logger("io.connectd.rest.RestServer"), Metrics: worker.WriteMetrics,
		Security: restSec})

	var serving sync.WaitGroup
	for _, ln := range listeners {
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := server.Serve(ln); err != nil {
				log.Error("REST listener stopped", "address", ln.Addr().String(), "error", err)
			}
		}()
	}
	listeners = nil // the server closes them
	log.Info("worker started", "worker_id", workerID, "kafka_cluster_id", clusterID, "rest", addrs, "mode", "standalone")

	shutdown := func() {
		server.Drain()
		start := time.Now()
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			hd.Stop()
			fctx, cancel := context.WithTimeout(context.Background(), worker.flushTimeout)
			if err := producer.Flush(fctx); err != nil {
				log.Warn("records were still unacknowledged when the producer closed", "error", err)
			}
			cancel()
		}()
		// Tasks stop in parallel, each within the graceful timeout plus the flush timeout; a
		// connector whose Stop hangs must not keep the process alive past that.
		bound := 2*(worker.shutdownTimeout+worker.flushTimeout) + 10*time.Second
		select {
		case <-stopped:
		case <-time.After(bound):
			log.Error("connectors and tasks did not stop in time; exiting without them", "waited", bound.String())
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = server.Shutdown(sctx)
		cancel()
		serving.Wait()
		log.Info("worker stopped", "took", time.Since(start).Round(time.Millisecond).String())
	}

	for _, c := range o.Connectors {
		name := c["name"]
		if _, _, err := hd.PutConnectorConfig(ctx, name, c, "", false); err != nil {
			shutdown()
			return &ConnectorConfigError{Name: name, Err: err}
		}
	}
	hd.SetReady()
	if o.OnReady != nil {
		o.OnReady(addrs)
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdown()
	return nil
}

// ProducerSettings are the Java producer settings connectd honours, under producer. in the worker
// properties and under producer.override. in a connector's configuration. buffer.memory bounds
// each task's unacknowledged bytes; max.request.size (default 1048576) is the largest record, and
// batch, sent; batch.size is validated but franz-go batches up to max.request.size.
// The security settings of kafkasec.Keys are honoured too.
var ProducerSettings = append([]string{"acks", "batch.size", "buffer.memory", "client.id", "compression.type",
	"delivery.timeout.ms", "enable.idempotence", "linger.ms", "max.request.size"}, kafkasec.Keys...)

// NewProducer returns the worker's producer: idempotent (franz-go's default), acks=all, batching
// with producer.linger.ms (default 5 ms, Kafka 4's default), records placed as the Java client
// places them. The producer.* worker properties in ProducerSettings are honoured.
func NewProducer(cfg *workerconfig.Worker) (*kgo.Client, error) {
	settings := map[string]string{}
	for k, v := range cfg.Props {
		if rest, ok := strings.CutPrefix(k, "producer."); ok {
			settings[rest] = v
		}
	}
	if v, ok := cfg.Props["client.id"]; ok && settings["client.id"] == "" {
		settings["client.id"] = v
	}
	return newProducer(cfg, settings, "producer.")
}

// newProducer builds a producer with Java producer settings (without their prefix); prefix names
// them in errors.
func newProducer(cfg *workerconfig.Worker, p map[string]string, prefix string, extra ...kgo.Opt) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.BootstrapServers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(newConnectPartitioner()),
		kgo.AllowAutoTopicCreation(),
		// franz-go waits MetadataMinAge (5 s by default) before asking again for a topic that is
		// still being auto-created; Java's producer retries after ~100 ms. Without this the first
		// record of every new table's topic sat for 5 s.
		kgo.MetadataMinAge(250 * time.Millisecond),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.RecordDeliveryTimeout(DefaultDeliveryTimeout),
		kgo.MaxBufferedRecords(1 << 20),
		kgo.ClientID("connectd-worker"),
	}
	if v := strings.TrimSpace(p["client.id"]); v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	num := func(key string, lo int64) (int64, bool, error) {
		v, ok := p[key]
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo {
			return 0, false, fmt.Errorf("%s%s=%s: expected a number of at least %d", prefix, key, v, lo)
		}
		return n, true, nil
	}
	if n, ok, err := num("linger.ms", 0); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, kgo.ProducerLinger(time.Duration(n)*time.Millisecond))
	}
	if n, ok, err := num("delivery.timeout.ms", 1); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, kgo.RecordDeliveryTimeout(time.Duration(n)*time.Millisecond))
	}
	// max.request.size is the largest record the producer accepts, as in Java; franz-go fails a
	// record that does not fit in one batch, so its batch limit is max.request.size. batch.size is
	// only validated: Java's is a batching target that a larger record exceeds, and lowering
	// franz-go's limit to it would refuse every record above 16 KiB.
	if _, _, err := num("batch.size", 0); err != nil {
		return nil, err
	}
	maxReq, err := maxRequestSize(p, prefix)
	if err != nil {
		return nil, err
	}
	// A produce request holds batches of several partitions; franz-go refuses a batch limit above
	// its request limit (100 MiB, Kafka's socket.request.max.bytes default).
	opts = append(opts, kgo.ProducerBatchMaxBytes(int32(maxReq)), kgo.BrokerMaxWriteBytes(int32(max(100<<20, min(maxReq+1<<20, 1<<30)))))
	if _, _, err := num("buffer.memory", 1); err != nil {
		return nil, err
	}
	// Kafka's producer (and so Kafka Connect) compresses nothing unless compression.type says so;
	// franz-go's default is snappy, which cost 3-5% of our CPU per record in the benchmarks.
	compression := "none"
	if v, ok := p["compression.type"]; ok {
		compression = v
	}
	var c kgo.CompressionCodec
	switch strings.ToLower(strings.TrimSpace(compression)) {
	case "none":
		c = kgo.NoCompression()
	case "gzip":
		c = kgo.GzipCompression()
	case "snappy":
		c = kgo.SnappyCompression()
	case "lz4":
		c = kgo.Lz4Compression()
	case "zstd":
		c = kgo.ZstdCompression()
	default:
		return nil, fmt.Errorf("%scompression.type=%s: use none, gzip, snappy, lz4 or zstd", prefix, compression)
	}
	opts = append(opts, kgo.ProducerBatchCompression(c))
	idempotent := !strings.EqualFold(strings.TrimSpace(p["enable.idempotence"]), "false")
	if v, ok := p["acks"]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "all", "-1":
		case "1":
			opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
			idempotent = false
		case "0":
			opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
			idempotent = false
		default:
			return nil, fmt.Errorf("%sacks=%s: use all, -1, 1 or 0", prefix, v)
		}
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	// The worker's own security settings apply unless the producer's (or the connector's
	// override) replace them.
	sec := map[string]string{}
	for _, k := range kafkasec.Keys {
		if v, ok := cfg.Props[k]; ok {
			sec[k] = v
		}
		if v, ok := p[k]; ok {
			sec[prefix+k] = v
		}
	}
	secOpts, err := kafkasec.Options(sec, prefix)
	if err != nil {
		return nil, err
	}
	opts = append(opts, secOpts...)
	opts = append(opts, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("could not create the Kafka producer: %w", err)
	}
	return cl, nil
}

// NewAdmin returns the client of the worker's administrative requests (topic creation), with
// the admin.* security settings over the worker's. consumer.* settings are checked here too, so
// that a mistake in them stops the worker rather than a later client.
func NewAdmin(cfg *workerconfig.Worker) (*kgo.Client, error) {
	if _, err := kafkasec.Options(cfg.Props, "consumer."); err != nil {
		return nil, err
	}
	sec, err := kafkasec.Options(cfg.Props, "admin.")
	if err != nil {
		return nil, err
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(cfg.BootstrapServers...), kgo.ClientID("connectd-worker-admin"),
		kgo.MetadataMinAge(250 * time.Millisecond)}, sec...)
	if v := strings.TrimSpace(cfg.Props["admin.client.id"]); v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("could not create the Kafka admin client: %w", err)
	}
	return cl, nil
}

// DefaultMaxRequestSize is the Java producer's max.request.size default (1 MiB): the largest
// record, and batch, the producer sends. The broker's message.max.bytes default (1048588) leaves
// room for the 12 bytes of log overhead, so a batch of this size is accepted by a default broker.
const DefaultMaxRequestSize = 1 << 20

// DefaultDeliveryTimeout is the producer's delivery.timeout.ms when the settings do not give it
// (Kafka's default).
const DefaultDeliveryTimeout = 2 * time.Minute

// deliveryTimeout is delivery.timeout.ms from a producer setting's value ("" when not set);
// prefix names it in the error.
func deliveryTimeout(v, prefix string) (time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return DefaultDeliveryTimeout, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%sdelivery.timeout.ms=%s: expected a number of at least 1", prefix, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// maxRequestSize is max.request.size from Java producer settings (without their prefix), within
// franz-go's batch limits (512 B to 1 GiB); prefix names the setting in errors.
func maxRequestSize(p map[string]string, prefix string) (int64, error) {
	v, ok := p["max.request.size"]
	if !ok {
		return DefaultMaxRequestSize, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 512 || n > 1<<30 {
		return 0, fmt.Errorf("%smax.request.size=%s: expected a number of bytes from 512 to 1073741824 (franz-go's limits)", prefix, v)
	}
	return n, nil
}

// unsupportedProducerSettings lists the settings of p connectd ignores, for a warning.
func unsupportedProducerSettings(props map[string]string, prefix string) []string {
	var out []string
	for k := range props {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !slices.Contains(ProducerSettings, rest) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// ClusterID asks Kafka for its cluster id, which also checks that bootstrap.servers answers; it
// retries for up to 60 s while the brokers start. Both worker modes report it in GET /.
func ClusterID(ctx context.Context, cl *kgo.Client, cfg *workerconfig.Worker) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		if err == nil {
			return md.Cluster, nil
		}
		// A refused password or an untrusted certificate stops the worker at once.
		if hint, permanent := kafkasec.Explain(err); permanent {
			return "", fmt.Errorf("could not connect to Kafka at %s (bootstrap.servers): %s: %w", strings.Join(cfg.BootstrapServers, ","), hint, err)
		}
		select {
		case <-ctx.Done():
			hint, _ := kafkasec.Explain(err)
			return "", fmt.Errorf("could not reach Kafka at %s (bootstrap.servers) within 60 s: %s: %w", strings.Join(cfg.BootstrapServers, ","), hint, err)
		case <-time.After(time.Second):
		}
	}
}

// WorkerID is how the worker names itself in statuses, as Kafka Connect: the advertised REST
// host and port.
func WorkerID(cfg *workerconfig.Worker, listeners []net.Listener) string {
	host := cfg.AdvertisedHost
	port := cfg.AdvertisedPort
	if len(listeners) > 0 {
		if a, ok := listeners[0].Addr().(*net.TCPAddr); ok && port == 0 {
			port = a.Port
		}
	}
	if host == "" && len(cfg.Listeners) > 0 {
		host = cfg.Listeners[0].Host
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/rest"
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
		return errors.New("exactly.once.source.support=enabled is not supported yet: connectd delivers at least once; remove the setting or set it to disabled")
	}
	if o.Loggers == nil {
		o.Loggers = NewLoggers(slog.Default().Handler(), slog.LevelInfo)
	}
	log := o.Loggers.Logger("io.connectd.runtime.Worker")

	historySize := 0
	if v, ok := cfg.Props["offset.history.size"]; ok {
		if historySize, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || historySize < 1 {
			return fmt.Errorf("offset.history.size=%s: expected a positive number of entries per partition", v)
		}
	}
	var store offsets.Store = offsets.NewFileStore(cfg.OffsetFile, historySize)
	if o.Offsets != nil {
		store = o.Offsets
	}
	if err := store.Start(ctx); err != nil {
		if o.Offsets != nil {
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
	clusterID, err := clusterID(ctx, producer, cfg)
	if err != nil {
		return err
	}

	listeners := make([]net.Listener, 0, len(cfg.Listeners))
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	var addrs []string
	for _, l := range cfg.Listeners {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			return fmt.Errorf("could not listen on %s://%s (listeners): %w", l.Scheme, l.Addr(), err)
		}
		listeners = append(listeners, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	workerID := WorkerID(cfg, listeners)

	status := NewMemoryStatusStore()
	worker, err := NewWorker(WorkerOptions{Config: cfg, Plugins: o.Plugins, Offsets: store, Producer: producer,
		Listener: StatusRecorder(status, workerID), Logger: o.Loggers.Logger("io.connectd.runtime.Worker")})
	if err != nil {
		return err
	}
	info := rest.ServerInfo{Version: o.Version, Commit: commit(), KafkaClusterID: clusterID}
	herder := NewStandaloneHerder(HerderOptions{Worker: worker, Plugins: o.Plugins, Status: status, WorkerID: workerID,
		Info: info, Logger: o.Loggers.Logger("io.connectd.runtime.standalone.StandaloneHerder")})
	server := rest.NewServer(rest.Options{Herder: herder, Loggers: o.Loggers, Logger: o.Loggers.Logger("io.connectd.rest.RestServer")})

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
			herder.Stop()
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
		if _, _, err := herder.PutConnectorConfig(ctx, name, c, "", false); err != nil {
			shutdown()
			return &ConnectorConfigError{Name: name, Err: err}
		}
	}
	herder.SetReady()
	if o.OnReady != nil {
		o.OnReady(addrs)
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdown()
	return nil
}

// NewProducer returns the worker's producer: idempotent (franz-go's default), acks=all, batching
// with producer.linger.ms (default 5 ms, Kafka 4's default), records placed as the Java client
// places them. producer.* worker properties the Java producer shares are honoured.
func NewProducer(cfg *workerconfig.Worker) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.BootstrapServers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(newConnectPartitioner()),
		kgo.AllowAutoTopicCreation(),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.RecordDeliveryTimeout(2 * time.Minute),
		kgo.MaxBufferedRecords(1 << 20),
		kgo.ClientID("connectd-worker"),
	}
	p := cfg.Props
	if v, ok := p["client.id"]; ok && v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	if v, ok := p["producer.client.id"]; ok && v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	ms := func(key string, apply func(time.Duration) kgo.Opt) error {
		if v, ok := p[key]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%s=%s: expected a number of milliseconds", key, v)
			}
			opts = append(opts, apply(time.Duration(n)*time.Millisecond))
		}
		return nil
	}
	if err := ms("producer.linger.ms", func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }); err != nil {
		return nil, err
	}
	if err := ms("producer.delivery.timeout.ms", func(d time.Duration) kgo.Opt { return kgo.RecordDeliveryTimeout(d) }); err != nil {
		return nil, err
	}
	for _, key := range []string{"producer.batch.size", "producer.max.request.size"} {
		if v, ok := p[key]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s=%s: expected a positive number of bytes", key, v)
			}
			opts = append(opts, kgo.ProducerBatchMaxBytes(int32(n)))
		}
	}
	if v, ok := p["producer.compression.type"]; ok {
		var c kgo.CompressionCodec
		switch strings.ToLower(strings.TrimSpace(v)) {
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
			return nil, fmt.Errorf("producer.compression.type=%s: use none, gzip, snappy, lz4 or zstd", v)
		}
		opts = append(opts, kgo.ProducerBatchCompression(c))
	}
	if v, ok := p["producer.enable.idempotence"]; ok && strings.EqualFold(strings.TrimSpace(v), "false") {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if v, ok := p["security.protocol"]; ok && !strings.EqualFold(strings.TrimSpace(v), "PLAINTEXT") {
		return nil, fmt.Errorf("security.protocol=%s is not supported yet: connectd connects to Kafka over PLAINTEXT only", v)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("could not create the Kafka producer: %w", err)
	}
	return cl, nil
}

// clusterID asks Kafka for its cluster id, which also checks that bootstrap.servers answers.
func clusterID(ctx context.Context, cl *kgo.Client, cfg *workerconfig.Worker) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		if err == nil {
			return md.Cluster, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("could not reach Kafka at %s (bootstrap.servers) within 60 s: %w", strings.Join(cfg.BootstrapServers, ","), err)
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

// commit is the VCS revision the binary was built from, when Go recorded it.
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

package distributed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// Options configures Run.
type Options struct {
	Config  *workerconfig.Worker
	Plugins *plugins.Registry
	// Version is reported by GET /.
	Version string
	// Loggers are the worker's loggers; nil logs to slog.Default's handler at INFO.
	Loggers *runtime.Loggers
	// OnReady, when set, is called with the REST listeners' addresses once the worker serves
	// (tests use it with port 0). The worker may not have joined the group yet: GET /health
	// answers 200 once it has.
	OnReady func(addrs []string)
}

// RunProcess runs a distributed worker as the process: logs go to stderr (level from
// CONNECTD_LOG_LEVEL, default INFO), SIGTERM and SIGINT shut it down gracefully.
func RunProcess(cfg *workerconfig.Worker, reg *plugins.Registry, version string, stderr io.Writer) error {
	loggers, err := runtime.ProcessLoggers(stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return Run(ctx, Options{Config: cfg, Plugins: reg, Version: version, Loggers: loggers})
}

// Run runs a distributed worker until ctx is done: it creates or checks the internal topics
// (config.storage.topic with exactly one partition, offset.storage.topic, status.storage.topic,
// all compacted), serves the REST API, joins the group named by group.id and runs what the leader
// assigns. On shutdown it stops its tasks (committing their offsets) and leaves the group, so the
// others take its work over at once.
func Run(ctx context.Context, o Options) (err error) {
	cfg := o.Config
	if o.Loggers == nil {
		o.Loggers = runtime.NewLoggers(slog.Default().Handler(), slog.LevelInfo)
	}
	log := o.Loggers.Logger("io.connectd.runtime.distributed.DistributedHerder")

	producer, err := runtime.NewProducer(cfg)
	if err != nil {
		return err
	}
	defer producer.Close()
	clusterID, err := runtime.ClusterID(ctx, producer, cfg)
	if err != nil {
		return err
	}
	admin, err := runtime.NewAdmin(cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	// The worker's own clients (internal topics, group membership) use its unprefixed
	// security settings, as Kafka Connect's do.
	sec, err := kafkasec.Options(cfg.Props)
	if err != nil {
		return err
	}

	configs := NewConfigStore(ConfigStoreOptions{Brokers: cfg.BootstrapServers, Topic: cfg.ConfigTopic, ReplicationFactor: cfg.ConfigRF,
		Logger: o.Loggers.Logger("io.connectd.storage.KafkaConfigBackingStore")})
	if err := configs.Start(ctx, sec...); err != nil {
		if hint, permanent := kafkasec.Explain(err); permanent {
			return fmt.Errorf("%s: %w", hint, err)
		}
		return err
	}
	defer configs.Close()

	historySize, err := runtime.OffsetHistorySize(cfg)
	if err != nil {
		return err
	}
	store, err := offsets.NewKafkaStore(offsets.KafkaConfig{Brokers: cfg.BootstrapServers, Topic: cfg.OffsetTopic,
		Partitions: cfg.OffsetPartitions, ReplicationFactor: cfg.OffsetRF, HistorySize: historySize, ClientOptions: sec,
		Logger: o.Loggers.Logger("io.connectd.storage.KafkaOffsetBackingStore")})
	if err != nil {
		return err
	}
	if err := store.Start(ctx); err != nil {
		return fmt.Errorf("could not start the offset store (offset.storage.topic=%s): %w", cfg.OffsetTopic, err)
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			log.Warn("closing the offset store failed", "error", cerr)
		}
	}()

	restSec, listeners, addrs, err := runtime.ListenREST(cfg)
	if err != nil {
		return err
	}
	defer func() { runtime.CloseListeners(listeners) }()
	workerID := runtime.WorkerID(cfg, listeners)
	scheme := "http"
	if len(cfg.Listeners) > 0 {
		scheme = cfg.Listeners[0].Scheme
	}
	if v := strings.TrimSpace(cfg.Props["rest.advertised.listener"]); v != "" {
		scheme = strings.ToLower(v)
	}
	url := scheme + "://" + workerID + "/"

	status := NewStatusStore(StatusStoreOptions{Brokers: cfg.BootstrapServers, Topic: cfg.StatusTopic, Partitions: cfg.StatusPartitions,
		ReplicationFactor: cfg.StatusRF, WorkerID: workerID, Logger: o.Loggers.Logger("io.connectd.storage.KafkaStatusBackingStore")})
	if err := status.Start(ctx, sec...); err != nil {
		return err
	}
	defer status.Close()

	group, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.BootstrapServers...), kgo.ClientID("connectd-" + cfg.GroupID)}, sec...)...)
	if err != nil {
		return fmt.Errorf("could not create the Kafka client of the group membership: %w", err)
	}
	defer group.Close()

	info := herder.ServerInfo{Version: o.Version, Commit: version.Commit(), KafkaClusterID: clusterID}
	hd, err := NewHerder(HerderOptions{Config: cfg, Plugins: o.Plugins, Configs: configs, Status: status, Offsets: store,
		Producer: producer, Admin: kadm.NewClient(admin), Group: group, WorkerID: workerID, URL: url, Info: info, Logger: log,
		WorkerLogger: o.Loggers.Logger("io.connectd.runtime.Worker"), Client: restSec.Client(30 * time.Second)})
	if err != nil {
		return err
	}
	server := rest.NewServer(rest.Options{Herder: hd, Loggers: o.Loggers, Logger: o.Loggers.Logger("io.connectd.rest.RestServer"), Metrics: hd.Worker().WriteMetrics,
		Client: restSec.Client(rest.DefaultRequestTimeout)})
	handler := restSec.Handler(hd.Handler(server))

	var serving sync.WaitGroup
	servers := make([]*http.Server, 0, len(listeners))
	for _, ln := range listeners {
		hs := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
		servers = append(servers, hs)
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("REST listener stopped", "address", ln.Addr().String(), "error", err)
			}
		}()
	}
	listeners = nil // the servers close them
	log.Info("worker started", "worker_id", workerID, "url", url, "group", cfg.GroupID, "kafka_cluster_id", clusterID, "rest", addrs,
		"mode", "distributed", "config_topic", cfg.ConfigTopic, "offset_topic", cfg.OffsetTopic, "status_topic", cfg.StatusTopic)
	if o.OnReady != nil {
		o.OnReady(addrs)
	}

	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	go func() {
		select {
		case <-ctx.Done():
			// Refuse changes from now on; reads go on while the worker hands its work over.
			server.Drain()
			stopRun()
		case <-runCtx.Done():
		}
	}()
	runErr := hd.Run(runCtx)
	start := time.Now()
	fctx, cancel := context.WithTimeout(context.Background(), hd.Worker().FlushTimeout())
	if err := producer.Flush(fctx); err != nil {
		log.Warn("records were still unacknowledged when the producer closed", "error", err)
	}
	cancel()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	for _, hs := range servers {
		_ = hs.Shutdown(sctx)
	}
	cancel()
	serving.Wait()
	log.Info("worker stopped", "took", time.Since(start).Round(time.Millisecond).String())
	return runErr
}

package source

import (
	"context"
	"log/slog"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/signals"
)

// Signals is a task's signal channels (signal.enabled.channels), its notifier and its
// incremental snapshot engine. The zero value is closed: Inc is nil, which the engine's methods
// accept, so a task calls them whether signals are open or not.
type Signals struct {
	// Inc is the incremental snapshot engine and DB the connector's database under it.
	Inc      *Incremental
	DB       IncrementalDB
	hub      *signals.Hub
	notifier *signals.Notifier
	closeDB  func()
}

// SignalSource is what Signals.Open needs of the connector.
type SignalSource struct {
	// Name is the connector's name, which the channels and notifications are registered under;
	// TopicPrefix is its topic.prefix (Task.OpenSignals sets both).
	Name, TopicPrefix string
	Log               *slog.Logger
	// Configure adjusts the signal configuration before the channels open (nil: as parsed).
	Configure func(*signals.Config)
	// DB returns the engine's database for the parsed configuration and what releases it.
	DB func(cfg *signals.Config) (IncrementalDB, func())
	// Emit queues the engine's own records (reads, notifications) without showing them to the
	// engine again.
	Emit func(ctx context.Context, recs []*api.SourceRecord) error
}

// Open parses the signal configuration from props, opens the channels and the notifier, and
// sets up the engine with the incremental snapshot the stored offset holds. After an error the
// task still calls Close, which releases whatever was opened.
func (s *Signals) Open(ctx context.Context, props map[string]string, src SignalSource, stored map[string]any) error {
	cfg, err := signals.ParseConfig(props)
	if err != nil {
		return err
	}
	if src.Configure != nil {
		src.Configure(cfg)
	}
	hub, err := signals.OpenHub(ctx, cfg, src.Name, src.Log)
	if err != nil {
		return err
	}
	s.hub = hub
	s.notifier = signals.NewNotifier(cfg, src.Name, src.Log)
	db, closeDB := src.DB(cfg)
	s.DB, s.closeDB = db, closeDB
	topic := ""
	if cfg.DataCollection != "" {
		topic = src.TopicPrefix + "." + cfg.DataCollection
	}
	s.Inc = NewIncremental(db, cfg, topic, s.notifier, hub, src.Emit, src.Log)
	return s.Inc.Load(stored)
}

// Close releases what Open opened; the Signals are closed (zero) afterwards.
func (s *Signals) Close() {
	s.hub.Close()
	s.notifier.Close()
	if s.closeDB != nil {
		s.closeDB()
	}
	*s = Signals{}
}

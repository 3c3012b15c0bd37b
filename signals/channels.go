package signals

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Hub gathers the signals of one connector task from its asynchronous channels (Kafka topic,
// file, REST) into C; the signal table channel is read from the log by the connector itself.
type Hub struct {
	// C delivers signals in arrival order; the connector drains it while it streams.
	C    chan Signal
	name string
	log  *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
	kafka  *kgo.Client
}

// hubBuffer bounds the signals waiting to be handled; a full hub refuses REST signals.
const hubBuffer = 64

// OpenHub starts the asynchronous channels cfg enables for connector name.
func OpenHub(ctx context.Context, cfg *Config, name string, log *slog.Logger) (*Hub, error) {
	ctx, cancel := context.WithCancel(ctx)
	h := &Hub{C: make(chan Signal, hubBuffer), name: name, log: log, cancel: cancel}
	if cfg.Enabled(ChannelKafka) {
		if err := h.startKafka(ctx, cfg); err != nil {
			cancel()
			return nil, err
		}
	}
	if cfg.Enabled(ChannelFile) {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.watchFile(ctx, cfg.File)
		}()
	}
	registerHub(name, h)
	return h, nil
}

// Close stops the channels.
func (h *Hub) Close() {
	if h == nil {
		return
	}
	unregisterHub(h.name, h)
	h.cancel()
	h.wg.Wait()
	if h.kafka != nil {
		h.kafka.Close()
	}
}

// offer hands a signal to the connector without blocking; false when the hub is full.
func (h *Hub) offer(s Signal) bool {
	select {
	case h.C <- s:
		return true
	default:
		return false
	}
}

// startKafka reads the signal topic from where it ends when the task starts: records keyed by
// the connector's topic.prefix are its signals, value {"id"?, "type", "data"}. The end is
// resolved before OpenHub returns, so a signal sent once the task runs is never missed; a topic
// that does not exist yet is read from its start once it appears.
func (h *Hub) startKafka(ctx context.Context, cfg *Config) error {
	id := "connectd-signals-" + cfg.TopicPrefix
	if v := cfg.Consumer["client.id"]; v != "" {
		id = v
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.KafkaBootstrap...), kgo.ClientID(id),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client of the signal topic %s: %w", cfg.KafkaTopic, err)
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ends, err := kadm.NewClient(cl).ListEndOffsets(lctx, cfg.KafkaTopic)
	cancel()
	if err != nil {
		cl.Close()
		return fmt.Errorf("cannot read the end of the signal topic %s at %v: %w", cfg.KafkaTopic, cfg.KafkaBootstrap, err)
	}
	parts := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			parts[o.Partition] = kgo.NewOffset().At(o.Offset)
		}
	})
	if len(parts) > 0 {
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{cfg.KafkaTopic: parts})
	} else {
		h.log.Warn("the signal topic does not exist yet; it is read from its start once created", "topic", cfg.KafkaTopic)
		cl.AddConsumeTopics(cfg.KafkaTopic)
	}
	h.kafka = cl
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			fs.EachError(func(t string, p int32, err error) {
				h.log.Warn("cannot read the signal topic; retrying", "topic", t, "partition", p, "error", err)
			})
			fs.EachRecord(func(r *kgo.Record) {
				if string(r.Key) != cfg.TopicPrefix {
					return
				}
				id := "kafka-" + strconv.Itoa(int(r.Partition)) + "-" + strconv.FormatInt(r.Offset, 10)
				s, err := decodeSignal(r.Value, id, ChannelKafka)
				if err != nil {
					h.log.Warn("ignoring a malformed signal", "channel", ChannelKafka, "id", id, "reason", err.Error())
					return
				}
				for !h.offer(s) {
					select {
					case <-ctx.Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			})
		}
	}()
	return nil
}

// decodeSignal reads a JSON signal {"id", "type", "data"}; data may be an object or a string
// holding one. defaultID names signals without an id.
func decodeSignal(b []byte, defaultID, channel string) (Signal, error) {
	var v struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return Signal{}, fmt.Errorf("not a JSON signal {\"id\", \"type\", \"data\"}: %v", err)
	}
	s := Signal{ID: v.ID, Type: v.Type, Channel: channel}
	if s.ID == "" {
		s.ID = defaultID
	}
	data := bytes.TrimSpace(v.Data)
	if len(data) > 0 && data[0] == '"' {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return Signal{}, fmt.Errorf("the signal's data: %v", err)
		}
		s.Data = str
	} else if len(data) > 0 {
		s.Data = string(data)
	}
	return s, nil
}

// watchFile reads the signal file every second: each line is a JSON signal; the file is
// emptied once its lines are taken, so each signal is handled once.
func (h *Hub) watchFile(ctx context.Context, path string) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n := 0
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			if err := os.Truncate(path, 0); err != nil {
				h.log.Warn("cannot empty the signal file; its signals would be read again, so they are skipped", "file", path, "error", err)
			} else {
				sc := bufio.NewScanner(bytes.NewReader(b))
				sc.Buffer(make([]byte, 64*1024), 1<<20)
				for sc.Scan() {
					line := strings.TrimSpace(sc.Text())
					if line == "" {
						continue
					}
					n++
					s, err := decodeSignal([]byte(line), "file-"+strconv.Itoa(n), ChannelFile)
					if err != nil {
						h.log.Warn("ignoring a malformed signal", "channel", ChannelFile, "line", line, "reason", err.Error())
						continue
					}
					if !h.offer(s) {
						h.log.Warn("ignoring a signal: too many signals waiting", "channel", ChannelFile, "id", s.ID)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// The REST channel: tasks of this process register their hub and notifier by connector name.
var (
	regMu     sync.Mutex
	hubs      = map[string][]*Hub{}
	notifiers = map[string][]*Notifier{}
)

func registerHub(name string, h *Hub) {
	regMu.Lock()
	defer regMu.Unlock()
	hubs[name] = append(hubs[name], h)
}

func unregisterHub(name string, h *Hub) {
	regMu.Lock()
	defer regMu.Unlock()
	l := hubs[name]
	for i := range l {
		if l[i] == h {
			hubs[name] = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(hubs[name]) == 0 {
		delete(hubs, name)
	}
}

func registerNotifier(name string, n *Notifier) {
	regMu.Lock()
	defer regMu.Unlock()
	notifiers[name] = append(notifiers[name], n)
}

func unregisterNotifier(name string, n *Notifier) {
	regMu.Lock()
	defer regMu.Unlock()
	l := notifiers[name]
	for i := range l {
		if l[i] == n {
			notifiers[name] = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(notifiers[name]) == 0 {
		delete(notifiers, name)
	}
}

// ErrNoTask reports a REST signal for a connector with no running task in this worker.
var ErrNoTask = errors.New("no task of the connector runs in this worker")

// ErrBusy reports a REST signal refused because too many signals wait.
var ErrBusy = errors.New("too many signals are waiting; retry later")

// Deliver hands a signal received over REST to the tasks of connector name running in this
// process, after checking that it parses (so the caller can answer 400 with the reason).
func Deliver(name string, s Signal) error {
	s.Channel = ChannelREST
	if _, err := Parse(s); err != nil {
		return err
	}
	regMu.Lock()
	l := append([]*Hub(nil), hubs[name]...)
	regMu.Unlock()
	if len(l) == 0 {
		return ErrNoTask
	}
	for _, h := range l {
		if !h.offer(s) {
			return ErrBusy
		}
	}
	return nil
}

// Notifications returns the recent notifications of connector name's tasks in this process.
func Notifications(name string) []Notification {
	regMu.Lock()
	l := append([]*Notifier(nil), notifiers[name]...)
	regMu.Unlock()
	var out []Notification
	for _, n := range l {
		out = append(out, n.Recent()...)
	}
	return out
}

package signals

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Property names of the signal channels and notifications, as Debezium's.
const (
	PropEnabledChannels      = "signal.enabled.channels"
	PropDataCollection       = "signal.data.collection"
	PropKafkaTopic           = "signal.kafka.topic"
	PropKafkaBootstrap       = "signal.kafka.bootstrap.servers"
	PropKafkaGroupID         = "signal.kafka.groupId"
	PropKafkaPollTimeoutMs   = "signal.kafka.poll.timeout.ms"
	PropConsumerPrefix       = "signal.consumer."
	PropFile                 = "signal.file"
	PropChunkSize            = "incremental.snapshot.chunk.size"
	PropNotificationChannels = "notification.enabled.channels"
	PropNotificationTopic    = "notification.sink.topic.name"
)

// Notification channel names.
const (
	NotifySink = "sink"
	NotifyLog  = "log"
)

// DefaultChunkSize is incremental.snapshot.chunk.size's default, Debezium's.
const DefaultChunkSize = 1024

// Config is the parsed signal and notification configuration of a connector.
type Config struct {
	// Channels are the enabled signal channels (source, kafka, file; rest is always on).
	Channels []string
	// DataCollection is the signal table, db.table or schema.table; empty when unset.
	DataCollection string
	// KafkaTopic and KafkaBootstrap locate the Kafka channel; records are keyed by TopicPrefix.
	KafkaTopic     string
	KafkaBootstrap []string
	KafkaGroupID   string
	// Consumer holds the signal.consumer.* pass-through properties, prefix removed.
	Consumer map[string]string
	// File is the file channel's path.
	File string
	// ChunkSize is the number of rows per incremental snapshot chunk.
	ChunkSize int
	// Notify are the enabled notification channels (sink, log); NotifyTopic the sink's topic.
	Notify      []string
	NotifyTopic string
	// TopicPrefix keys the Kafka channel's records and names the connector in notifications.
	TopicPrefix string
	// Debezium37 is set by a connector whose Debezium reference is 3.7 or later (PostgreSQL),
	// not parsed from the properties: incremental snapshots then write what 3.7 adds to 3.5's
	// format (correlationId and dataCollectionId in the watermark rows, each collection's
	// correlation id and the table's total rows in the offsets, DATA_COLLECTIONS_RESOLVED
	// after STARTED, total_rows, total_chunks and chunk_index in the progress notifications).
	// Unset (MySQL, MariaDB: a 3.5 reference), they write 3.5's format.
	Debezium37 bool
}

// Enabled reports whether signal channel name is on.
func (c *Config) Enabled(name string) bool { return contains(c.Channels, name) }

// NotifyEnabled reports whether notification channel name is on.
func (c *Config) NotifyEnabled(name string) bool { return contains(c.Notify, name) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Spec declares the signal and notification properties cdcconfig's common spec does not
// (signal.data.collection, signal.enabled.channels and incremental.snapshot.chunk.size are
// there), for connectors that implement signals to append.
func Spec() api.ConfigSpec {
	return api.ConfigSpec{
		{Name: PropKafkaTopic, Type: api.ConfigString, Importance: api.Low, Group: "ADVANCED", DisplayName: "Signal topic",
			Doc: "Topic of the 'kafka' signal channel: records whose key is this connector's topic.prefix are its signals, value {\"id\" (optional), \"type\", \"data\"}."},
		{Name: PropKafkaBootstrap, Type: api.ConfigString, Importance: api.Low, Group: "ADVANCED", DisplayName: "Signal Kafka brokers",
			Doc: "Kafka bootstrap servers of the signal topic."},
		{Name: PropKafkaGroupID, Type: api.ConfigString, Default: "kafka-signal", Importance: api.Low, Group: "ADVANCED", DisplayName: "Signal consumer group",
			Doc: "Consumer group name of the signal topic's reader (offsets are not committed: the reader starts at the end of the topic)."},
		{Name: PropKafkaPollTimeoutMs, Type: api.ConfigInt, Default: "100", Importance: api.Low, Group: "ADVANCED", DisplayName: "Signal poll timeout",
			Doc: "Accepted for compatibility; the signal topic is read continuously."},
		{Name: PropFile, Type: api.ConfigString, Default: "file-signals.txt", Importance: api.Low, Group: "ADVANCED", DisplayName: "Signal file",
			Doc: "File of the 'file' signal channel: one JSON signal {\"id\", \"type\", \"data\"} per line; lines are processed once and the file is emptied."},
		{Name: PropNotificationChannels, Type: api.ConfigList, Importance: api.Low, Group: "ADVANCED", DisplayName: "Notification channels",
			Doc: "Comma-separated notification channels: 'sink' (records on notification.sink.topic.name), 'log'."},
		{Name: PropNotificationTopic, Type: api.ConfigString, Importance: api.Low, Group: "ADVANCED", DisplayName: "Notification topic",
			Doc: "Topic of the 'sink' notification channel."},
	}
}

// ParseConfig reads the signal and notification settings of a connector configuration.
func ParseConfig(props map[string]string) (*Config, error) {
	c := &Config{
		DataCollection: strings.TrimSpace(props[PropDataCollection]),
		KafkaTopic:     strings.TrimSpace(props[PropKafkaTopic]),
		KafkaGroupID:   strings.TrimSpace(props[PropKafkaGroupID]),
		File:           strings.TrimSpace(props[PropFile]),
		NotifyTopic:    strings.TrimSpace(props[PropNotificationTopic]),
		TopicPrefix:    strings.TrimSpace(props["topic.prefix"]),
		ChunkSize:      DefaultChunkSize,
		Consumer:       map[string]string{},
	}
	ch, ok := props[PropEnabledChannels]
	if !ok {
		ch = ChannelSource
	}
	c.Channels = splitList(ch)
	c.Notify = splitList(props[PropNotificationChannels])
	for _, s := range splitList(props[PropKafkaBootstrap]) {
		c.KafkaBootstrap = append(c.KafkaBootstrap, s)
	}
	for k, v := range props {
		if strings.HasPrefix(k, PropConsumerPrefix) {
			c.Consumer[strings.TrimPrefix(k, PropConsumerPrefix)] = v
		}
	}
	if c.File == "" {
		c.File = "file-signals.txt"
	}
	if c.KafkaGroupID == "" {
		c.KafkaGroupID = "kafka-signal"
	}
	var errs []error
	if s := strings.TrimSpace(props[PropChunkSize]); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", PropChunkSize, s))
		} else {
			c.ChunkSize = n
		}
	}
	for _, name := range c.Channels {
		switch strings.ToLower(name) {
		case ChannelSource, ChannelFile, ChannelREST:
		case ChannelKafka:
			if c.KafkaTopic == "" || len(c.KafkaBootstrap) == 0 {
				errs = append(errs, fmt.Errorf("%s names 'kafka' but %s or %s is not set: set both", PropEnabledChannels, PropKafkaTopic, PropKafkaBootstrap))
			}
		case "jmx":
			errs = append(errs, fmt.Errorf("%s: the 'jmx' channel has no equivalent in connectd; use 'rest' (POST /connectors/{name}/signals)", PropEnabledChannels))
		default:
			errs = append(errs, fmt.Errorf("%s: unknown channel %q; want source, kafka, file or rest", PropEnabledChannels, name))
		}
	}
	for _, name := range c.Notify {
		switch strings.ToLower(name) {
		case NotifyLog:
		case NotifySink:
			if c.NotifyTopic == "" {
				errs = append(errs, fmt.Errorf("%s names 'sink' but %s is not set: set the topic notifications go to", PropNotificationChannels, PropNotificationTopic))
			}
		case "jmx":
			errs = append(errs, fmt.Errorf("%s: the 'jmx' channel has no equivalent in connectd; use log or sink", PropNotificationChannels))
		default:
			errs = append(errs, fmt.Errorf("%s: unknown channel %q; want sink or log", PropNotificationChannels, name))
		}
	}
	return c, errors.Join(errs...)
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

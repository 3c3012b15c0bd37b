package topiclog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TopicSpec describes a compacted topic a worker keeps its state in, and the words used to tell
// the user about it.
type TopicSpec struct {
	// Name is the topic.
	Name string
	// Partitions and ReplicationFactor are used when the topic is created; -1 means the broker's
	// default.
	Partitions        int32
	ReplicationFactor int16
	// Property is the worker property naming the topic (offset.storage.topic, ...).
	Property string
	// Purpose says what the topic holds ("source connector offsets").
	Purpose string
}

// EnsureCompacted creates the topic with cleanup.policy=compact when it is missing, and refuses an
// existing topic whose policy is not exactly compact: with delete, Kafka would drop old records
// after retention.ms and workers would silently lose what the topic holds. It returns the number
// of partitions the topic has, so callers can refuse a layout they cannot work with.
func EnsureCompacted(ctx context.Context, adm *kadm.Client, brokers []string, spec TopicSpec) (partitions int, err error) {
	topic := spec.Name
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("cannot reach Kafka at %s to look up topic %s: %w", strings.Join(brokers, ","), topic, err)
	}
	if td, ok := tds[topic]; !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		compact := "compact"
		resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, map[string]*string{"cleanup.policy": &compact}, topic)
		if err == nil {
			err = resp.Err
		}
		switch {
		case err == nil:
			if resp.NumPartitions > 0 {
				return int(resp.NumPartitions), nil
			}
			return partitionCount(ctx, adm, topic)
		case errors.Is(err, kerr.TopicAlreadyExists): // created meanwhile by another worker: check it
		default:
			return 0, fmt.Errorf("cannot create topic %s for %s (partitions %d, replication factor %d) on Kafka at %s: %w; "+
				"create it yourself with cleanup.policy=compact or fix the %s settings",
				topic, spec.Purpose, spec.Partitions, spec.ReplicationFactor, strings.Join(brokers, ","), err, spec.Property)
		}
	} else if td.Err != nil {
		return 0, fmt.Errorf("cannot look up topic %s: %w", topic, td.Err)
	}
	rcs, err := DescribeConfigs(ctx, adm, topic)
	if err != nil {
		if errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed) {
			// As Kafka Connect: without the right to read configs, trust the operator.
			slog.Default().Warn("cannot check the cleanup.policy of the topic (not authorized); make sure it is compact", "topic", topic, "holds", spec.Purpose)
			return partitionCount(ctx, adm, topic)
		}
		return 0, fmt.Errorf("cannot read the configuration of topic %s: %w", topic, err)
	}
	policy := "delete" // Kafka's default when the topic and broker say nothing
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" {
				policy = c.MaybeValue()
			}
		}
	}
	policies := strings.Split(strings.ReplaceAll(policy, " ", ""), ",")
	if len(policies) == 1 && policies[0] == "compact" {
		return partitionCount(ctx, adm, topic)
	}
	return 0, fmt.Errorf("topic %s (%s) has cleanup.policy=%s, but it must be exactly compact: with delete, Kafka removes old records "+
		"after retention.ms and workers lose %s. Fix it with: kafka-configs.sh --bootstrap-server %s "+
		"--alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact (or point %s at a compacted topic)",
		topic, spec.Purpose, policy, spec.Purpose, strings.Join(brokers, ","), topic, spec.Property)
}

// partitionCount asks the brokers how many partitions topic has, riding out the moment right
// after creation when the metadata does not list it yet.
func partitionCount(ctx context.Context, adm *kadm.Client, topic string) (int, error) {
	var n int
	err := retrying(ctx, func() (bool, error) {
		tds, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return retriable(err), fmt.Errorf("cannot look up topic %s: %w", topic, err)
		}
		td, ok := tds[topic]
		if !ok {
			return true, fmt.Errorf("topic %s is missing from the metadata the broker returned", topic)
		}
		if td.Err != nil {
			return retriable(td.Err), fmt.Errorf("cannot look up topic %s: %w", topic, td.Err)
		}
		n = len(td.Partitions)
		return n == 0, nil
	})
	return n, err
}

// DescribeConfigs reads a topic's configuration. A topic that was just created (by us or by
// another worker) is in the metadata before every broker serves its configuration, so
// UNKNOWN_TOPIC_OR_PARTITION is retried for a few seconds before it counts as an error.
func DescribeConfigs(ctx context.Context, adm *kadm.Client, topic string) (kadm.ResourceConfigs, error) {
	backoff := 50 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		rcs, err := adm.DescribeTopicConfigs(ctx, topic)
		if err == nil && len(rcs) == 1 && rcs[0].Err != nil {
			err = rcs[0].Err
		}
		if err == nil || !errors.Is(err, kerr.UnknownTopicOrPartition) || time.Now().After(deadline) {
			return rcs, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

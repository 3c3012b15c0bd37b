package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka is the harness's admin view of the broker.
type kafka struct {
	bootstrap string
	cl        *kgo.Client
	adm       *kadm.Client
}

func openKafka(bootstrap string) (*kafka, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...))
	if err != nil {
		return nil, fmt.Errorf("could not create a Kafka client for %s: %w", bootstrap, err)
	}
	return &kafka{bootstrap: bootstrap, cl: cl, adm: kadm.NewClient(cl)}, nil
}

func (k *kafka) close() { k.cl.Close() }

// version asks the broker for its API versions and names the release they match, as far as
// kadm can tell.
func (k *kafka) version(ctx context.Context) string {
	vs, err := k.adm.ApiVersions(ctx)
	if err != nil {
		return "unknown"
	}
	for _, v := range vs.Sorted() {
		if v.Err == nil {
			return v.VersionGuess()
		}
	}
	return "unknown"
}

// deleteTopics deletes every topic named exactly one of names or starting with one of prefixes
// (followed by a dot or dash; a prefix ending in "_" matches any continuation), and waits until
// the broker no longer lists them.
func (k *kafka) deleteTopics(ctx context.Context, names []string, prefixes []string) error {
	td, err := k.adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("could not list topics: %w", err)
	}
	var del []string
	for _, t := range td.Names() {
		match := false
		for _, n := range names {
			match = match || t == n
		}
		for _, p := range prefixes {
			match = match || t == p || strings.HasPrefix(t, p+".") || strings.HasPrefix(t, p+"-") ||
				strings.HasSuffix(p, "_") && strings.HasPrefix(t, p)
		}
		if match {
			del = append(del, t)
		}
	}
	if len(del) == 0 {
		return nil
	}
	resp, err := k.adm.DeleteTopics(ctx, del...)
	if err != nil {
		return fmt.Errorf("could not delete topics %v: %w", del, err)
	}
	for _, r := range resp {
		if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("could not delete topic %s: %w", r.Topic, r.Err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		td, err := k.adm.ListTopics(ctx, del...)
		if err == nil {
			left := 0
			for _, t := range td {
				if t.Err == nil {
					left++
				}
			}
			if left == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topics %v were not deleted within 60 s", del)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// createTopic creates a one-partition topic whose records carry the broker's append time
// (message.timestamp.type=LogAppendTime), retrying while an earlier deletion of the same name is
// still in progress.
func (k *kafka) createTopic(ctx context.Context, name string) error {
	return k.createTopicWith(ctx, name, nil)
}

// createTopicWith creates a one-partition topic with LogAppendTime and the extra configs,
// retrying while an earlier deletion of the same name is still in progress.
func (k *kafka) createTopicWith(ctx context.Context, name string, extra map[string]string) error {
	lat := "LogAppendTime"
	cfg := map[string]*string{"message.timestamp.type": &lat}
	for key, v := range extra {
		cfg[key] = &v
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := k.adm.CreateTopic(ctx, 1, 1, cfg, name)
		if err == nil && resp.Err == nil {
			return nil
		}
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, kerr.TopicAlreadyExists) || time.Now().After(deadline) {
			return fmt.Errorf("could not create topic %s: %w", name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// endOffset is the next offset of partition 0 of topic.
func (k *kafka) endOffset(ctx context.Context, topic string) (int64, error) {
	offs, err := k.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("could not list the end offset of %s: %w", topic, err)
	}
	o, ok := offs.Lookup(topic, 0)
	if !ok {
		return 0, fmt.Errorf("topic %s has no partition 0", topic)
	}
	if o.Err != nil {
		return 0, fmt.Errorf("could not list the end offset of %s: %w", topic, o.Err)
	}
	return o.Offset, nil
}

// waitForEnd polls the topic's end offset until it reaches target. It fails when the offset does
// not move for stall, or when check (called about every 2 s) returns an error, such as a
// connector that FAILED.
func (k *kafka) waitForEnd(ctx context.Context, topic string, target int64, stall time.Duration, check func(context.Context) error) error {
	last, lastMove, lastCheck := int64(-1), time.Now(), time.Now()
	for {
		end, err := k.endOffset(ctx, topic)
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err == nil {
			if end >= target {
				return nil
			}
			if end != last {
				last, lastMove = end, time.Now()
			}
		}
		if time.Since(lastMove) > stall {
			return fmt.Errorf("topic %s stopped at offset %d of %d for %s; see the connector's log", topic, last, target, stall)
		}
		if check != nil && time.Since(lastCheck) > 2*time.Second {
			lastCheck = time.Now()
			if err := check(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readRange calls fn for each record of partition 0 of topic at offsets from..to-1.
func (k *kafka) readRange(ctx context.Context, topic string, from, to int64, fn func(*kgo.Record)) error {
	if from >= to {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(k.bootstrap, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from)}}),
		kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return fmt.Errorf("could not create a consumer for %s: %w", topic, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	next := from
	for next < to {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading %s offsets %d..%d stopped at %d: %w", topic, from, to, next, err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return fmt.Errorf("could not read %s: %w", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= next && r.Offset < to {
				fn(r)
				next = r.Offset + 1
			}
		})
	}
	return nil
}

// recordAt returns the record at offset of partition 0 of topic.
func (k *kafka) recordAt(ctx context.Context, topic string, offset int64) (*kgo.Record, error) {
	var rec *kgo.Record
	err := k.readRange(ctx, topic, offset, offset+1, func(r *kgo.Record) { rec = r })
	return rec, err
}

// appendTime is the broker's append time of the record at offset (the topic has
// LogAppendTime, so the record timestamp is it).
func (k *kafka) appendTime(ctx context.Context, topic string, offset int64) (time.Time, error) {
	r, err := k.recordAt(ctx, topic, offset)
	if err != nil {
		return time.Time{}, err
	}
	if r.Attrs.TimestampType() != 1 {
		return time.Time{}, fmt.Errorf("topic %s does not use LogAppendTime (record timestamp type %d); delete it and rerun", topic, r.Attrs.TimestampType())
	}
	return r.Timestamp, nil
}

package diff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Source says which topics of a Kafka cluster make up one connector's output.
type Source struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Manifest names the prefix, the connector (to pick its keys out of the offsets topic), the
	// offsets topic and the schema history topic; the last three are optional.
	Manifest Manifest
	// OffsetsStart, when set, is where to start reading the offsets topic in each partition
	// (from EndOffsets before the connector was created), so older runs of a connector with the
	// same name are left out.
	OffsetsStart map[int32]int64
	// Idle ends a read that has received nothing for this long even though the end offsets
	// were not reached (transaction markers leave gaps); default 5s.
	Idle time.Duration
}

func newClients(brokers []string) (*kgo.Client, *kadm.Client, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, nil, fmt.Errorf("could not create a Kafka client for %v: %w", brokers, err)
	}
	return cl, kadm.NewClient(cl), nil
}

// PrefixTopics lists the topics of the cluster that belong to prefix (see InPrefix), sorted.
func PrefixTopics(ctx context.Context, adm *kadm.Client, prefix string) ([]string, error) {
	td, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("could not list the topics: %w", err)
	}
	var out []string
	for _, t := range td.Names() {
		if InPrefix(prefix, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadKafka reads a connector's whole output from Kafka into a Dump: every topic of the prefix,
// the schema history topic, and the connector's records of the offsets topic.
func ReadKafka(ctx context.Context, src Source) (*Dump, error) {
	cl, adm, err := newClients(src.Brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	m := src.Manifest
	topics, err := PrefixTopics(ctx, adm, WithDelimiter(m.Prefix, m.Delimiter))
	if err != nil {
		return nil, err
	}
	logical := map[string]string{}
	for _, t := range topics {
		logical[t] = LogicalTopicDelim(m.Prefix, m.Delimiter, t)
	}
	if m.HistoryTopic != "" {
		logical[m.HistoryTopic] = HistoryTopic
	}
	if m.OffsetsTopic != "" {
		logical[m.OffsetsTopic] = OffsetsTopic
	}
	all := make([]string, 0, len(logical))
	for t := range logical {
		all = append(all, t)
	}
	recs, err := readTopics(ctx, cl, adm, all, map[string]map[int32]int64{m.OffsetsTopic: src.OffsetsStart}, src.Idle)
	if err != nil {
		return nil, err
	}
	d := &Dump{Manifest: m, Topics: map[string][]Record{}}
	for _, t := range topics {
		d.Topics[logical[t]] = []Record{}
	}
	for _, r := range recs {
		if r.Topic == m.OffsetsTopic && m.OffsetsTopic != "" && !offsetOf(r.Key, m.Connector) {
			continue
		}
		d.Add(logical[r.Topic], r)
	}
	d.sortRecords()
	return d, nil
}

// offsetOf reports whether an offsets-topic key (["<connector>",{partition}]) is connector's.
// With no connector named every key matches.
func offsetOf(key json.RawMessage, connector string) bool {
	if connector == "" {
		return true
	}
	var k []json.RawMessage
	if err := json.Unmarshal(key, &k); err != nil || len(k) == 0 {
		return false
	}
	var name string
	return json.Unmarshal(k[0], &name) == nil && name == connector
}

// readTopics reads topics from their start (or from starts[topic][partition]) to the end
// offsets listed when it begins.
func readTopics(ctx context.Context, cl *kgo.Client, adm *kadm.Client, topics []string, starts map[string]map[int32]int64, idle time.Duration) ([]Record, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	if idle <= 0 {
		idle = 5 * time.Second
	}
	first, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("could not list the start offsets of %v: %w", topics, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("could not list the end offsets of %v: %w", topics, err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("could not list the end offsets of %v (does every topic exist?): %w", topics, err)
	}
	assign := map[string]map[int32]kgo.Offset{}
	remaining := map[string]map[int32]int64{} // last offset still to read
	ends.Each(func(e kadm.ListedOffset) {
		start := int64(0)
		if s, ok := first.Lookup(e.Topic, e.Partition); ok && s.Offset > 0 {
			start = s.Offset
		}
		if s, ok := starts[e.Topic][e.Partition]; ok && s > start {
			start = s
		}
		if start >= e.Offset {
			return
		}
		if assign[e.Topic] == nil {
			assign[e.Topic] = map[int32]kgo.Offset{}
			remaining[e.Topic] = map[int32]int64{}
		}
		assign[e.Topic][e.Partition] = kgo.NewOffset().At(start)
		remaining[e.Topic][e.Partition] = e.Offset - 1
	})
	if len(assign) == 0 {
		return nil, nil
	}
	cl.AddConsumePartitions(assign)
	var out []Record
	left := 0
	for _, ps := range remaining {
		left += len(ps)
	}
	for left > 0 {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %v was cut short: %w", topics, err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = fmt.Errorf("could not read %s partition %d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		if fs.NumRecords() == 0 {
			// Nothing for a while: the rest of the log is transaction markers, or nothing.
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			last, ok := remaining[r.Topic][r.Partition]
			if !ok || r.Offset > last {
				return
			}
			hs := make([]Header, 0, len(r.Headers))
			for _, h := range r.Headers {
				var v *string
				if h.Value != nil {
					s := string(h.Value)
					v = &s
				}
				hs = append(hs, Header{Key: h.Key, Value: v})
			}
			rec := NewRecord(r.Topic, r.Partition, r.Offset, r.Key, r.Value, hs)
			rec.Timestamp = r.Timestamp.UnixMilli()
			out = append(out, rec)
			if r.Offset == last {
				delete(remaining[r.Topic], r.Partition)
				left--
			}
		})
	}
	return out, nil
}

// EndOffsets returns the end offset of every partition of topic.
func EndOffsets(ctx context.Context, brokers []string, topic string) (map[int32]int64, error) {
	cl, adm, err := newClients(brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("could not list the end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	var lerr error
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err != nil {
			lerr = fmt.Errorf("could not list the end offset of %s partition %d: %w", topic, e.Partition, e.Err)
		}
		out[e.Partition] = e.Offset
	})
	return out, lerr
}

// WaitQuiet waits until no topic of the prefixes gains a record (and no topic appears) for
// quiet, and returns the number of records seen in them. It gives up when ctx ends.
func WaitQuiet(ctx context.Context, brokers, prefixes []string, quiet time.Duration) (int64, error) {
	cl, adm, err := newClients(brokers)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var last int64 = -1
	lastChange := time.Now()
	for {
		var topics []string
		for _, p := range prefixes {
			ts, err := PrefixTopics(ctx, adm, p)
			if err != nil {
				return 0, err
			}
			topics = append(topics, ts...)
		}
		var total int64
		if len(topics) > 0 {
			ends, err := adm.ListEndOffsets(ctx, topics...)
			if err != nil {
				return 0, fmt.Errorf("could not list the end offsets: %w", err)
			}
			ends.Each(func(e kadm.ListedOffset) {
				if e.Offset > 0 {
					total += e.Offset
				}
			})
			// Topics count too: a topic appearing empty is a change.
			total += int64(len(topics)) << 40
		}
		if total != last {
			last, lastChange = total, time.Now()
		} else if time.Since(lastChange) >= quiet {
			return total & (1<<40 - 1), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the topics of %s never stayed quiet for %v: %w", strings.Join(prefixes, ", "), quiet, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// DeleteTopics deletes the topics of the prefixes and the named topics, those that exist, and
// returns their names.
func DeleteTopics(ctx context.Context, brokers, prefixes, names []string) ([]string, error) {
	cl, adm, err := newClients(brokers)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	td, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("could not list the topics: %w", err)
	}
	var del []string
	for _, t := range td.Names() {
		match := false
		for _, p := range prefixes {
			match = match || InPrefix(p, t)
		}
		for _, n := range names {
			match = match || n == t
		}
		if match {
			del = append(del, t)
		}
	}
	sort.Strings(del)
	if len(del) == 0 {
		return nil, nil
	}
	resps, err := adm.DeleteTopics(ctx, del...)
	if err != nil {
		return nil, fmt.Errorf("could not delete the topics %v: %w", del, err)
	}
	if err := resps.Error(); err != nil {
		return nil, fmt.Errorf("could not delete every topic of %v: %w", del, err)
	}
	// Deletion finishes in the background; a connector started right away would otherwise
	// write into a topic that is about to vanish.
	for {
		td, err := adm.ListTopics(ctx, del...)
		if err != nil {
			return nil, fmt.Errorf("could not check that %v are gone: %w", del, err)
		}
		gone := true
		for _, t := range td {
			gone = gone && t.Err != nil
		}
		if gone {
			return del, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the topics %v were not gone in time: %w", del, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

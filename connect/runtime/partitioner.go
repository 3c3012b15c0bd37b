package runtime

import "github.com/twmb/franz-go/pkg/kgo"

// connectPartitioner places records as Kafka Connect's producer does: a record whose connector
// chose a partition (SourceRecord.Partition >= 0) goes there; otherwise the Java client's default
// partitioner decides: murmur2 of the key bytes (franz-go's StickyKeyPartitioner with a nil
// hasher is exactly that), or a sticky partition for records without a key. The record's
// Partition field carries the connector's choice, -1 meaning none: franz-go leaves the field
// untouched until the partitioner has run.
type connectPartitioner struct {
	def kgo.Partitioner
}

func newConnectPartitioner() kgo.Partitioner {
	return connectPartitioner{def: kgo.StickyKeyPartitioner(nil)}
}

func (p connectPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return &connectTopicPartitioner{def: p.def.ForTopic(topic)}
}

type connectTopicPartitioner struct {
	def kgo.TopicPartitioner
}

// RequiresConsistency keeps chosen and keyed records on their partition even while it has no
// leader (they wait, as with the Java client); only key-less records may move.
func (p *connectTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || p.def.RequiresConsistency(r)
}

func (p *connectTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		// An out-of-range choice fails the record with franz-go's "invalid record
		// partitioning choice" error, which the task reports.
		return int(r.Partition)
	}
	return p.def.Partition(r, n)
}

// OnNewBatch lets the sticky partitioner for key-less records move on, as it does unwrapped.
func (p *connectTopicPartitioner) OnNewBatch() {
	if nb, ok := p.def.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}

package offsets

// Murmur2 is Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c),
// which the Java producer's default partitioner applies to the serialized key bytes.
func Murmur2(data []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	length := len(data)
	h := uint32(seed) ^ uint32(length)
	n := length / 4
	for i := 0; i < n; i++ {
		j := i * 4
		k := uint32(data[j]) | uint32(data[j+1])<<8 | uint32(data[j+2])<<16 | uint32(data[j+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n*4:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// PartitionFor returns the partition the Java producer's default partitioner picks for a record
// with this key among numPartitions: toPositive(murmur2(key)) % numPartitions. A record written by
// Kafka Connect, by kafka-console-producer with parse.key=true, or by us with the same key bytes
// lands on the same partition, which is what makes a rewritten offset replace the old one.
func PartitionFor(key []byte, numPartitions int32) int32 {
	if numPartitions <= 0 {
		return 0
	}
	return (Murmur2(key) & 0x7fffffff) % numPartitions
}

package runtime

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
)

// This file exports what the distributed herder (package distributed) shares with the standalone
// one, so both answer the REST API with the same checks and messages.

// Messages Kafka Connect answers an offsets PATCH and DELETE with.
const (
	MsgOffsetsAltered = msgAltered
	MsgOffsetsReset   = msgReset
)

// InvalidConfigError is the 400 error for a configuration that failed validation, listing every
// error as Kafka Connect does.
func InvalidConfigError(infos herder.ConfigInfos) error { return invalidConfig(infos) }

// CheckOffsets refuses an offsets PATCH body Kafka Connect refuses (partition and offset maps of
// primitive values; every entry has a partition).
func CheckOffsets(entries []api.PartitionOffset) error { return checkOffsets(entries) }

// Safely runs fn, turning a panic into an error, so a broken connector cannot bring the worker
// down.
func Safely(fn func() error) error { return safely(fn) }

// ClusterID asks Kafka for its cluster id, retrying for up to 60 s while the brokers start.
func ClusterID(ctx context.Context, cl *kgo.Client, cfg *workerconfig.Worker) (string, error) {
	return clusterID(ctx, cl, cfg)
}

// FlushTimeout is offset.flush.timeout.ms: how long the worker waits for Kafka to acknowledge what
// is in flight when tasks stop.
func (w *Worker) FlushTimeout() time.Duration { return w.flushTimeout }

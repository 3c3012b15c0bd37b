package source

import (
	"crypto/rand"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// ContextHeaders are the headers Debezium 3 puts on every change event (DebeziumHeaderProducer):
// the logical name (topic.prefix), the task id, the connector type (mysql, mariadb, postgresql)
// and a time-ordered id of this run of the task, so a consumer can tell runs apart.
func ContextHeaders(prefix string, taskID int, connector string) []api.Header {
	return []api.Header{
		{Key: "__debezium.context.connectorLogicalName", Schema: api.StringSchema, Value: prefix},
		{Key: "__debezium.context.taskId", Schema: api.StringSchema, Value: strconv.Itoa(taskID)},
		{Key: "__debezium.context.connectorName", Schema: api.StringSchema, Value: connector},
		{Key: "__debezium.context.runId", Schema: api.StringSchema, Value: NewRunID()},
	}
}

// AddHeaders appends the context headers h after any header r already has (the primary key
// change headers), as Debezium does. h is shared by every record of the run and never modified,
// so a record without headers of its own takes the slice itself.
func AddHeaders(r *api.SourceRecord, h []api.Header) {
	if len(r.Headers) == 0 {
		r.Headers = h
		return
	}
	out := make([]api.Header, 0, len(r.Headers)+len(h))
	r.Headers = append(append(out, r.Headers...), h...)
}

// NewRunID returns a time-ordered random UUID (version 7 layout), as Debezium's run id.
func NewRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70 // version 7
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return envelope.UUIDString(b)
}

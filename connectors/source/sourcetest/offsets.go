package sourcetest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/connectd/connectd/connect/api"
)

// Offsets is the committed offset of a task a test drives directly, and the task's context: the
// test sets the offset the runtime would have committed (a relational connector has one source
// partition), the task reads it back at Start as a store's JSON decoder gives it (integers as
// int64).
type Offsets struct {
	// Name is the connector's name ("test" when empty).
	Name   string
	mu     sync.Mutex
	offset map[string]any
}

// Set stores off as the committed offset.
func (o *Offsets) Set(off map[string]any) {
	o.mu.Lock()
	o.offset = off
	o.mu.Unlock()
}

// Offset implements api.OffsetReader: the committed offset, whatever the partition, after a
// JSON round trip.
func (o *Offsets) Offset(context.Context, map[string]any) (map[string]any, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.offset == nil {
		return nil, nil
	}
	b, err := json.Marshal(o.offset)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				m[k] = i
			}
		}
	}
	return m, nil
}

// Offsets implements api.TaskContext.
func (o *Offsets) Offsets() api.OffsetReader { return o }

// ConnectorName implements api.TaskContext.
func (o *Offsets) ConnectorName() string {
	if o.Name == "" {
		return "test"
	}
	return o.Name
}

// TaskID implements api.TaskContext.
func (o *Offsets) TaskID() int { return 0 }

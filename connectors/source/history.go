package source

import (
	"context"
	"fmt"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/schemahistory"
)

// History is the schema history of a source whose table structures come from the DDL in its log
// (MySQL and MariaDB): opened from the schema.history.internal.* properties, replayed up to the
// stored offset on start, and appended to as DDL streams by. A nil *History is a source
// configured without one (snapshot.mode=initial_only): Record does nothing, Replay fails.
type History struct {
	store  schemahistory.Store
	server string
}

// OpenHistory opens the Kafka, file or memory store the schema.history.internal.* properties
// name. server is the topic.prefix: a history may be shared, and only this server's records
// are replayed.
func OpenHistory(ctx context.Context, props map[string]string, server string) (*History, error) {
	hc, err := schemahistory.ParseConfig(props)
	if err != nil {
		return nil, err
	}
	s, err := schemahistory.Open(ctx, hc)
	if err != nil {
		return nil, fmt.Errorf("cannot open the schema history: %w", err)
	}
	return NewHistory(s, server), nil
}

// NewHistory wraps an opened store (tests give their own).
func NewHistory(s schemahistory.Store, server string) *History {
	return &History{store: s, server: server}
}

// Store returns the underlying store.
func (h *History) Store() schemahistory.Store { return h.store }

// Exists reports whether the history holds anything, for the snapshot mode's decision; a source
// without a history counts as having one, so it never asks for a schema recovery.
func (h *History) Exists(ctx context.Context) (bool, error) {
	if h == nil {
		return true, nil
	}
	ok, err := h.store.Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("cannot read the schema history: %w", err)
	}
	return ok, nil
}

// Replay rebuilds tables from this server's records that include accepts (those not after the
// stored offset); parse applies a record that carries DDL only.
func (h *History) Replay(ctx context.Context, tables *relational.Tables, include func(rec *schemahistory.Record) bool,
	parse func(rec *schemahistory.Record, tables *relational.Tables) error) (schemahistory.ReplayStats, error) {
	if h == nil {
		return schemahistory.ReplayStats{}, fmt.Errorf("the connector has a stored offset but no schema history store is configured; set %s and %s",
			cdcconfig.HistoryKafkaTopic, cdcconfig.HistoryKafkaBootstrapServers)
	}
	stats, err := schemahistory.Replay(ctx, h.store, tables, schemahistory.ReplayOptions{
		Include: func(rec *schemahistory.Record) bool {
			s, _ := rec.Source["server"].(string)
			return s == h.server && include(rec)
		},
		ParseDDL: parse,
	})
	if err != nil {
		return stats, fmt.Errorf("cannot rebuild the table structures from the schema history: %w", err)
	}
	return stats, nil
}

// Record appends records. A failure is retriable: the store (Kafka) may come back, and the
// stream handles the statement again from its restart point, so it is recorded once.
func (h *History) Record(ctx context.Context, recs ...*schemahistory.Record) error {
	if h == nil {
		return nil
	}
	if err := h.store.Record(ctx, recs...); err != nil {
		return api.Retriable(fmt.Errorf("cannot write to the schema history: %w", err))
	}
	return nil
}

// Close closes the store.
func (h *History) Close() error {
	if h == nil {
		return nil
	}
	return h.store.Close()
}

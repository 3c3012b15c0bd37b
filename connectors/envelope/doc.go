// Package envelope builds Debezium's change events for relational tables: the key and row
// schemas of a table, the envelope schema around them, the source block's common fields, and the
// Kafka Connect SourceRecords (change events, tombstones, primary-key-change pairs) with
// Debezium's topic names.
//
// Schemas are built once per table version by NewTable; producing an event then only converts
// the raw column values and fills structs by index, without maps or reflection.
//
// The shapes follow Debezium 3.x (io.debezium.data.Envelope, io.debezium.schema.SchemaFactory,
// io.debezium.relational.TableSchemaBuilder, AbstractSourceInfoStructMaker):
//
//   - key "<topic>.Key": the primary key columns in key order; none (nil key) for a table without
//     a primary key;
//   - value "<topic>.Value", optional: every captured column in table order, optional when the
//     column is nullable, with the column comment as doc and the column default as default;
//   - envelope "<topic>.Envelope", version 2: before, after, source, transaction (event.block v1),
//     op, ts_ms, ts_us, ts_ns;
//   - source, version 1: version, connector, name, ts_ms, snapshot (io.debezium.data.Enum v1,
//     default "false"), db, sequence, ts_us, ts_ns, then the connector's own fields.
//
// The value helpers in values.go map database values to Connect values the way Debezium's
// decimal.handling.mode, time.precision.mode, binary.handling.mode and
// bigint.unsigned.handling.mode settings say, so every connector maps them alike.
package envelope

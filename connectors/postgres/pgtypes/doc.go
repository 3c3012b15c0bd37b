// Package pgtypes maps PostgreSQL column types to Kafka Connect schemas and turns PostgreSQL's
// text representation of a value into the Connect value Debezium's PostgreSQL connector emits
// for it (io.debezium.connector.postgresql.PostgresValueConverter), under the configured
// decimal.handling.mode, time.precision.mode, binary.handling.mode, interval.handling.mode and
// hstore.handling.mode.
//
// Both the snapshot (a SELECT read in text format) and the pgoutput stream (tuple data in text
// format) hand values over as the server's text output, so one decoder per column serves both.
// The text output depends on session settings; the connector pins them (DateStyle=ISO,
// IntervalStyle=iso_8601, TimeZone=UTC, extra_float_digits=3, bytea_output=hex) on every
// connection it opens, and the decoders here assume them.
//
// A Mapping is built once per column of a table version; decoding a value then runs a small
// function chosen at build time, without reflection.
package pgtypes

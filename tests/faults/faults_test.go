package faults

import "testing"

// TestMariaDBKills: kill -9 of the worker at seeded random points of a MariaDB connector's
// snapshot and streaming; nothing lost, nothing invented, duplicates counted.
func TestMariaDBKills(t *testing.T) { runKills(t, newMaria(t)) }

// TestPostgresKills: the same for the PostgreSQL connector.
func TestPostgresKills(t *testing.T) { runKills(t, newPG(t)) }

// TestMariaDBBinlogDumpKilled: the worker's binlog dump thread is KILLed on the server while
// changes stream.
func TestMariaDBBinlogDumpKilled(t *testing.T) { runCuts(t, newMaria(t), 5) }

// TestPostgresWalsenderTerminated: the slot's walsender is ended with pg_terminate_backend while
// changes stream.
func TestPostgresWalsenderTerminated(t *testing.T) { runCuts(t, newPG(t), 5) }

// TestMariaDBKafkaUnreachable: Kafka unreachable for longer than the delivery timeout.
func TestMariaDBKafkaUnreachable(t *testing.T) { runKafkaCut(t, newMaria(t)) }

// TestPostgresKafkaUnreachable: the same for the PostgreSQL connector.
func TestPostgresKafkaUnreachable(t *testing.T) { runKafkaCut(t, newPG(t)) }

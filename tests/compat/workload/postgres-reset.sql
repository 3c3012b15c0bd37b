-- tests/compat/workload/postgres-reset.sql: drop the compat database so a capture starts from
-- nothing. Run connected to the connectd database, with no connector of the comparison running.
-- The comparison uses a database of its own (compat, schema compat) so that Debezium's
-- FOR ALL TABLES publication never touches tables of other tests. A database with a replication
-- slot cannot be dropped, so leftover inactive slots on it go first.
SELECT pg_drop_replication_slot(slot_name)
  FROM pg_replication_slots
 WHERE database = 'compat' AND NOT active;
DROP DATABASE IF EXISTS compat WITH (FORCE);
CREATE DATABASE compat;

-- tests/compat/workload/options/postgres-reset.sql: drop the options comparison's database
-- compat_opt (its own, so FOR ALL TABLES publications touch nothing else). Run connected to the
-- connectd database; a database with a replication slot cannot be dropped, so its inactive
-- slots go first.
SELECT pg_drop_replication_slot(slot_name)
  FROM pg_replication_slots
 WHERE database = 'compat_opt' AND NOT active;
DROP DATABASE IF EXISTS compat_opt WITH (FORCE);
CREATE DATABASE compat_opt;

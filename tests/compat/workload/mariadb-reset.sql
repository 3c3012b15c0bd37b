-- tests/compat/workload/mariadb-reset.sql: drop the compat database so a capture starts from nothing.
-- Run before mariadb-snapshot.sql, with no connector of the comparison running.
DROP DATABASE IF EXISTS compat;

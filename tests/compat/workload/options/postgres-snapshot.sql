-- tests/compat/workload/options/postgres-snapshot.sql: the options comparison's state before the
-- snapshot; run connected to compat_opt (postgres-reset.sql creates it). The same tables as
-- mariadb-snapshot.sql; the keyless table has REPLICA IDENTITY FULL so its updates and deletes
-- carry the old row; its serial column shows the type name Debezium gives serial columns.
SET client_encoding = 'UTF8';
CREATE SCHEMA compat_opt;
CREATE TABLE compat_opt.customers (
  id integer PRIMARY KEY,
  email varchar(100),
  ssn varchar(20),
  card char(16),
  notes text,
  nick varchar(40),
  price numeric(10,2),
  "bad-name" integer,
  "1st" varchar(10),
  phone varchar(20)
);
INSERT INTO compat_opt.customers VALUES
  (1, 'ann@example.com', '123-45-6789', '4111111111111111', 'a long note about Ann that gets truncated', 'Änne', 12.50, 1, 'one', '+1 555 0100'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'bob@example.com', '987-65-4321', '5500000000000004', 'short', 'Bob 😀 emoji', 0.01, 3, 'three', '+44 20 7946 0000');
CREATE TABLE compat_opt.nokey (code varchar(10) NOT NULL, v integer, n serial);
ALTER TABLE compat_opt.nokey REPLICA IDENTITY FULL;
INSERT INTO compat_opt.nokey VALUES ('a', 1), ('b', 2);
CREATE TABLE compat_opt.withpk (id integer PRIMARY KEY, tenant integer NOT NULL, v integer);
INSERT INTO compat_opt.withpk VALUES (1, 7, 1), (2, 8, 2);
CREATE TABLE compat_opt.audit (id integer PRIMARY KEY, msg varchar(50));
INSERT INTO compat_opt.audit VALUES (1, 'before the snapshot');

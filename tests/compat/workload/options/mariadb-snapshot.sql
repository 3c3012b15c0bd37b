-- tests/compat/workload/options/mariadb-snapshot.sql: the options comparison's state before the
-- snapshot (database compat_opt, its own, so the main comparison's database compat is untouched).
-- Drops and recreates the database. Columns for masking, hashing (v1, v2, multi-byte and
-- supplementary characters), truncation, source type parameters and field names that are not
-- valid Avro names; a keyless table and a keyed one for message.key.columns; a table the
-- snapshot leaves out (snapshot.include.collection.list). Every statement names its database.
SET NAMES utf8mb4;
DROP DATABASE IF EXISTS compat_opt;
CREATE DATABASE compat_opt CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE TABLE compat_opt.customers (
  id INT PRIMARY KEY,
  email VARCHAR(100),
  ssn VARCHAR(20),
  card CHAR(16),
  notes TEXT,
  nick VARCHAR(40),
  price DECIMAL(10,2),
  `bad-name` INT,
  `1st` VARCHAR(10),
  phone VARCHAR(20)
);
INSERT INTO compat_opt.customers VALUES
  (1, 'ann@example.com', '123-45-6789', '4111111111111111', 'a long note about Ann that gets truncated', 'Änne', 12.50, 1, 'one', '+1 555 0100'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'bob@example.com', '987-65-4321', '5500000000000004', 'short', 'Bob 😀 emoji', 0.01, 3, 'three', '+44 20 7946 0000');
CREATE TABLE compat_opt.nokey (code VARCHAR(10) NOT NULL, v INT);
INSERT INTO compat_opt.nokey VALUES ('a', 1), ('b', 2);
CREATE TABLE compat_opt.withpk (id INT PRIMARY KEY, tenant INT NOT NULL, v INT);
INSERT INTO compat_opt.withpk VALUES (1, 7, 1), (2, 8, 2);
CREATE TABLE compat_opt.audit (id INT PRIMARY KEY, msg VARCHAR(50));
INSERT INTO compat_opt.audit VALUES (1, 'before the snapshot');

-- tests/compat/workload/mariadb-streaming.sql: the changes the connector streams after its snapshot.
-- Autocommit statements, multi-statement transactions, a rolled-back transaction, a primary key
-- change, deletes, DDL mid-stream (ALTER TABLE ADD COLUMN, CREATE TABLE) and a TRUNCATE.
-- Deterministic, like mariadb-snapshot.sql.
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';
USE compat;

-- 1. Autocommit insert, update, delete.
INSERT INTO orders (id, customer, amount, status, created) VALUES (3, 'carol', 30.25, 'new', '2024-01-03 09:00:00.000');
UPDATE orders SET status = 'paid', amount = 31.00 WHERE id = 3;
DELETE FROM orders WHERE id = 1;

-- 2. A multi-statement transaction over several tables.
START TRANSACTION;
INSERT INTO orders (id, customer, amount, status, created) VALUES (4, 'dave', 40.00, 'new', '2024-01-04 08:00:00.000');
INSERT INTO orders (id, customer, amount, status, created) VALUES (5, 'erin', 50.00, 'new', '2024-01-05 08:00:00.000');
UPDATE all_types SET c_int = 7, c_varchar = 'changed in a transaction', c_json = '{"k": "v"}' WHERE id = 1;
INSERT INTO composite_pk VALUES ('ap', 9, 'in tx');
DELETE FROM no_pk WHERE a = 1;
COMMIT;

-- 3. A rolled-back transaction: nothing of it may appear.
START TRANSACTION;
INSERT INTO orders (id, customer, amount, status, created) VALUES (99, 'ghost', 1.00, 'new', '2024-01-09 00:00:00.000');
ROLLBACK;

-- 4. Primary key changes (delete + tombstone + create in Debezium).
UPDATE composite_pk SET id = 3 WHERE region = 'eu' AND id = 2;
UPDATE orders SET id = 20 WHERE id = 2;

-- 5. Every type changes in one update, and a NULL row gets values.
UPDATE all_types SET
  c_tinyint = -1, c_tinyint_u = 1, c_bool = FALSE, c_smallint = -2, c_smallint_u = 2,
  c_mediumint = -3, c_mediumint_u = 3, c_int = -4, c_int_u = 4, c_bigint = -5, c_bigint_u = 5,
  c_dec10_2 = -0.01, c_dec65_30 = 0.000000000000000000000000000001, c_float = -1.5, c_double = 1e-300,
  c_date = '1970-01-01', c_time = '00:00:00.001', c_datetime = '1970-01-01 00:00:00.000001',
  c_timestamp = '2000-01-01 00:00:00.5', c_year = 1999, c_char = 'x', c_varchar = 'y',
  c_latin1 = 'z', c_text = '🚀', c_binary = X'01', c_varbinary = X'02', c_blob = X'03',
  c_enum = 'c', c_set = 'y', c_bit1 = b'1', c_bit12 = b'100000000000', c_json = 'null',
  c_geometry = ST_GeomFromText('POINT(3 4)'), c_point = ST_GeomFromText('POINT(5 6)')
WHERE id = 2;
UPDATE all_types SET c_mediumint_u = 7 WHERE id IN (3, 4, 5);
UPDATE all_types SET c_year = 0 WHERE id = 5;

-- 6. No primary key: update and delete match by value.
UPDATE no_pk SET b = 'TWO' WHERE a = 2;
INSERT INTO no_pk VALUES (3, 'three');

-- 7. Schema change mid-stream, then rows with the new column.
ALTER TABLE orders ADD COLUMN note VARCHAR(100) DEFAULT 'none' AFTER amount;
INSERT INTO orders (id, customer, amount, note, status, created) VALUES (6, 'frank', 60.00, 'with note', 'shipped', '2024-01-06 07:00:00.000');
INSERT INTO orders (id, customer, amount, status, created) VALUES (7, 'grace', 70.00, 'new', '2024-01-07 07:00:00.000');
UPDATE orders SET note = 'updated' WHERE id = 4;

-- 8. A table created while streaming, filled in one transaction of 50 rows.
CREATE TABLE late_table (
  id   INT NOT NULL PRIMARY KEY,
  name VARCHAR(20) NOT NULL
);
START TRANSACTION;
INSERT INTO late_table SELECT seq, CONCAT('row-', seq) FROM seq_1_to_50;
UPDATE events SET payload = 'never matches' WHERE id = 0;
INSERT INTO events VALUES (18446744073709551615, 'max unsigned key'), (1, 'one');
COMMIT;

-- 9. TRUNCATE.
TRUNCATE TABLE no_pk;

-- 10. A last autocommit insert, so the end of the stream is recognisable.
INSERT INTO orders (id, customer, amount, status, created) VALUES (8, 'last', 80.00, 'new', '2024-01-08 07:00:00.000');

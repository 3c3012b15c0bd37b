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

-- 11. Type families through the binlog (issue 22): zero and partial-zero dates, which the binlog
-- decoder reads as nothing (NOT NULL columns fall back to their default or the epoch), every
-- precision, TIME's range ends, FLOAT(M,D), BIT, charsets, ENUM members with commas.
INSERT INTO types_temporal VALUES
(6, '2020-00-00 00:00:00', '2020-01-00 10:00:00.5', '0000-05-05 00:00:00.25', '2020-00-15 01:02:03.004',
 '0000-00-00 00:00:00.0001', '2020-02-00 00:00:00.00001', '0000-00-00 00:00:00.000001',
 '0000-00-00 00:00:00', '2020-00-00 00:00:00.000', '2020-06-00 12:00:00.000001', '0000-00-00 00:00:00',
 '2020-00-00', '0000-01-01', '-838:59:59', '838:59:59.000', '-838:59:59.000000', '838:59:59.000000',
 '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000',
 '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 0, 0),
(7, '1000-01-01 00:00:00', '1969-12-31 23:59:59.9', '9999-12-31 23:59:59.99', '1969-12-31 23:59:59.999',
 '2000-02-29 12:00:00.0001', '1900-03-01 00:00:00.00001', '1000-01-01 00:00:00.000001',
 '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '1000-01-01 00:00:00.000000', '2020-02-29 23:59:59',
 '1000-01-01', '9999-12-31', '00:00:00', '-00:00:00.001', '00:00:00.000001', '-00:00:00.000001',
 '2038-01-19 03:14:07', '2038-01-19 03:14:07.999', '1970-01-01 00:00:01.000000',
 '2038-01-19 03:14:07', '1970-01-01 00:00:01.000000', 1901, 2155);
UPDATE types_temporal SET dt3 = '0000-00-00 00:00:00.000', dt3_nn = '0000-00-00 00:00:00.000', d_nn = '0000-00-00',
  ts3 = '0000-00-00 00:00:00.000', t0 = '-838:59:59', dt_dflt = '0000-00-00 00:00:00' WHERE id = 1;
UPDATE types_temporal SET dt0 = '2021-03-04 05:06:07', dt3_nn = '2021-03-04 05:06:07.890' WHERE id = 3;
DELETE FROM types_temporal WHERE id = 6;

INSERT INTO types_numeric VALUES
(5, 1.5, -2.5, 3.000000000001, -0.5, 99999999.99, -0.0, 0.0001, 1e-300,
 0, 0.5, 1, 0.01, 0,
 b'0', b'10000000', b'00000000000000001', b'0000000000000000000000000000000000000000000000000000000000000001', 1,
 9223372036854775807);
UPDATE types_numeric SET f_m_d = 999.999, f_p30 = 1e300, bit64 = b'1111111111111111111111111111111111111111111111111111111111111110' WHERE id = 1;
UPDATE types_numeric SET dec_u = 0, bi_nn = 18446744073709551615 WHERE id = 3;

INSERT INTO types_string VALUES
(7, 'x,y', 'a,b', 'c', 'd', 'e', 'f', 'Grüße', 'ünï', 'Ж', 'ß', '😀', 'z',
 X'00', X'0001', X'02', X'03', X'04', X'05', '{"x": "y,z"}', 'it''s', 'x,y', 'it''s,r', 'b,c');
UPDATE types_string SET c_enum = 'dq"x', c_enum_n = NULL, c_set = 'dq"x,sp ace', c_latin1 = 'ÿ', c_ucs2 = 'Ω', c_utf16 = '𝄞' WHERE id = 1;
UPDATE types_string SET c_enum = '', c_enum_n = NULL WHERE id = 7;
DELETE FROM types_string WHERE id = 6;

INSERT INTO gen_cols (id, a, v) VALUES (3, 10, 'ten');
UPDATE gen_cols SET a = 11, v = 'eleven' WHERE id = 3;
DELETE FROM gen_cols WHERE id = 2;

-- 12. Keys from unique indexes: updates and deletes on tables without a primary key.
UPDATE uk_notnull SET d = 'ONE' WHERE b = 1;
UPDATE uk_notnull SET c = 'z' WHERE b = 2;
DELETE FROM uk_notnull WHERE b = 1;
UPDATE uk_inline SET label = 'changed' WHERE code = 'AAA';
UPDATE uk_inline SET code = 'CCC' WHERE code = 'BBB';
CREATE UNIQUE INDEX ux_x ON uk_index (x);
INSERT INTO uk_index VALUES (3, 'three');
UPDATE uk_index SET y = 'TWO' WHERE x = 2;
DELETE FROM uk_index WHERE x = 1;
-- Created while streaming: an inline UNIQUE (Debezium keys on it even on a nullable column, as
-- its parser reads the column definition), and a table keyed by ALTER TABLE ... ADD UNIQUE.
CREATE TABLE uk_late (
  a INT UNIQUE,
  b INT NOT NULL,
  UNIQUE KEY uq_b (b)
);
INSERT INTO uk_late VALUES (1, 10), (NULL, 20);
DELETE FROM uk_late WHERE b = 10;
CREATE TABLE uk_alter (
  p INT NOT NULL,
  q INT
);
ALTER TABLE uk_alter ADD UNIQUE KEY uq_q (q), ADD UNIQUE KEY uq_p (p);
INSERT INTO uk_alter VALUES (1, 1), (2, NULL);
UPDATE uk_alter SET q = 5 WHERE p = 2;
DELETE FROM uk_alter WHERE p = 1;

-- 13. Large values: an insert and a delete of about 900,000 bytes each (no update: its before
-- and after images together would pass Kafka's 1 MB limit).
INSERT INTO big_values VALUES (3, REPEAT('abcdefghij', 90000), NULL), (4, NULL, REPEAT(X'DEADBEEF', 150000));
DELETE FROM big_values WHERE id = 1;

-- 14. A type table created while streaming: its model comes from the binlog's CREATE TABLE text
-- (FLOAT(30) and FLOAT(M,D) as written), not from SHOW CREATE TABLE. Its ENUM e only ever holds
-- 'a,b' (see mariadb-enum-comma-value in tests/compat/allowed-differences.json).
CREATE TABLE types_late (
  id     INT NOT NULL PRIMARY KEY,
  f      FLOAT,
  f_p30  FLOAT(30),
  f_m_d  FLOAT(7,3),
  dt2    DATETIME(2),
  dt2_nn DATETIME(2) NOT NULL,
  d_nn   DATE NOT NULL DEFAULT '2000-01-01',
  ts_nn  TIMESTAMP(3) NOT NULL DEFAULT '2000-01-01 00:00:00.000',
  e      ENUM('a,b', 'c''d', 'e') NOT NULL,
  s      SET('p', 'q''r'),
  g      INT AS (id + 1) VIRTUAL
);
INSERT INTO types_late (id, f, f_p30, f_m_d, dt2, dt2_nn, d_nn, ts_nn, e, s) VALUES
(1, 1.25, 2.5, 3.125, '0000-00-00 00:00:00.00', '0000-00-00 00:00:00.00', '0000-00-00', '0000-00-00 00:00:00.000', 'a,b', 'p,q''r'),
(2, -1.25, -2.5, -3.125, '2020-00-01 00:00:00.50', '2020-01-00 00:00:00.50', '2020-00-00', '2020-01-01 00:00:00.123', 'a,b', ''),
(3, NULL, 1.000000001, 0.001, '1999-12-31 23:59:59.99', '1999-12-31 23:59:59.99', DEFAULT, DEFAULT, 'a,b', NULL);

-- 10. A last autocommit insert, so the end of the stream is recognisable.
INSERT INTO orders (id, customer, amount, status, created) VALUES (8, 'last', 80.00, 'new', '2024-01-08 07:00:00.000');

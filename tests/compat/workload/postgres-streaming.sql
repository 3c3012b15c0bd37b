-- tests/compat/workload/postgres-streaming.sql: the changes the connector streams after its
-- snapshot. Run connected to the compat database. Autocommit statements, multi-statement
-- transactions, a rolled-back transaction, a primary key change, deletes, a TOAST-unchanged
-- update, DDL mid-stream (ALTER TABLE ADD COLUMN, CREATE TABLE) and a TRUNCATE.
SET client_encoding = 'UTF8';
SET TimeZone = 'UTC';
SET lc_monetary = 'C';
SET search_path = compat, public;

-- 1. Autocommit insert, update, delete.
INSERT INTO compat.orders VALUES (3, 'carol', 30.25, 'ok', '2024-01-03 09:00:00.000');
UPDATE compat.orders SET status = 'happy', amount = 31.00 WHERE id = 3;
DELETE FROM compat.orders WHERE id = 1;

-- 2. A multi-statement transaction over several tables.
BEGIN;
INSERT INTO compat.orders VALUES (4, 'dave', 40.00, 'ok', '2024-01-04 08:00:00.000');
INSERT INTO compat.orders VALUES (5, 'erin', 50.00, 'ok', '2024-01-05 08:00:00.000');
UPDATE compat.all_types SET c_int4 = 7, c_varchar = 'changed in a transaction', c_jsonb = '{"k": "v"}' WHERE id = 1;
INSERT INTO compat.composite_pk VALUES ('ap', 9, 'in tx');
DELETE FROM compat.no_pk WHERE a = 1;
COMMIT;

-- 3. A rolled-back transaction: nothing of it may appear.
BEGIN;
INSERT INTO compat.orders VALUES (99, 'ghost', 1.00, 'ok', '2024-01-09 00:00:00.000');
ROLLBACK;

-- 4. Primary key changes (delete + tombstone + create in Debezium).
UPDATE compat.composite_pk SET id = 3 WHERE region = 'eu' AND id = 2;
UPDATE compat.orders SET id = 20 WHERE id = 2;

-- 5. Every type changes in one update, and a NULL row gets values.
UPDATE compat.all_types SET
  c_int2 = -1, c_int4 = -2, c_int8 = -3, c_num10_2 = -0.01, c_numeric = 1e-30, c_money = -0.01,
  c_real = -1.5, c_double = 1e-300, c_bool = false, c_text = '🚀', c_varchar = 'y', c_char = 'x',
  c_bytea = '\x01', c_uuid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', c_json = 'null',
  c_jsonb = '[1, "two"]', c_date = '1970-01-01', c_time = '00:00:00.000001',
  c_timetz = '00:00:00.000001-01', c_timestamp = '1970-01-01 00:00:00.000001',
  c_timestamptz = '2000-01-01 00:00:00.5+02', c_interval = '-1 day -00:00:01',
  c_int_arr = '{5}', c_text_arr = '{"y"}', c_enum = 'ok', c_hstore = '"z"=>"1"'
WHERE id = 2;
UPDATE compat.all_types SET c_int2 = 7 WHERE id IN (3, 4, 5);

-- 6. No primary key (REPLICA IDENTITY FULL): update and delete match by value.
UPDATE compat.no_pk SET b = 'TWO' WHERE a = 2;
INSERT INTO compat.no_pk VALUES (3, 'three');

-- 7. TOAST: the big column is not changed, so the change stream does not carry it.
UPDATE compat.toasted SET note = 'changed' WHERE id = 1;

-- 8. Schema change mid-stream, then rows with the new column.
ALTER TABLE compat.orders ADD COLUMN note varchar(100) DEFAULT 'none';
INSERT INTO compat.orders (id, customer, amount, note, status, created) VALUES (6, 'frank', 60.00, 'with note', 'sad', '2024-01-06 07:00:00.000');
INSERT INTO compat.orders (id, customer, amount, status, created) VALUES (7, 'grace', 70.00, 'ok', '2024-01-07 07:00:00.000');
UPDATE compat.orders SET note = 'updated' WHERE id = 4;

-- 9. A table created while streaming, filled in one transaction of 50 rows.
CREATE TABLE compat.late_table (
  id   integer PRIMARY KEY,
  name varchar(20) NOT NULL
);
BEGIN;
INSERT INTO compat.late_table SELECT i, 'row-' || i FROM generate_series(1, 50) AS i;
UPDATE compat.events SET payload = 'never matches' WHERE id = 0;
INSERT INTO compat.events VALUES (9223372036854775807, 'max key'), (1, 'one');
COMMIT;

-- 10. TRUNCATE.
TRUNCATE TABLE compat.no_pk;

-- 11. A last autocommit insert, so the end of the stream is recognisable.
INSERT INTO compat.orders (id, customer, amount, status, created) VALUES (8, 'last', 80.00, 'ok', '2024-01-08 07:00:00.000');

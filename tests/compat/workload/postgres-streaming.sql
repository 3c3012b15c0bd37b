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

-- 12. Type-heavy tables (issue 22): the snapshot's edge values again, through pgoutput.
INSERT INTO compat.temporal_edges VALUES
(101, '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123', '2024-02-29 12:34:56.123456+00', '12:34:56.5', '12:34:56.5+01'),
(102, '-infinity', '-infinity', '-infinity', '-infinity', '00:00:00', '00:00:00+15:59'),
(103, 'infinity', 'infinity', 'infinity', 'infinity', '24:00:00', '24:00:00-15:59'),
(104, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '23:59:59.999999', '23:59:59.999999+00'),
(105, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '00:00:00.000001', '00:00:00.000001+00'),
(106, '0001-12-31 BC', '0001-12-31 23:59:59.999999 BC', '0001-12-31 23:59:59.999 BC', '0001-12-31 23:59:59.999999+00 BC', '01:02:03', '01:02:03+05:45'),
(107, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999', '294276-12-31 23:59:59.999999+00', '12:00:00', '12:00:00-00:00:30'),
(108, '1969-12-31', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999', '1969-12-31 23:59:59.999999+00', '00:00:01', '00:00:01+14');

INSERT INTO compat.type_zoo (c_point, c_line, c_lseg, c_box, c_path, c_polygon, c_circle,
  c_int_arr2, c_text_arr2, c_num_arr, c_num_arr2, c_date_arr, c_bool_arr, c_float_arr, c_uuid_arr,
  c_color, c_tsv, c_money, c_bit, c_varbit, c_uuid, c_json, c_jsonb, c_inet, c_cidr, c_macaddr,
  c_macaddr8, c_int4range, c_int8range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_posint,
  c_short, c_name, c_xml)
SELECT c_point, c_line, c_lseg, c_box, c_path, c_polygon, c_circle,
  c_int_arr2, c_text_arr2, c_num_arr, c_num_arr2, c_date_arr, c_bool_arr, c_float_arr, c_uuid_arr,
  c_color, c_tsv, c_money, c_bit, c_varbit, c_uuid, c_json, c_jsonb, c_inet, c_cidr, c_macaddr,
  c_macaddr8, c_int4range, c_int8range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_posint,
  c_short, c_name, c_xml
FROM compat.type_zoo ORDER BY id;
UPDATE compat.type_zoo SET c_point = '(-1,1)', c_int_arr2 = '{{5,6,7}}', c_color = 'red' WHERE id = 1;

-- 13. Enum values added mid-stream, then used by a table already streamed. Both are added before
-- either is used: a connector reads the labels from the catalog when it meets an unknown one, so
-- this way what it reads does not depend on how far behind the workload it is.
ALTER TYPE compat.color ADD VALUE 'blue';
ALTER TYPE compat.color ADD VALUE 'amber' BEFORE 'green';
INSERT INTO compat.type_zoo (c_color, c_posint) VALUES ('blue', 3);
UPDATE compat.type_zoo SET c_color = 'blue' WHERE id = 2;
INSERT INTO compat.type_zoo (c_color) VALUES ('amber');

-- 14. Keyless tables keyed by a unique index: update and delete.
INSERT INTO compat.keyless_unique VALUES ('c', 3);
UPDATE compat.keyless_unique SET qty = 20 WHERE code = 'b';
UPDATE compat.keyless_unique SET code = 'aa' WHERE code = 'a';
DELETE FROM compat.keyless_unique WHERE code = 'c';
INSERT INTO compat.keyless_ri VALUES (2, 1, 'y');
UPDATE compat.keyless_ri SET note = 'changed' WHERE a = 1 AND b = 1;
DELETE FROM compat.keyless_ri WHERE a = 1 AND b = 2;

-- 15. The partitioned table: rows land in the partitions.
INSERT INTO compat.measurements VALUES (3, 'eu', 30), (4, 'us', 40);
UPDATE compat.measurements SET v = 11 WHERE id = 1;
DELETE FROM compat.measurements WHERE id = 2;

-- 16. A 900,000-byte text value (md5 hex, which compresses poorly).
INSERT INTO compat.big_text
SELECT 1, string_agg(md5(i::text), '' ORDER BY i) FROM generate_series(1, 28125) AS i;

-- 17. Unmapped array types while streaming.
INSERT INTO compat.unmapped_arrays VALUES
(2, '{c}', '{0}', '{"2 hours"}', '{1}', '{<b/>}', '{"(0,0)"}', 'kept too');

-- 18. The end marker again, so the end of the stream is recognisable.
INSERT INTO compat.orders (id, customer, amount, status, created) VALUES (9, 'very last', 90.00, 'ok', '2024-01-09 07:00:00.000');

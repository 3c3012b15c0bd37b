-- tests/compat/workload/postgres-snapshot.sql: the state the connector's initial snapshot reads.
-- Run connected to the compat database (postgres-reset.sql creates it). Every column type the
-- PostgreSQL connector supports, with typical values, NULLs and the extremes of each type.
-- Deterministic: no now(), no random values, no sequence gaps.
SET client_encoding = 'UTF8';
SET TimeZone = 'UTC';
SET lc_monetary = 'C';
CREATE EXTENSION IF NOT EXISTS hstore SCHEMA public;
CREATE SCHEMA compat;
SET search_path = compat, public;

CREATE TYPE compat.mood AS ENUM ('sad', 'ok', 'happy');

CREATE TABLE compat.all_types (
  id            integer PRIMARY KEY,
  c_int2        int2,
  c_int4        int4 NOT NULL DEFAULT 42,
  c_int8        int8,
  c_num10_2     numeric(10,2),
  c_numeric     numeric,
  c_money       money,
  c_real        real,
  c_double      double precision,
  c_bool        boolean,
  c_text        text,
  c_varchar     varchar(255) DEFAULT 'dflt',
  c_char        char(10),
  c_bytea       bytea,
  c_uuid        uuid,
  c_json        json,
  c_jsonb       jsonb,
  c_date        date,
  c_time        time,
  c_timetz      timetz,
  c_timestamp   timestamp,
  c_timestamptz timestamptz,
  c_interval    interval,
  c_int_arr     int[],
  c_text_arr    text[],
  c_enum        compat.mood,
  c_hstore      hstore
);

-- Row 1: typical values. Row 2: NULL wherever allowed. Row 3: minimums. Row 4: maximums.
-- Row 5: special values (NaN, infinities, empty arrays and strings).
INSERT INTO compat.all_types VALUES
(1, 300, 100000, 5000000000, 12345.67, 1234.567890123456789012345678901234, 1234.56,
 3.14, 2.718281828459045, true, 'héllo wörld 😀 中文', 'hello', 'abc', '\xdeadbeef',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1, "b": [true, null, "x"], "emoji": "😀"}',
 '{"b": [true, null, "x"], "a": 1}', '2024-02-29', '12:34:56.789012', '12:34:56.789+05:30',
 '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.654321+00', '1 year 2 mons 3 days 04:05:06.789',
 '{1,2,3}', '{"a","b c","😀"}', 'happy', '"a"=>"1", "b"=>NULL'),
(2, NULL, DEFAULT, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL,
 NULL, NULL, NULL, NULL,
 NULL, NULL, NULL,
 NULL, NULL, NULL, NULL),
(3, -32768, -2147483648, -9223372036854775808, -99999999.99, -0.000000000000000000000000000001,
 -92233720368547758.08, -3.40282e38, -1.7976931348623157e308, false, '', '', '', '\x',
 '00000000-0000-0000-0000-000000000000', '[]', '[]', '0001-01-01', '00:00:00', '00:00:00+14',
 '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-178000000 years',
 '{}', '{}', 'sad', ''),
(4, 32767, 2147483647, 9223372036854775807, 99999999.99, 99999999999999999999999999999999999999.999999,
 92233720368547758.07, 3.40282e38, 1.7976931348623157e308, true, repeat('t', 1000), repeat('v', 255),
 'zzzzzzzzzz', '\xffffffffffffffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
 '{"nested": {"deep": [1, 2.5, -3e10]}}', '{"nested": {"deep": [1, 2.5, -3e10]}}',
 '9999-12-31', '23:59:59.999999', '23:59:59.999999-14', '9999-12-31 23:59:59.999999',
 '9999-12-31 23:59:59.999999+00', '178000000 years', '{2147483647,-2147483648,NULL}',
 '{"",NULL,"x"}', 'ok', '"k"=>"v", "x"=>"y"'),
(5, 0, 0, 0, 0, 'NaN', 0, 'Infinity', 'NaN', false, ' ', ' ', ' ', '\x00',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '"just a string"', 'null', '1970-01-01', '24:00:00',
 '00:00:00+00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '0 seconds',
 '{0}', '{" "}', 'sad', '"emoji"=>"😀"');

-- A composite primary key: the key struct has two fields, in key order.
CREATE TABLE compat.composite_pk (
  region char(2) NOT NULL,
  id     bigint  NOT NULL,
  note   varchar(50),
  PRIMARY KEY (region, id)
);
INSERT INTO compat.composite_pk VALUES ('eu', 1, 'first'), ('eu', 2, NULL), ('us', 1, 'third');

-- No primary key: Debezium sends a null key. REPLICA IDENTITY FULL so updates and deletes are
-- allowed at all (and carry the whole old row).
CREATE TABLE compat.no_pk (
  a integer,
  b varchar(20)
);
ALTER TABLE compat.no_pk REPLICA IDENTITY FULL;
INSERT INTO compat.no_pk VALUES (1, 'one'), (2, 'two'), (2, 'two');

-- The table most of the streaming script writes to. REPLICA IDENTITY FULL: updates and deletes
-- carry the whole old row in "before"; all_types keeps the default (key only).
CREATE TABLE compat.orders (
  id       integer PRIMARY KEY,
  customer varchar(50) NOT NULL,
  amount   numeric(10,2) NOT NULL,
  status   compat.mood NOT NULL DEFAULT 'ok',
  created  timestamp(3) NOT NULL
);
ALTER TABLE compat.orders REPLICA IDENTITY FULL;
INSERT INTO compat.orders VALUES
(1, 'alice', 10.50, 'ok', '2024-01-01 10:00:00.000'),
(2, 'bob', 20.00, 'happy', '2024-01-02 11:30:00.250');

-- Large values stored out of line (TOAST): an update that leaves them alone does not send them,
-- and Debezium puts a placeholder in "after". The text is md5 hex, which compresses poorly.
CREATE TABLE compat.toasted (
  id   integer PRIMARY KEY,
  note text,
  big  text
);
INSERT INTO compat.toasted
SELECT 1, 'small', string_agg(md5(i::text), '' ORDER BY i) FROM generate_series(1, 400) AS i;

-- Empty at snapshot time: only streaming fills it.
CREATE TABLE compat.events (
  id      bigint PRIMARY KEY,
  payload varchar(100)
);

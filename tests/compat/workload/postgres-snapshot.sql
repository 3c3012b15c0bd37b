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

-- ---------------------------------------------------------------------------------------------
-- Type-heavy tables (issue 22): every type family, each edge value in a row of its own so a
-- difference names the value. The streaming script inserts the same values again, since
-- pgoutput's text and the snapshot's query result take different decoding paths.

CREATE TYPE compat.color AS ENUM ('red', 'green');
CREATE DOMAIN compat.posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN compat.short_text AS varchar(10);

-- Temporal edges: ±infinity, BC, year 1, year 0 (1 BC), the largest values, time 24:00:00.
CREATE TABLE compat.temporal_edges (
  id       integer PRIMARY KEY,
  c_date   date,
  c_ts     timestamp,
  c_ts3    timestamp(3),
  c_tstz   timestamptz,
  c_time   time,
  c_timetz timetz
);
INSERT INTO compat.temporal_edges VALUES
(1, '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123', '2024-02-29 12:34:56.123456+00', '12:34:56.5', '12:34:56.5+01'),
(2, '-infinity', '-infinity', '-infinity', '-infinity', '00:00:00', '00:00:00+15:59'),
(3, 'infinity', 'infinity', 'infinity', 'infinity', '24:00:00', '24:00:00-15:59'),
(4, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '23:59:59.999999', '23:59:59.999999+00'),
(5, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '00:00:00.000001', '00:00:00.000001+00'),
(6, '0001-12-31 BC', '0001-12-31 23:59:59.999999 BC', '0001-12-31 23:59:59.999 BC', '0001-12-31 23:59:59.999999+00 BC', '01:02:03', '01:02:03+05:45'),
(7, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999', '294276-12-31 23:59:59.999999+00', '12:00:00', '12:00:00-00:00:30'),
(8, '1969-12-31', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999', '1969-12-31 23:59:59.999999+00', '00:00:01', '00:00:01+14');

-- Geometric types, 1- and 2-dimensional arrays of several element types, an enum the streaming
-- script extends with ALTER TYPE, tsvector, serial columns, money, bit strings, network types,
-- ranges, domains, name, xml.
CREATE TABLE compat.type_zoo (
  id            serial PRIMARY KEY,
  c_bigserial   bigserial,
  c_smallserial smallserial,
  c_point       point,
  c_line        line,
  c_lseg        lseg,
  c_box         box,
  c_path        path,
  c_polygon     polygon,
  c_circle      circle,
  c_int_arr2    int[][],
  c_text_arr2   text[][],
  c_num_arr     numeric[],
  c_num_arr2    numeric(6,2)[][],
  c_date_arr    date[],
  c_bool_arr    boolean[],
  c_float_arr   float8[],
  c_uuid_arr    uuid[],
  c_color       compat.color,
  c_tsv         tsvector,
  c_money       money,
  c_bit         bit(4),
  c_varbit      bit varying(16),
  c_uuid        uuid,
  c_json        json,
  c_jsonb       jsonb,
  c_inet        inet,
  c_cidr        cidr,
  c_macaddr     macaddr,
  c_macaddr8    macaddr8,
  c_int4range   int4range,
  c_int8range   int8range,
  c_numrange    numrange,
  c_tsrange     tsrange,
  c_tstzrange   tstzrange,
  c_daterange   daterange,
  c_posint      compat.posint,
  c_short       compat.short_text,
  c_name        name,
  c_xml         xml
);
INSERT INTO compat.type_zoo (c_point, c_line, c_lseg, c_box, c_path, c_polygon, c_circle,
  c_int_arr2, c_text_arr2, c_num_arr, c_num_arr2, c_date_arr, c_bool_arr, c_float_arr, c_uuid_arr,
  c_color, c_tsv, c_money, c_bit, c_varbit, c_uuid, c_json, c_jsonb, c_inet, c_cidr, c_macaddr,
  c_macaddr8, c_int4range, c_int8range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_posint,
  c_short, c_name, c_xml) VALUES
('(1.5,-2.25)', '{1,-1,0.5}', '[(0,0),(3,4)]', '(3,4),(1,2)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(1,2),3.5>',
 '{{1,2},{3,NULL}}', '{{"a","b c"},{"😀",NULL}}', '{1.5,-0.25,NULL}', '{{1.50,2.00},{-3.25,0}}', '{2024-02-29,1970-01-01}', '{t,f,NULL}', '{1.5,-2e300,Infinity}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
 'green', to_tsvector('simple', 'the quick brown fox jumps'), 1234.56, B'1010', B'101', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '{"k": [1, 2]}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
 '08:00:2b:01:02:03:04:05', '[1,10)', '[-9223372036854775808,0)', '(0.5,2.5]', '[2024-01-01 00:00,2024-01-02 00:00)', '[2024-01-01 00:00+00,infinity)', '[2024-01-01,2024-02-01)', 1,
 'ten chars!', 'a_name', '<a b="1">text</a>'),
('(0,0)', '{0,1,-2}', '[(-1.5,2),(1e10,-1e-10)]', '(0,0),(0,0)', '((0,0),(10,0),(10,10))', '((0,0))', '<(0,0),0>',
 '{}', '{}', '{NaN,1}', '{}', '{-infinity,infinity}', '{}', '{NaN,-Infinity}', '{}',
 'red', '', -92233720368547758.08, B'0000', B'', '00000000-0000-0000-0000-000000000000', '[]', '{}', '::1', '::/0', '00:00:00:00:00:00',
 'ff:ff:ff:ff:ff:ff:ff:ff', 'empty', '(,)', '(,)', '(,)', '(-infinity,infinity)', '[-infinity,infinity)', 2147483647,
 '', '', '<empty/>'),
(NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL);

-- No primary key, but a NOT NULL unique index (and REPLICA IDENTITY FULL so updates are allowed).
CREATE TABLE compat.keyless_unique (
  code varchar(10) NOT NULL,
  qty  integer,
  CONSTRAINT keyless_unique_code UNIQUE (code)
);
ALTER TABLE compat.keyless_unique REPLICA IDENTITY FULL;
INSERT INTO compat.keyless_unique VALUES ('a', 1), ('b', 2);

-- No primary key; REPLICA IDENTITY USING a two-column NOT NULL unique index, and a nullable
-- unique index whose name sorts first.
CREATE TABLE compat.keyless_ri (
  a    integer NOT NULL,
  b    integer NOT NULL,
  note text,
  CONSTRAINT aaa_keyless_ri_note UNIQUE (note),
  CONSTRAINT keyless_ri_ab UNIQUE (a, b)
);
ALTER TABLE compat.keyless_ri REPLICA IDENTITY USING INDEX keyless_ri_ab;
INSERT INTO compat.keyless_ri VALUES (1, 1, 'x'), (1, 2, NULL);

-- A partitioned table with two partitions.
CREATE TABLE compat.measurements (
  id     integer NOT NULL,
  region text    NOT NULL,
  v      integer,
  PRIMARY KEY (id, region)
) PARTITION BY LIST (region);
CREATE TABLE compat.measurements_eu PARTITION OF compat.measurements FOR VALUES IN ('eu');
CREATE TABLE compat.measurements_us PARTITION OF compat.measurements FOR VALUES IN ('us');
INSERT INTO compat.measurements VALUES (1, 'eu', 10), (2, 'us', 20);

-- A value close to Kafka's default 1 MB message limit (inserted while streaming; default replica
-- identity, so no "before" doubles it).
CREATE TABLE compat.big_text (
  id   integer PRIMARY KEY,
  body text
);

-- Array types Debezium leaves unmapped (PostgresValueConverter returns no schema): the columns
-- are left out of the events, in the snapshot and while streaming.
CREATE TABLE compat.unmapped_arrays (
  id             integer PRIMARY KEY,
  c_name_arr     name[],
  c_money_arr    money[],
  c_interval_arr interval[],
  c_varbit_arr   bit varying[],
  c_xml_arr      xml[],
  c_point_arr    point[],
  c_note         text
);
INSERT INTO compat.unmapped_arrays VALUES
(1, '{a,b}', '{1.50,-2}', '{"1 day","-00:00:01"}', '{101,""}', '{<a/>}', '{"(1,2)","(3,4)"}', 'kept');

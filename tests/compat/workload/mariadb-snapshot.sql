-- tests/compat/workload/mariadb-snapshot.sql: the state the connector's initial snapshot reads.
-- Every column type the MySQL/MariaDB connector supports, with typical values, NULLs and the
-- extremes of each type. Deterministic: no NOW(), no random values, no AUTO_INCREMENT gaps, so two
-- runs (Debezium's and ours) see the same rows.
SET NAMES utf8mb4;
SET time_zone = '+00:00';
-- NO_ZERO_DATE stays off (the server default here) so row 5 can hold MySQL's zero dates.
SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

CREATE DATABASE compat CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE compat;

CREATE TABLE all_types (
  id            INT NOT NULL PRIMARY KEY,
  c_tinyint     TINYINT,
  c_tinyint_u   TINYINT UNSIGNED,
  c_bool        BOOLEAN,
  c_smallint    SMALLINT,
  c_smallint_u  SMALLINT UNSIGNED,
  c_mediumint   MEDIUMINT,
  c_mediumint_u MEDIUMINT UNSIGNED,
  c_int         INT NOT NULL DEFAULT 42,
  c_int_u       INT UNSIGNED,
  c_bigint      BIGINT,
  c_bigint_u    BIGINT UNSIGNED,
  c_dec10_2     DECIMAL(10,2),
  c_dec65_30    DECIMAL(65,30),
  c_float       FLOAT,
  c_double      DOUBLE,
  c_date        DATE,
  c_time        TIME(3),
  c_datetime    DATETIME(6),
  c_timestamp   TIMESTAMP(6) NULL,
  c_year        YEAR,
  c_char        CHAR(10),
  c_varchar     VARCHAR(255) DEFAULT 'dflt',
  c_latin1      VARCHAR(20) CHARACTER SET latin1,
  c_text        TEXT,
  c_binary      BINARY(4),
  c_varbinary   VARBINARY(16),
  c_blob        BLOB,
  c_enum        ENUM('a','b','c'),
  c_set         SET('x','y','z'),
  c_bit1        BIT(1),
  c_bit12       BIT(12),
  c_json        JSON,
  c_geometry    GEOMETRY,
  c_point       POINT
) ENGINE=InnoDB;

-- Row 1: typical values. Row 2: NULL wherever allowed. Row 3: minimums. Row 4: maximums.
-- Row 5: MySQL's zero values (zero date/datetime/timestamp, blanks). Not YEAR 0000: Debezium's
-- snapshot fails on it (the MariaDB JDBC driver throws in java.sql.Date.valueOf), so the streaming
-- script sets it instead, where the value comes from the binlog.
INSERT INTO all_types VALUES
(1, 1, 2, TRUE, 300, 400, 70000, 80000, 100000, 3000000000, 5000000000, 6000000000,
 12345.67, 1234.567890123456789012345678901234, 3.14, 2.718281828459045,
 '2024-02-29', '12:34:56.789', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.654321', 2024,
 'abc', 'hello', 'café', 'héllo wörld 😀 中文', X'DEADBE', X'DEADBEEF', X'0001020304',
 'b', 'x,z', b'1', b'101010101010', '{"a": 1, "b": [true, null, "x"], "emoji": "😀"}',
 ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'), ST_GeomFromText('POINT(1.5 -2.25)')),
(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL,
 NULL, NULL),
(3, -128, 0, FALSE, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
 -99999999.99, -99999999999999999999999999999999999.999999999999999999999999999999,
 -3.40282e38, -1.7976931348623157e308,
 '1000-01-01', '-838:59:59.000', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', 1901,
 '', '', '', '', X'00', X'', X'',
 'a', '', b'0', b'000000000000', '[]',
 ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))'), ST_GeomFromText('POINT(0 0)')),
(4, 127, 255, TRUE, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
 9223372036854775807, 18446744073709551615,
 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999,
 3.40282e38, 1.7976931348623157e308,
 '9999-12-31', '838:59:59.000', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155,
 'zzzzzzzzzz', REPEAT('v', 255), 'ÿÿÿ', REPEAT('t', 1000), X'FFFFFFFF', X'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', X'FF',
 'c', 'x,y,z', b'1', b'111111111111', '{"nested": {"deep": [1, 2.5, -3e10]}}',
 ST_GeomFromText('MULTIPOINT(1 1, 2 2)'), ST_GeomFromText('POINT(180 90)')),
(5, 0, 0, FALSE, 0, 0, 0, 0, 0, 0, 0, 0,
 0, 0, 0, 0,
 '0000-00-00', '00:00:00.000', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 1970,
 ' ', ' ', ' ', ' ', X'00000000', X'00', X'00',
 'a', 'x', b'0', b'000000000001', '"just a string"',
 ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))'), ST_GeomFromText('POINT(-0.5 0.5)'));

-- A composite primary key: the key struct has two fields, in key order.
CREATE TABLE composite_pk (
  region CHAR(2)     NOT NULL,
  id     BIGINT      NOT NULL,
  note   VARCHAR(50),
  PRIMARY KEY (region, id)
);
INSERT INTO composite_pk VALUES ('eu', 1, 'first'), ('eu', 2, NULL), ('us', 1, 'third');

-- No primary key: Debezium sends a null key.
CREATE TABLE no_pk (
  a INT,
  b VARCHAR(20)
);
INSERT INTO no_pk VALUES (1, 'one'), (2, 'two'), (2, 'two');

-- The table most of the streaming script writes to.
CREATE TABLE orders (
  id       INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(50) NOT NULL,
  amount   DECIMAL(10,2) NOT NULL,
  status   ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  created  DATETIME(3) NOT NULL
);
INSERT INTO orders (id, customer, amount, status, created) VALUES
(1, 'alice', 10.50, 'new', '2024-01-01 10:00:00.000'),
(2, 'bob', 20.00, 'paid', '2024-01-02 11:30:00.250');

-- Empty at snapshot time: only streaming fills it.
CREATE TABLE events (
  id      BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  payload VARCHAR(100)
);

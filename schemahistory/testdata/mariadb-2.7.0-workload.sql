DROP DATABASE IF EXISTS dbz_fixture;
CREATE DATABASE dbz_fixture CHARACTER SET utf8mb4;
USE dbz_fixture;
CREATE TABLE customers (
  id INT AUTO_INCREMENT PRIMARY KEY,
  first_name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL UNIQUE,
  status ENUM('active','inactive') DEFAULT 'active',
  balance DECIMAL(10,2) DEFAULT 0.00,
  note TEXT COMMENT 'free "text"',
  created TIMESTAMP(3) NULL DEFAULT NULL,
  nick VARCHAR(20) DEFAULT ''
) COMMENT='customer table' DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (
  order_id BIGINT UNSIGNED NOT NULL,
  line SMALLINT NOT NULL,
  qty INT DEFAULT NULL,
  tags SET('a','b','c'),
  price DOUBLE,
  PRIMARY KEY (order_id, line)
) DEFAULT CHARSET=latin1;
INSERT INTO customers (first_name, email) VALUES ('Anne', 'anne@example.com');
INSERT INTO orders VALUES (1, 1, 3, 'a,b', 9.5);
USE dbz_fixture;
ALTER TABLE customers ADD COLUMN middle_name VARCHAR(100) CHARACTER SET latin1 AFTER first_name;
INSERT INTO customers (first_name, email, middle_name) VALUES ('Bob', 'bob@example.com', 'M');
ALTER TABLE orders RENAME TO orders_v2;
INSERT INTO orders_v2 VALUES (2, 1, 1, 'c', 1.25);
RENAME TABLE orders_v2 TO orders_v3;
ALTER TABLE customers MODIFY balance DECIMAL(12,4) NOT NULL DEFAULT '1.5' COMMENT 'money';
CREATE TABLE temp_t (x INT PRIMARY KEY);
DROP TABLE temp_t;
INSERT INTO customers (first_name, email) VALUES ('Cleo', 'cleo@example.com');

-- tests/compat/workload/options/mariadb-streaming.sql: changes streamed after the options
-- comparison's snapshot. The last statement inserts customer 5, which marks the end.
SET NAMES utf8mb4;
INSERT INTO compat_opt.customers VALUES (4, 'cy@example.com', '111-22-3333', '4000000000000002', 'a streamed note that is long', 'Çy', 99.99, 4, 'four', '+33 1 23 45 67 89');
UPDATE compat_opt.customers SET email = 'ann@new.example.com', notes = 'a changed note, also long' WHERE id = 1;
DELETE FROM compat_opt.customers WHERE id = 3;
INSERT INTO compat_opt.nokey (code, v) VALUES ('c', 3);
UPDATE compat_opt.nokey SET v = 20 WHERE code = 'b';
DELETE FROM compat_opt.nokey WHERE code = 'a';
UPDATE compat_opt.withpk SET v = 10 WHERE id = 1;
UPDATE compat_opt.withpk SET tenant = 9 WHERE id = 2;
INSERT INTO compat_opt.audit VALUES (2, 'streamed');
INSERT INTO compat_opt.customers VALUES (5, 'last@example.com', NULL, NULL, NULL, 'last', NULL, NULL, 'last', NULL);

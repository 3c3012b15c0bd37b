package mysql

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
	mysqlconn "github.com/connectd/connectd/connectors/mysql"
	"github.com/connectd/connectd/schemahistory"
	"github.com/connectd/connectd/tests/mariadb"
)

// ddlCase is one entry of the DDL corpus: statements that shape table t (run in the case's own
// database), then statements that insert exactly one row into it.
type ddlCase struct {
	name   string
	ddl    []string
	insert []string
	// showCreate, when set, creates table zz_src before the connector starts; the case's DDL is
	// then the server's own SHOW CREATE TABLE output for it, renamed to t.
	showCreate string
}

// ddlCorpus is written for this project: hand-written DDL, mysqldump-style output with executable
// comments, MariaDB 10.11's own SHOW CREATE TABLE output for every column type, system-versioned
// tables, charsets at every level, and ALTERs that move, rename, retype and recharset columns.
var ddlCorpus = []ddlCase{
	{name: "integers", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a TINYINT, b TINYINT UNSIGNED, c SMALLINT, d SMALLINT UNSIGNED, " +
		"e MEDIUMINT, f MEDIUMINT UNSIGNED, g INT UNSIGNED, h BIGINT, i BIGINT UNSIGNED, j INTEGER, k BOOL, l SERIAL)"},
		insert: []string{"INSERT INTO t VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215, 4294967295, -9223372036854775808, 12345, -7, 1, 99)"}},
	{name: "numerics", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a DECIMAL(10,3), b DECIMAL, c NUMERIC(5,2) UNSIGNED, d FLOAT, e DOUBLE, " +
		"f REAL, g DOUBLE PRECISION, h FLOAT(30), i DEC(4,1), j FIXED(6,2), k FLOAT4, l FLOAT8)"},
		insert: []string{"INSERT INTO t VALUES (1, -1234567.891, 42, 123.45, 1.5, -2.25, 3.125, 1e100, 0.1, 999.9, -1234.56, 2.5, 7.75)"}},
	{name: "temporal", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a DATE, b TIME, c TIME(3), d DATETIME, e DATETIME(3), f DATETIME(6), " +
		"g TIMESTAMP NULL, h TIMESTAMP(6) NULL, i YEAR, j YEAR(4))"},
		insert: []string{"INSERT INTO t VALUES (1, '2024-02-29', '12:34:56', '01:02:03.456', '2001-02-03 04:05:06', '1999-12-31 23:59:59.999', " +
			"'2038-01-19 03:14:08.123456', '2024-01-02 03:04:05', '2024-06-07 08:09:10.111213', 1999, 2155)"}},
	{name: "strings", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a CHAR(3), b VARCHAR(20), c TINYTEXT, d TEXT, e MEDIUMTEXT, f LONGTEXT, " +
		"g ENUM('x','y','it''s'), h SET('a','b','c'), i CHAR(200), j NATIONAL VARCHAR(5), k NCHAR(2), l LONG VARCHAR, m TEXT(100)) DEFAULT CHARSET=utf8mb4"},
		insert: []string{"INSERT INTO t VALUES (1, 'ab', 'héllo wörld', 'tiny', 'text', 'medium', 'long', 'it''s', 'a,c', 'ünïcødé', 'ñandú', 'çà', 'long varchar', 'tx')"}},
	{name: "binaries", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a BINARY(4), b VARBINARY(10), c TINYBLOB, d BLOB, e MEDIUMBLOB, f LONGBLOB, " +
		"g BIT(1), h BIT(10), i BIT(64), j VARCHAR(5) CHARACTER SET binary, k CHAR(3) BYTE)"},
		insert: []string{"INSERT INTO t VALUES (1, x'01020304', x'ff00ff', x'00', x'deadbeef', x'cafe', x'babe', b'1', b'1000000001', x'0123456789abcdef', x'6162', x'414243')"}},
	{name: "mariadb types", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a JSON, b UUID, c INET6, d INET4, e POINT, f GEOMETRY, g LINESTRING)"},
		insert: []string{"INSERT INTO t VALUES (1, '{\"k\": [1, 2]}', '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.168.0.1', " +
			"ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(3 4)'), ST_GeomFromText('LINESTRING(0 0,1 1)'))"}},
	{name: "show create every type", ddl: []string{"CREATE TABLE `t` (\n" +
		"  `id` int(11) NOT NULL AUTO_INCREMENT,\n" +
		"  `ti` tinyint(4) DEFAULT NULL,\n" +
		"  `tu` tinyint(3) unsigned zerofill DEFAULT NULL,\n" +
		"  `si` smallint(6) NOT NULL DEFAULT 0,\n" +
		"  `mi` mediumint(8) unsigned DEFAULT NULL,\n" +
		"  `bi` bigint(20) DEFAULT NULL COMMENT 'big one',\n" +
		"  `de` decimal(12,4) DEFAULT 0.0000,\n" +
		"  `fl` float DEFAULT NULL,\n" +
		"  `db` double DEFAULT NULL,\n" +
		"  `da` date DEFAULT '2000-01-01',\n" +
		"  `tm` time(2) DEFAULT NULL,\n" +
		"  `dt` datetime(6) DEFAULT NULL,\n" +
		"  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n" +
		"  `yr` year(4) DEFAULT NULL,\n" +
		"  `ch` char(5) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,\n" +
		"  `vc` varchar(30) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',\n" +
		"  `tx` text DEFAULT NULL,\n" +
		"  `mt` mediumtext CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci DEFAULT NULL,\n" +
		"  `bn` binary(2) DEFAULT NULL,\n" +
		"  `vb` varbinary(8) DEFAULT NULL,\n" +
		"  `bl` blob DEFAULT NULL,\n" +
		"  `en` enum('a','b') DEFAULT 'a',\n" +
		"  `st` set('x','y') DEFAULT NULL,\n" +
		"  `bt` bit(3) DEFAULT b'101',\n" +
		"  `js` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`js`)),\n" +
		"  `uu` uuid DEFAULT NULL,\n" +
		"  `pt` point DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `vc` (`vc`),\n" +
		"  KEY `idx_ti` (`ti`)\n" +
		") ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='every type'"},
		insert: []string{"INSERT INTO t (id, ti, tu, si, mi, bi, de, fl, db, da, tm, dt, ts, yr, ch, vc, tx, mt, bn, vb, bl, en, st, bt, js, uu, pt) VALUES " +
			"(7, -1, 7, 2, 3, 4, 5.1234, 6.5, 7.25, '2020-02-02', '10:11:12.13', '2021-03-04 05:06:07.080910', '2022-01-01 00:00:01', 2023, " +
			"'café', 'v', 't', 'm', x'0a0b', x'0c', x'0d', 'b', 'x,y', b'110', '[1]', '00000000-0000-0000-0000-000000000001', ST_GeomFromText('POINT(5 6)'))"}},
	{name: "mysqldump", ddl: []string{
		"/*!40101 SET @saved_cs_client     = @@character_set_client */",
		"/*!40101 SET character_set_client = utf8 */",
		"CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `name` varchar(40) DEFAULT NULL,\n  `price` decimal(8,2) unsigned DEFAULT NULL,\n" +
			"  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci\n" +
			"/*!50100 PARTITION BY RANGE (`id`)\n(PARTITION `p0` VALUES LESS THAN (100) ENGINE = InnoDB,\n PARTITION `p1` VALUES LESS THAN MAXVALUE ENGINE = InnoDB) */",
		"/*!40101 SET character_set_client = @saved_cs_client */",
		"/*!40000 ALTER TABLE `t` DISABLE KEYS */",
		"/*!40000 ALTER TABLE `t` ENABLE KEYS */",
	}, insert: []string{"INSERT INTO `t` VALUES (150,'naïve',12.50)"}},
	{name: "executable comment columns", ddl: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, h INT /*!80000 INVISIBLE */, a INT /*!100301 COMMENT 'new' */, c INT /*!999999 UNSIGNED */, d INT /*M!100000 UNSIGNED */)"},
		insert: []string{"INSERT INTO t (id, h, a, c, d) VALUES (1, 9, 2, -3, 4)"}},
	{name: "comments everywhere", ddl: []string{"CREATE /* a */ TABLE -- line comment\n t # hash comment\n (id INT PRIMARY KEY, /* inline */ a VARCHAR(3) -- trailing\n)"},
		insert: []string{"INSERT INTO t VALUES (1, 'abc')"}},
	{name: "system versioning", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING"},
		insert: []string{"INSERT INTO t (id, v) VALUES (1, 'one')"}},
	{name: "system versioning explicit", ddl: []string{"CREATE TABLE t (\n  `id` int(11) NOT NULL,\n  `v` int(11) DEFAULT NULL,\n" +
		"  `row_start` timestamp(6) GENERATED ALWAYS AS ROW START INVISIBLE,\n  `row_end` timestamp(6) GENERATED ALWAYS AS ROW END INVISIBLE,\n" +
		"  PRIMARY KEY (`id`,`row_end`),\n  PERIOD FOR SYSTEM_TIME (`row_start`, `row_end`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci WITH SYSTEM VERSIONING"},
		insert: []string{"INSERT INTO t (id, v) VALUES (1, 2)"}},
	{name: "system versioning added", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, v INT)", "ALTER TABLE t ADD SYSTEM VERSIONING"},
		insert: []string{"INSERT INTO t (id, v) VALUES (1, 2)"}},
	{name: "invisible and generated", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT INVISIBLE DEFAULT 5, " +
		"c INT AS (a + 1) VIRTUAL, d INT GENERATED ALWAYS AS (a * 2) STORED, e VARCHAR(10) AS (CONCAT('x', a)) PERSISTENT)"},
		insert: []string{"INSERT INTO t (id, a) VALUES (1, 20)"}},
	{name: "table charset latin1", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b TEXT, c CHAR(2) CHARACTER SET utf8mb4, d ENUM('é','x')) DEFAULT CHARSET=latin1"},
		insert: []string{"INSERT INTO t VALUES (1, 'déjà', 'vu', 'ok', 'é')"}},
	{name: "collation implies charset", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10) COLLATE latin1_bin, b VARCHAR(10) COLLATE utf8mb4_unicode_ci) COLLATE latin1_german1_ci"},
		insert: []string{"INSERT INTO t VALUES (1, 'straße', 'ß')"}},
	{name: "database charset", ddl: []string{"ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10))"},
		insert: []string{"INSERT INTO t VALUES (1, 'façade')"}},
	{name: "utf8 ascii ucs2", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10) CHARSET utf8, b VARCHAR(10) CHARACTER SET ascii, c VARCHAR(10) CHARSET ucs2, d VARCHAR(10) CHARSET utf16)"},
		insert: []string{"INSERT INTO t VALUES (1, 'mb3 é', 'plain', 'ucs é', 'sixteen é')"}},
	{name: "convert to charset", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b TEXT) DEFAULT CHARSET=utf8mb4", "ALTER TABLE t CONVERT TO CHARACTER SET latin1"},
		insert: []string{"INSERT INTO t VALUES (1, 'çava', 'oui')"}},
	{name: "alter default charset only", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10)) DEFAULT CHARSET=utf8mb4",
		"ALTER TABLE t DEFAULT CHARSET=latin1", "ALTER TABLE t ADD COLUMN b VARCHAR(10)"},
		insert: []string{"INSERT INTO t VALUES (1, 'ü', 'ö')"}},
	{name: "alter move and rename", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(5), c DATE)",
		"ALTER TABLE t ADD COLUMN z INT FIRST, ADD COLUMN y VARCHAR(3) AFTER a, MODIFY c DATE AFTER id, CHANGE b bb VARCHAR(8) CHARACTER SET latin1",
		"ALTER TABLE t RENAME COLUMN a TO aa, DROP COLUMN z", "ALTER TABLE t ADD COLUMN w INT NULL, ALGORITHM=INPLACE, LOCK=NONE"},
		insert: []string{"INSERT INTO t (id, aa, y, c, bb, w) VALUES (1, 2, 'yy', '2020-01-01', 'bé', 8)"}},
	{name: "alter retype", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(5), c FLOAT)",
		"ALTER TABLE t MODIFY a BIGINT UNSIGNED NOT NULL, MODIFY b TEXT CHARACTER SET latin1, MODIFY COLUMN c DECIMAL(9,4)"},
		insert: []string{"INSERT INTO t VALUES (1, 18446744073709551, 'té', 3.1416)"}},
	{name: "alter if exists", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT)",
		"ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT, ADD COLUMN IF NOT EXISTS b INT, DROP COLUMN IF EXISTS nope, MODIFY COLUMN IF EXISTS nope2 INT"},
		insert: []string{"INSERT INTO t VALUES (1, 2, 3)"}},
	{name: "like and rename", ddl: []string{"CREATE TABLE src (id INT PRIMARY KEY, a VARCHAR(4) CHARSET latin1)", "CREATE TABLE t2 LIKE src", "RENAME TABLE t2 TO t"},
		insert: []string{"INSERT INTO t VALUES (1, 'àè')"}},
	{name: "create select", ddl: []string{"CREATE TABLE src (id INT PRIMARY KEY, a VARCHAR(4))", "CREATE TABLE t (b INT) SELECT id, a FROM src"},
		insert: []string{"INSERT INTO t VALUES (1, 2, 'x')"}},
	{name: "unique not null key", ddl: []string{"CREATE TABLE t (a INT NOT NULL, b VARCHAR(3), UNIQUE KEY (a))"},
		insert: []string{"INSERT INTO t VALUES (1, 'k')"}},
	{name: "quoted identifiers", ddl: []string{"CREATE TABLE `t` (`id` INT PRIMARY KEY, `select` INT, `with space` VARCHAR(3), `MiXeD` INT, `back``tick` INT)"},
		insert: []string{"INSERT INTO t VALUES (1, 2, 'sp', 4, 5)"}},
	{name: "defaults and checks", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT DEFAULT (1 + 1), b VARCHAR(10) DEFAULT 'x' CHECK (b <> ''), " +
		"c DATETIME DEFAULT CURRENT_TIMESTAMP, d DOUBLE DEFAULT -1.5e3, CONSTRAINT ck CHECK (a > 0))"},
		insert: []string{"INSERT INTO t (id, c) VALUES (1, '2020-02-02 02:02:02')"}},
	{name: "server show create every type", showCreate: "CREATE TABLE zz_src (id INT AUTO_INCREMENT PRIMARY KEY, ti TINYINT DEFAULT -1, tu TINYINT UNSIGNED ZEROFILL, " +
		"si SMALLINT NOT NULL DEFAULT 0, mi MEDIUMINT, bi BIGINT COMMENT 'c''s', de DECIMAL(12,4) DEFAULT 1.5, fl FLOAT(7,3), db DOUBLE, da DATE DEFAULT '2000-01-01', " +
		"tm TIME(2), dt DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6), ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, yr YEAR, " +
		"ch CHAR(5) CHARSET latin1, vc VARCHAR(30) COLLATE utf8mb4_unicode_ci UNIQUE, tx TEXT, mt MEDIUMTEXT CHARSET utf8, lt LONGTEXT, bn BINARY(2), vb VARBINARY(8), " +
		"bl BLOB, lb LONGBLOB, en ENUM('a','b','c''d') DEFAULT 'a', st SET('x','y'), bt BIT(3) DEFAULT b'101', js JSON, uu UUID, i6 INET6, i4 INET4, pt POINT, " +
		"ls LINESTRING, gm GEOMETRY, KEY (ti), FULLTEXT KEY (tx)) DEFAULT CHARSET=utf8mb4 COMMENT='every type'",
		insert: []string{"INSERT INTO t (id, ti, tu, si, mi, bi, de, fl, db, da, tm, dt, yr, ch, vc, tx, mt, lt, bn, vb, bl, lb, en, st, bt, js, pt) VALUES " +
			"(3, -2, 7, 2, 3, 4, 5.1234, 6.5, 7.25, '2020-02-02', '10:11:12.13', '2021-03-04 05:06:07.080910', 2023, " +
			"'café', 'v', 't', 'm', 'l', x'0a0b', x'0c', x'0d', x'0e', 'c''d', 'x,y', b'110', '[1]', ST_GeomFromText('POINT(5 6)'))"}},
	{name: "server show create system versioned", showCreate: "CREATE TABLE zz_src (id INT PRIMARY KEY, v VARCHAR(10) CHARSET latin1) WITH SYSTEM VERSIONING",
		insert: []string{"INSERT INTO t (id, v) VALUES (1, 'vé')"}},
	{name: "server show create versioned columns", showCreate: "CREATE TABLE zz_src (id INT PRIMARY KEY, a INT WITHOUT SYSTEM VERSIONING, b INT WITH SYSTEM VERSIONING)",
		insert: []string{"INSERT INTO t (id, a, b) VALUES (1, 2, 3)"}},
	{name: "server show create latin1 table", showCreate: "CREATE TABLE zz_src (id INT PRIMARY KEY, a VARCHAR(10), b TEXT CHARSET utf8mb4, c ENUM('é','x'), " +
		"d CHAR(3) COLLATE latin1_bin, e VARCHAR(4) CHARSET ascii) CHARSET latin1 COLLATE latin1_german2_ci",
		insert: []string{"INSERT INTO t VALUES (1, 'àé', 'ü', 'é', 'ÿ', 'asc')"}},
	{name: "server show create generated and invisible", showCreate: "CREATE TABLE zz_src (id INT PRIMARY KEY, a INT, b INT AS (a + 1) VIRTUAL, " +
		"c VARCHAR(8) AS (CONCAT(a, 'x')) STORED, d INT INVISIBLE DEFAULT 4)",
		insert: []string{"INSERT INTO t (id, a) VALUES (1, 9)"}},
	{name: "case of names", ddl: []string{"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT)",
		"ALTER TABLE t MODIFY A BIGINT, CHANGE b B INT, ALTER C SET DEFAULT 3"},
		insert: []string{"INSERT INTO t (id, a, b) VALUES (1, 2, 3)"}},
	{name: "partitioned", ddl: []string{"CREATE TABLE t (id INT NOT NULL, d DATE NOT NULL, PRIMARY KEY (id, d)) PARTITION BY RANGE (YEAR(d)) " +
		"(PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN MAXVALUE)", "ALTER TABLE t ADD COLUMN v VARCHAR(3)"},
		insert: []string{"INSERT INTO t VALUES (1, '2024-01-01', 'v')"}},
}

// ddlTaskContext is the task context of a corpus run: no committed offset.
type ddlTaskContext struct{}

func (ddlTaskContext) Offsets() api.OffsetReader { return ddlTaskContext{} }
func (ddlTaskContext) ConnectorName() string     { return "ddl-corpus" }
func (ddlTaskContext) TaskID() int               { return 0 }
func (ddlTaskContext) Offset(context.Context, map[string]any) (map[string]any, error) {
	return nil, nil
}

// TestDDLCorpusDifferential applies each corpus case to the real server while the connector
// streams (with the TABLE_MAP check on, as by default), and checks the insert's event: its
// `after` field names must be information_schema.COLUMNS in order, its values those a SELECT of
// the row returns. A case fails with the connector's error when the connector cannot follow the
// DDL (parser gap or a model the binlog contradicts).
func TestDDLCorpusDifferential(t *testing.T) {
	for i, c := range ddlCorpus {
		t.Run(c.name, func(t *testing.T) { runDDLCase(t, c, i) })
	}
}

func runDDLCase(t *testing.T, c ddlCase, i int) {
	d := mariadb.New(t, "dc")
	d.Exec("CREATE TABLE zz_marker (id INT PRIMARY KEY)")
	ddl := c.ddl
	if c.showCreate != "" {
		d.Exec(c.showCreate)
		out := d.Query("SHOW CREATE TABLE zz_src")[0][1]
		if !strings.HasPrefix(out, "CREATE TABLE `zz_src`") {
			t.Fatalf("SHOW CREATE TABLE returned %q", out)
		}
		ddl = append([]string{"CREATE TABLE `t`" + strings.TrimPrefix(out, "CREATE TABLE `zz_src`")}, ddl...)
	}
	prefix := fmt.Sprintf("dc%d", i)
	cfg := connectorConfig(d, prefix, "unused", "database.server.id", strconv.Itoa(7400+i),
		"snapshot.mode", "no_data", "decimal.handling.mode", "string", "binary.handling.mode", "hex")
	cfg["connector.class"] = mysqlconn.MariaDBClass
	task := &mysqlconn.Task{Flavor: mysqlconn.FlavorMariaDB}
	task.OpenHistory = func(context.Context, map[string]string) (schemahistory.Store, error) {
		return schemahistory.NewMemoryStore(false), nil
	}
	if err := task.Start(context.Background(), ddlTaskContext{}, cfg); err != nil {
		t.Fatal(err)
	}
	defer task.Stop()
	// Once a marker row arrives the task streams: what follows goes through the binlog. The
	// snapshot takes its position on the reader goroutine, so rows inserted before that are not
	// streamed: insert one a second until one is.
	marker := prefix + "." + d.Name + ".zz_marker"
	for n := 1; ; n++ {
		if n > 60 {
			t.Fatal("the connector did not stream a marker row within 60s")
		}
		d.Exec(fmt.Sprintf("INSERT INTO zz_marker VALUES (%d)", n))
		if pollFor(t, task, marker, time.Second) != nil {
			break
		}
	}
	d.Exec(ddl...)
	d.Exec(c.insert...)
	d.Exec("SET character_set_client = utf8mb4")
	rec := waitRecord(t, task, prefix+"."+d.Name+".t", ddl)

	// Names: the event's after fields against the server's columns, in order.
	after := rec.ValueSchema.Field("after")
	if after == nil {
		t.Fatalf("event without an after field")
	}
	var got []string
	for _, f := range after.Schema.Fields {
		got = append(got, f.Name)
	}
	cols := d.Query("SELECT COLUMN_NAME, DATA_TYPE, IFNULL(DATETIME_PRECISION, 0), COLUMN_TYPE FROM information_schema.COLUMNS " +
		"WHERE TABLE_SCHEMA = '" + d.Name + "' AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION")
	var want []string
	for _, col := range cols {
		want = append(want, col[0])
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after fields %q, the server's columns %q", got, want)
	}

	// Values: the event's against a SELECT of the row, each in a form both sides can state.
	conv, err := jsonconv.New(map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := conv.Encode(nil, rec.ValueSchema, rec.Value)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ After map[string]json.RawMessage }
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatal(err)
	}
	exprs := make([]string, len(cols))
	for j, col := range cols {
		exprs[j] = "IFNULL(CAST(" + selectExpr(col[1], "`"+strings.ReplaceAll(col[0], "`", "``")+"`") + " AS CHAR CHARACTER SET utf8mb4), '<null>')"
	}
	row := d.Query("SELECT " + strings.Join(exprs, ", ") + " FROM t")
	if len(row) != 1 {
		t.Fatalf("the table has %d rows, want 1", len(row))
	}
	for j, col := range cols {
		fsp, _ := strconv.Atoi(col[2])
		if msg := compareValue(col[1], col[3], fsp, env.After[col[0]], row[0][j]); msg != "" {
			t.Errorf("column %s (%s): %s", col[0], col[3], msg)
		}
	}
}

// waitRecord polls until a change event of topic arrives; a task error fails the test with it.
func waitRecord(t *testing.T, task *mysqlconn.Task, topic string, ddl []string) *api.SourceRecord {
	t.Helper()
	r, err := pollRecord(task, topic, 45*time.Second)
	if err != nil {
		t.Fatalf("the connector failed after the DDL %q: %v", ddl, err)
	}
	if r == nil {
		t.Fatalf("no event on %s within 45s after the DDL %q", topic, ddl)
	}
	return r
}

// pollFor polls for up to d for a change event of topic; nil when none came.
func pollFor(t *testing.T, task *mysqlconn.Task, topic string, d time.Duration) *api.SourceRecord {
	t.Helper()
	r, err := pollRecord(task, topic, d)
	if err != nil {
		t.Fatalf("the connector failed: %v", err)
	}
	return r
}

func pollRecord(task *mysqlconn.Task, topic string, d time.Duration) (*api.SourceRecord, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Topic == topic && r.Value != nil {
				return r, nil
			}
		}
	}
	return nil, nil
}

// selectExpr is the SQL that states a column's value the way compareValue reads the event's.
func selectExpr(dataType, col string) string {
	switch dataType {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return "LOWER(HEX(" + col + "))"
	case "bit":
		return col + " + 0"
	case "date":
		return "DATEDIFF(" + col + ", '1970-01-01')"
	case "datetime":
		return "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', " + col + ")"
	case "timestamp":
		return "ROUND(UNIX_TIMESTAMP(" + col + ") * 1000000)"
	case "time":
		return "ROUND(TIME_TO_SEC(" + col + ") * 1000000)"
	case "point", "geometry", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		return "LOWER(HEX(ST_AsBinary(" + col + ")))"
	}
	return col
}

// compareValue compares one event value (JSON) with the SELECT's text; "" when they agree.
func compareValue(dataType, columnType string, fsp int, ev json.RawMessage, sel string) string {
	raw := strings.TrimSpace(string(ev))
	if raw == "" {
		return "the event has no such field"
	}
	if raw == "null" || sel == "<null>" {
		if raw == "null" && sel == "<null>" {
			return ""
		}
		return fmt.Sprintf("event %s, server %s", raw, sel)
	}
	var s string
	_ = json.Unmarshal(ev, &s)
	num := strings.Trim(raw, `"`)
	mismatch := func(what string) string { return fmt.Sprintf("event %s (%s), server %s", raw, what, sel) }
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "bigint", "year", "decimal", "date":
		if !sameNumber(num, sel) {
			return mismatch("number")
		}
	case "float", "double":
		a, err1 := strconv.ParseFloat(num, 64)
		b, err2 := strconv.ParseFloat(sel, 64)
		if err1 != nil || err2 != nil || math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(b)) {
			return mismatch("float")
		}
	case "datetime":
		n, ok := new(big.Int).SetString(num, 10)
		if ok && fsp <= 3 {
			n.Mul(n, big.NewInt(1000))
		}
		if !ok || n.String() != sel {
			return mismatch("epoch micros after adaptive scaling")
		}
	case "timestamp":
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || strconv.FormatInt(ts.UnixMicro(), 10) != sel {
			return mismatch("ZonedTimestamp")
		}
	case "time":
		if num != sel {
			return mismatch("micros")
		}
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		if !strings.EqualFold(s, sel) {
			return mismatch("hex")
		}
	case "bit":
		if raw == "true" || raw == "false" {
			if (raw == "true") != (sel == "1") {
				return mismatch("BIT(1)")
			}
			break
		}
		// BIT(n > 1) is Debezium's Bits: bytes whatever binary.handling.mode says, so base64 in
		// JSON, little-endian.
		bs, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return mismatch("base64")
		}
		n := new(big.Int)
		for k := len(bs) - 1; k >= 0; k-- {
			n.Lsh(n, 8)
			n.Or(n, big.NewInt(int64(bs[k])))
		}
		if n.String() != sel {
			return mismatch("little-endian bits")
		}
	case "point", "geometry", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		var g struct{ WKB string }
		if err := json.Unmarshal(ev, &g); err != nil {
			return mismatch("geometry")
		}
		w := strings.ToLower(g.WKB)
		if bs, err := base64.StdEncoding.DecodeString(g.WKB); err == nil && !isHex(g.WKB) {
			w = hex.EncodeToString(bs)
		}
		if w != sel {
			return mismatch("wkb")
		}
	default:
		// Character types (CHAR, VARCHAR, TEXT, ENUM, SET, JSON, UUID, INET4/6): the text itself.
		if s != sel {
			return mismatch("text")
		}
	}
	return ""
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// sameNumber compares decimal texts by value ("5.10" is "5.1", "007" is "7").
func sameNumber(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

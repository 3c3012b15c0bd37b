package mysql

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/connectd/connectd/connectors/snapshotmode"
)

// TestSnapshotStreamRestart drives a task against the real MariaDB: snapshot of existing rows,
// then inserts, updates and deletes across tables and transactions, then a restart from the last
// committed offset in the middle of a multi-row event, which must neither lose nor repeat rows.
func TestSnapshotStreamRestart(t *testing.T) {
	d := newDB(t)
	d.exec(
		"CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, balance DECIMAL(10,2))",
		"CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer INT, note TEXT)",
		"INSERT INTO customers VALUES (1,'alice',10.50),(2,'bob',NULL)",
		"INSERT INTO orders (customer, note) VALUES (1,'first')",
	)
	hist := &memHistory{}
	offs := &memOffsets{}
	cfg := d.config("srv1")
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	snap := r.pollUntil(3)
	if got, want := ops(t, snap, "id"), []string{"r:1", "r:2", "r:1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot ops %v, want %v", got, want)
	}
	var markers []string
	for _, s := range snap {
		v := decode(t, s).Value
		markers = append(markers, v["source"].(map[string]any)["snapshot"].(string))
	}
	if want := []string{"first", "last_in_data_collection", "last"}; !reflect.DeepEqual(markers, want) {
		t.Errorf("snapshot markers %v, want %v", markers, want)
	}
	first := decode(t, snap[0])
	if first.Topic != "srv1."+d.name+".customers" || first.Key["id"] != float64(1) {
		t.Errorf("first record %+v", first)
	}
	after := first.Value["after"].(map[string]any)
	// DECIMAL(10,2) in precise mode is bytes (base64 of the unscaled 1050 = 0x041a).
	if after["name"] != "alice" || after["balance"] != "BBo=" {
		t.Errorf("first row %v", after)
	}
	if _, ok := snap[2].SourceOffset[offSnapshot]; ok {
		t.Errorf("the snapshot's last record still marks the snapshot unfinished: %v", snap[2].SourceOffset)
	}
	if _, ok := snap[0].SourceOffset[offSnapshot]; !ok {
		t.Errorf("a snapshot record's offset lacks snapshot: %v", snap[0].SourceOffset)
	}

	d.exec(
		"INSERT INTO customers VALUES (3,'carol',1)",
		"BEGIN",
		"UPDATE customers SET balance = balance + 1 WHERE id IN (1,3)",
		"INSERT INTO orders (customer, note) VALUES (3,'x'),(3,'y')",
		"COMMIT",
		"DELETE FROM customers WHERE id = 2",
	)
	got := ops(t, r.pollUntil(7), "id")
	want := []string{"c:3", "u:1", "u:3", "c:2", "c:3", "d:2", "tomb:2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("streamed %v, want %v", got, want)
	}
	upd := decode(t, r.got[4]).Value
	src := upd["source"].(map[string]any)
	if src["connector"] != "mariadb" || src["db"] != d.name || src["table"] != "customers" || src["gtid"] == nil ||
		src["snapshot"] != "false" || src["row"] != float64(0) {
		t.Errorf("source block %v", src)
	}
	if upd["before"].(map[string]any)["balance"] != "BBo=" {
		t.Errorf("before image %v", upd["before"])
	}
	// The offset of the first row of the two-row UPDATE points at the transaction's start and
	// says one row of that event was emitted.
	mid := r.got[4].SourceOffset
	if mid[offRow] != int64(1) || mid[offEvent] == nil {
		t.Fatalf("offset inside the transaction %v", mid)
	}
	r.task.Stop()

	// Restart as if only the first updated row had been acknowledged.
	offs.Set(mid)
	d.exec("INSERT INTO customers VALUES (4,'dave',4)")
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	got = ops(t, r2.pollUntil(6), "id")
	want = []string{"u:3", "c:2", "c:3", "d:2", "tomb:2", "c:4"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart %v, want %v", got, want)
	}
	r2.quiet(500e6)
}

// TestPurgedBinlog checks the start-up decision when the stored position was purged: FAILED with
// an explanation under initial, a new snapshot under when_needed.
func TestPurgedBinlog(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1,1)")
	hist := &memHistory{}
	offs := &memOffsets{}
	cfg := d.config("srvp")
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	d.exec("INSERT INTO t VALUES (2,2)")
	r.pollUntil(1)
	r.task.Stop()

	// An offset in a binlog file the server no longer has (a purge in miniature: the shared test
	// server's binlogs are not purged, so the offset names one before the oldest).
	stale := map[string]any{offFile: "mariadb-bin.000000", offPos: int64(4), offServerID: int64(1)}
	offs.Set(stale)
	_, err = startTask(t, cfg, hist, offs)
	var pe *snapshotmode.PurgedError
	if !errors.As(err, &pe) {
		t.Fatalf("start with a purged offset: %v, want a PurgedError", err)
	}
	msg := err.Error()
	for _, s := range []string{"mariadb-bin.000000", "binlog files", "when_needed", "offsets"} {
		if !strings.Contains(msg, s) {
			t.Errorf("purge message lacks %q: %s", s, msg)
		}
	}

	cfg["snapshot.mode"] = "when_needed"
	r3, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	if got := ops(t, r3.pollUntil(2), "id"); !reflect.DeepEqual(got, []string{"r:1", "r:2"}) {
		t.Fatalf("re-snapshot %v", got)
	}
	d.exec("INSERT INTO t VALUES (3,3)")
	if got := ops(t, r3.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:3"}) {
		t.Fatalf("stream after re-snapshot %v", got)
	}
	_ = context.Background
}

// TestAlterAndHistory checks that a restart before an ALTER decodes the events before it with
// the table structure of their time, rebuilt from the schema history, and those after it with
// the new one; and that the schema change event is emitted on the prefix topic.
func TestAlterAndHistory(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10))", "INSERT INTO t VALUES (1,'x')")
	hist := &memHistory{}
	offs := &memOffsets{}
	cfg := d.config("srva")
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	d.exec("INSERT INTO t VALUES (2,'y')")
	c2 := r.pollUntil(1)[0]
	d.exec("INSERT INTO t VALUES (4,'w')",
		"ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 7 AFTER id",
		"INSERT INTO t VALUES (3,8,'z')")
	evs := r.pollUntil(2)
	if got := ops(t, evs, "id"); !reflect.DeepEqual(got, []string{"c:4", "c:3"}) {
		t.Fatalf("ops %v", got)
	}
	if a := decode(t, evs[1]).Value["after"].(map[string]any); a["b"] != float64(8) || a["a"] != "z" {
		t.Errorf("after the ALTER: %v", a)
	}
	var sc *rec
	for _, o := range r.other {
		if o.Topic == "srva" {
			v := decode(t, o)
			if strings.HasPrefix(v.Value["ddl"].(string), "ALTER") {
				sc = &v
			}
		}
	}
	if sc == nil {
		t.Fatalf("no schema change event for the ALTER among %s", describe(r.other))
	}
	changes := sc.Value["tableChanges"].([]any)
	ch := changes[0].(map[string]any)
	cols := ch["table"].(map[string]any)["columns"].([]any)
	if ch["type"] != "ALTER" || ch["id"] != `"`+d.name+`"."t"` || len(cols) != 3 || cols[1].(map[string]any)["name"] != "b" {
		t.Errorf("schema change %v", sc.Value)
	}
	r.task.Stop()

	// Restart from the offset of the second insert: the insert of 4 is re-emitted with the old
	// structure (no column b), the insert of 3 with the new one.
	offs.Set(c2.SourceOffset)
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	evs = r2.pollUntil(2)
	if got := ops(t, evs, "id"); !reflect.DeepEqual(got, []string{"c:4", "c:3"}) {
		t.Fatalf("ops after restart %v", got)
	}
	if a := decode(t, evs[0]).Value["after"].(map[string]any); len(a) != 2 || a["a"] != "w" {
		t.Errorf("row before the ALTER decoded as %v, want the two old columns", a)
	}
	if a := decode(t, evs[1]).Value["after"].(map[string]any); a["b"] != float64(8) {
		t.Errorf("row after the ALTER decoded as %v", a)
	}
}

// TestTransactionMetadata checks BEGIN/END events and the transaction block, and a restart in
// the middle of a transaction that continues its numbering.
func TestTransactionMetadata(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT PRIMARY KEY)")
	hist := &memHistory{}
	offs := &memOffsets{}
	cfg := d.config("srvt", "provide.transaction.metadata", "true", "snapshot.mode", "no_data")
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	r.skipTx = true // other clients' transactions are announced too; keep ours only
	d.exec("BEGIN", "INSERT INTO a VALUES (1),(2)", "INSERT INTO b VALUES (1)", "COMMIT")
	r.pollUntil(3)
	r.waitEnd(t, "srvt.transaction")
	evs, _ := r.txSequence(t, "srvt.transaction")
	kinds := []string{}
	for _, e := range evs {
		v := decode(t, e).Value
		if e.Topic == "srvt.transaction" {
			kinds = append(kinds, v["status"].(string))
			continue
		}
		tx := v["transaction"].(map[string]any)
		kinds = append(kinds, fmt.Sprintf("%v/%v/%v", v["op"], tx["total_order"], tx["data_collection_order"]))
	}
	if want := []string{"BEGIN", "c/1/1", "c/2/2", "c/3/1", "END"}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("transaction events %v, want %v", kinds, want)
	}
	end := decode(t, evs[4]).Value
	begin := decode(t, evs[0]).Value
	if end["id"] != begin["id"] || end["event_count"] != float64(3) || len(end["data_collections"].([]any)) != 2 {
		t.Errorf("END %v", end)
	}
	if id, _ := begin["id"].(string); !strings.HasPrefix(id, "0-") {
		t.Errorf("MariaDB transaction id %q, want its GTID", id)
	}
	r.task.Stop()

	// Restart after the first row: the rest of the transaction continues its numbering.
	offs.Set(evs[1].SourceOffset)
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r2.skipTx = true
	r2.pollUntil(2)
	r2.waitEnd(t, "srvt.transaction")
	evs, _ = r2.txSequence(t, "srvt.transaction")
	var got []string
	for _, e := range evs {
		v := decode(t, e).Value
		if e.Topic == "srvt.transaction" {
			got = append(got, fmt.Sprintf("%v/%v", v["status"], v["event_count"]))
			continue
		}
		tx := v["transaction"].(map[string]any)
		got = append(got, fmt.Sprintf("%v/%v", v["op"], tx["total_order"]))
	}
	if want := []string{"c/2", "c/3", "END/3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart %v, want %v", got, want)
	}
}

// TestColumnTypes reads one row of every column type through the snapshot and the same row
// through the binlog: both must give Debezium's representation, and the same one.
func TestColumnTypes(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE ty (" +
		"id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, " +
		"miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, " +
		"de DECIMAL(10,3), fl FLOAT, du DOUBLE, dt DATE, tm TIME(3), dtm DATETIME, dtm6 DATETIME(6), " +
		"ts TIMESTAMP(3) NULL, yr YEAR, ch CHAR(3), vc VARCHAR(20), lat VARCHAR(10) CHARACTER SET latin1, " +
		"tx TEXT, bn BINARY(3), vb VARBINARY(5), bl BLOB, en ENUM('x','y','z'), st SET('a','b','c'), " +
		"b1 BIT(1), b10 BIT(10), js JSON, g POINT) DEFAULT CHARSET=utf8mb4")
	row := "(%d, -5, 250, -300, 65000, -8000000, 16000000, -2000000000, 4000000000, -9000000000000, 18000000000000000000, " +
		"-12.345, 1.5, 2.25, '2024-02-29', '-12:34:56.789', '2024-01-02 03:04:05', '1969-12-31 23:59:59.999999', " +
		"'2024-01-02 03:04:05.678', 2024, 'ab', 'héllo', 'café', 'long text', x'0102', x'ff00', x'deadbeef', 'y', 'a,c', " +
		"b'1', b'1000000001', '{\"k\": [1, 2]}', ST_GeomFromText('POINT(1 2)'))"
	d.exec("SET time_zone = '+02:00'", fmt.Sprintf("INSERT INTO ty VALUES "+row, 1))
	hist := &memHistory{}
	offs := &memOffsets{}
	r, err := startTask(t, d.config("srvy"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	snap := decode(t, r.pollUntil(1)[0]).Value["after"].(map[string]any)
	d.exec(fmt.Sprintf("INSERT INTO ty VALUES "+row, 2))
	stream := decode(t, r.pollUntil(1)[0]).Value["after"].(map[string]any)
	want := map[string]any{
		"ti": -5.0, "tiu": 250.0, "si": -300.0, "siu": 65000.0, "mi": -8000000.0, "miu": 16000000.0,
		"i": -2000000000.0, "iu": 4000000000.0, "bi": -9000000000000.0, "biu": float64(int64(-446744073709551616)),
		"de": "z8c=", // -12345 (0xcfc7) as two's complement bytes, base64
		"fl": 1.5, "du": 2.25,
		"dt":   19782.0,                    // days since the epoch
		"tm":   -45296789000.0,             // microseconds
		"dtm":  1704164645000.0,            // io.debezium.time.Timestamp (millis)
		"dtm6": -1.0,                       // io.debezium.time.MicroTimestamp
		"ts":   "2024-01-02T01:04:05.678Z", // written in +02:00, reported in UTC
		"yr":   2024.0, "ch": "ab", "vc": "héllo", "lat": "café", "tx": "long text",
		"bn": "AQIA", "vb": "/wA=", "bl": "3q2+7w==", "en": "y", "st": "a,c",
		"b1": true, "b10": "AQI=", "js": `{"k": [1, 2]}`,
	}
	for _, got := range []map[string]any{snap, stream} {
		for k, w := range want {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("%s = %#v, want %#v", k, got[k], w)
			}
		}
		g, _ := got["g"].(map[string]any)
		if g == nil || g["wkb"] != "AQEAAAAAAAAAAADwPwAAAAAAAABA" || g["x"] != 1.0 || g["y"] != 2.0 {
			t.Errorf("g = %#v", got["g"])
		}
	}
	delete(snap, "id")
	delete(stream, "id")
	if !reflect.DeepEqual(snap, stream) {
		t.Errorf("snapshot and binlog differ:\n%v\n%v", snap, stream)
	}
}

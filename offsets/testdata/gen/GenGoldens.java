// GenGoldens writes the golden bytes the offsets package's tests compare against: offset keys and
// values serialized by Kafka Connect's own JsonConverter (schemas disabled, as the worker's
// internal converters), the partition the Java producer's default partitioner picks for each key,
// and hand-written keys/values after a JsonConverter round trip.
//
// Run it with offsets/testdata/gen/gen.sh (it needs the Kafka jars of the test bed).
// Every case here has a twin with the same name in offsets/golden_test.go.

import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

public class GenGoldens {
    static JsonConverter keyConverter = new JsonConverter();
    static JsonConverter valueConverter = new JsonConverter();
    static StringBuilder out = new StringBuilder();

    // hashMap builds a java.util.HashMap inserting the pairs in the order given, as Debezium does.
    // Iteration order depends on insertion order only for keys sharing a bucket; the Go encoder
    // ranks such keys by Debezium's insertion order for Debezium's field names and by byte order
    // for any other name, so the generic cases below insert in byte order.
    static Map<String, Object> hashMap(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static String b64(byte[] b) {
        return b == null ? "-" : Base64.getEncoder().encodeToString(b);
    }

    // offset writes one line: name, key bytes, value bytes, partition of the key among 25.
    static void offset(String name, String connector, Map<String, Object> partition, Map<String, Object> offset) {
        byte[] key = keyConverter.fromConnectData(connector, null, Arrays.asList(connector, partition));
        byte[] value = valueConverter.fromConnectData(connector, null, offset);
        int p = Utils.toPositive(Utils.murmur2(key)) % 25;
        out.append("offset\t").append(name).append('\t').append(b64(key)).append('\t').append(b64(value))
           .append('\t').append(p).append('\n');
    }

    // roundTrip writes what JsonConverter makes of hand-written bytes: read, then written again.
    static void roundTrip(String name, boolean isKey, String text) {
        JsonConverter c = isKey ? keyConverter : valueConverter;
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        SchemaAndValue sv = c.toConnectData("t", in);
        byte[] again = c.fromConnectData("t", null, sv.value());
        out.append("roundtrip\t").append(name).append('\t').append(b64(in)).append('\t').append(b64(again)).append('\n');
    }

    // murmur writes murmur2 of raw bytes and the partition among 25 and among 7.
    static void murmur(String name, byte[] data) {
        int h = Utils.murmur2(data);
        out.append("murmur2\t").append(name).append('\t').append(b64(data)).append('\t').append(h)
           .append('\t').append(Utils.toPositive(h) % 25).append('\t').append(Utils.toPositive(h) % 7).append('\n');
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> keyConf = new HashMap<>();
        keyConf.put("schemas.enable", "false");
        keyConverter.configure(keyConf, true);
        valueConverter.configure(keyConf, false);

        // Debezium MySQL: partition {"server": topic.prefix}; offset map as MySqlOffsetContext builds it.
        offset("mysql", "inventory-connector", hashMap("server", "dbserver1"),
            hashMap("server_id", 223344L, "ts_sec", 1700000000L, "file", "mysql-bin.000003", "pos", 154L,
                    "row", 1, "event", 2L));
        offset("mysql-gtid-snapshot", "inventory-connector", hashMap("server", "dbserver1"),
            hashMap("server_id", 1L, "gtids", "0-1-42,1-2-7", "file", "mariadb-bin.000001", "pos", 4L,
                    "snapshot", "INITIAL"));
        offset("mysql-incremental", "inventory-connector", hashMap("server", "dbserver1"),
            hashMap("server_id", 223344L, "ts_sec", 1700000000L, "file", "mysql-bin.000003", "pos", 154L,
                    "event", 2L, "row", 1, "transaction_id", null,
                    "incremental_snapshot_collections", "[{\"incremental_snapshot_collections_id\":\"db.t\"}]",
                    "incremental_snapshot_window_opened", false,
                    "incremental_snapshot_primary_key", "aced0005", "incremental_snapshot_maximum_key", "aced0006",
                    "gtids", "0-1-42"));
        // Debezium PostgreSQL.
        offset("postgres", "pg-connector", hashMap("server", "pgserver1"),
            hashMap("ts_usec", 1700000000123456L, "lsn", 24023128L, "txId", 555L, "lsn_proc", 24023128L,
                    "lsn_commit", 24023000L, "messageType", "INSERT"));
        offset("postgres-snapshot", "pg-connector", hashMap("server", "pgserver1"),
            hashMap("ts_usec", 1700000000123456L, "lsn", 24023128L, "txId", 555L, "snapshot", true,
                    "last_snapshot_record", false));
        // Debezium SQL Server: two-field partition built with Collect.hashMapOf(server, database).
        offset("sqlserver", "sqlserver-connector", hashMap("server", "server1", "database", "testDB"),
            hashMap("commit_lsn", "00000025:00000d98:00a2", "change_lsn", "00000025:00000d98:0002",
                    "event_serial_no", 1L));
        offset("sqlserver-task", "sqlserver-connector", hashMap("server", "server1", "database", "testDB", "task_id", "0"),
            hashMap("commit_lsn", "00000025:00000d98:00a2", "snapshot", "INITIAL", "snapshot_completed", false));
        // Kafka's FileStreamSourceConnector.
        offset("filestream", "local-file-source", hashMap("filename", "/tmp/test.txt"), hashMap("position", 1234L));
        // Strings Jackson escapes, and ones it does not.
        offset("escapes", "we\"ird\\name/é€😀", hashMap("k\tey", "a\nb\rc\bd\fe\u0001f\u001fg\u007fh</script>"),
            hashMap("ctl", "\u0000\u0008\u000b", "uni", "日本語 ünïcödé 🚀", "slash", "/a/b/"));
        // Numbers: ints, longs, extremes, doubles in both notations, a float, negative zero. (Floats that
        // need 8+ digits are left out: JDK 17 prints some of them with more digits than JDK 19+.)
        offset("numbers", "n", hashMap("id", 7),
            hashMap("d1", 1.5d, "d2", 100.0d, "d3", 1.0e7d, "d4", 0.001d, "d5", 9.999999e-4d, "d6", 123456.789d,
                    "d7", -0.0d, "d8", 1.0e-300d, "d9", 0.1d, "f1", 1.1f, "int", 42, "max", Long.MAX_VALUE,
                    "min", Long.MIN_VALUE, "neg", -17L));
        offset("nonfinite", "n", hashMap("id", 8),
            hashMap("nan", Double.NaN, "inf", Double.POSITIVE_INFINITY, "ninf", Double.NEGATIVE_INFINITY));
        // Other primitive types: booleans, null, bytes (base64), small ints.
        offset("types", "t", hashMap("b", true),
            hashMap("byte", (byte) -4, "bytes", new byte[] {0, 1, 2, (byte) 250, (byte) 255}, "f", false, "nul", null,
                    "short", (short) 3, "t", true));
        offset("empty-partition", "e", hashMap(), hashMap("x", 1L));
        offset("tombstone", "inventory-connector", hashMap("server", "dbserver1"), null);
        // A map big enough to resize the HashMap table (13 > 0.75*16, then 25 > 0.75*32).
        Map<String, Object> big = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            big.put(String.format("field%02d", i), (long) i);
        }
        offset("big", "b", hashMap("server", "s"), big);

        // Hand-written records as operators produce them.
        roundTrip("key-spaces", true, "[ \"inventory-connector\" , { \"server\" : \"dbserver1\" } ]");
        roundTrip("key-order", true, "[\"sqlserver-connector\",{\"database\":\"testDB\",\"server\":\"server1\"}]");
        roundTrip("key-newlines", true, "[\n  \"c\",\n  {\n    \"server\": \"s\"\n  }\n]\n");
        roundTrip("value-floats", false, "{\"a\":1.0,\"b\":1e2,\"c\":-2.50,\"d\":1E-7,\"e\":12345678.9}");
        roundTrip("value-escapes", false, "{\"s\":\"\\u00e9\\u002F\\/\\t\\u0001\\ud83d\\ude00\"}");
        roundTrip("value-mysql", false, "{ \"file\": \"mysql-bin.000003\", \"pos\": 154, \"row\": 1, \"event\": 2, \"ts_sec\": 1700000000, \"server_id\": 223344 }");

        // murmur2 on raw bytes of every tail length, and on keys written with spaces.
        murmur("empty", new byte[0]);
        murmur("a", "a".getBytes(StandardCharsets.UTF_8));
        murmur("ab", "ab".getBytes(StandardCharsets.UTF_8));
        murmur("abc", "abc".getBytes(StandardCharsets.UTF_8));
        murmur("abcd", "abcd".getBytes(StandardCharsets.UTF_8));
        murmur("high-bytes", new byte[] {(byte) 0xff, (byte) 0x80, 0x7f, 0x00, (byte) 0xfe});
        murmur("key-spaces", "[ \"inventory-connector\" , { \"server\" : \"dbserver1\" } ]".getBytes(StandardCharsets.UTF_8));

        System.out.print(out);
    }
}

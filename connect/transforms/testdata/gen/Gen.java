// Writes the golden outcomes of connect/transforms: every case of ../cases.json (a connector's
// transforms/predicates settings) applied by Kafka's and Debezium's own classes to every record of
// ../inputs.jsonl, each outcome written as JsonConverter (schemas enabled) and
// SimpleHeaderConverter bytes. Run by gen.sh; see its header.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

public class Gen {
    static final ObjectMapper M = new ObjectMapper();

    record Step(Transformation<SourceRecord> t, Predicate<SourceRecord> p, boolean negate) {}

    static List<String> list(String v) {
        List<String> out = new ArrayList<>();
        if (v == null) return out;
        for (String s : v.split(",")) if (!s.trim().isEmpty()) out.add(s.trim());
        return out;
    }

    static Map<String, String> sub(Map<String, String> cfg, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        cfg.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Step> chain(Map<String, String> cfg) throws Exception {
        Map<String, Predicate<SourceRecord>> preds = new LinkedHashMap<>();
        for (String a : list(cfg.get("predicates"))) {
            Predicate<SourceRecord> p = (Predicate<SourceRecord>) Class.forName(cfg.get("predicates." + a + ".type")).getDeclaredConstructor().newInstance();
            p.configure(sub(cfg, "predicates." + a + "."));
            preds.put(a, p);
        }
        List<Step> steps = new ArrayList<>();
        for (String a : list(cfg.get("transforms"))) {
            String prefix = "transforms." + a + ".";
            Transformation<SourceRecord> t = (Transformation<SourceRecord>) Class.forName(cfg.get(prefix + "type")).getDeclaredConstructor().newInstance();
            t.configure(sub(cfg, prefix));
            String pa = cfg.get(prefix + "predicate");
            steps.add(new Step(t, pa == null ? null : preds.get(pa), Boolean.parseBoolean(cfg.get(prefix + "negate"))));
        }
        return steps;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path out = dir.resolve("golden");
        JsonConverter jc = new JsonConverter();
        jc.configure(Map.of("schemas.enable", "true"), false);
        SimpleHeaderConverter hc = new SimpleHeaderConverter();
        hc.configure(Map.of());
        for (JsonNode c : M.readTree(dir.resolve("cases.json").toFile())) {
            String file = c.has("inputs") ? c.get("inputs").asText() : "inputs.jsonl";
            List<JsonNode> inputs = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve(file))) if (!line.isBlank()) inputs.add(M.readTree(line));
            Map<String, String> cfg = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = c.get("config").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                cfg.put(e.getKey(), e.getValue().asText());
            }
            // One chain per case, as one task's: caches carry over from record to record.
            List<Step> steps = chain(cfg);
            StringBuilder b = new StringBuilder();
            for (JsonNode in : inputs) {
                String topic = in.get("topic").asText();
                SchemaAndValue k = decode(jc, topic, in.get("key"));
                SchemaAndValue v = decode(jc, topic, in.get("value"));
                SourceRecord r = new SourceRecord(Map.of("p", 1), Map.of("o", 1), topic, null, k.schema(), k.value(), v.schema(), v.value(),
                        in.get("timestamp").asLong(), new ConnectHeaders());
                b.append("## ").append(in.get("name").asText()).append('\n');
                try {
                    for (Step s : steps) {
                        if (s.p() != null && s.p().test(r) == s.negate()) continue;
                        r = s.t().apply(r);
                        if (r == null) break;
                    }
                } catch (Exception e) {
                    b.append("error\n");
                    continue;
                }
                if (r == null) {
                    b.append("dropped\n");
                    continue;
                }
                b.append("topic ").append(r.topic()).append('\n');
                if (r.kafkaPartition() != null) b.append("partition ").append(r.kafkaPartition()).append('\n');
                try {
                    String kb = bytes(jc.fromConnectData(r.topic(), r.keySchema(), r.key()));
                    String vb = bytes(jc.fromConnectData(r.topic(), r.valueSchema(), r.value()));
                    b.append("key ").append(kb).append('\n').append("value ").append(vb).append('\n');
                } catch (Exception e) {
                    // The transform made a record JsonConverter refuses: the task would fail converting it.
                    b.append("conversion error\n");
                    continue;
                }
                for (Header h : r.headers()) {
                    b.append("header ").append(h.key()).append(' ').append(bytes(hc.fromConnectHeader(r.topic(), h.key(), h.schema(), h.value()))).append('\n');
                }
            }
            Files.writeString(out.resolve(c.get("name").asText() + ".txt"), b.toString());
        }
    }

    static SchemaAndValue decode(JsonConverter jc, String topic, JsonNode n) throws Exception {
        return n == null || n.isNull() ? SchemaAndValue.NULL : jc.toConnectData(topic, M.writeValueAsBytes(n));
    }

    static String bytes(byte[] b) {
        return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
    }
}

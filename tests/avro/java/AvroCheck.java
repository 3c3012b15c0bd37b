import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads Kafka record values (base64, one per line on stdin) with Apicurio's Avro deserializer in
 * its Confluent-compatible mode (4-byte schema ids resolved through the registry) and prints each
 * decoded record's toString (Avro's JSON-like rendering) on its own line, or "ERROR message".
 *
 * Usage: java -cp 'libs/*' AvroCheck.java REGISTRY_API_URL TOPIC
 */
public class AvroCheck {
    public static void main(String[] args) throws Exception {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(SerdeConfig.REGISTRY_URL, args[0]);
        // Confluent's wire format: a 4-byte id, which Apicurio's Confluent API hands out as the
        // schema's content id.
        cfg.put(SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, "true");
        cfg.put(SerdeConfig.USE_ID, "contentId");
        AvroKafkaDeserializer<Object> d = new AvroKafkaDeserializer<>();
        d.configure(cfg, false);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                Object v = d.deserialize(args[1], Base64.getDecoder().decode(line));
                System.out.println(String.valueOf(v));
            } catch (Exception e) {
                System.out.println("ERROR " + e);
            }
        }
        d.close();
    }
}

// Prints what Kafka's SimpleHeaderConverter writes for the values header_test.go checks:
//   javac -cp "$CONNECTD_TEST_KAFKA_LIBS/*" -d /tmp HeaderCheck.java
//   java -cp "$CONNECTD_TEST_KAFKA_LIBS/*:/tmp" HeaderCheck
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import java.math.BigDecimal;
import java.util.*;
public class HeaderCheck {
  static final SimpleHeaderConverter c = new SimpleHeaderConverter();
  static void p(String label, Schema s, Object v) {
    try {
      byte[] b = c.fromConnectHeader("t", "h", s, v);
      System.out.println(label + "\t" + (b == null ? "<null>" : new String(b, java.nio.charset.StandardCharsets.UTF_8)));
    } catch (Exception e) { System.out.println(label + "\tERR " + e); }
  }
  public static void main(String[] a) {
    c.configure(new HashMap<>());
    Schema key = SchemaBuilder.struct().name("k.Key").field("region", Schema.STRING_SCHEMA).field("id", Schema.INT32_SCHEMA).build();
    p("struct", key, new Struct(key).put("region", "eu").put("id", 3));
    Schema all = SchemaBuilder.struct().name("x")
      .field("s", Schema.OPTIONAL_STRING_SCHEMA).field("q", Schema.STRING_SCHEMA)
      .field("b", Schema.BYTES_SCHEMA).field("f", Schema.FLOAT32_SCHEMA).field("d", Schema.FLOAT64_SCHEMA)
      .field("bool", Schema.BOOLEAN_SCHEMA).field("i8", Schema.INT8_SCHEMA).field("i64", Schema.INT64_SCHEMA)
      .field("dec", Decimal.schema(2)).field("dflt", SchemaBuilder.int32().defaultValue(42).build())
      .field("arr", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build())
      .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
      .field("date", org.apache.kafka.connect.data.Date.SCHEMA)
      .field("ts", Timestamp.SCHEMA)
      .field("tm", Time.SCHEMA)
      .build();
    Struct st = new Struct(all).put("q", "a\"b\\c\nd/é😀").put("b", new byte[]{1,2,3,(byte)255}).put("f", 3.14f).put("d", 1e10)
      .put("bool", true).put("i8", (byte)-5).put("i64", Long.MIN_VALUE).put("dec", new BigDecimal("12345.67"))
      .put("arr", Arrays.asList("x", null, "y\"")).put("m", new LinkedHashMap<String,Integer>(){{put("a",1);put("b",2);}})
      .put("date", new java.util.Date(86400000L*3)).put("ts", new java.util.Date(86400000L*3+1234)).put("tm", new java.util.Date(45296789L));
    p("struct-all", all, st);
    Schema nested = SchemaBuilder.struct().field("in", key).field("n", SchemaBuilder.struct().optional().field("z", Schema.INT32_SCHEMA).build()).build();
    p("nested", nested, new Struct(nested).put("in", new Struct(key).put("region","x").put("id",1)));
    p("string", Schema.STRING_SCHEMA, "a\"b\\c");
    p("bytes", Schema.BYTES_SCHEMA, new byte[]{104,105});
    p("int", Schema.INT32_SCHEMA, 5);
    p("double", Schema.FLOAT64_SCHEMA, 1e-5);
    p("double2", Schema.FLOAT64_SCHEMA, 100.0);
    p("float", Schema.FLOAT32_SCHEMA, 1.0e10f);
    p("nan", Schema.FLOAT64_SCHEMA, Double.NaN);
    p("bool", Schema.BOOLEAN_SCHEMA, false);
    p("dec", Decimal.schema(2), new BigDecimal("1.50"));
    p("decE", Decimal.schema(-3), new BigDecimal("1E+3"));
    p("decsmall", Decimal.schema(10), new BigDecimal("0.0000001234"));
    p("list", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1,2,3));
    p("liststr", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), Arrays.asList("a","b"));
    p("emptylist", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), new ArrayList<>());
    p("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build(), new LinkedHashMap<String,String>(){{put("k","v");put("n",null);}});
    p("mapint", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.BOOLEAN_SCHEMA).build(), new LinkedHashMap<Integer,Boolean>(){{put(1,true);}});
    p("date", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(86400000L*3));
    p("ts", Timestamp.SCHEMA, new java.util.Date(86400000L*3+1234));
    p("tm", Time.SCHEMA, new java.util.Date(45296789L));
    p("ts0", Timestamp.SCHEMA, new java.util.Date(0));
    p("tsneg", Timestamp.SCHEMA, new java.util.Date(-86400000L*400 + 5));
    p("null", Schema.OPTIONAL_STRING_SCHEMA, null);
    p("emptystruct", SchemaBuilder.struct().build(), new Struct(SchemaBuilder.struct().build()));
    p("nullschema-struct", null, new Struct(key).put("region", "eu").put("id", 3));
    p("listnested", SchemaBuilder.array(key).build(), Arrays.asList(new Struct(key).put("region","a").put("id",1), null));
    p("bytesinlist", SchemaBuilder.array(Schema.BYTES_SCHEMA).build(), Arrays.asList(new byte[]{0,1}));
    p("floatsmall", Schema.FLOAT32_SCHEMA, 1.0e-4f);
    p("i16", Schema.INT16_SCHEMA, (short)-7);
  }
}

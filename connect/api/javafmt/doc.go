// Package javafmt writes values the way the Java side of Kafka Connect and Debezium writes them,
// so bytes a user's tooling compares (offset keys and values, converter output, schema history
// records) are the same whether Java or connectd produced them:
//
//   - StringHash is java.lang.String.hashCode, and HashMapOrder / DebeziumHashMapOrder give the
//     iteration order of a java.util.HashMap, which decides the field order of every map
//     Debezium hands to Kafka Connect (partitions, offsets) and so of the JSON written for it;
//   - AppendString and AppendWriterString quote a string as Jackson's two generators do, and
//     AppendMap writes a Go map as the JSON of the Debezium HashMap it stands for;
//   - AppendPrimitive, AppendBinary and AppendStrings write the other values JsonConverter
//     writes without a schema;
//   - AppendDouble and AppendFloat are Double.toString and Float.toString, and AppendJacksonDouble
//     and AppendJacksonFloat what Jackson writes for them (NaN and the infinities quoted).
//
// It is a leaf: it imports only the standard library, so the API, the converters and the
// storage packages can all share one implementation of these rules. Every function appends to
// or sorts what it is given and allocates nothing on the common paths.
package javafmt

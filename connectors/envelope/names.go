package envelope

import "strings"

// Debezium's schema and header names used by this package.
const (
	// EnvelopeVersion is the envelope schema's version in Debezium 2.x and 3.x.
	EnvelopeVersion = 2
	// SourceVersion is the source block schema's version (SchemaFactory's
	// SOURCE_INFO_DEFAULT_SCHEMA_VERSION, Debezium 3.1 and later).
	SourceVersion = 1
	// TransactionBlockName and TransactionBlockVersion name the envelope's transaction field.
	TransactionBlockName    = "event.block"
	TransactionBlockVersion = 1
	// EnumName is Debezium's enum logical type, with its allowed values in parameter "allowed".
	EnumName = "io.debezium.data.Enum"
	// EnumAllowedParam is the parameter listing an enum's allowed values, comma-separated.
	EnumAllowedParam = "allowed"
	// HeaderOldKey and HeaderNewKey are the headers Debezium puts on the create and delete events
	// it emits for an update that changes the primary key.
	HeaderOldKey = "__debezium.oldkey"
	HeaderNewKey = "__debezium.newkey"
)

// MaxTopicNameLength is Kafka's limit on topic names; longer names are cut, as Debezium does.
const MaxTopicNameLength = 249

// TopicName joins the non-empty parts with '.' and sanitises the result (SanitizeTopic), as
// Debezium's DefaultTopicNamingStrategy: TopicName("server1", "inventory", "", "customers") is
// "server1.inventory.customers".
func TopicName(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue // Debezium's mkString drops blank parts
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, p...)
	}
	return SanitizeTopic(string(b))
}

// validTopicChar reports the characters Kafka allows in a topic name: [a-zA-Z0-9._-].
func validTopicChar(c rune) bool {
	return c == '.' || c == '_' || c == '-' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

// SanitizeTopic replaces every character Kafka does not allow in a topic name with '_', cuts the
// name to 249 characters, and replaces the names "." and ".." with underscores, as Debezium's
// AbstractTopicNamingStrategy.sanitizedTopicName. Debezium replaces per UTF-16 unit, so a
// character outside the Basic Multilingual Plane becomes two underscores; so does it here.
func SanitizeTopic(name string) string {
	clean := true
	for _, c := range name {
		if !validTopicChar(c) {
			clean = false
			break
		}
	}
	if clean && len(name) <= MaxTopicNameLength && name != "." && name != ".." {
		return name
	}
	b := make([]byte, 0, len(name))
	units := 0
	for _, c := range name {
		switch {
		case validTopicChar(c):
			b = append(b, byte(c))
			units++
		case c > 0xFFFF:
			b = append(b, '_', '_') // a surrogate pair in Java
			units += 2
		default:
			b = append(b, '_')
			units++
		}
	}
	// Every byte is now ASCII, so cutting by bytes cuts by UTF-16 units too.
	if len(b) > MaxTopicNameLength {
		b = b[:MaxTopicNameLength]
	}
	s := string(b)
	switch s {
	case ".":
		return "_"
	case "..":
		return "__"
	}
	return s
}

// ValidTopicPrefix reports whether s is acceptable as topic.prefix (and other topic name parts
// Debezium validates): non-empty and only [a-zA-Z0-9._-].
func ValidTopicPrefix(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !validTopicChar(c) {
			return false
		}
	}
	return true
}

// UUIDString formats 16 bytes as a UUID in its canonical 8-4-4-4-12 lower-case form, as Java's
// UUID.toString (run ids, MySQL server uuids in GTIDs, Debezium's name-based UUIDs).
func UUIDString(b [16]byte) string {
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	return string(out)
}

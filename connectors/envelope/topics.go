package envelope

import "strings"

// Debezium's topic naming strategies (topic.naming.strategy), by class name.
const (
	// DefaultTopicNaming names a table's topic prefix, catalog, table (MySQL/MariaDB:
	// <prefix>.<database>.<table>; PostgreSQL, whose tables have no catalog: <prefix>.<table>).
	DefaultTopicNaming = "io.debezium.schema.DefaultTopicNamingStrategy"
	// SchemaTopicNaming names it prefix, schema, table (PostgreSQL: <prefix>.<schema>.<table>;
	// MySQL/MariaDB, whose tables have no schema: <prefix>.<table>).
	SchemaTopicNaming = "io.debezium.schema.SchemaTopicNamingStrategy"
)

// TopicNaming is topic.naming.strategy with topic.prefix and topic.delimiter: the names of a
// connector's topics, as Debezium's DefaultTopicNamingStrategy and SchemaTopicNamingStrategy
// give them (checked against Debezium 3.5/3.7 on the test bed).
type TopicNaming struct {
	Prefix    string
	Delimiter string // "." when empty
	// BySchema selects SchemaTopicNamingStrategy.
	BySchema bool
}

// Join joins the non-empty parts with the delimiter and sanitises the result, as Debezium's
// mkString and sanitizedTopicName.
func (n TopicNaming) Join(parts ...string) string {
	d := n.Delimiter
	if d == "" {
		d = "."
	}
	var b strings.Builder
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(d)
		}
		b.WriteString(p)
	}
	return SanitizeTopic(b.String())
}

// DataTopic is the topic of a table's change events; catalog is MySQL's database, schema
// PostgreSQL's schema (the other empty).
func (n TopicNaming) DataTopic(catalog, schema, table string) string {
	if n.BySchema {
		return n.Join(n.Prefix, schema, table)
	}
	return n.Join(n.Prefix, catalog, table)
}

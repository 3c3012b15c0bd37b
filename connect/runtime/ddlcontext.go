package runtime

import (
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// A converter that registers schemas (Avro with a registry) refuses a record when the table's
// new schema is incompatible with the registered one; the cause the user has to act on is the
// DDL that changed the table, which only the schema change event names. So the task remembers
// the last DDL of each table it saw go by in a Debezium schema change event, and a value
// conversion error of that table's topic quotes it.

// ddlContext holds the last DDL per "<db>.<table>" of the schema change events a task emitted.
type ddlContext map[string]string

// note remembers the DDL of r if r is a schema change event naming one table.
func (c ddlContext) note(r *api.SourceRecord) {
	if r.ValueSchema == nil || !strings.HasSuffix(r.ValueSchema.Name, ".SchemaChangeValue") {
		return
	}
	v, ok := r.Value.(*api.Struct)
	if !ok {
		return
	}
	ddl, _ := v.Get("ddl").(string)
	src, _ := v.Get("source").(*api.Struct)
	if ddl == "" || src == nil {
		return
	}
	db, _ := src.Get("db").(string)
	table, _ := src.Get("table").(string)
	if db == "" || table == "" {
		return
	}
	c[db+"."+table] = ddl
}

// about returns the last DDL of the table whose change events go to topic, "" if none was seen.
func (c ddlContext) about(topic string) string {
	for id, ddl := range c {
		if strings.HasSuffix(topic, "."+id) {
			return ddl
		}
	}
	return ""
}

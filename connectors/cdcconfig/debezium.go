package cdcconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connectors/envelope"
)

// Every property Debezium's connectors declare is in a connectd connector's spec (the test in
// tests/speccheck holds the lists the Debezium reference worker gives): honoured, accepted only
// at the value whose behaviour connectd has (AtDefault), or refused (Refused). None is accepted and
// then ignored.

// AtDefaultDoc starts the doc of every AtDefault key, so docs can list those keys.
const AtDefaultDoc = "Debezium property; connectd behaves as its default "

// AtDefault returns the key of a Debezium property that connectd accepts only at def (compared
// case-insensitively, as are any also values): connectd behaves as Debezium does at that value,
// and why says what any other value would need.
func AtDefault(name string, typ api.ConfigType, def, why string, also ...string) api.ConfigKey {
	accepted := append([]string{def}, also...)
	return api.ConfigKey{Name: name, Type: typ, Default: def, Importance: api.Low, Group: groupAdvanced,
		Doc: AtDefaultDoc + quoteOr(def) + " and accepts no other value: " + why + ".",
		Validate: func(v string) error {
			t := strings.TrimSpace(v)
			for _, a := range accepted {
				if strings.EqualFold(t, a) {
					return nil
				}
			}
			return fmt.Errorf("connectd supports only %s (%s); remove the property or set it to that", quoteOr(accepted...), why)
		}}
}

func quoteOr(vs ...string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + v + "'"
	}
	return strings.Join(q, " or ")
}

// Refused returns the key of a Debezium property connectd does not implement: any value is
// refused at validation, why saying what is missing.
func Refused(name string, typ api.ConfigType, why string) api.ConfigKey {
	return api.ConfigKey{Name: name, Type: typ, Importance: api.Low, Group: groupAdvanced, Unsupported: true,
		Doc: "Debezium property connectd does not implement: " + why + "."}
}

// commonDebeziumKeys are the properties every Debezium relational connector declares that no
// connectd feature reads.
func commonDebeziumKeys() api.ConfigSpec {
	return api.ConfigSpec{
		AtDefault("connection.validation.timeout.ms", api.ConfigLong, "60000", "connectd validates the connection with the connect timeout"),
		AtDefault("database.query.timeout.ms", api.ConfigInt, "600000", "connectd sets no query timeout"),
		Refused("custom.metric.tags", api.ConfigList, "connectd's metrics carry the connector and task names only"),
		AtDefault("custom.sanitize.pattern", api.ConfigString,
			`.*secret$|.*password$|.*sasl\.jaas\.config$|.*basic\.auth\.user\.info|.*registry\.auth\.client-secret`,
			"connectd hides values of keys ending in password, secret, sasl.jaas.config, token or api.key",
			`.*secret$|.*password$|.*sasl\.jaas\.config$|.*basic\.auth\.user\.info|.*registry\.auth\.client-secret|.*credentials\.json$|.*connectionstring$|.*connection\.string$`),
		AtDefault("executor.shutdown.timeout.ms", api.ConfigLong, "4000", "connectd stops its readers when the task stops"),
		AtDefault("extended.headers.enabled", api.ConfigBoolean, "true", "connectd adds Debezium's __debezium.context.* headers"),
		AtDefault("guardrail.collections.max", api.ConfigInt, "0", "connectd has no limit on the number of captured tables"),
		AtDefault("guardrail.collections.limit.action", api.ConfigString, "warn", "connectd has no limit on the number of captured tables"),
		AtDefault("heartbeat.topics.prefix", api.ConfigString, "__debezium-heartbeat", "this is Debezium's deprecated name; set topic.heartbeat.prefix instead"),
		AtDefault("incremental.snapshot.allow.schema.changes", api.ConfigBoolean, "false", "connectd does not allow schema changes during an incremental snapshot"),
		AtDefault("incremental.snapshot.watermarking.strategy", api.ConfigString, "INSERT_INSERT", "connectd writes open and close watermarks"),
		AtDefault("internal.advanced.metrics.enable", api.ConfigBoolean, "false", "connectd has no advanced metrics"),
		AtDefault("internal.legacy.snapshot.max.threads", api.ConfigBoolean, "false", "an internal Debezium switch"),
		AtDefault("internal.log.position.check.enable", api.ConfigBoolean, "true", "connectd always checks that the stored position is still available"),
		AtDefault("internal.snapshot.scan.all.columns.force", api.ConfigBoolean, "false", "an internal Debezium switch"),
		Refused("notification.enabled.channels", api.ConfigList, "connectd sends no notifications"),
		Refused("notification.sink.topic.name", api.ConfigString, "connectd sends no notifications"),
		AtDefault("openlineage.integration.enabled", api.ConfigBoolean, "false", "connectd has no OpenLineage integration"),
		AtDefault("openlineage.integration.config.file.path", api.ConfigString, "./openlineage.yml", "connectd has no OpenLineage integration"),
		Refused("openlineage.integration.dataset.kafka.bootstrap.servers", api.ConfigString, "connectd has no OpenLineage integration"),
		AtDefault("openlineage.integration.job.description", api.ConfigString, "Debezium change data capture job", "connectd has no OpenLineage integration"),
		Refused("openlineage.integration.job.namespace", api.ConfigString, "connectd has no OpenLineage integration"),
		Refused("openlineage.integration.job.owners", api.ConfigList, "connectd has no OpenLineage integration"),
		Refused("openlineage.integration.job.tags", api.ConfigList, "connectd has no OpenLineage integration"),
		Refused("post.processors", api.ConfigString, "connectd runs no post processors; use transforms"),
		AtDefault("query.fetch.size", api.ConfigInt, "0", "snapshot.fetch.size sets the rows per round trip"),
		AtDefault("signal.poll.interval.ms", api.ConfigLong, "5000", "connectd reads signals as the source channel delivers them"),
		AtDefault("snapshot.lock.timeout.ms", api.ConfigLong, "10000", "connectd waits for snapshot locks as long as the server lets it"),
		AtDefault("snapshot.max.threads", api.ConfigInt, "1", "connectd snapshots one table at a time"),
		AtDefault("snapshot.max.threads.multiplier", api.ConfigInt, "1", "connectd snapshots one table at a time"),
		Refused("snapshot.mode.configuration.based.snapshot.data", api.ConfigBoolean, "connectd has no configuration_based snapshot mode"),
		Refused("snapshot.mode.configuration.based.snapshot.on.data.error", api.ConfigBoolean, "connectd has no configuration_based snapshot mode"),
		Refused("snapshot.mode.configuration.based.snapshot.on.schema.error", api.ConfigBoolean, "connectd has no configuration_based snapshot mode"),
		Refused("snapshot.mode.configuration.based.snapshot.schema", api.ConfigBoolean, "connectd has no configuration_based snapshot mode"),
		Refused("snapshot.mode.configuration.based.start.stream", api.ConfigBoolean, "connectd has no configuration_based snapshot mode"),
		Refused("snapshot.mode.custom.name", api.ConfigString, "connectd has no custom snapshot modes"),
		AtDefault("snapshot.query.mode", api.ConfigString, "select_all", "connectd snapshots with SELECT of the captured columns"),
		Refused("snapshot.query.mode.custom.name", api.ConfigString, "connectd has no custom snapshot query modes"),
		AtDefault("snapshot.tables.order.by.row.count", api.ConfigString, "disabled", "connectd snapshots tables in name order"),
		AtDefault("streaming.delay.ms", api.ConfigLong, "0", "connectd streams as soon as the snapshot ends"),
		AtDefault("transaction.metadata.factory", api.ConfigClass, "io.debezium.pipeline.txmetadata.DefaultTransactionMetadataFactory", "connectd writes Debezium's default transaction metadata"),
		Refused(RetriableRestartWaitMs, api.ConfigLong, "errors.retry.delay.initial.ms and errors.retry.delay.max.ms set the waits between reconnections"),
	}
}

// columnMapperFamilies are column.truncate.to.N.chars, column.mask.with.N.chars and
// column.mask.hash[.v2].ALG.with.salt.SALT, under the names Debezium's spec gives them.
func columnMapperFamilies() api.ConfigSpec {
	doc := "Comma-separated regular expressions of fully-qualified column names ('db.table.column'; PostgreSQL 'schema.table.column') whose values are "
	return api.ConfigSpec{
		{Name: "column.truncate.to.(d+).chars", Type: api.ConfigInt, Importance: api.Low, Group: groupAdvanced, Matches: envelope.IsColumnMapperKey,
			Doc: doc + "truncated to N characters (column.truncate.to.N.chars)."},
		{Name: "column.mask.with.(d+).chars", Type: api.ConfigString, Importance: api.Low, Group: groupAdvanced, Matches: envelope.IsColumnMapperKey,
			Doc: doc + "replaced by N asterisks (column.mask.with.N.chars)."},
		{Name: "column.mask.hash.([^.]+).with.salt.(.+)", Type: api.ConfigString, Importance: api.Low, Group: groupAdvanced, Matches: envelope.IsColumnMapperKey,
			Doc: doc + "replaced by the hex of a salted hash (column.mask.hash.ALG.with.salt.SALT, ALG a Java MessageDigest name such as SHA-256; column.mask.hash.v2.ALG.with.salt.SALT for Debezium's v2 hashing)."},
	}
}

// historyClientFamilies are schema.history.internal.producer.* and .consumer.*: the properties of
// the schema history topic's Kafka clients (their TLS and SASL settings are applied; schemahistory
// reports the others).
func historyClientFamilies() api.ConfigSpec {
	var s api.ConfigSpec
	for _, c := range []string{"producer", "consumer"} {
		prefix := "schema.history.internal." + c + "."
		s = append(s, api.ConfigKey{Name: prefix + "*", Type: api.ConfigString, Importance: api.Low, Group: groupHistory,
			Matches: func(name string) bool { return strings.HasPrefix(name, prefix) },
			CheckKey: func(name, _ string) error {
				if slices.Contains(kafkasec.Keys, strings.TrimPrefix(name, prefix)) {
					return nil
				}
				return fmt.Errorf("%s is not supported by connectd: the schema history's Kafka %s takes its security settings (%s) from %s*, nothing else; remove it",
					name, c, strings.Join(kafkasec.Keys, ", "), prefix)
			},
			Doc: "Security settings of the schema history topic's Kafka " + c + " (" + strings.Join(kafkasec.Keys, ", ") + "), prefix removed; " +
				"they win over the worker's. Other client properties are refused."})
	}
	return s
}

// Complete returns spec with the Debezium properties every relational connector declares and
// that spec does not declare yet, each AtDefault or Refused, plus the column mapper families
// and, for a connector with a schema history, the history client families.
func Complete(spec api.ConfigSpec) api.ConfigSpec {
	extra := append(columnMapperFamilies(), commonDebeziumKeys()...)
	if spec.Key(HistoryKafkaTopic) != nil {
		extra = append(extra, historyClientFamilies()...)
	}
	for _, k := range extra {
		if spec.Key(k.Name) == nil {
			spec = append(spec, k)
		}
	}
	return spec
}

// AddAtDefault appends AtDefault(name, ...) to spec unless spec declares name already (a
// connector that implements the property declares it itself, and that declaration wins).
func AddAtDefault(spec api.ConfigSpec, name string, typ api.ConfigType, def, why string, also ...string) api.ConfigSpec {
	if spec.Key(name) != nil {
		return spec
	}
	return append(spec, AtDefault(name, typ, def, why, also...))
}

// AddRefused appends Refused(name, ...) to spec unless spec declares name already.
func AddRefused(spec api.ConfigSpec, name string, typ api.ConfigType, why string) api.ConfigSpec {
	if spec.Key(name) != nil {
		return spec
	}
	return append(spec, Refused(name, typ, why))
}

package runtime

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/transforms"
	"github.com/connectd/connectd/connect/workerconfig"
)

// Groups of the common connector settings, as Kafka Connect's ConnectorConfig names them.
const (
	groupCommon     = "Common"
	groupTransforms = "Transforms"
	groupPredicates = "Predicates"
	groupErrors     = "Error Handling"
)

// CommonSpec is the settings every connector has (Kafka Connect's ConnectorConfig), validated
// before the plugin's own spec.
var CommonSpec = api.ConfigSpec{
	{Name: "name", Type: api.ConfigString, Required: true, Importance: api.High, Group: groupCommon, DisplayName: "Connector name",
		Doc: "Globally unique name to use for this connector.", Validate: validateName},
	{Name: "connector.class", Type: api.ConfigString, Required: true, Importance: api.High, Group: groupCommon, DisplayName: "Connector class",
		Doc: "Name or alias of the class for this connector (the Debezium class names are accepted)."},
	{Name: "tasks.max", Type: api.ConfigInt, Default: "1", Importance: api.High, Group: groupCommon, DisplayName: "Tasks max",
		Doc: "Maximum number of tasks to use for this connector.", Validate: atLeastOne},
	{Name: "tasks.max.enforce", Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Group: groupCommon, DisplayName: "Enforce tasks max",
		Doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector; connectd always enforces it."},
	{Name: "key.converter", Type: api.ConfigClass, Importance: api.Low, Group: groupCommon, DisplayName: "Key converter class",
		Doc: "Converter class for record keys; the worker's key.converter when unset.", Validate: validConverter},
	{Name: "value.converter", Type: api.ConfigClass, Importance: api.Low, Group: groupCommon, DisplayName: "Value converter class",
		Doc: "Converter class for record values; the worker's value.converter when unset.", Validate: validConverter},
	{Name: "header.converter", Type: api.ConfigClass, Importance: api.Low, Group: groupCommon, DisplayName: "Header converter class",
		Doc: "Header converter class; connectd writes headers as Kafka's SimpleHeaderConverter does.", Validate: validHeaderConverter},
	{Name: "transforms", Type: api.ConfigList, Importance: api.Low, Group: groupTransforms, DisplayName: "Transforms",
		Doc: "Aliases for the transformations to be applied to records."},
	{Name: "predicates", Type: api.ConfigList, Importance: api.Low, Group: groupPredicates, DisplayName: "Predicates",
		Doc: "Aliases for the predicates used by transformations."},
	{Name: "config.action.reload", Type: api.ConfigString, Default: "restart", Importance: api.Low, Group: groupCommon, DisplayName: "Reload Action",
		Doc: "What to do when external configuration providers change a value; accepted for compatibility.", Allowed: []string{"none", "restart"}},
	{Name: "errors.retry.timeout", Type: api.ConfigLong, Default: "0", Importance: api.Medium, Group: groupErrors, DisplayName: "Retry Timeout for Errors",
		Doc: "The maximum duration in milliseconds that a failed operation will be reattempted; accepted for compatibility."},
	{Name: "errors.retry.delay.max.ms", Type: api.ConfigLong, Default: "60000", Importance: api.Medium, Group: groupErrors, DisplayName: "Maximum Delay Between Retries for Errors",
		Doc: "The maximum duration in milliseconds between consecutive retry attempts; accepted for compatibility."},
	{Name: "errors.tolerance", Type: api.ConfigString, Default: "none", Importance: api.Medium, Group: groupErrors, DisplayName: "Error Tolerance",
		Doc: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records (transform and conversion errors; a record Kafka refuses still fails the task).", Allowed: []string{"none", "all"}},
	{Name: "errors.log.enable", Type: api.ConfigBoolean, Default: "false", Importance: api.Medium, Group: groupErrors, DisplayName: "Log Errors",
		Doc: "If true, write each error and the details of the failed operation and problematic record to the worker log (with errors.tolerance=all)."},
	{Name: "errors.log.include.messages", Type: api.ConfigBoolean, Default: "false", Importance: api.Medium, Group: groupErrors, DisplayName: "Log Error Details",
		Doc: "Whether to include in the log the key and value of the record that failed."},
	{Name: "topic.creation.groups", Type: api.ConfigList, Importance: api.Low, Group: "Topic Creation", DisplayName: "Topic Creation Groups",
		Doc: "Groups of topic.creation.<group>.* settings for the topics the connector writes to (KIP-158); topic.creation.default.* applies to the others."},
	// Kafka Connect settings connectd does not implement: refused, never ignored.
	{Name: "connector.plugin.version", Type: api.ConfigString, Importance: api.Low, Group: groupCommon, Unsupported: true,
		Doc: "Version of the connector plugin to use (KIP-891); connectd ships one version of each plugin."},
	{Name: "key.converter.plugin.version", Type: api.ConfigString, Importance: api.Low, Group: groupCommon, Unsupported: true,
		Doc: "Version of the key converter plugin (KIP-891); connectd ships one version of each converter."},
	{Name: "value.converter.plugin.version", Type: api.ConfigString, Importance: api.Low, Group: groupCommon, Unsupported: true,
		Doc: "Version of the value converter plugin (KIP-891); connectd ships one version of each converter."},
	{Name: "header.converter.plugin.version", Type: api.ConfigString, Importance: api.Low, Group: groupCommon, Unsupported: true,
		Doc: "Version of the header converter plugin (KIP-891); connectd ships one version of each converter."},
	{Name: "exactly.once.support", Type: api.ConfigString, Default: "requested", Importance: api.Medium, Group: "Exactly Once Support", Allowed: []string{"requested", "required"},
		Doc: "Whether the connector must support exactly-once delivery (KIP-618): 'required' refuses the connector unless the worker has exactly.once.source.support=enabled and the connector declares support; 'requested' runs it either way."},
	{Name: "transaction.boundary", Type: api.ConfigString, Default: "poll", Importance: api.Medium, Group: "Exactly Once Support", Allowed: []string{"poll", "interval", "connector"},
		Doc: "Where a task's transactions end under exactly-once support (KIP-618): 'poll' (every batch the task returns), 'interval' (every transaction.boundary.interval.ms) or 'connector' (refused: no connectd connector defines boundaries yet)."},
	{Name: "transaction.boundary.interval.ms", Type: api.ConfigLong, Importance: api.Low, Group: "Exactly Once Support",
		Doc: "With transaction.boundary=interval, how often a task commits its transaction; default: the worker's offset.flush.interval.ms."},
	{Name: "offsets.storage.topic", Type: api.ConfigString, Importance: api.Low, Group: "offsets.topic", Unsupported: true,
		Doc: "A connector-specific offsets topic (KIP-618); connectd keeps every connector's offsets in the worker's offset store."},
}

func validateName(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("String may not be empty")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("String may not contain control sequences")
		}
	}
	return nil
}

func atLeastOne(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err == nil && n < 1 {
		return fmt.Errorf("Value must be at least 1")
	}
	return nil
}

func validConverter(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if !converter.Known(v) {
		return fmt.Errorf("Class %s could not be found; connectd provides %s", v, strings.Join(converter.Classes(), ", "))
	}
	return nil
}

func validHeaderConverter(v string) error {
	switch strings.TrimSpace(v) {
	case "", "org.apache.kafka.connect.storage.SimpleHeaderConverter", "SimpleHeaderConverter":
		return nil
	}
	return fmt.Errorf("Class %s is not supported; connectd writes headers as org.apache.kafka.connect.storage.SimpleHeaderConverter", v)
}

// Validate checks a connector configuration against the common settings and its plugin's spec
// and returns Kafka Connect's validation result, with secret values hidden. It fails (400) only
// when the configuration names no plugin or an unknown one, as Kafka Connect does.
func Validate(reg *plugins.Registry, config map[string]string) (herder.ConfigInfos, error) {
	class, ok := config["connector.class"]
	if !ok || strings.TrimSpace(class) == "" {
		return herder.ConfigInfos{}, herder.BadRequest("Connector config %s contains no connector type", javaMap(reg.Mask(config)))
	}
	p, ok := reg.Lookup(class)
	if !ok {
		return herder.ConfigInfos{}, herder.BadRequest("Failed to find any class that implements Connector and which name matches %s, available connectors are: %s", class, pluginList(reg))
	}
	// The plugin's definition of a key wins over the common one, as in Kafka Connect.
	spec := make(api.ConfigSpec, 0, len(CommonSpec)+len(p.Spec))
	for _, k := range CommonSpec {
		if p.Spec.Key(k.Name) == nil {
			spec = append(spec, k)
		}
	}
	spec = append(spec, p.Spec...)
	// A plugin's validators are connector code; their panic must not end a distributed herder's
	// loop, which validates too.
	var values []api.ConfigValue
	var errCount int
	if err := safely(func() error { values, errCount = spec.Validate(config); return nil }); err != nil {
		return herder.ConfigInfos{}, fmt.Errorf("could not validate the configuration with %s's validators: %w", p.Class, err)
	}
	out := herder.ConfigInfos{Name: p.Class, ErrorCount: errCount, Groups: []string{}, Configs: make([]herder.ConfigInfo, 0, len(spec))}
	seenGroup := map[string]int{}
	for _, g := range []string{groupCommon, groupTransforms, groupPredicates, groupErrors} {
		seenGroup[g] = 0
		out.Groups = append(out.Groups, g)
	}
	for _, extra := range extraChecks(config) {
		out.Configs = append(out.Configs, extra)
		out.ErrorCount += len(extra.Value.Errors)
	}
	out.Configs = append(out.Configs, unknownKeys(spec, config, p.Class)...)
	for i, v := range values {
		k := &spec[i]
		g := k.Group
		if _, ok := seenGroup[g]; !ok && g != "" {
			out.Groups = append(out.Groups, g)
		}
		seenGroup[g]++
		out.Configs = append(out.Configs, herder.ConfigInfo{Definition: keyInfo(k, seenGroup[g]), Value: valueInfo(k, v)})
	}
	return out, nil
}

// validateResolved validates config with its ${...} references resolved by providers, as Kafka
// Connect does, but answers with the raw references: resolved values are secrets and are never
// returned, and any that a validator quoted in an error is hidden.
func validateResolved(reg *plugins.Registry, providers *workerconfig.Providers, config map[string]string) (herder.ConfigInfos, error) {
	resolved, rerr := providers.Transform(config)
	if rerr != nil {
		resolved = config
	}
	infos, err := Validate(reg, resolved)
	if err != nil {
		// The error quotes the configuration: answer with the raw one's.
		return Validate(reg, config)
	}
	if rerr == nil && maps.Equal(resolved, config) {
		return infos, nil
	}
	secrets := secretValues(config, resolved)
	for _, ci := range infos.Configs {
		v := ci.Value
		if v == nil {
			continue
		}
		if raw, ok := config[v.Name]; ok && v.Value != nil && workerconfig.HasVariables(raw) {
			r := raw
			v.Value = &r
		}
		for i, e := range v.Errors {
			v.Errors[i] = scrub(e, secrets)
		}
	}
	if rerr != nil {
		infos.ErrorCount++
		infos.Configs = append(infos.Configs, herder.ConfigInfo{Value: &herder.ConfigValueInfo{Name: "config.providers",
			RecommendedValues: []string{}, Errors: []string{rerr.Error()}, Visible: true}})
	}
	return infos, nil
}

// PluginConfig returns the definitions of a plugin's own settings (GET
// /connector-plugins/{p}/config).
func PluginConfig(reg *plugins.Registry, name string) ([]herder.ConfigKeyInfo, error) {
	p, ok := reg.Lookup(name)
	if !ok {
		return nil, herder.NotFound("Unknown plugin %s.", name)
	}
	order := map[string]int{}
	out := make([]herder.ConfigKeyInfo, 0, len(p.Spec))
	for i := range p.Spec {
		k := &p.Spec[i]
		order[k.Group]++
		out = append(out, *keyInfo(k, order[k.Group]))
	}
	return out, nil
}

func keyInfo(k *api.ConfigKey, order int) *herder.ConfigKeyInfo {
	ki := &herder.ConfigKeyInfo{
		Name: k.Name, Type: string(k.Type), Required: k.Required, Importance: string(k.Importance),
		Documentation: k.Doc, Order: order, Width: "NONE", DisplayName: k.DisplayName, Dependents: []string{},
	}
	if ki.DisplayName == "" {
		ki.DisplayName = k.Name
	}
	if ki.Importance == "" {
		ki.Importance = string(api.Low)
	}
	if !k.Required && k.Default != "" {
		d := k.Default
		if k.IsSecret() {
			d = plugins.Hidden
		}
		ki.DefaultValue = &d
	}
	if k.Group != "" {
		g := k.Group
		ki.Group = &g
	}
	return ki
}

func valueInfo(k *api.ConfigKey, v api.ConfigValue) *herder.ConfigValueInfo {
	vi := &herder.ConfigValueInfo{Name: v.Name, RecommendedValues: v.RecommendedValues, Errors: v.Errors, Visible: v.Visible}
	if vi.RecommendedValues == nil {
		vi.RecommendedValues = []string{}
	}
	if vi.Errors == nil {
		vi.Errors = []string{}
	}
	if v.HasValue || v.Value != "" {
		s := v.Value
		if s != "" && plugins.IsSecret(api.ConfigSpec{*k}, k.Name) {
			s = plugins.Hidden
		}
		vi.Value = &s
	}
	return vi
}

// invalidConfig is Kafka Connect's 400 answer to creating or updating a connector with an invalid
// configuration.
func invalidConfig(infos herder.ConfigInfos) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):", infos.ErrorCount)
	for _, c := range infos.Configs {
		if c.Value == nil {
			continue
		}
		for _, e := range c.Value.Errors {
			b.WriteString("\n")
			b.WriteString(e)
		}
	}
	b.WriteString("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	return herder.BadRequest("%s", b.String())
}

// javaMap prints a map as Java's AbstractMap.toString, keys sorted for stable messages.
func javaMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
	}
	b.WriteByte('}')
	return b.String()
}

func pluginList(reg *plugins.Registry) string {
	var names []string
	for _, p := range reg.List() {
		names = append(names, p.Class)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// extraChecks validates the settings no spec lists because their names vary: producer overrides,
// admin overrides and KIP-158 topic creation groups. Each problem is reported as Kafka Connect
// reports a value without a definition.
func extraChecks(config map[string]string) []herder.ConfigInfo {
	var out []herder.ConfigInfo
	add := func(key, msg string) {
		vi := &herder.ConfigValueInfo{Name: key, RecommendedValues: []string{}, Errors: []string{msg}, Visible: true}
		if v, ok := config[key]; ok {
			if plugins.IsSecret(nil, key) && v != "" {
				v = plugins.Hidden
			}
			vi.Value = &v
		}
		out = append(out, herder.ConfigInfo{Value: vi})
	}
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, "producer.override."); ok && !slices.Contains(ProducerSettings, rest) {
			add(k, fmt.Sprintf("%s is not supported by connectd yet; the producer settings it honours are %s", k, strings.Join(ProducerSettings, ", ")))
		}
		if strings.HasPrefix(k, "admin.override.") {
			add(k, fmt.Sprintf("%s is not supported by connectd yet: topics are created with the worker's admin settings", k))
		}
	}
	_, probs := parseTopicCreation(config)
	for _, p := range probs {
		add(p.key, p.msg)
	}
	// Building the chain checks every transform and predicate setting as starting a task would.
	_, tprobs := transforms.New(config)
	for _, p := range tprobs {
		add(p.Key, p.Msg)
	}
	return out
}

// runtimePrefixes are the key families the runtime reads whatever the connector: transform and
// predicate settings, client overrides, topic creation groups, converter settings.
var runtimePrefixes = []string{"transforms.", "predicates.", "producer.override.", "consumer.override.", "admin.override.",
	"topic.creation.", "key.converter.", "value.converter.", "header.converter."}

// unknownKeys warns about the keys of config that neither the runtime nor the connector's spec
// knows — which, as the connector specs declare every Debezium property (tests/speccheck), are
// keys Debezium does not know either: most likely typos. A warning is not an error (Kafka
// Connect passes unknown keys on): it is logged, and the validation result lists the key with
// the nearest known key as its recommended value and no error.
func unknownKeys(spec api.ConfigSpec, config map[string]string, class string) []herder.ConfigInfo {
	var out []herder.ConfigInfo
	for _, k := range slices.Sorted(maps.Keys(config)) {
		if spec.Known(k) || slices.ContainsFunc(runtimePrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		vi := &herder.ConfigValueInfo{Name: k, RecommendedValues: []string{}, Errors: []string{}, Visible: true}
		msg := fmt.Sprintf("%s is not a property of %s known to connectd or Debezium; it is ignored", k, class)
		if near, d := spec.Nearest(k); near != "" && d <= max(2, len(k)/3) {
			vi.RecommendedValues = []string{near}
			msg += fmt.Sprintf("; did you mean %s?", near)
		}
		slog.Warn(msg, "connector", config["name"], "key", k)
		out = append(out, herder.ConfigInfo{Value: vi})
	}
	return out
}

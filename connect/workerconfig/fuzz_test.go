package workerconfig

import (
	"maps"
	"strings"
	"testing"
)

// FuzzParseProperties feeds arbitrary text to the properties parser and the worker validation
// behind it: a worker.properties or connector .properties file is user input, so a bad one must be
// an error naming the line, never a panic. Whatever parses must survive being written back out
// with every special character escaped and parsed again unchanged.
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"bootstrap.servers=localhost:9092\ngroup.id=connect\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n",
		"# comment\n! also\n  key : value  \nother value with spaces\nempty\n",
		"long = one \\\n    two \\\n three\n",
		"k\\=ey=v\\u00e9\\n\\t\\\\\n",
		"config.providers=env\nconfig.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\nx=${env:HOME}\n",
		"bad=\\u12\n",
		"offset.flush.interval.ms=notanumber\nrest.port=99999999999\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		props, err := ParseProperties(strings.NewReader(text))
		if err != nil {
			return
		}
		again, err := ParseProperties(strings.NewReader(writeProperties(props)))
		if err != nil {
			t.Fatalf("written properties do not parse: %v\ninput: %q", err, text)
		}
		if !maps.Equal(props, again) {
			t.Fatalf("properties do not round trip\ninput: %q\nfirst:  %q\nsecond: %q", text, props, again)
		}
		// Providers may read files or the environment: keep the validation hermetic.
		for k := range props {
			if strings.HasPrefix(k, "config.providers") {
				delete(props, k)
			}
		}
		for _, mode := range []Mode{Standalone, Distributed} {
			_, _, _ = Parse(props, mode)
		}
	})
}

// writeProperties writes props in the properties format, escaping everything the parser treats
// specially.
func writeProperties(props map[string]string) string {
	var b strings.Builder
	for k, v := range props {
		escapeProperty(&b, k)
		b.WriteByte('=')
		escapeProperty(&b, v)
		b.WriteByte('\n')
	}
	return b.String()
}

func escapeProperty(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case '\\', '=', ':', ' ', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

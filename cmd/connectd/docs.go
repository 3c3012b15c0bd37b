package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// propertiesDir is where `connectd docs properties` writes, under -out.
const propertiesDir = "properties"

// commonFile is the page of the settings every connector has.
const commonFile = "common.md"

// docsCommand runs `connectd docs properties [-out dir]`.
func docsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "properties" {
		fmt.Fprintln(stderr, "usage: connectd docs properties [-out docs/]")
		return 2
	}
	fs := flag.NewFlagSet("connectd docs properties", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "docs", "the directory the property reference is written under (in "+propertiesDir+"/)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	files, err := propertyDocs()
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	dir := filepath.Join(*out, propertiesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "error: could not create %s: %v\n", dir, err)
		return 1
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			fmt.Fprintf(stderr, "error: could not write %s: %v\n", p, err)
			return 1
		}
		fmt.Fprintln(stdout, p)
	}
	return 0
}

// propertyDocs renders the property reference: one page per built-in connector class, from the
// spec its plugin validates with, and one for the settings every connector has. The pages hold
// nothing that depends on the build (no version), so a stale page is a spec change.
func propertyDocs() (map[string][]byte, error) {
	files := map[string][]byte{
		commonFile: renderSpec("Common connector properties",
			"The settings every connector has, whatever its class (Kafka Connect's `ConnectorConfig`). "+
				"They are validated before the connector's own.", runtime.CommonSpec),
	}
	var index bytes.Buffer
	index.WriteString(generatedNote)
	index.WriteString("# Connector property reference\n\n")
	index.WriteString("- [Common connector properties](" + commonFile + ")\n")
	for _, p := range bundle.Plugins() {
		name := simpleClass(p.Class) + ".md"
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("two built-in plugins are both named %s; give them distinct class names", simpleClass(p.Class))
		}
		intro := "Class `" + p.Class + "`"
		if len(p.Aliases) > 0 {
			intro += " (also accepted: `" + strings.Join(p.Aliases, "`, `") + "`)"
		}
		intro += ". The [common connector properties](" + commonFile + ") apply as well."
		files[name] = renderSpec(simpleClass(p.Class)+" properties", intro, p.Spec)
		fmt.Fprintf(&index, "- [%s](%s): `%s`\n", simpleClass(p.Class), name, p.Class)
	}
	index.WriteString("- [Debezium properties connectd refuses or takes only at their default](" + refusedFile + ")\n")
	files[refusedFile] = renderRefused()
	files["README.md"] = index.Bytes()
	return files, nil
}

// refusedFile lists, per connector class, the properties validation refuses.
const refusedFile = "refused.md"

// renderRefused lists the keys each built-in plugin (and the common settings) refuses outright
// and those it accepts only at Debezium's default, from the specs themselves.
func renderRefused() []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	b.WriteString("# Debezium properties connectd refuses\n\n" +
		"Every property Debezium's connectors declare is in connectd's specs (`tests/speccheck` checks them against the " +
		"Debezium reference worker's lists). Those below are not implemented: validation (`PUT /connectors/{name}/config`, " +
		"`.../config/validate`) refuses a configuration that sets a *refused* one, and one that sets an *only at default* one " +
		"to anything but Debezium's default, whose behaviour connectd has.\n")
	section := func(title string, spec api.ConfigSpec) {
		var refused, atDefault []string
		for _, k := range spec {
			switch {
			case k.Unsupported:
				refused = append(refused, code(k.Name))
			case strings.HasPrefix(k.Doc, cdcconfig.AtDefaultDoc) || len(k.Allowed) == 1 && strings.EqualFold(k.Allowed[0], k.Default):
				atDefault = append(atDefault, code(k.Name)+" = "+code(k.Default))
			}
		}
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		if len(refused) > 0 {
			fmt.Fprintf(&b, "**Refused:** %s.\n\n", strings.Join(refused, ", "))
		}
		if len(atDefault) > 0 {
			fmt.Fprintf(&b, "**Only at default:** %s.\n", strings.Join(atDefault, ", "))
		}
	}
	section("Common connector properties", runtime.CommonSpec)
	seen := map[string]bool{}
	for _, p := range bundle.Plugins() {
		if seen[simpleClass(p.Class)] {
			continue
		}
		seen[simpleClass(p.Class)] = true
		section(simpleClass(p.Class)+" (`"+p.Class+"`)", p.Spec)
	}
	return b.Bytes()
}

const generatedNote = "<!-- Generated by `connectd docs properties -out docs/` from the connector specs; do not edit. -->\n\n"

func simpleClass(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// renderSpec writes one page: the keys by group, in the order the spec lists them.
func renderSpec(title, intro string, spec api.ConfigSpec) []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	fmt.Fprintf(&b, "# %s\n\n%s\n", title, intro)
	var groups []string
	byGroup := map[string][]*api.ConfigKey{}
	for i := range spec {
		k := &spec[i]
		g := k.Group
		if g == "" {
			g = "Other"
		}
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], k)
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n\n| Property | Type | Default | Importance | Description |\n|---|---|---|---|---|\n", g)
		for _, k := range byGroup[g] {
			def := "*required*"
			if !k.Required {
				def = code(k.Default)
				if k.Default == "" {
					def = ""
				}
			}
			doc := k.Doc
			if len(k.Allowed) > 0 {
				vals := make([]string, len(k.Allowed))
				for i, a := range k.Allowed {
					vals[i] = code(a)
				}
				doc += " One of: " + strings.Join(vals, ", ") + "."
			}
			if k.Unsupported {
				doc = "**Not supported by connectd yet**: validation refuses a value. " + doc
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(k.Name), k.Type, def, k.Importance, cell(doc))
		}
	}
	return b.Bytes()
}

// code writes s as Markdown code; an empty string stays visible as "".
func code(s string) string {
	if s == "" {
		return "`\"\"`"
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// cell keeps text inside one table cell.
func cell(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

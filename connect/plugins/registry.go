// Package plugins is the registry of the connector implementations a worker can run, looked up by
// the class names and aliases users put in `connector.class`, and the one place that knows which
// configuration values are secrets (so REST responses and logs never show them).
package plugins

import (
	"fmt"
	"sort"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Registry holds the plugins of one worker. It is filled once at start-up and read-only after, so
// it needs no lock.
type Registry struct {
	plugins []*api.Plugin
	byName  map[string]*api.Plugin
}

// New returns a registry of ps. Two plugins claiming the same class name or alias is a programming
// error of the binary's wiring and is reported as an error.
func New(ps ...api.Plugin) (*Registry, error) {
	r := &Registry{byName: make(map[string]*api.Plugin)}
	for i := range ps {
		if err := r.add(ps[i]); err != nil {
			return nil, err
		}
	}
	sort.Slice(r.plugins, func(i, j int) bool { return r.plugins[i].Class < r.plugins[j].Class })
	return r, nil
}

func (r *Registry) add(p api.Plugin) error {
	if p.Class == "" {
		return fmt.Errorf("a plugin has no class name; every plugin needs the class name users configure")
	}
	if p.New == nil {
		return fmt.Errorf("plugin %s has no constructor (New)", p.Class)
	}
	pp := &p
	// Kafka Connect accepts the full class name, the simple class name and the simple name
	// without its "Connector" suffix; so do we, plus the plugin's own aliases.
	names := append([]string{p.Class}, p.Aliases...)
	names = append(names, shortNames(p.Class)...)
	for _, n := range names {
		if n == "" {
			continue
		}
		if other, ok := r.byName[n]; ok && other != pp {
			if n == p.Class || contains(p.Aliases, n) {
				return fmt.Errorf("plugins %s and %s both claim the name %q", other.Class, p.Class, n)
			}
			// Derived short names may collide; the first registered keeps them and the full class
			// name still works for the other.
			continue
		}
		r.byName[n] = pp
	}
	r.plugins = append(r.plugins, pp)
	return nil
}

func shortNames(class string) []string {
	simple := class
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		simple = class[i+1:]
	}
	out := []string{simple}
	if s, ok := strings.CutSuffix(simple, "Connector"); ok && s != "" {
		out = append(out, s)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Lookup finds a plugin by class name, alias or short name.
func (r *Registry) Lookup(name string) (*api.Plugin, bool) {
	if r == nil {
		return nil, false
	}
	p, ok := r.byName[strings.TrimSpace(name)]
	return p, ok
}

// List returns the plugins sorted by class name.
func (r *Registry) List() []*api.Plugin {
	if r == nil {
		return nil
	}
	return r.plugins
}

package pgtypes

import "sync"

// Type is one row of pg_type, with what the mapping needs.
type Type struct {
	OID       uint32
	Name      string // typname: "int4", "_text", "mood"
	Namespace string // nspname: "pg_catalog", "public"
	// Kind is typtype: 'b' base, 'c' composite, 'd' domain, 'e' enum, 'p' pseudo, 'r' range,
	// 'm' multirange.
	Kind byte
	// Category is typcategory: 'A' marks an array type.
	Category byte
	// Elem is the element type of an array type (typelem), 0 otherwise.
	Elem uint32
	// Base and BaseTypmod are a domain's base type and type modifier (typbasetype, typtypmod).
	Base       uint32
	BaseTypmod int32
	// EnumLabels are an enum's labels in sort order.
	EnumLabels []string
}

// IsArray reports whether the type is an array type.
func (t *Type) IsArray() bool { return t.Category == 'A' && t.Elem != 0 }

// Registry holds the types of one database, keyed by OID. Built-in types need no entry: their
// OIDs are fixed. Extension types (hstore, citext, ltree), enums, domains and arrays of them are
// loaded from pg_type. A Registry is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	types map[uint32]*Type
	// byName finds extension types whose OIDs differ per database.
	byName map[string]*Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: make(map[uint32]*Type), byName: make(map[string]*Type)}
}

// Put adds or replaces types.
func (r *Registry) Put(types ...*Type) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range types {
		r.types[t.OID] = t
		if t.Namespace == "pg_catalog" || r.byName[t.Name] == nil {
			r.byName[t.Name] = t
		}
	}
}

// Get returns the type with oid, or nil.
func (r *Registry) Get(oid uint32) *Type {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.types[oid]
}

// Len returns the number of types held.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.types)
}

package envelope

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
)

// Schema parameters that describe a column's source type, as Debezium's
// PropagateSourceTypeToSchemaParameter writes them.
const (
	ParamSourceColumnType   = "__debezium.source.column.type"
	ParamSourceColumnLength = "__debezium.source.column.length"
	ParamSourceColumnScale  = "__debezium.source.column.scale"
	ParamSourceColumnName   = "__debezium.source.column.name"
)

// SourceTypes is column.propagate.source.type and datatype.propagate.source.type: the value
// fields whose schema carries the column's source type, length, scale and name as parameters.
type SourceTypes struct {
	columns, types []*regexp.Regexp
}

// ParseSourceTypes reads the two properties: comma-separated regular expressions matched,
// case-insensitively, against the whole fully-qualified column name ('db.table.column',
// PostgreSQL 'schema.table.column') or type name ('db.table.TYPE'). Both empty gives nil.
func ParseSourceTypes(columns, datatypes string) (*SourceTypes, error) {
	parse := func(prop, v string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			re, err := regexp.Compile("(?i)^(?:" + p + ")$")
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a valid regular expression: %w", prop, p, err)
			}
			out = append(out, re)
		}
		return out, nil
	}
	c, err := parse("column.propagate.source.type", columns)
	if err != nil {
		return nil, err
	}
	ty, err := parse("datatype.propagate.source.type", datatypes)
	if err != nil {
		return nil, err
	}
	if len(c) == 0 && len(ty) == 0 {
		return nil, nil
	}
	return &SourceTypes{columns: c, types: ty}, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// params returns the parameters column c of table id gets, nil when no rule matches: type,
// length (when known), scale (when known) and name, in Debezium's order.
func (s *SourceTypes) params(id relational.TableID, c *relational.Column) []api.Param {
	if s == nil {
		return nil
	}
	var prefix strings.Builder
	for _, p := range []string{id.Catalog, id.Schema, id.Table} {
		if p != "" {
			prefix.WriteString(p)
			prefix.WriteByte('.')
		}
	}
	if !anyMatch(s.columns, prefix.String()+c.Name) && !anyMatch(s.types, prefix.String()+c.TypeName) {
		return nil
	}
	// Debezium upper-cases the type name (PostgreSQL's typnames are lower case).
	ps := []api.Param{{Key: ParamSourceColumnType, Value: strings.ToUpper(c.TypeName)}}
	if c.Length.Valid && c.Length.V >= 0 {
		ps = append(ps, api.Param{Key: ParamSourceColumnLength, Value: strconv.Itoa(c.Length.V)})
	}
	if c.Scale.Valid && c.Scale.V >= 0 {
		ps = append(ps, api.Param{Key: ParamSourceColumnScale, Value: strconv.Itoa(c.Scale.V)})
	}
	return append(ps, api.Param{Key: ParamSourceColumnName, Value: c.Name})
}

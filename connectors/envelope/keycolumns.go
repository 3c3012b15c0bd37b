package envelope

import (
	"fmt"
	"regexp"
	"strings"
)

// KeyColumns is message.key.columns: per table, the columns that form the message key instead of
// the primary key (tables without one, or keys of the user's choosing), as Debezium's KeyMapper.
type KeyColumns struct {
	rules []keyRule
}

type keyRule struct {
	table *regexp.Regexp
	cols  []string
}

// ParseKeyColumns reads message.key.columns: ';'-separated entries
// "<fully-qualified table>:<column>,<column>", the table a regular expression matched against
// the whole of 'db.table' (MySQL/MariaDB) or 'schema.table' (PostgreSQL), case-insensitively.
// An empty value gives nil (no custom keys).
func ParseKeyColumns(v string) (*KeyColumns, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	k := &KeyColumns{}
	for _, entry := range strings.Split(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		i := strings.LastIndexByte(entry, ':')
		if i <= 0 || i == len(entry)-1 {
			return nil, fmt.Errorf("message.key.columns entry %q is not '<fully-qualified table>:<column>[,<column>...]'", entry)
		}
		re, err := regexp.Compile("(?i)^(?:" + strings.TrimSpace(entry[:i]) + ")$")
		if err != nil {
			return nil, fmt.Errorf("message.key.columns entry %q: the table is not a valid regular expression: %w", entry, err)
		}
		var cols []string
		for _, c := range strings.Split(entry[i+1:], ",") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			return nil, fmt.Errorf("message.key.columns entry %q names no column", entry)
		}
		k.rules = append(k.rules, keyRule{table: re, cols: cols})
	}
	if len(k.rules) == 0 {
		return nil, nil
	}
	return k, nil
}

// For returns the key columns of the table whose fully-qualified name is fq, or nil when no entry
// matches (the primary key applies). The first matching entry wins.
func (k *KeyColumns) For(fq string) []string {
	if k == nil {
		return nil
	}
	for _, r := range k.rules {
		if r.table.MatchString(fq) {
			return r.cols
		}
	}
	return nil
}

package diff

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Check is what an allowed-difference rule demands of the values at its paths instead of equality.
type Check string

// The checks a rule can name.
const (
	// CheckIgnore accepts any value on either side, or none.
	CheckIgnore Check = "ignore"
	// CheckType demands the same JSON type on both sides (a timestamp is a number on both).
	CheckType Check = "type"
	// CheckPattern demands that both values be null, or both match Pattern (their literal text
	// for numbers): the format is checked where the value legitimately differs.
	CheckPattern Check = "pattern"
	// CheckAnyOrder lets the members of the objects at the paths come in any order.
	CheckAnyOrder Check = "any-order"
	// CheckNames rewrites, before comparing, every string that is the side's topic prefix, its
	// connector name or its schema history topic (or starts with the prefix and a dot) into a
	// placeholder, so dbz_pg.compat.orders.Envelope equals connectd_pg.compat.orders.Envelope.
	CheckNames Check = "names"
	// CheckLastPerKey compares, per topic, only the last record of each key: for the offsets
	// topic, where how often an offset is flushed depends on timing.
	CheckLastPerKey Check = "last-per-key"
	// CheckDropEmptyTx leaves out, on both sides, the BEGIN and END records of transactions
	// whose END counts no event: Debezium's MySQL connector announces every transaction of the
	// server, also those that only touched tables outside its include lists, so what other
	// clients of a shared server did shows up as such pairs.
	CheckDropEmptyTx Check = "drop-empty-transactions"
	// CheckPairs accepts, at its paths, exactly the listed (ours, theirs) value pairs, each a
	// JSON value (null for a JSON null, the string "(absent)" for a missing member); any other
	// pair falls through to the later rules and to equality. It records a decision about single
	// values (Debezium's wrong value for one edge case) without loosening the rest of the column.
	CheckPairs Check = "pairs"
	// CheckProcessingTime demands, on each side separately, a number within the record's own
	// run: not after the record's Kafka timestamp (its append time, in the unit the path's
	// _ms/_us/_ns suffix names) and, for a time outside value.source, not before the record's
	// value.source time of the same unit (the commit time). For processing times, which no two
	// runtimes can share, while a wrong unit or a commit time in their place is still found.
	CheckProcessingTime Check = "processing-time"
	// CheckBeforeStream demands, on each side separately, a position (source.file, pos, lsn,
	// txId, sequence) not after the first position that side streamed: each connector's
	// snapshot takes its own consistent view of the database, so the two snapshots' positions
	// differ, but each must be where that connector's streaming then began.
	CheckBeforeStream Check = "before-stream"
)

// Record kinds a rule can be limited to (Rule.Records).
const (
	// SnapshotRecords are change events read by a snapshot (source.snapshot other than "false").
	SnapshotRecords = "snapshot"
	// StreamingRecords are change events read from the log (source.snapshot "false").
	StreamingRecords = "streaming"
	// TransactionBegin are the BEGIN records of the transaction topic.
	TransactionBegin = "transaction-begin"
)

// Rule is one allowed difference. Every rule carries the reason it is allowed.
type Rule struct {
	// ID names the rule in reports.
	ID string `json:"id"`
	// Topics limits the rule to logical topic names matching these path.Match globs
	// ("${prefix}.transaction", "(offsets)", "${prefix}.*"); empty means every topic.
	Topics []string `json:"topics,omitempty"`
	// Paths are the JSON paths the rule covers; see MatchPath for the syntax.
	Paths []string `json:"paths,omitempty"`
	// Check is what is demanded instead of equality.
	Check Check `json:"check"`
	// Pattern is the regular expression of CheckPattern.
	Pattern string `json:"pattern,omitempty"`
	// References limits the rule to comparisons with a reference dump (THEIRS) whose manifest
	// names a producer containing one of these strings ("MariaDbConnector"), for a difference
	// of one connector that must not loosen the comparison of the others; empty means every
	// comparison.
	References []string `json:"references,omitempty"`
	// Records limits the rule to records of one kind on both sides: change events (and schema
	// history records) of a "snapshot" or "streaming", or the "transaction-begin" records of
	// the transaction topic; empty means every record.
	Records string `json:"records,omitempty"`
	// Pairs are the (ours, theirs) values CheckPairs accepts.
	Pairs [][2]json.RawMessage `json:"pairs,omitempty"`
	// Reason says why the difference is legitimate.
	Reason string `json:"reason"`

	re    *regexp.Regexp
	paths [][]string
	// pairs holds Pairs as the compact renderings of both sides, "ours\x00theirs".
	pairs map[string]bool
}

// Rules is the parsed allowed-differences file.
type Rules struct {
	// Rules are tried in order; the first whose topic and path match decides.
	Rules []*Rule `json:"rules"`
}

// LoadRules reads and checks allowed-differences files (tests/compat/allowed-differences.json,
// tests/compat/shared-server.json), their rules in the order given.
func LoadRules(files ...string) (*Rules, error) {
	all := &Rules{}
	for _, f := range files {
		r, err := loadRules(f)
		if err != nil {
			return nil, err
		}
		all.Rules = append(all.Rules, r.Rules...)
	}
	return all, nil
}

func loadRules(file string) (*Rules, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("could not read the allowed differences: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return r, nil
}

// ParseRules parses the JSON of an allowed-differences file and checks every rule: a known check,
// a reason, paths where the check needs them, a pattern that compiles.
func ParseRules(b []byte) (*Rules, error) {
	var rs Rules
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("not a valid allowed-differences file: %w", err)
	}
	for i, r := range rs.Rules {
		name := r.ID
		if name == "" {
			name = "#" + strconv.Itoa(i+1)
			r.ID = name
		}
		if strings.TrimSpace(r.Reason) == "" {
			return nil, fmt.Errorf("rule %s has no reason; every allowed difference must say why it is allowed", name)
		}
		for _, g := range r.Topics {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("rule %s: bad topic glob %q: %w", name, g, err)
			}
		}
		switch r.Records {
		case "", SnapshotRecords, StreamingRecords, TransactionBegin:
		default:
			return nil, fmt.Errorf("rule %s: unknown records %q (want snapshot, streaming or transaction-begin)", name, r.Records)
		}
		switch r.Check {
		case CheckIgnore, CheckType, CheckAnyOrder, CheckProcessingTime, CheckBeforeStream:
			if len(r.Paths) == 0 {
				return nil, fmt.Errorf("rule %s: check %q needs paths", name, r.Check)
			}
		case CheckPattern:
			if len(r.Paths) == 0 || r.Pattern == "" {
				return nil, fmt.Errorf("rule %s: check %q needs paths and a pattern", name, r.Check)
			}
			re, err := regexp.Compile(r.Pattern)
			if err != nil {
				return nil, fmt.Errorf("rule %s: bad pattern: %w", name, err)
			}
			r.re = re
		case CheckPairs:
			if len(r.Paths) == 0 || len(r.Pairs) == 0 {
				return nil, fmt.Errorf("rule %s: check %q needs paths and pairs", name, r.Check)
			}
			r.pairs = make(map[string]bool, len(r.Pairs))
			for _, pr := range r.Pairs {
				var side [2]string
				for i, raw := range pr {
					n, err := ParseJSON(raw)
					if err != nil {
						return nil, fmt.Errorf("rule %s: bad pair value %s: %w", name, raw, err)
					}
					side[i] = n.Compact()
					if n.Kind == String && n.Text == "(absent)" {
						side[i] = (*Node)(nil).Compact()
					}
				}
				r.pairs[side[0]+"\x00"+side[1]] = true
			}
		case CheckNames, CheckLastPerKey, CheckDropEmptyTx:
			if len(r.Paths) > 0 {
				return nil, fmt.Errorf("rule %s: check %q applies to whole topics and takes no paths", name, r.Check)
			}
		default:
			return nil, fmt.Errorf("rule %s: unknown check %q (want ignore, type, pattern, pairs, processing-time, before-stream, any-order, names, last-per-key or drop-empty-transactions)", name, r.Check)
		}
		for _, p := range r.Paths {
			r.paths = append(r.paths, splitPath(p))
		}
	}
	return &rs, nil
}

// Add checks r and appends it to the rules (after those already there, so earlier rules win).
func (rs *Rules) Add(r Rule) error {
	b, err := json.Marshal(Rules{Rules: []*Rule{&r}})
	if err != nil {
		return fmt.Errorf("could not encode rule %s: %w", r.ID, err)
	}
	parsed, err := ParseRules(b)
	if err != nil {
		return err
	}
	rs.Rules = append(rs.Rules, parsed.Rules...)
	return nil
}

// ForReference returns the rules that apply to a comparison with a reference written by
// producer (its manifest's producer): those without References and those naming part of it.
func (rs *Rules) ForReference(producer string) *Rules {
	if rs == nil {
		return nil
	}
	out := &Rules{Rules: make([]*Rule, 0, len(rs.Rules))}
	for _, r := range rs.Rules {
		ok := len(r.References) == 0
		for _, ref := range r.References {
			if ref != "" && strings.Contains(producer, ref) {
				ok = true
			}
		}
		if ok {
			out.Rules = append(out.Rules, r)
		}
	}
	return out
}

// appliesTo reports whether the rule covers logical topic t.
func (r *Rule) appliesTo(t string) bool {
	if len(r.Topics) == 0 {
		return true
	}
	for _, g := range r.Topics {
		if ok, _ := path.Match(g, t); ok {
			return true
		}
	}
	return false
}

// topicRule returns the first rule with check c that covers topic t.
func (rs *Rules) topicRule(t string, c Check) *Rule {
	if rs == nil {
		return nil
	}
	for _, r := range rs.Rules {
		if r.Check == c && r.appliesTo(t) {
			return r
		}
	}
	return nil
}

// pairAllowed returns the first pairs rule covering logical path p in topic t that lists the
// pair (o, th).
func (rs *Rules) pairAllowed(t string, p []string, o, th *Node) *Rule {
	if rs == nil {
		return nil
	}
	var key string
	for _, r := range rs.Rules {
		if r.Check != CheckPairs || !r.appliesTo(t) {
			continue
		}
		for _, pat := range r.paths {
			if !matchSegments(pat, p) {
				continue
			}
			if key == "" {
				key = o.Compact() + "\x00" + th.Compact()
			}
			if r.pairs[key] {
				return r
			}
		}
	}
	return nil
}

// valueRule returns the first value rule (ignore, type, pattern, processing-time, before-stream)
// covering logical path p in topic t for records of kind (SnapshotRecords, StreamingRecords, or
// "" for records that are no change event or whose sides differ in kind).
func (rs *Rules) valueRule(t string, p []string, kind string) *Rule {
	if rs == nil {
		return nil
	}
	for _, r := range rs.Rules {
		switch r.Check {
		case CheckIgnore, CheckType, CheckPattern, CheckProcessingTime, CheckBeforeStream:
		default:
			continue
		}
		if !r.appliesTo(t) || (r.Records != "" && r.Records != kind) {
			continue
		}
		for _, pat := range r.paths {
			if matchSegments(pat, p) {
				return r
			}
		}
	}
	return nil
}

// orderRule returns the any-order rule covering the object at logical path p in topic t.
func (rs *Rules) orderRule(t string, p []string) *Rule {
	if rs == nil {
		return nil
	}
	for _, r := range rs.Rules {
		if r.Check != CheckAnyOrder || !r.appliesTo(t) {
			continue
		}
		for _, pat := range r.paths {
			if matchSegments(pat, p) {
				return r
			}
		}
	}
	return nil
}

// splitPath splits a path or pattern into segments: `value.tableChanges[*].id` is
// [value tableChanges [*] id], and `headers["__debezium.context.runId"]` is
// [headers __debezium.context.runId] (a quoted name may hold dots and brackets).
func splitPath(p string) []string {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			if strings.HasPrefix(p[i:], `["`) {
				if j := strings.Index(p[i+2:], `"]`); j >= 0 {
					segs = append(segs, p[i+2:i+2+j])
					i += 2 + j + 1
					continue
				}
			}
			if j := strings.IndexByte(p[i:], ']'); j >= 0 {
				segs = append(segs, p[i:i+j+1])
				i += j
				continue
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return segs
}

// memberSegment renders an object member name as a path segment: plain when it is a simple
// name, quoted in brackets when it holds dots, brackets or quotes.
func memberSegment(name string) string {
	if name != "" && !strings.ContainsAny(name, `.[]"`) {
		return "." + name
	}
	return `["` + name + `"]`
}

// MatchPath reports whether the logical path p matches pattern. Paths start at "key", "value"
// or "headers"; object members are joined with dots (or written ["name"] when the name holds
// dots, as header names do) and array elements are [n]. Headers are seen as an object of
// header name to value: headers["__debezium.context.runId"]. The
// {"schema","payload"} envelope of JsonConverter with schemas.enable=true is transparent:
// "value.source.ts_ms" names the payload's field with or without schemas, and the schema half
// is "$schema" ("value.$schema.fields[*].name"). In a pattern, "*" matches one segment (a
// member or an element), "[*]" one element, "**" any number of segments, none included, and
// any other segment is a path.Match glob on the member name ("transaction_data_collection_order_*").
func MatchPath(pattern, p string) bool {
	return matchSegments(splitPath(pattern), splitPath(p))
}

func matchSegments(pat, p []string) bool {
	if len(pat) == 0 {
		return len(p) == 0
	}
	switch pat[0] {
	case "**":
		for i := 0; i <= len(p); i++ {
			if matchSegments(pat[1:], p[i:]) {
				return true
			}
		}
		return false
	}
	if len(p) == 0 {
		return false
	}
	switch {
	case pat[0] == "*":
	case pat[0] == "[*]":
		if !strings.HasPrefix(p[0], "[") {
			return false
		}
	case pat[0] == p[0]:
	default:
		if ok, _ := path.Match(pat[0], p[0]); !ok {
			return false
		}
	}
	return matchSegments(pat[1:], p[1:])
}

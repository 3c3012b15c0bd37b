// Package diff compares what two Kafka Connect source connectors wrote: ours (connectd) against
// Debezium's, recorded as dumps (see Dump) or read live from Kafka. Topics pair by name after
// the topic prefix is replaced; records pair in order per topic, or by key where a topic has
// several partitions (the order across partitions is not defined) or where a rule says only the
// last record per key counts (offsets). Keys, values and headers are compared as JSON trees that
// keep member order and number literals, so a difference in field order or in 1 vs 1.0 is
// found. Differences that are legitimate (timestamps, binlog positions, the prefix itself) are
// listed, each with its reason, in one rules file: tests/compat/allowed-differences.json.
package diff

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Difference is one place where ours and theirs disagree beyond the allowed differences.
type Difference struct {
	// Topic is the logical topic name (prefix replaced by ${prefix}).
	Topic string
	// Index is the record's position in the topic on theirs side (on ours when theirs has no
	// such record); -1 for topic-level differences.
	Index int
	// Where gives both records' partition@offset, for finding them in the dumps.
	Where string
	// Path is the JSON path on theirs side, e.g. value.payload.after.amount.
	Path string
	// Problem says what is wrong: "differs", "missing in ours", "only in ours", ...
	Problem string
	// Ours and Theirs are the values as compact JSON ("(absent)" when there is none).
	Ours, Theirs string
}

// Report is the outcome of Compare.
type Report struct {
	// Differences lists every difference found, topic by topic, in record order.
	Differences []Difference
	// Allowed counts, per rule id, the values that differed but were allowed.
	Allowed map[string]int
	// Topics and Records count what was compared (theirs side).
	Topics, Records int
	// OursPrefix and TheirsPrefix are the two sides' topic prefixes.
	OursPrefix, TheirsPrefix string
}

// Compare compares ours against theirs under rules (nil rules: everything must be equal).
func Compare(ours, theirs *Dump, rules *Rules) *Report {
	rep := &Report{Allowed: map[string]int{}, OursPrefix: ours.Manifest.Prefix, TheirsPrefix: theirs.Manifest.Prefix}
	rules = rules.ForReference(theirs.Manifest.Producer)
	c := &comparer{rules: rules, rep: rep, ours: ours.Manifest, theirs: theirs.Manifest, oursDump: ours, theirsDump: theirs}
	names := map[string]bool{}
	for t := range ours.Topics {
		names[t] = true
	}
	for t := range theirs.Topics {
		names[t] = true
	}
	sorted := make([]string, 0, len(names))
	for t := range names {
		sorted = append(sorted, t)
	}
	sort.Strings(sorted)
	for _, t := range sorted {
		o, oOK := ours.Topics[t]
		th, tOK := theirs.Topics[t]
		rep.Records += len(th)
		switch {
		case !oOK:
			c.topicDiff(t, "topic missing in ours", "(absent)", strconv.Itoa(len(th))+" records")
		case !tOK:
			c.topicDiff(t, "topic only in ours", strconv.Itoa(len(o))+" records", "(absent)")
		default:
			rep.Topics++
			c.compareTopic(t, o, th)
		}
	}
	return rep
}

type comparer struct {
	rules                *Rules
	rep                  *Report
	ours, theirs         Manifest
	oursDump, theirsDump *Dump
	topic                string
	index                int
	where                string
	// The record pair being compared: the records, their payloads (value without the schema
	// envelope) and their kind (SnapshotRecords, StreamingRecords or "").
	oRec, tRec *Record
	oPay, tPay *Node
	kind       string
	// firstStream holds, per side (0 ours, 1 theirs), the first position streamed, per
	// position field (see streamPositions); computed on first use.
	firstStream [2]map[string]position
}

func (c *comparer) topicDiff(t, problem, ours, theirs string) {
	c.rep.Differences = append(c.rep.Differences, Difference{Topic: t, Index: -1, Problem: problem, Ours: ours, Theirs: theirs})
}

func (c *comparer) add(path, problem string, ours, theirs *Node) {
	c.rep.Differences = append(c.rep.Differences, Difference{
		Topic: c.topic, Index: c.index, Where: c.where, Path: path, Problem: problem,
		Ours: ours.Compact(), Theirs: theirs.Compact(),
	})
}

func multiPartition(rs []Record) bool {
	for _, r := range rs {
		if r.Partition != rs[0].Partition {
			return true
		}
	}
	return false
}

func (c *comparer) compareTopic(t string, ours, theirs []Record) {
	c.topic = t
	if r := c.rules.topicRule(t, CheckDropEmptyTx); r != nil {
		var n int
		ours, n = dropEmptyTransactions(ours, c.oursDump)
		c.rep.Allowed[r.ID] += n
		theirs, n = dropEmptyTransactions(theirs, c.theirsDump)
		c.rep.Allowed[r.ID] += n
	}
	if c.rules.topicRule(t, CheckLastPerKey) != nil {
		c.compareByKey(t, lastPerKey(c.keyed(ours, c.ours)), lastPerKey(c.keyed(theirs, c.theirs)))
		return
	}
	if multiPartition(ours) || multiPartition(theirs) {
		c.compareByKey(t, c.keyed(ours, c.ours), c.keyed(theirs, c.theirs))
		return
	}
	c.compareSeq(ours, theirs, 0)
}

// referencedTransactions collects the transaction ids the change and schema change events of d
// name (value.transaction.id, value.source.gtid).
func referencedTransactions(d *Dump) map[string]bool {
	ids := map[string]bool{}
	for _, rs := range d.Topics {
		for _, r := range rs {
			v := part(r.Value, r.ValueNotJSON)
			if _, p, ok := envelope(v); ok {
				v = p
			}
			if id := v.Get("transaction").Get("id"); id != nil && id.Kind == String {
				ids[id.Text] = true
			}
			if g := v.Get("source").Get("gtid"); g != nil && g.Kind == String {
				ids[g.Text] = true
			}
		}
	}
	return ids
}

// dropEmptyTransactions returns the transaction topic records without those of transactions
// that carried none of the connector's events: a BEGIN/END pair whose END has event_count 0, or
// a BEGIN with no END (Debezium ends no DDL transaction) whose id no event of the dump names.
// It also says how many records it left out.
func dropEmptyTransactions(rs []Record, d *Dump) ([]Record, int) {
	idOf := func(r Record) (status, id string, count *Node) {
		v := part(r.Value, r.ValueNotJSON)
		if _, p, ok := envelope(v); ok {
			v = p
		}
		if s, i := v.Get("status"), v.Get("id"); s != nil && i != nil {
			return s.Text, i.Text, v.Get("event_count")
		}
		return "", "", nil
	}
	empty := map[string]bool{}
	ended := map[string]bool{}
	for _, r := range rs {
		status, id, count := idOf(r)
		if status == "END" {
			ended[id] = true
			if count != nil && count.Kind == Number && count.Text == "0" {
				empty[id] = true
			}
		}
	}
	var referenced map[string]bool
	for _, r := range rs {
		if status, id, _ := idOf(r); status == "BEGIN" && !ended[id] {
			if referenced == nil {
				referenced = referencedTransactions(d)
			}
			if !referenced[id] {
				empty[id] = true
			}
		}
	}
	if len(empty) == 0 {
		return rs, 0
	}
	out := make([]Record, 0, len(rs))
	for _, r := range rs {
		if _, id, _ := idOf(r); !empty[id] {
			out = append(out, r)
		}
	}
	return out, len(rs) - len(out)
}

// compareSeq pairs records in order; base is the index of the first one in its topic.
func (c *comparer) compareSeq(ours, theirs []Record, base int) {
	n := max(len(ours), len(theirs))
	for i := 0; i < n; i++ {
		c.index = base + i
		switch {
		case i >= len(ours):
			c.where = "theirs " + at(theirs[i])
			c.add("", "record missing in ours", nil, recordSummary(theirs[i]))
		case i >= len(theirs):
			c.where = "ours " + at(ours[i])
			c.add("", "record only in ours", recordSummary(ours[i]), nil)
		default:
			c.where = "ours " + at(ours[i]) + ", theirs " + at(theirs[i])
			c.compareRecord(&ours[i], &theirs[i])
		}
	}
}

func at(r Record) string {
	return strconv.Itoa(int(r.Partition)) + "@" + strconv.FormatInt(r.Offset, 10)
}

// recordSummary stands for a whole record in a report line: its key and the start of its value.
func recordSummary(r Record) *Node {
	v := string(r.Value)
	if len(v) > 160 {
		v = v[:160] + "..."
	}
	return &Node{Kind: Object, Members: []Member{
		{Name: "key", Value: &Node{Kind: String, Text: string(r.Key)}},
		{Name: "value", Value: &Node{Kind: String, Text: v}},
	}}
}

// keyGroup is the records of one key, in order.
type keyGroup struct {
	key     string
	records []Record
}

// keyed groups records by their key after name substitution, keeping first-seen key order.
func (c *comparer) keyed(rs []Record, side Manifest) []keyGroup {
	var groups []keyGroup
	idx := map[string]int{}
	names := c.rules.topicRule(c.topic, CheckNames) != nil
	for _, r := range rs {
		k := string(r.Key)
		if names {
			if n, err := ParseJSON(r.Key); err == nil {
				substituteNames(n, side)
				k = n.Compact()
			}
		}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, keyGroup{key: k})
		}
		groups[i].records = append(groups[i].records, r)
	}
	return groups
}

func lastPerKey(gs []keyGroup) []keyGroup {
	out := make([]keyGroup, len(gs))
	for i, g := range gs {
		out[i] = keyGroup{key: g.key, records: g.records[len(g.records)-1:]}
	}
	return out
}

func (c *comparer) compareByKey(t string, ours, theirs []keyGroup) {
	oi := map[string]int{}
	for i, g := range ours {
		oi[g.key] = i
	}
	seen := map[string]bool{}
	base := 0
	for _, g := range theirs {
		seen[g.key] = true
		if i, ok := oi[g.key]; ok {
			c.compareSeq(ours[i].records, g.records, base)
		} else {
			c.index, c.where = base, "theirs "+at(g.records[0])
			c.add("key", "key missing in ours ("+strconv.Itoa(len(g.records))+" records)", nil, keyNode(g.key))
		}
		base += len(g.records)
	}
	for _, g := range ours {
		if !seen[g.key] {
			c.index, c.where = -1, "ours "+at(g.records[0])
			c.add("key", "key only in ours ("+strconv.Itoa(len(g.records))+" records)", keyNode(g.key), nil)
		}
	}
}

func keyNode(k string) *Node {
	if n, err := ParseJSON([]byte(k)); err == nil {
		return n
	}
	return &Node{Kind: String, Text: k}
}

// part parses one record part; bytes that are not JSON compare as strings.
func part(raw []byte, notJSON bool) *Node {
	if isNull(raw) {
		return &Node{Kind: Null}
	}
	n, err := ParseJSON(raw)
	if err != nil {
		return &Node{Kind: String, Text: string(raw)}
	}
	if notJSON && n.Kind == String {
		n.Text = "(not JSON) " + n.Text
	}
	return n
}

// headersNode shows headers as an object of name to value, in record order, so rules can name a
// header by its name.
func headersNode(hs []Header) *Node {
	n := &Node{Kind: Object, Members: []Member{}}
	for _, h := range hs {
		v := &Node{Kind: Null}
		if h.Value != nil {
			v = &Node{Kind: String, Text: *h.Value}
		}
		n.Members = append(n.Members, Member{Name: h.Key, Value: v})
	}
	return n
}

func (c *comparer) compareRecord(ours, theirs *Record) {
	names := c.rules.topicRule(c.topic, CheckNames) != nil
	c.oRec, c.tRec = ours, theirs
	c.oPay, c.tPay = payload(part(ours.Value, ours.ValueNotJSON)), payload(part(theirs.Value, theirs.ValueNotJSON))
	c.kind = ""
	if k := recordKind(c.oPay); k == recordKind(c.tPay) {
		c.kind = k
	}
	parts := []struct {
		root string
		o, t *Node
	}{
		{"key", part(ours.Key, ours.KeyNotJSON), part(theirs.Key, theirs.KeyNotJSON)},
		{"value", part(ours.Value, ours.ValueNotJSON), part(theirs.Value, theirs.ValueNotJSON)},
		{"headers", headersNode(ours.Headers), headersNode(theirs.Headers)},
	}
	for _, p := range parts {
		if names {
			substituteNames(p.o, c.ours)
			substituteNames(p.t, c.theirs)
		}
		c.compareRoot(p.root, p.o, p.t)
	}
}

// envelope splits JsonConverter's {"schema":...,"payload":...} wrapper; ok is false for a value
// written without schemas.
func envelope(n *Node) (schema, payload *Node, ok bool) {
	if n == nil || n.Kind != Object || len(n.Members) != 2 {
		return nil, nil, false
	}
	schema, payload = n.Get("schema"), n.Get("payload")
	return schema, payload, schema != nil && payload != nil
}

// compareRoot compares a key, value or headers tree, looking through the schema envelope so
// rules written for the payload apply with and without schemas.
func (c *comparer) compareRoot(root string, o, t *Node) {
	oSchema, oPayload, oEnv := envelope(o)
	tSchema, tPayload, tEnv := envelope(t)
	switch {
	case oEnv && tEnv:
		if i, j := indexOf(o, "schema"), indexOf(t, "schema"); i != j {
			c.add(root, "member order differs (ours [schema payload] order "+strconv.Itoa(i)+", theirs "+strconv.Itoa(j)+")", nil, nil)
		}
		c.compareNode(root+".schema", []string{root, "$schema"}, oSchema, tSchema)
		c.compareNode(root+".payload", []string{root}, oPayload, tPayload)
	case tEnv:
		// One side wrote without schemas (schemas.enable differs): the schema half is
		// missing, which a rule on <root>.$schema may allow; the payloads still compare.
		c.compareNode(root+".schema", []string{root, "$schema"}, nil, tSchema)
		c.compareNode(root+".payload", []string{root}, o, tPayload)
	case oEnv:
		c.compareNode(root+".schema", []string{root, "$schema"}, oSchema, nil)
		c.compareNode(root, []string{root}, oPayload, t)
	default:
		c.compareNode(root, []string{root}, o, t)
	}
}

func indexOf(n *Node, name string) int {
	for i, m := range n.Members {
		if m.Name == name {
			return i
		}
	}
	return -1
}

func same(o, t *Node) bool {
	if o.Kind != t.Kind {
		return false
	}
	switch o.Kind {
	case Null:
		return true
	case Bool:
		return o.Bool == t.Bool
	case Number, String:
		return o.Text == t.Text
	case Array:
		if len(o.Elems) != len(t.Elems) {
			return false
		}
		for i := range o.Elems {
			if !same(o.Elems[i], t.Elems[i]) {
				return false
			}
		}
		return true
	case Object:
		if len(o.Members) != len(t.Members) {
			return false
		}
		for i := range o.Members {
			if o.Members[i].Name != t.Members[i].Name || !same(o.Members[i].Value, t.Members[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}

// compareNode compares o (ours) and t (theirs) at path; logical is the path rules match against.
// Either may be nil: the member is absent on that side.
func (c *comparer) compareNode(path string, logical []string, o, t *Node) {
	if (o == nil) != (t == nil) || (o != nil && !same(o, t)) {
		if r := c.rules.pairAllowed(c.topic, logical, o, t); r != nil {
			c.rep.Allowed[r.ID]++
			return
		}
	}
	if r := c.rules.valueRule(c.topic, logical, c.kind); r != nil {
		c.applyRule(r, path, o, t)
		return
	}
	switch {
	case o == nil && t == nil:
		return
	case o == nil:
		c.add(path, "missing in ours", nil, t)
		return
	case t == nil:
		c.add(path, "only in ours", o, nil)
		return
	case o.Kind != t.Kind:
		c.add(path, "type differs: ours "+o.Kind.String()+", theirs "+t.Kind.String(), o, t)
		return
	}
	switch o.Kind {
	case Object:
		c.compareObject(path, logical, o, t)
	case Array:
		n := max(len(o.Elems), len(t.Elems))
		if len(o.Elems) != len(t.Elems) {
			c.add(path, "array length differs: ours "+strconv.Itoa(len(o.Elems))+", theirs "+strconv.Itoa(len(t.Elems)), nil, nil)
		}
		for i := 0; i < n; i++ {
			seg := "[" + strconv.Itoa(i) + "]"
			var oe, te *Node
			if i < len(o.Elems) {
				oe = o.Elems[i]
			}
			if i < len(t.Elems) {
				te = t.Elems[i]
			}
			c.compareNode(path+seg, append(logical[:len(logical):len(logical)], seg), oe, te)
		}
	default:
		if !same(o, t) {
			c.add(path, "differs", o, t)
		}
	}
}

func (c *comparer) compareObject(path string, logical []string, o, t *Node) {
	child := func(name string) (string, []string) {
		return path + memberSegment(name), append(logical[:len(logical):len(logical)], name)
	}
	for _, m := range t.Members {
		p, l := child(m.Name)
		c.compareNode(p, l, o.Get(m.Name), m.Value)
	}
	for _, m := range o.Members {
		if t.Get(m.Name) == nil {
			p, l := child(m.Name)
			c.compareNode(p, l, m.Value, nil)
		}
	}
	// Member order: compare the order of the members both sides have.
	var oNames, tNames []string
	for _, m := range o.Members {
		if t.Get(m.Name) != nil {
			oNames = append(oNames, m.Name)
		}
	}
	for _, m := range t.Members {
		if o.Get(m.Name) != nil {
			tNames = append(tNames, m.Name)
		}
	}
	if strings.Join(oNames, "\x00") != strings.Join(tNames, "\x00") {
		if r := c.rules.orderRule(c.topic, logical); r != nil {
			c.rep.Allowed[r.ID]++
			return
		}
		c.rep.Differences = append(c.rep.Differences, Difference{
			Topic: c.topic, Index: c.index, Where: c.where, Path: path, Problem: "member order differs",
			Ours: strings.Join(oNames, ","), Theirs: strings.Join(tNames, ","),
		})
	}
}

func (c *comparer) applyRule(r *Rule, path string, o, t *Node) {
	equal := o != nil && t != nil && same(o, t)
	switch r.Check {
	case CheckProcessingTime, CheckBeforeStream:
		if (o == nil) != (t == nil) {
			c.add(path, "missing on one side (rule "+r.ID+" allows only a different value)", o, t)
			return
		}
		if o == nil {
			return
		}
		check := c.processingTime
		if r.Check == CheckBeforeStream {
			check = c.beforeStream
		}
		bad := false
		for side, n := range []*Node{o, t} {
			if problem := check(side, path, n); problem != "" {
				c.add(path, problem+" (rule "+r.ID+")", o, t)
				bad = true
			}
		}
		if !bad && !equal {
			c.rep.Allowed[r.ID]++
		}
	case CheckIgnore:
		if !equal {
			c.rep.Allowed[r.ID]++
		}
		return
	case CheckType:
		switch {
		case o == nil || t == nil:
			if o != t {
				c.add(path, "missing on one side (rule "+r.ID+" allows only a different value)", o, t)
			}
		case o.Kind != t.Kind:
			c.add(path, "type differs: ours "+o.Kind.String()+", theirs "+t.Kind.String()+" (rule "+r.ID+" allows only a different value)", o, t)
		case !equal:
			c.rep.Allowed[r.ID]++
		}
	case CheckPattern:
		ok := func(n *Node) bool {
			return n != nil && (n.Kind == Null || ((n.Kind == String || n.Kind == Number) && r.re.MatchString(n.Text)))
		}
		switch {
		case o == nil && t == nil:
		case !ok(o) || !ok(t) || (o.Kind == Null) != (t.Kind == Null):
			c.add(path, "does not match "+r.Pattern+" on both sides (rule "+r.ID+")", o, t)
		case !equal:
			c.rep.Allowed[r.ID]++
		}
	}
}

// substituteNames rewrites, in place, the strings naming side's prefix, connector or history
// topic into placeholders (see CheckNames).
func substituteNames(n *Node, side Manifest) {
	if n == nil {
		return
	}
	switch n.Kind {
	case String:
		n.Text = substituteName(n.Text, side)
	case Array:
		for _, e := range n.Elems {
			substituteNames(e, side)
		}
	case Object:
		for _, m := range n.Members {
			substituteNames(m.Value, side)
		}
	}
}

func substituteName(s string, side Manifest) string {
	switch {
	case side.Connector != "" && s == side.Connector:
		return "${connector}"
	case side.HistoryTopic != "" && s == side.HistoryTopic:
		return "${history}"
	case s == side.Prefix:
		return PrefixPlaceholder
	case strings.HasPrefix(s, side.Prefix+"."):
		return PrefixPlaceholder + s[len(side.Prefix):]
	case side.Delimiter != "" && strings.HasPrefix(s, side.Prefix+side.Delimiter):
		return PrefixPlaceholder + s[len(side.Prefix):]
	}
	return s
}

// HasDifferences reports whether anything differed beyond the allowed differences.
func (r *Report) HasDifferences() bool { return len(r.Differences) > 0 }

// WriteText writes the report for people: one block per difference (at most maxPerTopic per
// topic, 0 for all), then the allowed differences per rule and a summary line.
func (r *Report) WriteText(w io.Writer, maxPerTopic int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "compared ours (prefix %s) with theirs (prefix %s): %d topics, %d records of theirs\n",
		r.OursPrefix, r.TheirsPrefix, r.Topics, r.Records)
	perTopic := map[string]int{}
	for _, d := range r.Differences {
		perTopic[d.Topic]++
		if maxPerTopic > 0 && perTopic[d.Topic] > maxPerTopic {
			continue
		}
		b.WriteString("\n")
		if d.Index < 0 {
			fmt.Fprintf(&b, "%s: %s\n", d.Topic, d.Problem)
		} else {
			fmt.Fprintf(&b, "%s record %d (%s)", d.Topic, d.Index, d.Where)
			if d.Path != "" {
				fmt.Fprintf(&b, " %s", d.Path)
			}
			fmt.Fprintf(&b, ": %s\n", d.Problem)
		}
		if d.Ours != "(absent)" || d.Theirs != "(absent)" {
			fmt.Fprintf(&b, "    ours:   %s\n    theirs: %s\n", clip(d.Ours), clip(d.Theirs))
		}
	}
	topics := make([]string, 0, len(perTopic))
	for t, n := range perTopic {
		if maxPerTopic > 0 && n > maxPerTopic {
			topics = append(topics, t)
		}
	}
	sort.Strings(topics)
	for _, t := range topics {
		fmt.Fprintf(&b, "\n%s: %d more differences not shown\n", t, perTopic[t]-maxPerTopic)
	}
	if len(r.Allowed) > 0 {
		ids := make([]string, 0, len(r.Allowed))
		for id := range r.Allowed {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		b.WriteString("\nallowed differences (see the reasons in the rules file):")
		for _, id := range ids {
			fmt.Fprintf(&b, " %s×%d", id, r.Allowed[id])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%d differences\n", len(r.Differences))
	_, err := io.WriteString(w, b.String())
	return err
}

func clip(s string) string {
	const limit = 400
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

// payload returns a record value without JsonConverter's schema envelope.
func payload(v *Node) *Node {
	if _, p, ok := envelope(v); ok {
		return p
	}
	return v
}

// recordKind says whether a change event's payload was read by a snapshot or streamed
// (SnapshotRecords, StreamingRecords), TransactionBegin for a BEGIN record, or "" for a record
// without source.snapshot. A schema history record is a snapshot's when its position says
// snapshot, else a streamed one.
func recordKind(p *Node) string {
	if st := p.Get("status"); st != nil && st.Kind == String && st.Text == "BEGIN" && p.Get("id") != nil {
		return TransactionBegin
	}
	if pos := p.Get("position"); pos != nil && pos.Kind == Object && p.Get("ddl") != nil {
		if sn := pos.Get("snapshot"); sn != nil && sn.Kind != Null && !(sn.Kind == Bool && !sn.Bool) {
			return SnapshotRecords
		}
		return StreamingRecords
	}
	s := p.Get("source").Get("snapshot")
	switch {
	case s == nil || s.Kind != String:
		return ""
	case s.Text == "false":
		return StreamingRecords
	}
	return SnapshotRecords
}

var sideName = [2]string{"ours", "theirs"}

// unitPerMilli returns how many of the unit a time field's name ends in (_ms, _us, _ns) make a
// millisecond, 0 for a name without such a suffix.
func unitPerMilli(name string) int64 {
	switch {
	case strings.HasSuffix(name, "_sec"):
		return -1000 // seconds: a thousand milliseconds each
	case strings.HasSuffix(name, "_ms"):
		return 1
	case strings.HasSuffix(name, "_us"):
		return 1_000
	case strings.HasSuffix(name, "_ns"):
		return 1_000_000
	}
	return 0
}

// processingTime checks side's time n at path against its record's run (CheckProcessingTime);
// it returns what is wrong, or "".
func (c *comparer) processingTime(side int, path string, n *Node) string {
	rec, pay := c.oRec, c.oPay
	if side == 1 {
		rec, pay = c.tRec, c.tPay
	}
	if n.Kind != Number {
		return sideName[side] + "'s value is not a number"
	}
	v, err := strconv.ParseInt(n.Text, 10, 64)
	if err != nil {
		return sideName[side] + "'s value is not an integer"
	}
	segs := splitPath(path)
	leaf := segs[len(segs)-1]
	unit := unitPerMilli(leaf)
	if unit == 0 {
		return "the path names no time unit (_ms, _us, _ns)"
	}
	if rec != nil && rec.Timestamp > 0 {
		hi := (rec.Timestamp+1)*unit - 1
		if unit < 0 {
			hi = rec.Timestamp / 1000
		}
		if v > hi {
			return fmt.Sprintf("%s's %d is after the record's Kafka timestamp (%d ms)", sideName[side], v, rec.Timestamp)
		}
	}
	if !strings.Contains(path, ".source.") && !strings.Contains(path, ".position.") {
		if lo := pay.Get("source").Get(leaf); lo != nil && lo.Kind == Number {
			if l, err := strconv.ParseInt(lo.Text, 10, 64); err == nil && v < l {
				return fmt.Sprintf("%s's %d is before its source.%s %d (the commit)", sideName[side], v, leaf, l)
			}
		}
	}
	return ""
}

// position is a comparable log position: a binlog file name and a number (byte position, LSN,
// transaction id).
type position struct {
	file string
	n    int64
}

func (p position) after(q position) bool {
	return p.file > q.file || (p.file == q.file && p.n > q.n)
}

// positionOf reads the position field leaf of a payload's source: ok is false when the field is
// absent, null, or not one this check knows.
func positionOf(src *Node, leaf string) (position, bool) {
	num := func(n *Node) (int64, bool) {
		if n == nil {
			return 0, false
		}
		switch n.Kind {
		case Number, String:
			v, err := strconv.ParseInt(n.Text, 10, 64)
			return v, err == nil
		}
		return 0, false
	}
	switch leaf {
	case "file":
		if f := src.Get("file"); f != nil && f.Kind == String {
			return position{file: f.Text}, true
		}
	case "pos":
		f := src.Get("file")
		if v, ok := num(src.Get("pos")); ok && f != nil && f.Kind == String {
			return position{file: f.Text, n: v}, true
		}
	case "gtid":
		// A MariaDB GTID domain-server-sequence: ordered by sequence within its domain.
		if g := src.Get("gtid"); g != nil && g.Kind == String {
			if p, ok := parseGTID(g.Text); ok {
				return p, true
			}
		}
	case "lsn", "txId", "xmin":
		if v, ok := num(src.Get(leaf)); ok {
			return position{n: v}, true
		}
	case "sequence":
		// PostgreSQL's ["<last commit LSN>","<LSN>"]: the second LSN orders the events.
		if s := src.Get("sequence"); s != nil && s.Kind == String {
			if a, err := ParseJSON([]byte(s.Text)); err == nil && a.Kind == Array && len(a.Elems) == 2 {
				if v, ok := num(a.Elems[1]); ok {
					return position{n: v}, true
				}
			}
		}
	}
	return position{}, false
}

// streamPositions returns, per position field, the smallest position among d's streamed change
// events.
func streamPositions(d *Dump) map[string]position {
	first := map[string]position{}
	for t, rs := range d.Topics {
		if t == OffsetsTopic || t == HistoryTopic {
			continue
		}
		for _, r := range rs {
			p := payload(part(r.Value, r.ValueNotJSON))
			if recordKind(p) != StreamingRecords {
				continue
			}
			src := p.Get("source")
			for _, leaf := range []string{"file", "pos", "gtid", "lsn", "txId", "xmin", "sequence"} {
				if pos, ok := positionOf(src, leaf); ok {
					if f, seen := first[leaf]; !seen || f.after(pos) {
						first[leaf] = pos
					}
				}
			}
		}
	}
	return first
}

// beforeStream checks side's snapshot position n at path against the first position that side
// streamed (CheckBeforeStream); it returns what is wrong, or "".
func (c *comparer) beforeStream(side int, path string, n *Node) string {
	if n.Kind == Null {
		return ""
	}
	if c.firstStream[side] == nil {
		d := c.oursDump
		if side == 1 {
			d = c.theirsDump
		}
		c.firstStream[side] = streamPositions(d)
	}
	pay := c.oPay
	if side == 1 {
		pay = c.tPay
	}
	segs := splitPath(path)
	leaf := segs[len(segs)-1]
	src := pay.Get("source")
	if pay.Get("ddl") != nil && pay.Get("position") != nil {
		src = pay.Get("position") // a schema history record
	}
	if leaf == "gtids" {
		return beforeStreamGTIDs(sideName[side], src.Get("gtids"), c.firstStream[side])
	}
	pos, ok := positionOf(src, leaf)
	if !ok {
		return sideName[side] + "'s " + leaf + " is not a position"
	}
	first, ok := c.firstStream[side][leaf]
	if !ok {
		return sideName[side] + " streamed no event with a " + leaf + " to compare with"
	}
	if pos.after(first) {
		return fmt.Sprintf("%s's snapshot position %s %d is after the first position it streamed (%s %d)", sideName[side], pos.file, pos.n, first.file, first.n)
	}
	return ""
}

// Kind says whether a record is a change event read by a snapshot (SnapshotRecords), one
// streamed from the log (StreamingRecords), or neither ("": transaction, offset and schema
// history records).
func (r Record) Kind() string {
	return recordKind(payload(part(r.Value, r.ValueNotJSON)))
}

// Count returns how many records of the dump's own topics (not the offsets or schema history)
// are of kind (SnapshotRecords, StreamingRecords, "" for all).
func (d *Dump) Count(kind string) int {
	n := 0
	for t, rs := range d.Topics {
		if t == OffsetsTopic || t == HistoryTopic {
			continue
		}
		for _, r := range rs {
			if kind == "" || r.Kind() == kind {
				n++
			}
		}
	}
	return n
}

// parseGTID reads a MariaDB GTID (domain-server-sequence) as a position: the domain as the
// file, the sequence as the number.
func parseGTID(g string) (position, bool) {
	parts := strings.Split(strings.TrimSpace(g), "-")
	if len(parts) != 3 {
		return position{}, false
	}
	n, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return position{}, false
	}
	return position{file: parts[0], n: n}, true
}

// beforeStreamGTIDs checks a snapshot's executed GTID set (domain-server-seq, comma-separated)
// against the first GTID its side streamed: the set's entry of that domain must be before it.
func beforeStreamGTIDs(side string, set *Node, first map[string]position) string {
	if set == nil || set.Kind != String {
		return side + "'s gtids is not a GTID set"
	}
	f, ok := first["gtid"]
	if !ok {
		return side + " streamed no event with a gtid to compare with"
	}
	for _, g := range strings.Split(set.Text, ",") {
		p, ok := parseGTID(g)
		if !ok {
			return side + "'s gtids " + set.Text + " is not a GTID set"
		}
		if p.file == f.file && p.n >= f.n {
			return fmt.Sprintf("%s's snapshot GTID set %s holds the first GTID it streamed (%s-…-%d) or a later one", side, set.Text, f.file, f.n)
		}
	}
	return ""
}

package diff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// File names of the two special topics in a dump directory; every other *.jsonl file is named
// after the topic it holds.
const (
	OffsetsFile  = "offsets.jsonl"
	HistoryFile  = "schema-history.jsonl"
	ManifestFile = "manifest.json"
)

// Logical names of the special topics: the offsets topic (dbz-offsets, connect-offsets, ...) and
// the schema history topic have names of their own choosing on each side, so they pair by role.
const (
	OffsetsTopic = "(offsets)"
	HistoryTopic = "(schema-history)"
)

// PrefixPlaceholder replaces the topic prefix in logical topic names and, under the "names"
// rule, in strings.
const PrefixPlaceholder = "${prefix}"

// Header is one Kafka record header. A header without a value has a nil Value.
type Header struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// Record is one Kafka record as a dump line holds it. Key and Value are the record's bytes:
// JsonConverter output is JSON, so it is embedded in the line as it is (null for a null key or a
// tombstone). Bytes that are not JSON are embedded as a JSON string and flagged.
type Record struct {
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Headers   []Header        `json:"headers"`
	// Timestamp is the record's Kafka timestamp in milliseconds (the producer's create time, or
	// the broker's append time), 0 when unknown (dumps written before it was recorded). The
	// processing-time check bounds a record's processing time by it.
	Timestamp int64 `json:"timestamp,omitempty"`
	// KeyNotJSON and ValueNotJSON say that Key or Value is a JSON string holding bytes that
	// were not JSON (never the case for JsonConverter output).
	KeyNotJSON   bool `json:"key_not_json,omitempty"`
	ValueNotJSON bool `json:"value_not_json,omitempty"`
}

// NewRecord builds a Record from Kafka's bytes (nil for null).
func NewRecord(topic string, partition int32, offset int64, key, value []byte, headers []Header) Record {
	r := Record{Topic: topic, Partition: partition, Offset: offset, Headers: headers}
	r.Key, r.KeyNotJSON = embed(key)
	r.Value, r.ValueNotJSON = embed(value)
	if r.Headers == nil {
		r.Headers = []Header{}
	}
	return r
}

func embed(b []byte) (json.RawMessage, bool) {
	if b == nil {
		return json.RawMessage("null"), false
	}
	if json.Valid(b) {
		var c bytes.Buffer
		if err := json.Compact(&c, b); err == nil {
			return c.Bytes(), false
		}
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	q, _ := json.Marshal(s)
	return q, true
}

// isNull reports whether raw embeds a Kafka null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// Manifest describes a dump: which prefix, connector and special topics it was taken from, so
// the other side's names can be told apart from real differences.
type Manifest struct {
	// Prefix is the connector's topic.prefix.
	Prefix string `json:"prefix"`
	// Connector is the connector's name (the first element of its offset keys).
	Connector string `json:"connector,omitempty"`
	// OffsetsTopic and HistoryTopic are the topics offsets.jsonl and schema-history.jsonl came from.
	OffsetsTopic string `json:"offsets_topic,omitempty"`
	HistoryTopic string `json:"history_topic,omitempty"`
	// Producer says what wrote the records, e.g. "Debezium 3.7.0.Final".
	Producer string `json:"producer,omitempty"`
	// Delimiter is the connector's topic.delimiter when it is not ".": the topics of the prefix
	// are the prefix itself and those starting with the prefix and the delimiter.
	Delimiter string `json:"delimiter,omitempty"`
	// Records counts the records of each file.
	Records map[string]int `json:"records,omitempty"`
}

// Dump is the records of one connector run: its topics, grouped by logical topic name.
type Dump struct {
	Manifest Manifest
	// Topics maps a logical topic name (LogicalTopic) to its records, ordered by partition and
	// offset.
	Topics map[string][]Record
}

// LogicalTopic names topic independently of the prefix: "dbz_pg.compat.orders" with prefix
// "dbz_pg" is "${prefix}.compat.orders". A topic outside the prefix keeps its name.
func LogicalTopic(prefix, topic string) string { return LogicalTopicDelim(prefix, ".", topic) }

// LogicalTopicDelim is LogicalTopic for a connector whose topic.delimiter is delim ("" is ".").
func LogicalTopicDelim(prefix, delim, topic string) string {
	if delim == "" {
		delim = "."
	}
	switch {
	case topic == prefix:
		return PrefixPlaceholder
	case strings.HasPrefix(topic, prefix+delim):
		return PrefixPlaceholder + topic[len(prefix):]
	}
	return topic
}

// InPrefix reports whether topic belongs to a connector with this topic.prefix: the schema
// change topic is the prefix itself, every other topic starts with the prefix and a dot. A
// prefix written "PREFIX/DELIM" (a topic name cannot hold '/') is a connector whose
// topic.delimiter is DELIM.
func InPrefix(prefix, topic string) bool {
	p, d := SplitPrefix(prefix)
	return topic == p || strings.HasPrefix(topic, p+d)
}

// SplitPrefix splits a prefix argument "PREFIX" or "PREFIX/DELIM" into the prefix and the
// topic delimiter ("." when not given).
func SplitPrefix(arg string) (prefix, delim string) {
	if p, d, ok := strings.Cut(arg, "/"); ok && d != "" {
		return p, d
	}
	return arg, "."
}

// WithDelimiter returns the prefix argument naming a connector's topics for prefix and delim
// ("" or "." give prefix alone).
func WithDelimiter(prefix, delim string) string {
	if delim == "" || delim == "." {
		return prefix
	}
	return prefix + "/" + delim
}

// Add appends r to the dump under logical name.
func (d *Dump) Add(logical string, r Record) {
	if d.Topics == nil {
		d.Topics = map[string][]Record{}
	}
	d.Topics[logical] = append(d.Topics[logical], r)
}

// sortRecords orders every topic's records by partition, then offset.
func (d *Dump) sortRecords() {
	for _, rs := range d.Topics {
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Partition != rs[j].Partition {
				return rs[i].Partition < rs[j].Partition
			}
			return rs[i].Offset < rs[j].Offset
		})
	}
}

// fileName is the dump file of a logical topic.
func (d *Dump) fileName(logical string) string {
	switch logical {
	case OffsetsTopic:
		return OffsetsFile
	case HistoryTopic:
		return HistoryFile
	}
	return strings.Replace(logical, PrefixPlaceholder, d.Manifest.Prefix, 1) + ".jsonl"
}

// Write stores the dump in dir (created if missing): manifest.json and one JSON-lines file per
// topic. Files of an earlier dump in dir that this one lacks are removed, so a directory always
// holds exactly one dump.
func (d *Dump) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("could not create the dump directory: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return fmt.Errorf("could not list the dump directory %s: %w", dir, err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("could not remove the old dump file: %w", err)
		}
	}
	d.sortRecords()
	d.Manifest.Records = map[string]int{}
	for logical, rs := range d.Topics {
		name := d.fileName(logical)
		d.Manifest.Records[name] = len(rs)
		if err := writeLines(filepath.Join(dir, name), rs); err != nil {
			return err
		}
	}
	m, err := json.MarshalIndent(d.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("could not encode the manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(m, '\n'), 0o644); err != nil {
		return fmt.Errorf("could not write the manifest: %w", err)
	}
	return nil
}

func writeLines(path string, rs []Record) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("could not create the dump file: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	// Keep <, > and & as they are in the records, so the files show Debezium's bytes.
	enc.SetEscapeHTML(false)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			f.Close()
			return fmt.Errorf("could not encode record %d of %s: %w", i, path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	return f.Close()
}

// LoadDump reads a dump directory written by Write (or by tests/compat/capture-debezium).
func LoadDump(dir string) (*Dump, error) {
	m, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("could not read the dump's manifest (is %s a dump directory?): %w", dir, err)
	}
	d := &Dump{Topics: map[string][]Record{}}
	if err := json.Unmarshal(m, &d.Manifest); err != nil {
		return nil, fmt.Errorf("could not parse %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if d.Manifest.Prefix == "" {
		return nil, fmt.Errorf("the manifest in %s has no prefix; every dump needs the connector's topic.prefix", dir)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("could not list %s: %w", dir, err)
	}
	for _, f := range files {
		base := filepath.Base(f)
		var logical string
		switch base {
		case OffsetsFile:
			logical = OffsetsTopic
		case HistoryFile:
			logical = HistoryTopic
		default:
			logical = LogicalTopicDelim(d.Manifest.Prefix, d.Manifest.Delimiter, strings.TrimSuffix(base, ".jsonl"))
		}
		rs, err := readLines(f)
		if err != nil {
			return nil, err
		}
		d.Topics[logical] = rs
	}
	d.sortRecords()
	return d, nil
}

func readLines(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("could not open the dump file: %w", err)
	}
	defer f.Close()
	var rs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d is not a dump record: %w", path, line, err)
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("could not read %s: %w", path, err)
	}
	if rs == nil && line == 0 {
		return []Record{}, nil
	}
	return rs, nil
}

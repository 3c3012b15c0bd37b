package offsets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// fileFormat and historyFileFormat are the "format" markers of the two files; a file without the
// right marker is refused rather than misread.
const (
	fileFormat        = "connectd-offsets"
	historyFileFormat = "connectd-offset-history"
	fileVersion       = 1
)

// FileStore keeps offsets in a JSON file for standalone mode (offset.storage.file.filename), and
// their history in a sibling file with ".history" appended to the name. See the package
// documentation for both formats. Every Set rewrites the files atomically: a temporary file in the
// same directory, fsync, rename over the old file, fsync of the directory. A file that does not
// parse is reported with its name and how to recover; it is never replaced by an empty store.
type FileStore struct {
	path        string
	historyPath string
	now         func() time.Time

	mu      sync.Mutex
	book    *book
	started bool
	unlock  func() error
	seen    fileStamp // the offsets file as last read or written, to notice edits by hand
}

// fileStamp identifies a version of a file cheaply.
type fileStamp struct {
	exists bool
	size   int64
	mod    time.Time
}

// NewFileStore returns a store over the file at path (created on the first write), keeping
// historySize history entries per partition (0 means DefaultHistorySize).
func NewFileStore(path string, historySize int) *FileStore {
	return &FileStore{path: path, historyPath: path + ".history", now: time.Now, book: newBook(historySize)}
}

// Start locks the file against other processes and loads it. A missing file is an empty store; a
// file that cannot be parsed is an error naming it.
func (s *FileStore) Start(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil
	}
	dir := filepath.Dir(s.path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("offset file %s: its directory %s does not exist; create it or change offset.storage.file.filename", s.path, dir)
	}
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return fmt.Errorf("offset file %s: %w", s.path, err)
	}
	if err := s.load(); err != nil {
		_ = unlock()
		return err
	}
	s.unlock = unlock
	s.started = true
	return nil
}

// Get returns the offsets of the given partitions, re-reading the file if it was edited.
func (s *FileStore) Get(_ context.Context, connector string, partitions []map[string]any) ([]map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	return s.book.get(connector, partitions)
}

// Set writes a batch of offsets (nil Offset deletes) and returns once both files are fsynced.
func (s *FileStore) Set(_ context.Context, connector string, entries []api.PartitionOffset) error {
	changes, err := prepare(connector, entries)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return err
	}
	// Apply to a copy, so a failed write leaves memory as the file is.
	next := s.book.clone()
	now := s.now()
	historyChanged := false
	for _, c := range changes {
		if next.recordHistory(c.key, c.connector, c.partition, c.offset, c.value, now) {
			historyChanged = true
		}
		next.put(c.key, c.connector, c.partition, c.offset, c.value, now)
	}
	// History first: after a crash between the two renames, history may hold one entry the
	// offsets file does not, which is harmless; the reverse would lose an entry.
	if historyChanged {
		if err := writeFileAtomic(s.historyPath, encodeHistoryFile(next)); err != nil {
			return fmt.Errorf("cannot write the offset history file: %w", err)
		}
	}
	if err := writeFileAtomic(s.path, encodeOffsetsFile(next)); err != nil {
		return fmt.Errorf("cannot write the offset file: %w", err)
	}
	s.book = next
	s.seen = stampOf(s.path)
	return nil
}

// Delete removes the offsets of the given partitions.
func (s *FileStore) Delete(ctx context.Context, connector string, partitions []map[string]any) error {
	return s.Set(ctx, connector, tombstones(partitions))
}

// List returns the connector's offsets sorted by key bytes.
func (s *FileStore) List(_ context.Context, connector string) ([]api.PartitionOffset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	return s.book.list(connector), nil
}

// History returns the connector's offset history.
func (s *FileStore) History(_ context.Context, connector string) ([]HistoryEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	return s.book.historyOf(connector), nil
}

// Close releases the file lock.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	s.started = false
	return s.unlock()
}

// refresh reloads the files when the offsets file changed since this store last read or wrote it
// (an operator editing it while the worker runs).
func (s *FileStore) refresh() error {
	if !s.started {
		return ErrNotStarted
	}
	if stampOf(s.path) == s.seen {
		return nil
	}
	return s.load()
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{exists: true, size: st.Size(), mod: st.ModTime()}
}

// load reads both files into a fresh book, replacing the current one only on success.
func (s *FileStore) load() error {
	stamp := stampOf(s.path)
	b := newBook(s.book.limit)
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("cannot read the offset file %s: %w", s.path, err)
	default:
		if err := decodeOffsetsFile(b, data, stamp.mod); err != nil {
			return corruptFileError(s.path, err)
		}
	}
	hdata, err := os.ReadFile(s.historyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("cannot read the offset history file %s: %w", s.historyPath, err)
	default:
		if err := decodeHistoryFile(b, hdata); err != nil {
			return corruptFileError(s.historyPath, err)
		}
	}
	s.book = b
	s.seen = stamp
	return nil
}

func corruptFileError(path string, err error) error {
	return fmt.Errorf("offset file %s is damaged or not a connectd offset file (%w); it is left untouched and "+
		"nothing was loaded from it: restore it from a backup or fix it by hand (the format is in the "+
		"documentation of package offsets); to start every connector from scratch on purpose, move the "+
		"file away", path, err)
}

// clone copies the book's maps (entries are immutable once stored, so sharing them is safe).
func (b *book) clone() *book {
	n := &book{slots: make(map[string]*slot, len(b.slots)), history: make(map[string]*historyList, len(b.history)), limit: b.limit}
	for k, v := range b.slots {
		n.slots[k] = v
	}
	for k, v := range b.history {
		c := *v
		c.items = append([]historyItem(nil), v.items...)
		n.history[k] = &c
	}
	return n
}

// encodeOffsetsFile writes one offset per line, sorted by key, so the file reads and diffs well.
func encodeOffsetsFile(b *book) []byte {
	keys := sortedKeys(b.slots)
	out := []byte(`{"format":"` + fileFormat + `","version":` + strconv.Itoa(fileVersion) + `,"offsets":[`)
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, "\n{\"key\":"...)
		out = append(out, k...)
		out = append(out, ",\"value\":"...)
		out = append(out, b.slots[k].value...)
		out = append(out, '}')
	}
	return append(out, "\n]}\n"...)
}

func encodeHistoryFile(b *book) []byte {
	keys := sortedKeys(b.history)
	out := []byte(`{"format":"` + historyFileFormat + `","version":` + strconv.Itoa(fileVersion) + `,"history":[`)
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, "\n{\"key\":"...)
		out = append(out, k...)
		out = append(out, ",\"entries\":"...)
		out = appendHistoryItems(out, b.history[k].items)
		out = append(out, '}')
	}
	return append(out, "\n]}\n"...)
}

// appendHistoryItems writes [{"ts_ms":..,"offset":{..}|null},...], the list both the history file
// and the Kafka history topic use.
func appendHistoryItems(out []byte, items []historyItem) []byte {
	out = append(out, '[')
	for j, it := range items {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"ts_ms":`...)
		out = strconv.AppendInt(out, it.at.UnixMilli(), 10)
		out = append(out, `,"offset":`...)
		if it.value == nil {
			out = append(out, "null"...)
		} else {
			out = append(out, it.value...)
		}
		out = append(out, '}')
	}
	return append(out, ']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fileHeader checks the format marker and version of a parsed file and returns its list field.
func fileHeader(data []byte, format, listField string) ([]any, error) {
	if len(data) == 0 {
		return nil, errors.New("the file is empty (a file connectd writes is never empty; it may have been truncated)")
	}
	v, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON, possibly truncated: %w", err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the file holds a JSON %s, not an object", jsonKind(v))
	}
	if f, _ := top["format"].(string); f != format {
		return nil, fmt.Errorf("the \"format\" field is %s, expected %q", describeField(top["format"]), format)
	}
	if ver, _ := top["version"].(int64); ver != fileVersion {
		return nil, fmt.Errorf("the \"version\" field is %s; this connectd reads version %d", describeField(top["version"]), fileVersion)
	}
	list, ok := top[listField].([]any)
	if !ok {
		return nil, fmt.Errorf("the %q field is %s, expected a list", listField, describeField(top[listField]))
	}
	return list, nil
}

func describeField(v any) string {
	if v == nil {
		return "missing or null"
	}
	b, err := appendValue(nil, v, 0)
	if err != nil {
		return jsonKind(v)
	}
	return string(b)
}

// fileKey reads the "key" field of a file entry and returns its canonical bytes.
func fileKey(i int, v any) (key []byte, connector string, partition map[string]any, err error) {
	connector, partition, _, err = keyFromJSON(v)
	if err != nil {
		return nil, "", nil, fmt.Errorf("entry %d: %w", i+1, err)
	}
	key, err = EncodeKey(connector, partition)
	if err != nil {
		return nil, "", nil, fmt.Errorf("entry %d: %w", i+1, err)
	}
	partition, _ = canonicalPartition(key)
	return key, connector, partition, nil
}

func decodeOffsetsFile(b *book, data []byte, mod time.Time) error {
	list, err := fileHeader(data, fileFormat, "offsets")
	if err != nil {
		return err
	}
	for i, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("entry %d is a JSON %s, expected {\"key\":...,\"value\":...}", i+1, jsonKind(e))
		}
		key, connector, partition, err := fileKey(i, obj["key"])
		if err != nil {
			return err
		}
		off, ok := obj["value"].(map[string]any)
		if !ok {
			return fmt.Errorf("entry %d (%s): the value is %s, expected an offset object", i+1, key, describeField(obj["value"]))
		}
		value, err := EncodeOffset(off)
		if err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+1, key, err)
		}
		b.put(key, connector, partition, off, value, mod)
	}
	return nil
}

func decodeHistoryFile(b *book, data []byte) error {
	list, err := fileHeader(data, historyFileFormat, "history")
	if err != nil {
		return err
	}
	for i, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("entry %d is a JSON %s, expected {\"key\":...,\"entries\":[...]}", i+1, jsonKind(e))
		}
		key, connector, partition, err := fileKey(i, obj["key"])
		if err != nil {
			return err
		}
		items, err := historyItemsFromJSON(obj["entries"])
		if err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+1, key, err)
		}
		b.storeHistory(key, &historyList{connector: connector, partition: partition, items: items})
	}
	return nil
}

// historyItemsFromJSON reads the list appendHistoryItems writes.
func historyItemsFromJSON(v any) ([]historyItem, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("the history entries are %s, expected a list", describeField(v))
	}
	items := make([]historyItem, 0, len(list))
	for j, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("history entry %d is a JSON %s, expected {\"ts_ms\":...,\"offset\":...}", j+1, jsonKind(e))
		}
		ts, ok := obj["ts_ms"].(int64)
		if !ok {
			return nil, fmt.Errorf("history entry %d: \"ts_ms\" is %s, expected milliseconds since the epoch", j+1, describeField(obj["ts_ms"]))
		}
		it := historyItem{at: time.UnixMilli(ts)}
		switch off := obj["offset"].(type) {
		case nil:
		case map[string]any:
			value, err := EncodeOffset(off)
			if err != nil {
				return nil, fmt.Errorf("history entry %d: %w", j+1, err)
			}
			it.offset, it.value = off, value
		default:
			return nil, fmt.Errorf("history entry %d: \"offset\" is a JSON %s, expected an object or null", j+1, jsonKind(off))
		}
		items = append(items, it)
	}
	return items, nil
}

// writeFileAtomic replaces path with data so that a crash at any point leaves either the old or
// the new content: write a temporary file in the same directory, fsync it, rename it over path,
// fsync the directory so the rename itself is durable.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, werr)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%s: cannot open the directory to sync the rename: %w", path, err)
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("%s: cannot sync the directory after the rename: %w", path, serr)
	}
	return nil
}

var _ Store = (*FileStore)(nil)

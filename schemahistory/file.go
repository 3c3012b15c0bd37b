package schemahistory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// ErrTornRecord is wrapped by the error about a history file whose last line is an incomplete
// record: the process died while appending it.
var ErrTornRecord = errors.New("the schema history file ends with an incomplete record")

// FileOptions tune a FileStore.
type FileOptions struct {
	// CatalogBeforeSchema is handed to the decoder; see Decoder.
	CatalogBeforeSchema bool
	// TruncateTornRecord lets OpenFile cut off an incomplete last line instead of refusing to open
	// the file. The record on it was never acknowledged (Record returns after the sync), so the
	// connector records that schema change again when it replays the log; still, dropping data is
	// the operator's decision, never the default.
	TruncateTornRecord bool
}

// FileStore keeps the history in a local file, one compact JSON record per line, the layout of
// Debezium's FileSchemaHistory (schema.history.internal.file.filename): either can read the
// other's file. Each Record call appends its lines with one write and syncs the file before
// returning.
type FileStore struct {
	path string
	opts FileOptions

	mu   sync.Mutex
	f    *os.File
	size int64 // bytes of complete records, where the next record goes
	buf  []byte
}

// OpenFile opens the history file at path, creating it and its directory if missing. A last line
// that is not a complete record (a write cut short by a crash) is an error naming the file and
// line, unless opts.TruncateTornRecord allows cutting it off.
func OpenFile(path string, opts FileOptions) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("the file schema history needs a file: set schema.history.internal.file.filename")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create the directory of schema history file %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open schema history file %s: %w", path, err)
	}
	s := &FileStore{path: path, opts: opts, f: f}
	if err := s.checkTail(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// checkTail finds where the complete records end. A last line without its newline is kept when it
// holds a whole record (a newline is added before the next record) and is torn otherwise.
func (s *FileStore) checkTail() error {
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read schema history file %s: %w", s.path, err)
	}
	size := fi.Size()
	start, tail, err := s.lastLine(size)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(tail)) == 0 {
		s.size = size
		return nil
	}
	if _, derr := NewDecoder(s.opts.CatalogBeforeSchema).Decode(tail); derr == nil {
		if _, err := s.f.WriteAt([]byte{'\n'}, size); err != nil {
			return fmt.Errorf("cannot append to schema history file %s: %w", s.path, err)
		}
		s.size = size + 1
		return s.sync()
	} else if !s.opts.TruncateTornRecord {
		line, err := s.lineNumber(start)
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: %s line %d (%d bytes, no newline): %v; the process probably died while writing it. "+
			"To drop that line and go on (the connector records the change again when it replays the log from its "+
			"last offset), restart with schema.history.internal.file.truncate.torn.record=true, or cut the line off "+
			"yourself (truncate -s %d %s)", ErrTornRecord, s.path, line, len(tail), derr, start, s.path)
	}
	if err := s.f.Truncate(start); err != nil {
		return fmt.Errorf("cannot truncate the incomplete last record of schema history file %s: %w", s.path, err)
	}
	s.size = start
	return s.sync()
}

// lastLine returns the offset and bytes of the text after the file's last newline.
func (s *FileStore) lastLine(size int64) (int64, []byte, error) {
	const chunk = 64 << 10
	var tail []byte
	end := size
	for end > 0 {
		n := min(int64(chunk), end)
		b := make([]byte, n)
		if _, err := s.f.ReadAt(b, end-n); err != nil {
			return 0, nil, fmt.Errorf("cannot read schema history file %s: %w", s.path, err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			tail = append(b[i+1:], tail...)
			return end - n + int64(i) + 1, tail, nil
		}
		tail = append(b, tail...)
		end -= n
	}
	return 0, tail, nil
}

// lineNumber returns the 1-based line that starts at offset off.
func (s *FileStore) lineNumber(off int64) (int, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, off), 64<<10)
	line := 1
	for {
		b, err := r.ReadSlice('\n')
		line += bytes.Count(b, []byte{'\n'})
		if err == io.EOF {
			return line, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return 0, fmt.Errorf("cannot read schema history file %s: %w", s.path, err)
		}
	}
}

func (s *FileStore) sync() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("cannot sync schema history file %s to disk: %w", s.path, err)
	}
	return nil
}

// Path returns the file's path.
func (s *FileStore) Path() string { return s.path }

// Record implements Store: one write of all records' lines, then fsync.
func (s *FileStore) Record(ctx context.Context, recs ...*Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("cannot record in schema history file %s: the store is closed", s.path)
	}
	buf := s.buf[:0]
	for _, rec := range recs {
		var err error
		if buf, err = AppendRecord(buf, rec, Compact); err != nil {
			return fmt.Errorf("cannot record in schema history file %s: %w", s.path, err)
		}
		buf = append(buf, '\n')
	}
	s.buf = buf
	n, err := s.f.WriteAt(buf, s.size)
	if err != nil {
		// Cut off what was written, so the file ends with whole records again.
		if terr := s.f.Truncate(s.size); terr != nil {
			return fmt.Errorf("cannot append to schema history file %s: %w (and cutting off the partial write failed: %v)", s.path, err, terr)
		}
		return fmt.Errorf("cannot append to schema history file %s: %w", s.path, err)
	}
	if err := s.sync(); err != nil {
		return err
	}
	s.size += int64(n)
	return nil
}

// Recover implements Store: it reads the records present when it starts, skipping blank lines as
// Debezium does. A line that is not a record is an error naming the file and line.
func (s *FileStore) Recover(ctx context.Context, fn func(*Record) error) error {
	s.mu.Lock()
	f, size := s.f, s.size
	s.mu.Unlock()
	if f == nil {
		return fmt.Errorf("cannot read schema history file %s: the store is closed", s.path)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 256<<10)
	dec := NewDecoder(s.opts.CatalogBeforeSchema)
	var long []byte
	for line := 1; ; line++ {
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // a line longer than the buffer: collect it
			long = append(long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = r.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("cannot read schema history file %s: %w", s.path, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			rec, derr := dec.Decode(b)
			if derr != nil {
				return fmt.Errorf("schema history file %s line %d: %w", s.path, line, derr)
			}
			if ferr := fn(rec); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// Exists implements Store: the file holds at least one record.
func (s *FileStore) Exists(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size > 0, nil
}

// Close implements Store.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

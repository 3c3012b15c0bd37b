package postgres

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pglogrepl"
)

// Streaming of in-progress transactions (pgoutput protocol 2, streaming 'on', PostgreSQL 14+):
// the server sends a transaction larger than logical_decoding_work_mem in chunks while it is
// still running, interleaved with other transactions, and only later says whether it committed
// (Stream Commit) or aborted, wholly or a subtransaction (Stream Abort). Emitting the chunks as
// they come would publish changes that may be rolled back, and out of commit order. So each
// streamed transaction is spooled to a file as it arrives and replayed as one transaction at its
// Stream Commit, at its place in commit order; memory stays bounded whatever its size.

// spool is the file of one streamed transaction: records of [length uint32][lsn uint64][message],
// the message as received (protocol 2, with its (sub)transaction id after the type byte).
type spool struct {
	xid     uint32
	path    string
	f       *os.File
	w       *bufio.Writer
	aborted map[uint32]bool // subtransactions rolled back (ROLLBACK TO SAVEPOINT)
	records int64
}

// spoolFor returns the spool of a streamed transaction, creating it at its first segment.
func (t *Task) spoolFor(xid uint32) (*spool, error) {
	if sp := t.spools[xid]; sp != nil {
		return sp, nil
	}
	if t.spoolDir == "" {
		dir, err := os.MkdirTemp("", "connectd-pg-spool-")
		if err != nil {
			return nil, fmt.Errorf("cannot create a directory to spool streamed transactions (set TMPDIR to a writable directory): %w", err)
		}
		t.spoolDir = dir
	}
	f, err := os.CreateTemp(t.spoolDir, fmt.Sprintf("tx-%d-*", xid))
	if err != nil {
		return nil, fmt.Errorf("cannot create the spool file of streamed transaction %d: %w", xid, err)
	}
	sp := &spool{xid: xid, path: f.Name(), f: f, w: bufio.NewWriterSize(f, 256<<10), aborted: map[uint32]bool{}}
	if t.spools == nil {
		t.spools = map[uint32]*spool{}
	}
	t.spools[xid] = sp
	return sp, nil
}

// append spools one message received inside a stream block.
func (sp *spool) append(lsn pglogrepl.LSN, data []byte) error {
	var hdr [12]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	binary.BigEndian.PutUint64(hdr[4:], uint64(lsn))
	if _, err := sp.w.Write(hdr[:]); err != nil {
		return fmt.Errorf("cannot spool streamed transaction %d to %s (disk full?): %w", sp.xid, sp.path, err)
	}
	if _, err := sp.w.Write(data); err != nil {
		return fmt.Errorf("cannot spool streamed transaction %d to %s (disk full?): %w", sp.xid, sp.path, err)
	}
	sp.records++
	return nil
}

// discard removes the spool's file.
func (sp *spool) discard() {
	_ = sp.f.Close()
	_ = os.Remove(sp.path)
}

// dropSpools removes every spool (on stop; a restart receives the transactions again).
func (t *Task) dropSpools() {
	for xid, sp := range t.spools {
		sp.discard()
		delete(t.spools, xid)
	}
	if t.spoolDir != "" {
		_ = os.RemoveAll(t.spoolDir)
		t.spoolDir = ""
	}
}

// handleStreamControl processes the protocol 2 stream messages; handled reports whether data was
// one of them or was spooled.
func (t *Task) handleStreamControl(ctx context.Context, lsn pglogrepl.LSN, data []byte) (handled bool, err error) {
	switch data[0] {
	case 'S', 'E', 'c', 'A':
	default:
		if t.streamXid == 0 {
			return false, nil
		}
		sp := t.spools[t.streamXid]
		if sp == nil {
			return true, fmt.Errorf("message inside the stream of transaction %d, which has no spool", t.streamXid)
		}
		return true, sp.append(lsn, data)
	}
	msg, err := parseV2(data)
	if err != nil {
		return true, err
	}
	switch m := msg.(type) {
	case *pglogrepl.StreamStartMessageV2:
		if _, err := t.spoolFor(m.Xid); err != nil {
			return true, err
		}
		t.streamXid = m.Xid
	case *pglogrepl.StreamStopMessageV2:
		t.streamXid = 0
	case *pglogrepl.StreamAbortMessageV2:
		sp := t.spools[m.Xid]
		if sp == nil {
			return true, nil
		}
		if m.SubXid == m.Xid {
			sp.discard()
			delete(t.spools, m.Xid)
		} else {
			sp.aborted[m.SubXid] = true
		}
	case *pglogrepl.StreamCommitMessageV2:
		sp := t.spools[m.Xid]
		if sp == nil {
			return true, fmt.Errorf("commit of streamed transaction %d, which was never streamed; the stream is out of sync", m.Xid)
		}
		delete(t.spools, m.Xid)
		defer sp.discard()
		return true, t.replay(ctx, sp, m)
	}
	return true, nil
}

// parseV2 decodes a protocol 2 stream control message; malformed input is an error, not a panic.
func parseV2(data []byte) (m pglogrepl.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed pgoutput stream message (type %q, %d bytes): %v", data[0], len(data), r)
		}
	}()
	return pglogrepl.ParseV2(data, false)
}

// replay emits a committed streamed transaction from its spool as one transaction, skipping the
// changes of its rolled-back subtransactions. Its Relation messages are applied as they come, to
// the connector's table structures: at a stream commit the server counts them as sent for later
// transactions too (as PostgreSQL's own apply worker, which also replays them at commit, expects).
// No other transaction can change those tables' structure meanwhile: the streamed transaction
// holds a lock that ALTER TABLE waits for.
func (t *Task) replay(ctx context.Context, sp *spool, m *pglogrepl.StreamCommitMessageV2) error {
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("cannot write the spool of streamed transaction %d: %w", sp.xid, err)
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cannot read back the spool of streamed transaction %d: %w", sp.xid, err)
	}
	r := bufio.NewReaderSize(sp.f, 256<<10)
	began := false
	var buf []byte
	var hdr [12]byte
	lastStatus := time.Now()
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("spool of streamed transaction %d is damaged: %w", sp.xid, err)
		}
		n := int(binary.BigEndian.Uint32(hdr[:4]))
		lsn := pglogrepl.LSN(binary.BigEndian.Uint64(hdr[4:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("spool of streamed transaction %d is damaged: %w", sp.xid, err)
		}
		if n < 5 {
			return fmt.Errorf("spooled message of %d bytes in streamed transaction %d is truncated", n, sp.xid)
		}
		// A rolled-back subtransaction's changes are dropped, but not the Relation and Type
		// messages sent with them: the server counts those as sent for the whole transaction.
		if buf[0] != 'R' && buf[0] != 'Y' && sp.aborted[binary.BigEndian.Uint32(buf[1:5])] {
			continue
		}
		if !began {
			first := lsn
			if first == 0 { // Relation messages carry no position
				first = m.CommitLSN
			}
			if err := t.beginTx(ctx, m.Xid, m.CommitTime, first); err != nil {
				return err
			}
			began = true
		}
		// Drop the transaction id that follows the type byte: the message is then in the
		// protocol 1 form the handlers read.
		buf[4] = buf[0]
		if err := t.handle(ctx, lsn, buf[4:]); err != nil {
			return err
		}
		// A long replay keeps the connection alive, as the receive loop does between messages.
		if time.Since(lastStatus) > t.cfg.StatusInterval {
			if err := t.sendStatusNow(); err != nil {
				return err
			}
			lastStatus = time.Now()
		}
	}
	t.replayed.Add(1)
	if !began { // everything was rolled back: still a commit the restart point may move past
		t.seq.xid, t.seq.commitTime = m.Xid, m.CommitTime
		t.seq.inTx = true
	}
	return t.endTx(ctx, m.TransactionEndLSN, m.CommitTime)
}

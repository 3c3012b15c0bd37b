// Package changetable is the driver-independent core of the connectors that read a database's
// own CDC change tables instead of its log: SQL Server (cdc.fn_cdc_get_all_changes_<instance>)
// and Db2 (the ASN capture's CD tables, ordered by IBMSNAP_COMMITSEQ and IBMSNAP_INTENTSEQ).
//
// It follows Debezium's SqlServerStreamingChangeEventSource (the Db2 connector is a fork of it):
//
//   - positions are LSNs, compared as unsigned bytes, written as Debezium's Lsn.toString
//     ("00000025:00000d98:00a2");
//   - each poll reads every capture instance between the stored commit LSN and the server's
//     maximum LSN and merges the rows by commit LSN, change LSN (seqval) and operation;
//   - an update is the pair of rows 3 (before) and 4 (after) and becomes one event, even when a
//     page boundary of the change-table read falls between them;
//   - offsets are {commit_lsn, change_lsn, event_serial_no}: a restart reads the last transaction
//     again from its commit LSN and skips the rows already emitted, so a restart inside a
//     transaction neither loses nor repeats an event;
//   - when a table has two capture instances (ALTER TABLE followed by a new capture instance),
//     the older one is read up to the newer one's start LSN and the reader then switches, asking
//     the connector to reload the table's structure at that point;
//   - a stored commit LSN below the oldest LSN the change tables still hold is a purged
//     position, decided by package snapshotmode like the other connectors' purged logs.
//
// What is specific to a database — the SQL text, how its driver returns rows, its types — stays
// in the connector; this package sees rows through the Database and Cursor interfaces.
package changetable

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// LSN is a log sequence number as the change tables hold it: SQL Server's binary(10) __$start_lsn
// and __$seqval, Db2's IBMSNAP_COMMITSEQ and IBMSNAP_INTENTSEQ (VARCHAR(16) FOR BIT DATA). The
// string holds the raw bytes, so comparing two LSNs of the same width is comparing strings, as
// Debezium's Lsn.compareTo compares unsigned bytes. The empty LSN is Debezium's Lsn.NULL.
type LSN string

// NullLSN is the absent LSN, smaller than every other.
const NullLSN LSN = ""

// LSNFromBytes returns the LSN of a change-table binary value; nil is NullLSN.
func LSNFromBytes(b []byte) LSN { return LSN(b) }

// ParseLSN reads Debezium's textual form: hex digits with optional ':' separators
// ("00000025:00000d98:00a2"); "" and "NULL" are NullLSN.
func ParseLSN(s string) (LSN, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "NULL" {
		return NullLSN, nil
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil {
		return NullLSN, fmt.Errorf("%q is not an LSN (hex digits such as 00000025:00000d98:00a2): %w", s, err)
	}
	return LSN(b), nil
}

// IsNull reports whether the LSN is absent.
func (l LSN) IsNull() bool { return l == "" }

// Bytes returns the raw bytes, nil for NullLSN, as the drivers take a binary parameter.
func (l LSN) Bytes() []byte {
	if l == "" {
		return nil
	}
	return []byte(l)
}

// String is Debezium's Lsn.toString: two hex digits per byte, a ':' after the fourth and the
// eighth byte, "NULL" for the absent LSN.
func (l LSN) String() string {
	if l == "" {
		return "NULL"
	}
	const digits = "0123456789abcdef"
	b := make([]byte, 0, len(l)*2+2)
	for i := 0; i < len(l); i++ {
		b = append(b, digits[l[i]>>4], digits[l[i]&0xf])
		if i == 3 || i == 7 { // as Debezium, even when the LSN ends there
			b = append(b, ':')
		}
	}
	return string(b)
}

// Compare orders LSNs: NullLSN first, then by unsigned bytes.
func (l LSN) Compare(o LSN) int { return strings.Compare(string(l), string(o)) }

// Position is where a change sits in the log: the commit LSN of its transaction and its own LSN
// inside it (Debezium's TxLogPosition; the operation is not part of the order, as there).
type Position struct {
	Commit LSN
	Change LSN
}

// Compare orders positions by commit LSN, then change LSN.
func (p Position) Compare(o Position) int {
	if c := p.Commit.Compare(o.Commit); c != 0 {
		return c
	}
	return p.Change.Compare(o.Change)
}

// IsNull reports whether the position is absent.
func (p Position) IsNull() bool { return p.Commit.IsNull() && p.Change.IsNull() }

// String is Debezium's TxLogPosition.toString without the operation: "commit(change)".
func (p Position) String() string {
	if p.IsNull() {
		return "NULL"
	}
	return p.Commit.String() + "(" + p.Change.String() + ")"
}

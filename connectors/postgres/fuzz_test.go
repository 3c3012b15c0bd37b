package postgres

import (
	"encoding/binary"
	"testing"

	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/offsets"
	"github.com/jackc/pglogrepl"
)

// fuzzOIDs are the column types FuzzPgoutput decodes tuple values as, with their type modifiers.
var fuzzOIDs = []struct {
	oid    uint32
	typmod int32
}{
	{21, -1}, {23, -1}, {20, -1}, {25, -1}, {1043, 4 + 10}, {1700, -1}, {1700, (10<<16 | 2) + 4},
	{16, -1}, {700, -1}, {701, -1}, {1184, -1}, {1114, 3 + 4}, {1082, -1}, {1083, -1}, {1266, -1},
	{1186, -1}, {17, -1}, {114, -1}, {3802, -1}, {2950, -1}, {1560, 5 + 4}, {1562, -1}, {600, -1},
	{1007, -1}, {1009, -1}, {790, -1}, {869, -1}, {650, -1}, {829, -1}, {142, -1}, {3904, -1},
}

// FuzzPgoutput feeds arbitrary bytes to the pgoutput decoding the connector does itself: row
// change messages are split by parseChange and their TupleData decoded into Connect values for a
// table whose column types the first byte picks; anything else goes to the message parser. The
// stream comes from the server, but a bug or a proxy in between must give an error, never a
// panic or an out-of-range read.
func FuzzPgoutput(f *testing.F) {
	ins := append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("42", "\x00n", "abc")...)
	f.Add(byte(0), ins)
	f.Add(byte(5), append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("-12.50", "1.5e300", "NaN")...))
	f.Add(byte(10), append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("2024-02-29 23:59:59.999999+05:30", "infinity", "2000-01-01")...))
	f.Add(byte(15), append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("1 year 2 mons -3 days 04:05:06.7", "\\xdeadbeef", `{"a":[1,2]}`, `{"b":null}`)...))
	f.Add(byte(20), append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("10101", "1", "(1.5,-2)", "{1,NULL,3}", `{"a b","c\"d"}`)...))
	f.Add(byte(25), append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("08:00:2b:01:02:03", "192.168.0.1/24", "10.0.0.0/8", "::1", "<a/>", "[1,5)")...))
	upd := append([]byte{'U', 0, 0, 0, 7, 'O'}, tuple("1", "old")...)
	upd = append(upd, 'N')
	f.Add(byte(1), append(upd, tuple("1", "\x00u")...))
	f.Add(byte(1), append([]byte{'D', 0, 0, 0, 7, 'K'}, tuple("1", "\x00n")...))
	f.Add(byte(0), []byte{'B', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5})
	f.Add(byte(0), []byte{'S', 0, 0, 0, 9, 1})
	f.Add(byte(0), []byte{'T', 0, 0, 0, 1, 0, 0, 0, 0, 7})
	f.Add(byte(0), []byte{'R', 0, 0, 0, 7, 'p', 'u', 'b', 0, 't', 0, 'd', 0, 1, 1, 'i', 'd', 0, 0, 0, 0, 23, 255, 255, 255, 255})
	reg := pgtypes.NewRegistry()
	opts := pgtypes.DefaultOptions()
	task := &Task{}
	f.Fuzz(func(t *testing.T, types byte, data []byte) {
		if len(data) == 0 {
			return
		}
		switch data[0] {
		case 'I', 'U', 'D':
		case 'S', 'E', 'c', 'A':
			_, _ = parseV2(data)
			return
		default:
			_, _ = parseMessage(data)
			return
		}
		c, err := parseChange(data)
		if err != nil {
			return
		}
		tb := &table{id: tableID("s", "t")}
		n := 0
		for _, td := range [][]byte{c.old, c.new} {
			if td != nil {
				n = max(n, int(binary.BigEndian.Uint16(td)))
			}
		}
		for i := 0; i < n; i++ {
			ty := fuzzOIDs[(int(types)+i)%len(fuzzOIDs)]
			tb.cols = append(tb.cols, column{name: "c", key: i == 0, optional: i%2 == 1, emit: true,
				mapping: opts.Map(reg, ty.oid, ty.typmod)})
		}
		old, err := task.decodeTupleData(tb, c.old, nil, c.oldKind == 'K')
		if err != nil {
			old = nil
		}
		_, _ = task.decodeTupleData(tb, c.new, old, false)
	})
}

// FuzzParsePosition reads arbitrary offset JSON as a PostgreSQL connector offset, as a worker
// does with an offset a user PATCHed in or another tool wrote: an offset that is not one must be
// an error, and one that is must survive being written back unchanged.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{
		`{"lsn":24023128,"txId":555,"ts_usec":1700000000000000}`,
		`{"lsn_proc":100,"lsn_commit":90,"lsn":100,"txId":5,"messageType":"INSERT","events_processed":3}`,
		`{"snapshot":"INITIAL","last_snapshot_record":false,"lsn":100,"txId":5,"snapshot_table":"public.t","snapshot_key":"[1]"}`,
		`{"snapshot":true,"last_snapshot_record":true,"lsn":100}`,
		`{"lsn":"x"}`, `{"lsn":1.5}`, `{"lsn":-1}`, `{"lsn":18446744073709551615}`, `{"file":"mysql-bin.000001","pos":4}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := offsets.DecodeOffset(data)
		if err != nil || m == nil {
			return
		}
		p, err := parsePosition(m)
		if err != nil {
			return
		}
		q, err := parsePosition(p.toMap())
		if err != nil {
			t.Fatalf("written offset does not parse: %v\ninput: %s\nwritten: %v", err, data, p.toMap())
		}
		if q.resumeLSN() != p.resumeLSN() || q.snapshotDone() != p.snapshotDone() || q.TxID != p.TxID {
			t.Fatalf("offset does not round trip\ninput: %s\nfirst:  %+v\nsecond: %+v", data, p, q)
		}
	})
}

// TestTruncateMessageCount is FuzzPgoutput's finding: a Truncate message whose relation count is
// larger than the message made the parser allocate gigabytes before failing.
func TestTruncateMessageCount(t *testing.T) {
	if _, err := parseMessage([]byte("T0\x04\xad\xe7u\xe8N\xc4~")); err == nil {
		t.Fatal("a truncate message claiming 805 million relations in 10 bytes parsed")
	}
	m, err := parseMessage([]byte{'T', 0, 0, 0, 2, 0, 0, 0, 0, 7, 0, 0, 0, 8})
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := m.(*pglogrepl.TruncateMessage); !ok || len(tr.RelationIDs) != 2 || tr.RelationIDs[1] != 8 {
		t.Fatalf("truncate of two relations: %#v", m)
	}
}

package mysql

import (
	"bytes"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// A large blob of a binlog rows event is kept as a slice of the event (go-mysql never reuses it),
// a small one and every snapshot value (whose reader reuses its buffer) are copied; text columns
// are left to their own conversion.
func TestLargeBinlogBlobsReferToTheEvent(t *testing.T) {
	tbl := &relational.Table{Columns: []relational.Column{
		{Name: "id", TypeName: "INT"}, {Name: "b", TypeName: "LONGBLOB"}, {Name: "s", TypeName: "LONGBLOB"}, {Name: "txt", TypeName: "LONGTEXT"},
	}}
	large := bytes.Repeat([]byte{7}, shareBlobBytes)
	text := bytes.Repeat([]byte{'a'}, shareBlobBytes)
	row := []any{int32(1), large, []byte{1, 2}, text}
	shareLargeBlobs(tbl, [][]any{row, {int32(2)}})
	if _, ok := row[1].(eventBytes); !ok {
		t.Fatalf("the large blob is %T, want eventBytes", row[1])
	}
	if _, ok := row[2].([]byte); !ok {
		t.Fatalf("the small blob is %T, want []byte", row[2])
	}
	if _, ok := row[3].([]byte); !ok {
		t.Fatalf("the text value is %T, want []byte (converted to a string by its column)", row[3])
	}

	modes := valueModes{Decimal: envelope.DecimalPrecise, Time: envelope.TimeAdaptiveMicroseconds, Binary: envelope.BinaryBytes, BigintUnsigned: envelope.BigintLong}
	col := columnMapping(&tbl.Columns[1], modes)
	v, err := col.Convert(row[1])
	if err != nil {
		t.Fatal(err)
	}
	b, ok := v.([]byte)
	if !ok || !bytes.Equal(b, large) || &b[0] != &large[0] || cap(b) != len(large) {
		t.Fatalf("the large blob's value (%T, len %d) is not the event's bytes", v, len(b))
	}
	v, err = col.Convert(large) // as the snapshot hands it: a buffer the next row overwrites
	if err != nil {
		t.Fatal(err)
	}
	if b := v.([]byte); !bytes.Equal(b, large) || &b[0] == &large[0] {
		t.Fatal("a snapshot's blob was not copied")
	}
}

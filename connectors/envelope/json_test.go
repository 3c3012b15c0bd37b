package envelope

import (
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
)

// TestJSONPayload encodes a change event with the JSON converter (schemas disabled) and compares
// it with the bytes Kafka's JsonConverter writes for the same Debezium event: field order, nulls,
// the snapshot default "false", and the transaction block.
func TestJSONPayload(t *testing.T) {
	ts := newCustomers(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 6007000, time.UTC)
	src := NewSource(ts.SourceSchema(), &SourceInfo{Version: "3.4.0.Final", Connector: "mysql", Name: "dbserver1", Time: at, DB: "inventory"})
	src.PutIndex(SourceCommonFields+0, "customers")
	src.PutIndex(SourceCommonFields+1, int64(223344))
	src.PutIndex(SourceCommonFields+3, "mysql-bin.000003")
	src.PutIndex(SourceCommonFields+4, int64(154))
	src.PutIndex(SourceCommonFields+5, int32(0))
	recs, err := ts.Records(nil, &Event{Op: OpCreate, After: []any{int64(1004), "Anne", nil}, Source: src,
		Tx: fixedTx{}, Time: at.Add(time.Millisecond)}, true)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := jsonconv.New(map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := conv.Encode(nil, recs[0].ValueSchema, recs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"before":null,"after":{"id":1004,"name":"Anne","score":7},` +
		`"source":{"version":"3.4.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1704164645006,"snapshot":"false","db":"inventory",` +
		`"sequence":null,"ts_us":1704164645006007,"ts_ns":1704164645006007000,"table":"customers","server_id":223344,"gtid":null,` +
		`"file":"mysql-bin.000003","pos":154,"row":0,"thread":null,"query":null},` +
		`"transaction":{"id":"tx-1","total_order":1,"data_collection_order":1},` +
		`"op":"c","ts_ms":1704164645007,"ts_us":1704164645007007,"ts_ns":1704164645007007000}`
	if string(got) != want {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
	kconv, _ := jsonconv.New(map[string]string{"schemas.enable": "true"}, true)
	key, err := kconv.Encode(nil, recs[0].KeySchema, recs[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	wantKey := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,` +
		`"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1004}}`
	if string(key) != wantKey {
		t.Errorf("key\n got %s\nwant %s", key, wantKey)
	}
}

type fixedTx struct{}

func (fixedTx) NextBlock(string) *api.Struct { return TransactionBlock("tx-1", 1, 1) }

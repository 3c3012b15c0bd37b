package postgres

import (
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// The server's WAL end is confirmed only when nothing is owed: between transactions, with the
// last queued record committed. Anything short of that keeps the confirmed position where the
// committed offsets put it, or a crash would skip undelivered changes.
func TestConfirmIdle(t *testing.T) {
	const walEnd = 5000
	owed := (&position{LSN: 4000, LSNProc: 4000, LSNCommit: 3000, TxID: 7, HasTxID: true, EventsProcessed: 2}).toMap()
	cases := []struct {
		name string
		set  func(t *Task)
		want uint64
	}{
		{"nothing queued this run", func(t *Task) {}, walEnd},
		{"the last record committed", func(t *Task) { t.owed, t.done = owed, [2]int64{4000, 2} }, walEnd},
		{"an earlier event at the same LSN committed", func(t *Task) { t.owed, t.done = owed, [2]int64{4000, 1} }, 3000},
		{"an earlier LSN committed", func(t *Task) { t.owed, t.done = owed, [2]int64{3500, 9} }, 3000},
		{"inside a transaction", func(t *Task) { t.seq.inTx = true }, 3000},
		{"a streamed transaction open", func(t *Task) { t.streamXid = 9 }, 3000},
		{"a streamed transaction spooled", func(t *Task) { t.spools = map[uint32]*spool{9: nil} }, 3000},
		{"past the safe position", func(t *Task) { t.seq.safe = walEnd - 1 }, 3000},
	}
	for _, c := range cases {
		tk := &Task{}
		tk.seq.safe = walEnd
		tk.ack.Store(3000)
		c.set(tk)
		tk.confirmIdle(walEnd)
		if got := tk.ack.Load(); got != c.want {
			t.Errorf("%s: confirms %d, want %d", c.name, got, c.want)
		}
	}
	// Committed keeps the furthest (lsn, events) it was given.
	tk := &Task{}
	tk.cfg = &Config{Common: cdcconfig.Common{TopicPrefix: "p"}}
	part := map[string]any{"server": "p"}
	for _, p := range []position{{LSN: 4000, LSNProc: 4000, LSNCommit: 3000, EventsProcessed: 2}, {LSN: 3900, LSNProc: 3900, LSNCommit: 3000}} {
		if err := tk.Committed(t.Context(), []api.PartitionOffset{{Partition: part, Offset: p.toMap()}}); err != nil {
			t.Fatal(err)
		}
	}
	if tk.done != [2]int64{4000, 2} {
		t.Errorf("done %v, want [4000 2]", tk.done)
	}
}

package distributed

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

// worker is one group member in the test with the last assignment it was given.
type worker struct {
	mu    sync.Mutex
	gen   int32
	units int
	m     *Member
}

func (w *worker) get() (int32, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen, w.units
}

func TestMembersShareWorkAndRebalanceOnLeave(t *testing.T) {
	addr := broker.Kafka(t)
	group := testbed.Topic(t, "group")
	work := Work{ConfigOffset: 1, Connectors: map[string]int{"c1": 2, "c2": 3}} // 7 units
	start := func(i int) (*worker, context.CancelFunc) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		w := &worker{}
		w.m = NewMember(cl, MemberConfig{
			Group: group, SessionTimeout: 6 * time.Second, RebalanceTimeout: 10 * time.Second, Heartbeat: 300 * time.Millisecond,
			State: func() WorkerState { return WorkerState{URL: fmt.Sprintf("http://w%d/", i), ConfigOffset: 1} },
			Assign: func(leader, _ string, _, _ int32, ms []MemberState) map[string]Assignment {
				return AssignEager(leader, ms, work)
			},
			Assigned: func(gen int32, _ string, a Assignment) {
				w.mu.Lock()
				w.gen, w.units = gen, len(a.Connectors)+len(a.Tasks)
				w.mu.Unlock()
			},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); w.m.Run(ctx) }()
		return w, func() { cancel(); <-done }
	}
	ws := make([]*worker, 3)
	stops := make([]context.CancelFunc, 3)
	for i := range ws {
		ws[i], stops[i] = start(i)
	}
	defer func() {
		for _, s := range stops[:2] {
			s()
		}
	}()
	waitFor(t, 30*time.Second, func() bool {
		g0, _ := ws[0].get()
		total := 0
		for _, w := range ws {
			g, n := w.get()
			if g != g0 || g <= 0 {
				return false
			}
			total += n
		}
		return total == 7
	})
	// A worker that leaves gives its share to the others in one rebalance, without waiting for
	// its session to time out.
	g3, _ := ws[2].get()
	stops[2]()
	waitFor(t, 20*time.Second, func() bool {
		g0, n0 := ws[0].get()
		g1, n1 := ws[1].get()
		return g0 > g3 && g0 == g1 && n0+n1 == 7
	})
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package distributed

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// coopGroup simulates members applying cooperative assignments: each keeps what it runs, stops
// what is revoked and starts what is assigned.
type coopGroup struct {
	t       *testing.T
	a       *CooperativeAssignor
	gen     int32
	running map[string]*Assignment
	stops   int
	starts  int
}

func (g *coopGroup) round(w Work) map[string]Assignment {
	g.t.Helper()
	var members []MemberState
	for _, id := range sortedIDs(g.running) {
		cur := *g.running[id]
		members = append(members, MemberState{ID: id, State: WorkerState{URL: "http://" + id, Current: &cur}})
	}
	last := g.gen
	g.gen++
	sent, _ := g.a.Assign(members[0].ID, members, w, g.gen, last, 1)
	for id, a := range sent {
		cur := g.running[id]
		for _, c := range a.RevokedConnectors {
			cur.Connectors = slices.DeleteFunc(cur.Connectors, func(x string) bool { return x == c })
			g.stops++
		}
		for _, t := range a.RevokedTasks {
			cur.Tasks = slices.DeleteFunc(cur.Tasks, func(x TaskID) bool { return x == t })
			g.stops++
		}
		cur.Connectors = append(cur.Connectors, a.Connectors...)
		cur.Tasks = append(cur.Tasks, a.Tasks...)
		g.starts += len(a.Connectors) + len(a.Tasks)
	}
	return sent
}

func sortedIDs(m map[string]*Assignment) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (g *coopGroup) sizes() map[string]int {
	out := map[string]int{}
	for id, a := range g.running {
		out[id] = len(a.Connectors) + len(a.Tasks)
	}
	return out
}

func work(n int) Work {
	w := Work{Connectors: map[string]int{}}
	for i := 0; i < n; i++ {
		w.Connectors[fmt.Sprintf("c%02d", i)] = 1
	}
	return w
}

// A joining member gets an even share taken from the others (revoked in one round, assigned in
// the next) and nothing else moves; a member that leaves has its share held back for the delay
// and then spread, again moving nothing else.
func TestCooperativeAssignorMovesOnlyTheShare(t *testing.T) {
	now := time.Unix(1000, 0)
	a := NewCooperativeAssignor(10 * time.Second)
	a.Now = func() time.Time { return now }
	g := &coopGroup{t: t, a: a, running: map[string]*Assignment{"w1": {}, "w2": {}, "w3": {}}}
	w := work(30) // 30 connectors + 30 tasks
	g.round(w)
	for id, n := range g.sizes() {
		if n != 20 {
			t.Fatalf("initial: %s runs %d, want 20: %v", id, n, g.sizes())
		}
	}
	if g.stops != 0 {
		t.Fatalf("initial assignment stopped %d", g.stops)
	}

	g.running["w4"] = &Assignment{}
	sent := g.round(w)
	if len(sent["w4"].Connectors)+len(sent["w4"].Tasks) != 0 {
		t.Errorf("the new member got work in the revocation round: %+v", sent["w4"])
	}
	revoked := g.stops
	// Kafka's policy: each member keeps up to the ceiling of the new average (8 connectors, 8
	// tasks), so 2+2 leave each of the three.
	if revoked != 12 {
		t.Errorf("revoked %d, want 12", revoked)
	}
	g.round(w) // the members that revoked rejoin: the revoked work goes to w4
	if s := g.sizes(); s["w4"] != 12 || s["w1"] != 16 {
		t.Errorf("after the join: %v", s)
	}
	if g.stops != revoked {
		t.Errorf("the second round stopped %d more", g.stops-revoked)
	}

	// w2 dies: its share is held back while the delay runs.
	gone := g.sizes()["w2"]
	delete(g.running, "w2")
	stops := g.stops
	sent = g.round(w)
	if sent["w1"].Delay != 10000 {
		t.Errorf("delay %d, want 10000", sent["w1"].Delay)
	}
	for id, s := range sent {
		if len(s.Connectors)+len(s.Tasks) != 0 {
			t.Errorf("%s got work before the delay passed: %+v", id, s)
		}
	}
	now = now.Add(11 * time.Second)
	g.round(w)
	total := 0
	for _, n := range g.sizes() {
		total += n
	}
	if total != 60 || g.stops != stops {
		t.Errorf("after the delay: %v (total %d), %d stops", g.sizes(), total, g.stops-stops)
	}
	_ = gone

	// A deleted connector is revoked where it runs; nothing else is.
	stops = g.stops
	delete(w.Connectors, "c00")
	g.round(w)
	if g.stops-stops != 2 {
		t.Errorf("deleting one connector (and its task) stopped %d", g.stops-stops)
	}
}

func TestCooperativeAssignmentWireFormat(t *testing.T) {
	in := Assignment{Version: 1, Leader: "w1", LeaderURL: "http://a:8083/", ConfigOffset: 7,
		Connectors: []string{"a"}, Tasks: []TaskID{{"a", 0}, {"c", 1}}, RevokedConnectors: []string{"b"}, RevokedTasks: []TaskID{{"b", 0}}, Delay: 5000}
	b := EncodeAssignmentVersion(in, 1)
	out, err := DecodeAssignment(b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	// The delay is the last four bytes, after the revoked array.
	if d := b[len(b)-4:]; d[2] != 0x13 || d[3] != 0x88 {
		t.Errorf("delay bytes %x", d)
	}
	st := WorkerState{URL: "http://w:8083/", ConfigOffset: 9, Current: &Assignment{Version: 2, Connectors: []string{"x"}}}
	got, err := DecodeWorkerState(EncodeWorkerStateVersion(st, 2))
	if err != nil || got.URL != st.URL || got.ConfigOffset != 9 || got.Current == nil || got.Current.Connectors[0] != "x" || got.Current.Version != 2 {
		t.Fatalf("V2 metadata: %+v %v", got, err)
	}
	empty := EncodeWorkerStateVersion(WorkerState{URL: "u"}, 1)
	if tail := empty[len(empty)-4:]; tail[0] != 0xff || tail[3] != 0xff {
		t.Errorf("no current assignment must be a null allocation: %x", tail)
	}
}

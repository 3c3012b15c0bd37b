package distributed

import (
	"slices"
	"sort"
	"time"
)

// CooperativeAssignor is the leader's incremental cooperative assignor (KIP-415), with Kafka
// Connect's IncrementalCooperativeAssignor's policy: members keep what they run; only deleted,
// duplicated and rebalancing work is revoked; new work goes to the least loaded members; when
// members appear with nothing, the others give up just enough to even the load (revoked this
// round, assigned the next); the share of a member that left is held back for
// scheduled.rebalance.max.delay.ms, so a worker that restarts gets it back, and is then handed to
// members that joined meanwhile, or spread as new work. It keeps state between rebalances and is
// used by one goroutine (the member's join loop) only.
type CooperativeAssignor struct {
	// MaxDelay is scheduled.rebalance.max.delay.ms.
	MaxDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	prev        units // what the last assignment left running (plus lost work held back)
	prevRevoked units
	prevGen     int32
	prevMembers map[string]bool
	scheduled   time.Time
	delay       time.Duration
	candidates  []string
}

// NewCooperativeAssignor returns an assignor with no history.
func NewCooperativeAssignor(maxDelay time.Duration) *CooperativeAssignor {
	return &CooperativeAssignor{MaxDelay: maxDelay, prevGen: -1}
}

// units is a set of connectors and tasks.
type units struct {
	conns map[string]bool
	tasks map[TaskID]bool
}

func newUnits() units { return units{conns: map[string]bool{}, tasks: map[TaskID]bool{}} }

func (u units) empty() bool { return len(u.conns) == 0 && len(u.tasks) == 0 }

func (u units) add(conns []string, tasks []TaskID) {
	for _, c := range conns {
		u.conns[c] = true
	}
	for _, t := range tasks {
		u.tasks[t] = true
	}
}

// minus returns u without everything in the others.
func (u units) minus(others ...units) units {
	out := newUnits()
	for c := range u.conns {
		if !anyHasConn(others, c) {
			out.conns[c] = true
		}
	}
	for t := range u.tasks {
		if !anyHasTask(others, t) {
			out.tasks[t] = true
		}
	}
	return out
}

func anyHasConn(us []units, c string) bool {
	for _, u := range us {
		if u.conns[c] {
			return true
		}
	}
	return false
}

func anyHasTask(us []units, t TaskID) bool {
	for _, u := range us {
		if u.tasks[t] {
			return true
		}
	}
	return false
}

func (u units) sortedConns() []string {
	out := make([]string, 0, len(u.conns))
	for c := range u.conns {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func (u units) sortedTasks() []TaskID {
	out := make([]TaskID, 0, len(u.tasks))
	for t := range u.tasks {
		out = append(out, t)
	}
	sortTasks(out)
	return out
}

func sortTasks(ts []TaskID) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Connector != ts[j].Connector {
			return ts[i].Connector < ts[j].Connector
		}
		return ts[i].Task < ts[j].Task
	})
}

// load is what one member runs.
type load struct {
	id    string
	conns []string
	tasks []TaskID
}

func (l *load) size() int { return len(l.conns) + len(l.tasks) }

// loads returns each member's current assignment without the excluded units.
func loads(members []MemberState, exclude units) []*load {
	out := make([]*load, 0, len(members))
	for _, m := range members {
		l := &load{id: m.ID}
		if c := m.State.Current; c != nil {
			for _, x := range c.Connectors {
				if !exclude.conns[x] {
					l.conns = append(l.conns, x)
				}
			}
			for _, x := range c.Tasks {
				if !exclude.tasks[x] {
					l.tasks = append(l.tasks, x)
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// Assign computes the next assignment. gen is the generation being formed, lastGen the last
// one this leader completed (a mismatch means it did not see the previous assignment, whose view
// is then dropped); version is the protocol version (1 or 2) to mark the assignments with. It
// returns what each member is sent (incremental) and what each then runs (for the leader's
// view of who runs what).
func (c *CooperativeAssignor) Assign(leaderID string, members []MemberState, w Work, gen, lastGen int32, version int16) (sent, full map[string]Assignment) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	if c.prevGen != lastGen {
		c.prev = newUnits()
	}
	if c.prev.conns == nil {
		c.prev = newUnits()
	}
	configured := newUnits()
	for name, n := range w.Connectors {
		configured.conns[name] = true
		for t := 0; t < n; t++ {
			configured.tasks[TaskID{Connector: name, Task: int32(t)}] = true
		}
	}
	active := newUnits()
	count := map[any]int{}
	for _, m := range members {
		if cur := m.State.Current; cur != nil {
			active.add(cur.Connectors, cur.Tasks)
			for _, x := range cur.Connectors {
				count[x]++
			}
			for _, x := range cur.Tasks {
				count[x]++
			}
		}
	}
	// A revocation that did not happen (the member did not rejoin with less) makes what the
	// members report the truth.
	if !c.prevRevoked.empty() {
		for x := range c.prevRevoked.conns {
			if active.conns[x] {
				c.prev = active.minus()
				break
			}
		}
		for x := range c.prevRevoked.tasks {
			if active.tasks[x] {
				c.prev = active.minus()
				break
			}
		}
	}
	c.prevRevoked = newUnits()

	// Deleted: known (from the last assignment or from the members) but no longer configured.
	known := newUnits()
	known.add(c.prev.sortedConns(), c.prev.sortedTasks())
	known.add(active.sortedConns(), active.sortedTasks())
	deleted := known.minus(configured)
	lost := c.prev.minus(active, deleted)
	fresh := configured.minus(c.prev, active)

	revoke := map[string]units{}
	revokeOf := func(id string) units {
		u, ok := revoke[id]
		if !ok {
			u = newUnits()
			revoke[id] = u
		}
		return u
	}
	for _, l := range loads(members, newUnits()) {
		for _, x := range l.conns {
			if deleted.conns[x] || count[x] > 1 {
				revokeOf(l.id).conns[x] = true
			}
		}
		for _, x := range l.tasks {
			if deleted.tasks[x] || count[x] > 1 {
				revokeOf(l.id).tasks[x] = true
			}
		}
	}
	// Duplicates are revoked from every holder; not being active any more, they are assigned
	// again as new work in the next round, as Kafka does.
	current := loads(members, deleted)
	noDup := loads(members, deleted)
	for _, l := range noDup {
		r := revoke[l.id]
		if r.conns == nil {
			continue
		}
		l.conns = slices.DeleteFunc(l.conns, func(x string) bool { return r.conns[x] })
		l.tasks = slices.DeleteFunc(l.tasks, func(x TaskID) bool { return r.tasks[x] })
	}
	complete := loads(members, deleted)

	c.handleLost(lost, fresh, complete, members, now)

	if c.delay == 0 {
		for id, u := range c.balance(configured, noDup) {
			r := revokeOf(id)
			for x := range u.conns {
				r.conns[x] = true
			}
			for x := range u.tasks {
				r.tasks[x] = true
			}
		}
	}
	assignConnectors(complete, fresh.sortedConns())
	assignTasks(complete, fresh.sortedTasks())

	var leaderURL string
	for _, m := range members {
		if m.ID == leaderID {
			leaderURL = m.State.URL
		}
	}
	before := map[string]*load{}
	for _, l := range current {
		before[l.id] = l
	}
	sent = make(map[string]Assignment, len(members))
	full = make(map[string]Assignment, len(members))
	next := newUnits()
	for _, l := range complete {
		r := revoke[l.id]
		if r.conns == nil {
			r = newUnits()
		}
		b := before[l.id]
		a := Assignment{Version: version, Leader: leaderID, LeaderURL: leaderURL, ConfigOffset: w.ConfigOffset,
			RevokedConnectors: r.sortedConns(), RevokedTasks: r.sortedTasks(), Delay: int32(c.delay / time.Millisecond)}
		f := Assignment{Version: version, Leader: leaderID, LeaderURL: leaderURL, ConfigOffset: w.ConfigOffset}
		for _, x := range l.conns {
			if !slices.Contains(b.conns, x) {
				a.Connectors = append(a.Connectors, x)
			}
			if !r.conns[x] {
				f.Connectors = append(f.Connectors, x)
				next.conns[x] = true
			}
		}
		for _, x := range l.tasks {
			if !slices.Contains(b.tasks, x) {
				a.Tasks = append(a.Tasks, x)
			}
			if !r.tasks[x] {
				f.Tasks = append(f.Tasks, x)
				next.tasks[x] = true
			}
		}
		for x := range r.conns {
			c.prevRevoked.conns[x] = true
		}
		for x := range r.tasks {
			c.prevRevoked.tasks[x] = true
		}
		sent[l.id], full[l.id] = a, f
	}
	// Lost work held back stays "assigned" in the leader's memory until the delay passes.
	next.add(lost.sortedConns(), lost.sortedTasks())
	c.prev = next
	c.prevGen = gen
	c.prevMembers = map[string]bool{}
	for _, m := range members {
		c.prevMembers[m.ID] = true
	}
	return sent, full
}

func (c *CooperativeAssignor) handleLost(lost, fresh units, complete []*load, members []MemberState, now time.Time) {
	if lost.empty() {
		c.resetDelay()
		return
	}
	present := map[string]bool{}
	for _, m := range members {
		present[m.ID] = true
	}
	allBack := true
	for id := range c.prevMembers {
		allBack = allBack && present[id]
	}
	if c.scheduled.IsZero() && allBack || c.MaxDelay <= 0 {
		// Nobody left: the work was lost on the way (a member missed the last assignment).
		fresh.add(lost.sortedConns(), lost.sortedTasks())
		c.resetDelay()
		return
	}
	if !c.scheduled.IsZero() && !now.Before(c.scheduled) {
		var cands []*load
		for _, id := range c.candidates {
			for _, l := range complete {
				if l.id == id {
					cands = append(cands, l)
				}
			}
		}
		if len(cands) == 0 {
			fresh.add(lost.sortedConns(), lost.sortedTasks())
		} else {
			for i, x := range lost.sortedConns() {
				cands[i%len(cands)].conns = append(cands[i%len(cands)].conns, x)
			}
			for i, x := range lost.sortedTasks() {
				cands[i%len(cands)].tasks = append(cands[i%len(cands)].tasks, x)
			}
		}
		c.resetDelay()
		return
	}
	for _, l := range complete {
		if l.size() == 0 && !slices.Contains(c.candidates, l.id) {
			c.candidates = append(c.candidates, l.id)
		}
	}
	if now.Before(c.scheduled) {
		c.delay = min(c.scheduled.Sub(now), c.MaxDelay)
	} else {
		c.delay = c.MaxDelay
	}
	c.scheduled = now.Add(c.delay)
}

func (c *CooperativeAssignor) resetDelay() {
	c.candidates, c.scheduled, c.delay = nil, time.Time{}, 0
}

// balance revokes from the members that run something what brings each down to the new
// ceiling of the average, when members with nothing joined; revoked work is assigned in the next
// round to the least loaded, i.e. the new members.
func (c *CooperativeAssignor) balance(configured units, current []*load) map[string]units {
	out := map[string]units{}
	var existing []*load
	for _, l := range current {
		if l.size() > 0 {
			existing = append(existing, l)
		}
	}
	if len(existing) == 0 || len(existing) == len(current) {
		return out
	}
	n := len(current)
	floorC, floorT := len(configured.conns)/n, len(configured.tasks)/n
	ceilC, ceilT := floorC, floorT
	if len(configured.conns)%n != 0 {
		ceilC++
	}
	if len(configured.tasks)%n != 0 {
		ceilT++
	}
	get := func(id string) units {
		u, ok := out[id]
		if !ok {
			u = newUnits()
			out[id] = u
		}
		return u
	}
	for _, l := range existing {
		for i, k := len(l.conns), 0; i > floorC && len(l.conns)-k > ceilC; i, k = i-1, k+1 {
			get(l.id).conns[l.conns[k]] = true
		}
		for i, k := len(l.tasks), 0; i > floorT && len(l.tasks)-k > ceilT; i, k = i-1, k+1 {
			get(l.id).tasks[l.tasks[k]] = true
		}
	}
	return out
}

// assignConnectors hands out connectors one at a time to the members with the fewest, in
// rounds, as Kafka's assignConnectors does.
func assignConnectors(ls []*load, conns []string) {
	for _, x := range conns {
		best := ls[0]
		for _, l := range ls[1:] {
			if len(l.conns) < len(best.conns) || len(l.conns) == len(best.conns) && l.id < best.id {
				best = l
			}
		}
		best.conns = append(best.conns, x)
	}
}

// assignTasks hands out tasks to the members with the fewest tasks.
func assignTasks(ls []*load, tasks []TaskID) {
	for _, x := range tasks {
		best := ls[0]
		for _, l := range ls[1:] {
			if len(l.tasks) < len(best.tasks) || len(l.tasks) == len(best.tasks) && l.id < best.id {
				best = l
			}
		}
		best.tasks = append(best.tasks, x)
	}
}

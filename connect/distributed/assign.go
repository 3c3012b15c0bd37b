package distributed

import "sort"

// Work is the set of connectors with their task counts the leader distributes, read from the
// config topic at ConfigOffset.
type Work struct {
	ConfigOffset int64
	Connectors   map[string]int // connector name → number of tasks
}

// AssignEager spreads connectors and then tasks round-robin over members (sorted by id), as
// Kafka Connect's eager assignor does, so every worker gets an even share after each rebalance.
func AssignEager(leaderID string, members []MemberState, w Work) map[string]Assignment {
	out := make(map[string]Assignment, len(members))
	if len(members) == 0 {
		return out
	}
	var leaderURL string
	for _, m := range members {
		if m.ID == leaderID {
			leaderURL = m.State.URL
		}
	}
	names := sortedKeys(w.Connectors)
	as := make([]Assignment, len(members))
	for i := range as {
		as[i] = Assignment{Leader: leaderID, LeaderURL: leaderURL, ConfigOffset: w.ConfigOffset}
	}
	i := 0
	for _, c := range names {
		as[i%len(as)].Connectors = append(as[i%len(as)].Connectors, c)
		i++
	}
	for _, c := range names {
		for t := 0; t < w.Connectors[c]; t++ {
			as[i%len(as)].Tasks = append(as[i%len(as)].Tasks, TaskID{Connector: c, Task: int32(t)})
			i++
		}
	}
	for k, m := range members {
		out[m.ID] = as[k]
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

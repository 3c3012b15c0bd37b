package distributed

import (
	"reflect"
	"testing"
)

func TestWorkerStateRoundTrip(t *testing.T) {
	in := WorkerState{URL: "http://127.0.0.1:8083/", ConfigOffset: 42}
	b := EncodeWorkerState(in)
	// version 0, then the URL as an int16-length string, then the offset: Kafka Connect's V0 layout.
	want := append([]byte{0, 0, 0, byte(len(in.URL))}, in.URL...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 42)
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("bytes %v, want %v", b, want)
	}
	out, err := DecodeWorkerState(b)
	if err != nil || out != in {
		t.Fatalf("got %+v, %v", out, err)
	}
	if _, err := DecodeWorkerState(b[:5]); err == nil {
		t.Fatal("truncated metadata must fail")
	}
}

func TestAssignmentRoundTrip(t *testing.T) {
	in := Assignment{Leader: "w1", LeaderURL: "http://a:8083/", ConfigOffset: 7,
		Connectors: []string{"a", "b"}, Tasks: []TaskID{{"a", 0}, {"a", 1}, {"c", 0}}}
	out, err := DecodeAssignment(EncodeAssignment(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
}

func TestAssignEagerSpreadsEvenly(t *testing.T) {
	members := []MemberState{{ID: "m1"}, {ID: "m2", State: WorkerState{URL: "u2"}}, {ID: "m3"}}
	got := AssignEager("m2", members, Work{ConfigOffset: 3, Connectors: map[string]int{"x": 4, "y": 1}})
	total := 0
	for id, a := range got {
		n := len(a.Connectors) + len(a.Tasks)
		total += n
		if n < 2 || n > 3 {
			t.Errorf("%s got %d units, want an even share: %+v", id, n, a)
		}
		if a.LeaderURL != "u2" || a.ConfigOffset != 3 {
			t.Errorf("%s: leader url/config offset not set: %+v", id, a)
		}
	}
	if total != 7 {
		t.Fatalf("assigned %d units, want 7", total)
	}
}

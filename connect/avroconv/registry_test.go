package avroconv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The test bed's registry (Apicurio, tests/avro) runs without authentication, so the credentials
// and the number of requests are checked here on a stand-in that records what it is sent.
func TestRegistryRequestsAndCache(t *testing.T) {
	var posts atomic.Int32
	var mu sync.Mutex
	var subjects []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "reg-user" || p != "s3cret:x" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error_code":401,"message":"Unauthorized"}`)
			return
		}
		var body struct{ Schema string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/versions") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n := posts.Add(1)
		mu.Lock()
		subjects = append(subjects, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/subjects/"), "/versions"))
		mu.Unlock()
		fmt.Fprintf(w, `{"id":%d}`, 100+n)
	}))
	defer srv.Close()
	props := map[string]string{"schema.registry.url": srv.URL, "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "reg-user:s3cret:x"}
	c, err := New(ConfluentClass, props, false)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvelope(t)
	ev := e.event(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				b, err := c.FromConnectData("srv.db.items", e.env, ev)
				if err != nil || len(b) < 5 || b[0] != 0 || b[4] != 101 {
					t.Errorf("encode: % x %v", b[:min(len(b), 5)], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// A schema rebuilt with the same shape (a new pointer) is not registered again.
	if _, err := c.FromConnectData("srv.db.items", newEnvelope(t).env, ev); err != nil {
		t.Fatal(err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the registry was asked %d times for one schema", n)
	}
	if _, err := c.FromConnectData("other", e.env, ev); err != nil {
		t.Fatal(err)
	}
	if len(subjects) != 2 || subjects[0] != "srv.db.items-value" || subjects[1] != "other-value" {
		t.Errorf("subjects %v", subjects)
	}
	if b, err := c.FromConnectData("t", e.env, nil); b != nil || err != nil {
		t.Errorf("tombstone: %v %v", b, err)
	}

	props["basic.auth.user.info"] = "reg-user:wrong"
	bad, err := New(ConfluentClass, props, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.FromConnectData("t", e.key, put(t, e.key, "id", int32(1)))
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "subject t-key") || !strings.Contains(err.Error(), "basic.auth.user.info") {
		t.Errorf("wrong credentials: %v", err)
	}
}

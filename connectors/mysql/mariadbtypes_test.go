package mysql

import (
	"fmt"
	"strings"
	"testing"
)

// TestMariaDBBinaryTextTypes streams UUID, INET4 and INET6 values, edge cases of the server's
// text forms included, and requires every snapshot and streamed value to equal the text the
// server itself prints for the row (a SELECT), so the formatter cannot pass by agreeing with
// itself.
func TestMariaDBBinaryTextTypes(t *testing.T) {
	uuids := []string{"123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "6ba7b810-9dad-41d1-80b4-00c04fd430c8"}
	inet6 := []string{"::", "::1", "2001:db8::1", "::ffff:192.168.0.1", "::1.2.3.4", "::0.0.1.2", "1::",
		"1:0:2:3:4:5:6:7", "1:0:0:2:0:0:0:3", "fe80::1:0:0:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:0.0.0.0", "0:0:0:0:0:1:0:0", "2001:db8:85a3::8a2e:370:7334", "::ffff:1:2"}
	inet4 := []string{"0.0.0.0", "192.168.0.1", "255.255.255.255", "10.0.0.254"}
	n := max(len(uuids), len(inet6), len(inet4))
	row := func(i int) string {
		return fmt.Sprintf("(%d, '%s', '%s', '%s')", i, uuids[i%len(uuids)], inet6[i%len(inet6)], inet4[i%len(inet4)])
	}
	d := newDB(t)
	d.exec("CREATE TABLE b (id INT PRIMARY KEY, u UUID, i6 INET6, i4 INET4)", "INSERT INTO b VALUES "+row(0)+", (99, NULL, NULL, NULL)")
	r, err := startTask(t, d.config("srvbt"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[float64]map[string]any{}
	for _, e := range r.pollUntil(2) {
		after := decode(t, e).Value["after"].(map[string]any)
		got[after["id"].(float64)] = after
	}
	r.waitStreaming()
	var rows []string
	for i := 1; i < n; i++ {
		rows = append(rows, row(i))
	}
	d.exec("INSERT INTO b VALUES " + strings.Join(rows, ", "))
	for _, e := range r.pollUntil(n - 1) {
		after := decode(t, e).Value["after"].(map[string]any)
		got[after["id"].(float64)] = after
	}
	server := d.m.Query("SELECT id, u, i6, i4 FROM b ORDER BY id")
	for _, s := range server {
		var id float64
		fmt.Sscan(s[0], &id)
		ev, ok := got[id]
		if !ok {
			t.Errorf("no event for row %s", s[0])
			continue
		}
		for j, col := range []string{"u", "i6", "i4"} {
			want := any(s[j+1])
			if id == 99 {
				want = nil
			}
			if ev[col] != want {
				t.Errorf("row %s column %s: event %q, server %q", s[0], col, ev[col], want)
			}
		}
	}
}

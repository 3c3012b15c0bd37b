package source

import (
	"strconv"
	"testing"
)

func TestKeysetQuerySpelledOut(t *testing.T) {
	q := &KeysetQuery{Table: "`d`.`t`", Select: []string{"`a`", "`b`", "`v`"}, Key: []string{"`a`"}, Value: func(v string) string { return v }}
	for _, c := range []struct {
		got, want string
	}{
		{q.Chunk(nil, nil, 5), "SELECT `a`, `b`, `v` FROM `d`.`t` ORDER BY `a` LIMIT 5"},
		{q.Chunk([]string{"-7"}, nil, 5), "SELECT `a`, `b`, `v` FROM `d`.`t` WHERE (`a` > -7) ORDER BY `a` LIMIT 5"},
		{q.Chunk(nil, []string{"9"}, 5), "SELECT `a`, `b`, `v` FROM `d`.`t` WHERE (`a` <= 9) ORDER BY `a` LIMIT 5"},
		{q.Count([]string{"4"}), "SELECT COUNT(*) FROM `d`.`t` WHERE (`a` > 4)"},
		{q.KeyAt(nil, 99), "SELECT `a` FROM `d`.`t` ORDER BY `a` LIMIT 1 OFFSET 99"},
	} {
		if c.got != c.want {
			t.Errorf("\n got %s\nwant %s", c.got, c.want)
		}
	}
	q.Key = []string{"`a`", "`b`"}
	if got, want := q.Chunk([]string{"3", "9"}, nil, 100),
		"SELECT `a`, `b`, `v` FROM `d`.`t` WHERE (`a` > 3) OR (`a` = 3 AND `b` > 9) ORDER BY `a`, `b` LIMIT 100"; got != want {
		t.Errorf("composite key:\n got %s\nwant %s", got, want)
	}
	if got, want := q.Chunk([]string{"3", "9"}, []string{"5", "1"}, 100),
		"SELECT `a`, `b`, `v` FROM `d`.`t` WHERE ((`a` > 3) OR (`a` = 3 AND `b` > 9)) AND ((`a` < 5) OR (`a` = 5 AND `b` <= 1)) ORDER BY `a`, `b` LIMIT 100"; got != want {
		t.Errorf("composite range:\n got %s\nwant %s", got, want)
	}
}

func TestKeysetQueryRowValues(t *testing.T) {
	var n int
	q := &KeysetQuery{Table: `"s"."t"`, Select: []string{`"v"`, `"a"`, `"b"`}, Key: []string{`"a"`, `"b"`}, RowValues: true,
		Value: func(string) string { n++; return "$" + strconv.Itoa(n) }}
	if got, want := q.Chunk([]string{"x", "y"}, []string{"p", "q"}, 10),
		`SELECT "v", "a", "b" FROM "s"."t" WHERE ("a", "b") > ($1, $2) AND ("a", "b") <= ($3, $4) ORDER BY "a", "b" LIMIT 10`; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestSplitByCount(t *testing.T) {
	at := func(off int64) ([]string, error) { return []string{strconv.FormatInt(off+1, 10)}, nil }
	cuts, _ := SplitByCount(100, 4, 10, at)
	if len(cuts) != 3 || cuts[0][0] != "25" || cuts[1][0] != "50" || cuts[2][0] != "75" {
		t.Fatalf("cuts %v", cuts)
	}
	if cuts, _ := SplitByCount(25, 4, 10, at); len(cuts) != 1 || cuts[0][0] != "12" {
		t.Fatalf("small table: cuts %v", cuts)
	}
	if cuts, _ := SplitByCount(9, 4, 10, at); cuts != nil {
		t.Fatalf("tiny table: cuts %v", cuts)
	}
}

// TestKeyCondition: the spelled-out form compares every column but the last strictly, the row
// form is one comparison, and paren wraps the spelled-out form whatever its length.
func TestKeyCondition(t *testing.T) {
	for _, tc := range []struct {
		key, vals  []string
		op         string
		row, paren bool
		want       string
	}{
		{[]string{"`a`"}, []string{"1"}, ">", false, true, "((`a` > 1))"},
		{[]string{"`a`"}, []string{"1"}, ">", false, false, "(`a` > 1)"},
		{[]string{"`a`", "`b`"}, []string{"1", "'x'"}, "<=", false, true, "((`a` < 1) OR (`a` = 1 AND `b` <= 'x'))"},
		{[]string{"`a`", "`b`"}, []string{"1", "2"}, ">", false, false, "(`a` > 1) OR (`a` = 1 AND `b` > 2)"},
		{[]string{`"a"`, `"b"`}, []string{"$1", "$2"}, ">", true, false, `("a", "b") > ($1, $2)`},
	} {
		if got := KeyCondition(tc.key, tc.vals, tc.op, tc.row, tc.paren); got != tc.want {
			t.Errorf("KeyCondition(%v, %v, %s, %v, %v) = %s, want %s", tc.key, tc.vals, tc.op, tc.row, tc.paren, got, tc.want)
		}
	}
}

package mysql

import (
	"io"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/connectd/connectd/connect/api"
)

// Error 1236 is both "the position was purged" and "the server cannot read its binlog": each gets
// its own advice, and a broken connection stays retriable.
func TestClassifyStreamError(t *testing.T) {
	tk := &Task{}
	tk.pos.restartFile, tk.pos.restartPos = "mariadb-bin.000001", 4
	cases := []struct {
		err        error
		retriable  bool
		wantInText string
	}{
		{&gomysql.MyError{Code: gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG, Message: "binlog truncated in the middle of event; consider out of disk space on master; the first event 'mariadb-bin.000001' at 4"},
			false, "cannot read its own binlog"},
		{&gomysql.MyError{Code: gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG, Message: "Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged."},
			false, "snapshot.mode=when_needed"},
		{io.ErrUnexpectedEOF, true, "binlog stream failed"},
	}
	for _, c := range cases {
		got := classifyStreamError(c.err, tk)
		if api.IsRetriable(got) != c.retriable || !strings.Contains(got.Error(), c.wantInText) || !strings.Contains(got.Error(), "mariadb-bin.000001") && !c.retriable {
			t.Errorf("%v: got %v (retriable %v), want retriable %v and %q", c.err, got, api.IsRetriable(got), c.retriable, c.wantInText)
		}
	}
}

package mysql

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// A DDL statement the parser cannot read is ignored only when everything it names is outside
// the captured databases, whatever the session's default database is.
func TestUnparseableDDLDecidedByTargets(t *testing.T) {
	task := unitTask(t, FlavorMariaDB, "database.include.list", "app")
	cases := []struct {
		db, sql string
		fails   bool
	}{
		{"tools", "ALTER TABLE app.orders ADD COLUMN x NOSUCHTYPE", true},
		{"tools", "ALTER TABLE `app`.`orders` ADD COLUMN x NOSUCHTYPE", true},
		{"tools", "ALTER TABLE app.orders ADD COLUMN x VARCHAR(3) DEFAULT 'unterminated", true},
		{"tools", "RENAME TABLE tools.a TO app.b, NOSUCHSYNTAX", true},
		{"tools", "CREATE TABLE t LIKE app.orders NOSUCHSYNTAX (", true},
		{"app", "ALTER TABLE orders ADD COLUMN x NOSUCHTYPE", true},
		{"", "ALTER TABLE orders ADD COLUMN x NOSUCHTYPE", true},
		{"tools", "ALTER TABLE orders ADD COLUMN x NOSUCHTYPE", false},
		{"tools", "ALTER TABLE tools.orders ADD COLUMN x NOSUCHTYPE", false},
		{"app", "ALTER TABLE tools.orders ADD COLUMN x NOSUCHTYPE", false},
		{"tools", "DROP TABLE other.x, tools.y NOSUCHSYNTAX", false},
	}
	for _, c := range cases {
		err := task.schemaChange(context.Background(), c.db, c.sql, time.Now(), true, nil)
		var mark *api.RetriableError
		switch {
		case c.fails && !(errors.As(err, &mark) && !mark.Retriable):
			t.Errorf("USE %s; %s: got %v, want a permanent error (it may change captured database app)", c.db, c.sql, err)
		case !c.fails && err != nil:
			t.Errorf("USE %s; %s: got %v, want it ignored (it names no captured database)", c.db, c.sql, err)
		}
	}
}

// Package mariadb gives a test its own database on the test bed's MariaDB, created empty and
// dropped when the test ends, and runs SQL on it, failing the test on an error.
package mariadb

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/connectd/connectd/tests/testbed"
)

// DB is a test's database on the test bed's MariaDB, with a connection that uses it.
type DB struct {
	// T is the test that owns the database.
	T *testing.T
	// TB is the server (host, port, user, password) the database lives on.
	TB testbed.DB
	// Name is the database's name, unique to the test.
	Name string
	// Conn is a connection with Name as its current database.
	Conn *client.Conn
}

// New creates a database named after the test and tag and drops it at the test's cleanup.
// The name starts with a letter and fits MariaDB's 64 characters.
func New(t *testing.T, tag string) *DB {
	t.Helper()
	tb := testbed.MariaDB(t)
	name := strings.ReplaceAll(strings.ToLower(testbed.Topic(t, tag)), "-", "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	name = "t" + strings.TrimLeft(name, "_")
	conn, err := client.Connect(net.JoinHostPort(tb.Host, strconv.Itoa(tb.Port)), tb.User, tb.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	d := &DB{T: t, TB: tb, Name: name, Conn: conn}
	d.Exec("CREATE DATABASE `"+name+"`", "USE `"+name+"`")
	t.Cleanup(func() {
		d.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		conn.Close()
	})
	return d
}

// Exec runs statements one after the other.
func (d *DB) Exec(qs ...string) {
	d.T.Helper()
	for _, q := range qs {
		r, err := d.Conn.Execute(q)
		if err != nil {
			d.T.Fatalf("%s: %v", q, err)
		}
		r.Close()
	}
}

// Query returns the rows of a query, each value as a string.
func (d *DB) Query(q string) [][]string {
	d.T.Helper()
	r, err := d.Conn.Execute(q)
	if err != nil {
		d.T.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	return Rows(r)
}

// Rows returns the rows of a query's result, each value as a string: a string value's bytes, any
// other value as it prints.
func Rows(r *mysql.Result) [][]string {
	var out [][]string
	for i := range r.Values {
		var row []string
		for j := range r.Values[i] {
			fv := r.Values[i][j]
			if fv.Type == mysql.FieldValueTypeString {
				row = append(row, string(fv.AsString()))
			} else {
				row = append(row, fv.String())
			}
		}
		out = append(out, row)
	}
	return out
}

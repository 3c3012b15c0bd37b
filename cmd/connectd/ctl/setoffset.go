package ctl

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	mysqlclient "github.com/go-mysql-org/go-mysql/client"
	"github.com/jackc/pglogrepl"
)

// setOffsetFlags are the flags of `ctl set-offset`.
type setOffsetFlags struct {
	file          string
	pos           int64
	gtids         string
	lsn           string
	asOf          string
	resume        bool
	noServerCheck bool
}

func (f *setOffsetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "file", "", "binlog file name (MariaDB/MySQL), with --pos")
	fs.Int64Var(&f.pos, "pos", -1, "binlog position in --file")
	fs.StringVar(&f.gtids, "gtids", "", "GTID set to resume after (MariaDB d-s-n,... or MySQL uuid:1-5)")
	fs.StringVar(&f.lsn, "lsn", "", "PostgreSQL LSN to resume at (0/16B3748 or a decimal number)")
	fs.StringVar(&f.asOf, "as-of", "", "the newest offset-history entry committed at or before this time (RFC 3339 or ms since the epoch)")
	fs.BoolVar(&f.resume, "resume", false, "resume the connector after setting the offset")
	fs.BoolVar(&f.noServerCheck, "no-server-check", false, "do not check the position against the database server")
}

type connectorKind int

const (
	kindOther connectorKind = iota
	kindBinlog
	kindPostgres
)

func kindOf(class string) connectorKind {
	switch class {
	case "io.debezium.connector.mariadb.MariaDbConnector", "io.debezium.connector.mysql.MySqlConnector":
		return kindBinlog
	case "io.debezium.connector.postgresql.PostgresConnector":
		return kindPostgres
	}
	return kindOther
}

// parseTime reads RFC 3339 (with or without fractional seconds) or milliseconds since the epoch.
func parseTime(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fail(ExitUsage, "--as-of %q is neither RFC 3339 (2026-12-07T17:04:05Z) nor milliseconds since the epoch", s)
	}
	return t, nil
}

// parseLSN reads 0/16B3748 or a decimal LSN, as offsets store it.
func parseLSN(s string) (pglogrepl.LSN, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return pglogrepl.LSN(n), nil
	}
	l, err := pglogrepl.ParseLSN(s)
	if err != nil {
		return 0, fail(ExitUsage, "--lsn %q is neither X/Y nor a decimal number", s)
	}
	return l, nil
}

func (o *options) setOffset(ctx context.Context, name string, f *setOffsetFlags) error {
	given := 0
	for _, b := range []bool{f.file != "" || f.pos >= 0, f.gtids != "", f.lsn != "", f.asOf != ""} {
		if b {
			given++
		}
	}
	if given != 1 {
		return fail(ExitUsage, "set-offset needs exactly one of --file/--pos, --gtids, --lsn or --as-of")
	}
	if (f.file != "") != (f.pos >= 0) {
		return fail(ExitUsage, "--file and --pos go together")
	}
	var cfg map[string]string
	if err := o.c.call(ctx, "GET", connPath(name, "config"), nil, &cfg); err != nil {
		return err
	}
	kind := kindOf(cfg["connector.class"])
	switch {
	case (f.file != "" || f.gtids != "") && kind != kindBinlog:
		return fail(ExitRefused, "connector %s (%s) does not read a binlog: --file/--pos and --gtids are for the MariaDB and MySQL connectors", name, cfg["connector.class"])
	case f.lsn != "" && kind != kindPostgres:
		return fail(ExitRefused, "connector %s (%s) does not read PostgreSQL's WAL: --lsn is for the PostgreSQL connector", name, cfg["connector.class"])
	}
	var st status
	if err := o.c.call(ctx, "GET", connPath(name, "status"), nil, &st); err != nil {
		return err
	}
	if st.Connector.State != "STOPPED" {
		return fail(ExitRefused, "connector %s is %s: offsets can only be changed while it is STOPPED; run `connectd ctl stop %s` first (then set-offset --resume)", name, st.Connector.State, name)
	}
	partition := map[string]any{"server": cfg["topic.prefix"]}
	var body offsets
	switch {
	case f.file != "":
		if f.pos < 4 {
			return fail(ExitRefused, "--pos %d is before the first event of a binlog file (4)", f.pos)
		}
		body.Offsets = []offsetEntry{{Partition: partition, Offset: map[string]any{"file": f.file, "pos": f.pos}}}
	case f.gtids != "":
		body.Offsets = []offsetEntry{{Partition: partition, Offset: map[string]any{"gtids": f.gtids}}}
	case f.lsn != "":
		l, err := parseLSN(f.lsn)
		if err != nil {
			return err
		}
		body.Offsets = []offsetEntry{{Partition: partition, Offset: map[string]any{"lsn": int64(l), "lsn_commit": int64(l)}}}
	default:
		t, err := parseTime(f.asOf)
		if err != nil {
			return err
		}
		if t.After(time.Now()) {
			return fail(ExitRefused, "--as-of %s is in the future", t.UTC().Format(time.RFC3339Nano))
		}
		var h history
		if err := o.c.call(ctx, "GET", connPath(name, "offsets", "history"), nil, &h); err != nil {
			return err
		}
		var pick *historyEntry
		for i := range h.History { // newest first
			if !h.History[i].Time.After(t) {
				pick = &h.History[i]
				break
			}
		}
		if pick == nil {
			oldest := "none kept"
			if n := len(h.History); n > 0 {
				oldest = h.History[n-1].Time.UTC().Format(time.RFC3339Nano)
			}
			return fail(ExitRefused, "no committed offset of %s at or before %s (oldest kept: %s); pick a later time or give a position", name, t.UTC().Format(time.RFC3339Nano), oldest)
		}
		body.Offsets = pick.Offsets
		if o.output == "table" {
			fmt.Fprintf(o.out, "as of %s: the offsets committed at %s\n", t.UTC().Format(time.RFC3339Nano), pick.Time.UTC().Format(time.RFC3339Nano))
		}
	}
	if !f.noServerCheck && kind == kindBinlog {
		if err := checkBinlog(ctx, cfg, body.Offsets); err != nil {
			return err
		}
	}
	// The PostgreSQL connector checks an LSN against the slot and the server itself on PATCH.
	var msg struct {
		Message string `json:"message"`
	}
	if err := o.c.call(ctx, "PATCH", connPath(name, "offsets"), body, &msg); err != nil {
		return err
	}
	if f.resume {
		if err := o.c.call(ctx, "PUT", connPath(name, "resume"), nil, nil); err != nil {
			return fmt.Errorf("the offset was set but the resume failed: %w", err)
		}
	}
	if o.output == "json" {
		return o.json(map[string]any{"connector": name, "offsets": body.Offsets, "message": msg.Message, "resumed": f.resume})
	}
	o.table([]string{"PARTITION", "OFFSET"}, offsetRows(body.Offsets, nil))
	fmt.Fprintln(o.out, msg.Message)
	if f.resume {
		fmt.Fprintf(o.out, "%s: resume requested\n", name)
	}
	return nil
}

// checkBinlog checks binlog offsets against the MariaDB/MySQL server the connector reads: the
// file must still be there and the position inside it; a GTID set must not be ahead of the server.
func checkBinlog(ctx context.Context, cfg map[string]string, offs []offsetEntry) error {
	// The worker hides passwords ([hidden]) and cannot reveal a config provider's (${...}).
	password := cfg["database.password"]
	if password == "[hidden]" || strings.Contains(password, "${") {
		password = os.Getenv("CONNECTD_DB_PASSWORD")
		if password == "" {
			return fail(ExitUsage, "the worker does not show the connector's database password: give it in CONNECTD_DB_PASSWORD to check the position against the server, or add --no-server-check")
		}
	}
	port := cfg["database.port"]
	if port == "" {
		port = "3306"
	}
	addr := net.JoinHostPort(cfg["database.hostname"], port)
	conn, err := mysqlclient.ConnectWithContext(ctx, addr, cfg["database.user"], password, "", 10*time.Second)
	if err != nil {
		return fmt.Errorf("could not connect to %s to check the position (add --no-server-check to skip the check): %w", addr, err)
	}
	defer conn.Close()
	logs, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return fmt.Errorf("could not list the binlogs of %s: %w", addr, err)
	}
	sizes := map[string]int64{}
	var first string
	for i := range logs.Values {
		n, _ := logs.GetString(i, 0)
		s, _ := logs.GetInt(i, 1)
		sizes[n] = s
		if first == "" {
			first = n
		}
	}
	for _, e := range offs {
		if e.Offset == nil {
			continue
		}
		if f, ok := e.Offset["file"].(string); ok && f != "" {
			size, ok := sizes[f]
			if !ok {
				return fail(ExitRefused, "binlog file %s is not on %s (the oldest there is %s): it was purged or never existed", f, addr, first)
			}
			pos, _ := toInt(e.Offset["pos"])
			if pos > size {
				return fail(ExitRefused, "position %d is past the end of %s (%d bytes)", pos, f, size)
			}
		}
		if g, ok := e.Offset["gtids"].(string); ok && g != "" {
			if err := checkGTIDs(conn, addr, g); err != nil {
				return err
			}
		}
	}
	return nil
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// checkGTIDs refuses a GTID set the server has not reached (MariaDB: domain-server-seq, compared
// per domain with @@gtid_binlog_pos; MySQL: uuid:intervals, with GTID_SUBSET).
func checkGTIDs(conn *mysqlclient.Conn, addr, set string) error {
	if strings.Contains(set, ":") {
		r, err := conn.Execute("SELECT GTID_SUBSET(?, @@GLOBAL.gtid_executed), GTID_SUBSET(@@GLOBAL.gtid_purged, ?)", set, set)
		if err != nil {
			return fmt.Errorf("could not compare the GTID set with the server's: %w", err)
		}
		sub, _ := r.GetInt(0, 0)
		purged, _ := r.GetInt(0, 1)
		if sub != 1 {
			return fail(ExitRefused, "GTID set %s is not all executed on %s", set, addr)
		}
		if purged != 1 {
			return fail(ExitRefused, "GTID set %s lacks transactions %s has purged from its binlogs", set, addr)
		}
		return nil
	}
	r, err := conn.Execute("SELECT @@GLOBAL.gtid_binlog_pos")
	if err != nil {
		return fmt.Errorf("could not read the server's GTID position: %w", err)
	}
	cur, _ := r.GetString(0, 0)
	have := map[string]uint64{}
	for _, g := range strings.Split(cur, ",") {
		if d, seq, ok := splitMariaGTID(g); ok {
			have[d] = seq
		}
	}
	for _, g := range strings.Split(set, ",") {
		d, seq, ok := splitMariaGTID(g)
		if !ok {
			return fail(ExitUsage, "GTID %q is not domain-server-sequence", strings.TrimSpace(g))
		}
		if h, ok := have[d]; !ok || seq > h {
			return fail(ExitRefused, "GTID %s is ahead of %s (its binlog position is %s)", strings.TrimSpace(g), addr, cur)
		}
	}
	return nil
}

func splitMariaGTID(g string) (domain string, seq uint64, ok bool) {
	parts := strings.Split(strings.TrimSpace(g), "-")
	if len(parts) != 3 {
		return "", 0, false
	}
	for _, p := range parts[:2] {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return "", 0, false
		}
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	return parts[0], seq, err == nil
}

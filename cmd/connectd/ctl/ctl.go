package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Usage is the help text of `connectd ctl`.
const Usage = `usage: connectd ctl [--url http://127.0.0.1:8083] [--user USER[:PASSWORD]] [--cacert CA.pem] [-o table|json] COMMAND [ARGS]

commands:
  list                         connectors with their connector and task states
  status CONNECTOR             connector and task states with each task's progress (snapshot
                               table, rows, percent, rate, ETA; streaming events and lag) and
                               the error trace of a failed task
  pause|resume|stop CONNECTOR  change the connector's target state (resume also starts a STOPPED one)
  restart CONNECTOR            restart the connector and all its tasks
  offsets CONNECTOR            the committed offsets
  history CONNECTOR            the recent committed offsets with their time, newest first
  set-offset CONNECTOR (--file F --pos P | --gtids SET | --lsn LSN | --as-of TIME) [--resume]
                               rewind or move a STOPPED connector, checked against the connector
                               and its database server first; --as-of picks the newest history
                               entry committed at or before TIME (RFC 3339, or ms since the epoch)
  completion bash|zsh          a shell completion script (source <(connectd ctl completion bash))

set-offset reads the database password from $CONNECTD_DB_PASSWORD (the worker hides it).
The worker URL is --url, else $CONNECTD_URL, else http://127.0.0.1:8083. A worker with basic
authentication (rest.extension.classes) takes --user USER:PASSWORD, else $CONNECTD_USER and
$CONNECTD_PASSWORD; an https worker whose certificate is not signed by a system CA needs the
CA's PEM file in --cacert, else $CONNECTD_CACERT.
Exit codes: 0 done, 1 worker/server error, 2 bad usage, 3 no such connector, 4 refused
(wrong state, invalid offset).`

var commands = []string{"list", "status", "pause", "resume", "stop", "restart", "offsets", "history", "set-offset", "completion"}

// Run runs `connectd ctl args...` and returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	err := run(context.Background(), args, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, Usage)
			return ExitOK
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return exitCode(err)
}

type options struct {
	url    string
	user   string
	cacert string
	output string
	out    io.Writer
	c      *client
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	g := flag.NewFlagSet("connectd ctl", flag.ContinueOnError)
	g.SetOutput(io.Discard)
	o := &options{out: stdout}
	def := os.Getenv("CONNECTD_URL")
	if def == "" {
		def = "http://127.0.0.1:8083"
	}
	g.StringVar(&o.url, "url", def, "worker REST URL")
	g.StringVar(&o.output, "o", "table", "output: table or json")
	g.StringVar(&o.user, "user", os.Getenv("CONNECTD_USER"), "basic authentication user, USER or USER:PASSWORD")
	g.StringVar(&o.cacert, "cacert", os.Getenv("CONNECTD_CACERT"), "PEM file of the CA that signed the worker's certificate")
	if err := g.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fail(ExitUsage, "%v\n%s", err, Usage)
	}
	if g.NArg() == 0 {
		return fail(ExitUsage, "a command is needed\n%s", Usage)
	}
	cmd, rest := g.Arg(0), g.Args()[1:]
	// -o and --url are also accepted after the command, as scripts tend to put them.
	fs := flag.NewFlagSet("connectd ctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.url, "url", o.url, "worker REST URL")
	fs.StringVar(&o.output, "o", o.output, "output: table or json")
	fs.StringVar(&o.user, "user", o.user, "basic authentication user, USER or USER:PASSWORD")
	fs.StringVar(&o.cacert, "cacert", o.cacert, "PEM file of the CA that signed the worker's certificate")
	var so setOffsetFlags
	if cmd == "set-offset" {
		so.register(fs)
	}
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fail(ExitUsage, "%s: %v\n%s", cmd, err, Usage)
	}
	if o.output != "table" && o.output != "json" {
		return fail(ExitUsage, "-o %q: use table or json", o.output)
	}
	user, pass, hasPass := strings.Cut(o.user, ":")
	if !hasPass {
		pass = os.Getenv("CONNECTD_PASSWORD")
	}
	if o.c, err = newClient(o.url, user, pass, o.cacert); err != nil {
		return err
	}
	one := func() (string, error) {
		if len(pos) != 1 {
			return "", fail(ExitUsage, "%s needs exactly one connector name\n%s", cmd, Usage)
		}
		return pos[0], nil
	}
	switch cmd {
	case "list":
		if len(pos) != 0 {
			return fail(ExitUsage, "list takes no arguments")
		}
		return o.list(ctx)
	case "status", "pause", "resume", "stop", "restart", "offsets", "history":
		name, err := one()
		if err != nil {
			return err
		}
		switch cmd {
		case "status":
			return o.status(ctx, name)
		case "offsets":
			return o.offsets(ctx, name)
		case "history":
			return o.history(ctx, name)
		default:
			return o.transition(ctx, cmd, name)
		}
	case "set-offset":
		name, err := one()
		if err != nil {
			return err
		}
		return o.setOffset(ctx, name, &so)
	case "completion":
		if len(pos) != 1 {
			return fail(ExitUsage, "completion needs a shell: bash or zsh")
		}
		return completion(stdout, pos[0])
	default:
		return fail(ExitUsage, "unknown command %q\n%s", cmd, Usage)
	}
}

// parseInterleaved parses flags that may come before or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func (o *options) json(v any) error {
	enc := json.NewEncoder(o.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (o *options) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func taskSummary(ts []taskState) string {
	if len(ts) == 0 {
		return "-"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%d:%s", t.ID, t.State)
	}
	return strings.Join(parts, ",")
}

func (o *options) list(ctx context.Context) error {
	var all map[string]struct {
		Status status `json:"status"`
	}
	if err := o.c.call(ctx, "GET", "/connectors?expand=status", nil, &all); err != nil {
		return err
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if o.output == "json" {
		list := make([]status, 0, len(names))
		for _, n := range names {
			s := all[n].Status
			if s.Name == "" {
				s.Name = n
			}
			list = append(list, s)
		}
		return o.json(list)
	}
	rows := make([][]string, 0, len(names))
	for _, n := range names {
		s := all[n].Status
		rows = append(rows, []string{n, s.Type, s.Connector.State, taskSummary(s.Tasks)})
	}
	o.table([]string{"NAME", "TYPE", "STATE", "TASKS"}, rows)
	return nil
}

func (o *options) status(ctx context.Context, name string) error {
	var s status
	if err := o.c.call(ctx, "GET", connPath(name, "status"), nil, &s); err != nil {
		return err
	}
	if o.output == "json" {
		return o.json(s)
	}
	rows := [][]string{{"connector", s.Connector.State, s.Connector.WorkerID, ""}}
	for _, t := range s.Tasks {
		rows = append(rows, []string{fmt.Sprintf("task %d", t.ID), t.State, t.WorkerID, describeProgress(t.Progress, t.Lag)})
	}
	o.table([]string{"WHAT", "STATE", "WORKER", "PROGRESS"}, rows)
	for _, t := range s.Tasks {
		if t.Trace != "" {
			fmt.Fprintf(o.out, "\ntask %d failed:\n%s\n", t.ID, t.Trace)
		}
	}
	return nil
}

// transition asks for pause/resume/stop/restart. The worker answers before the state changed;
// the command does not wait, so `status` shows when it is reached.
func (o *options) transition(ctx context.Context, cmd, name string) error {
	method, path := "PUT", connPath(name, cmd)
	if cmd == "restart" {
		method, path = "POST", connPath(name, "restart")+"?includeTasks=true"
	}
	if err := o.c.call(ctx, method, path, nil, nil); err != nil {
		return err
	}
	if o.output == "json" {
		return o.json(map[string]string{"connector": name, "requested": cmd})
	}
	fmt.Fprintf(o.out, "%s: %s requested\n", name, cmd)
	return nil
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (o *options) offsets(ctx context.Context, name string) error {
	var offs offsets
	if err := o.c.call(ctx, "GET", connPath(name, "offsets"), nil, &offs); err != nil {
		return err
	}
	if o.output == "json" {
		return o.json(offs)
	}
	o.table([]string{"PARTITION", "OFFSET"}, offsetRows(offs.Offsets, nil))
	return nil
}

func offsetRows(es []offsetEntry, prefix []string) [][]string {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, append(append([]string{}, prefix...), compactJSON(e.Partition), compactJSON(e.Offset)))
	}
	return rows
}

func (o *options) history(ctx context.Context, name string) error {
	var h history
	if err := o.c.call(ctx, "GET", connPath(name, "offsets", "history"), nil, &h); err != nil {
		return err
	}
	if o.output == "json" {
		if h.History == nil {
			h.History = []historyEntry{}
		}
		return o.json(h)
	}
	var rows [][]string
	for _, e := range h.History {
		rows = append(rows, offsetRows(e.Offsets, []string{e.Time.UTC().Format(time.RFC3339Nano)})...)
	}
	o.table([]string{"TIME", "PARTITION", "OFFSET"}, rows)
	return nil
}

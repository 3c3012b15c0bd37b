package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TailUsage is the help text of `connectd tail`.
const TailUsage = `usage: connectd tail [--bootstrap 127.0.0.1:9092] [--from-beginning | --from-offset N] [--max N] [--idle D] [-o text|json] TOPIC

Prints the change events of TOPIC as they arrive, one line each: partition/offset, op
(r snapshot read, c create, u update, d delete, t truncate, tombstone), the key, and the columns:
all of them for r and c, the changed ones (old -> new) for u. Stops on Ctrl-C, after --max
events, or after --idle without a new event. The broker is --bootstrap, else $CONNECTD_KAFKA.
Exit codes: 0 done, 1 Kafka error, 2 bad usage, 3 --max not reached before --idle.`

// Tail runs `connectd tail args...` and returns the process exit code.
func Tail(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := tail(ctx, args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, TailUsage)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return exitCode(err)
}

func tail(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("connectd tail", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := os.Getenv("CONNECTD_KAFKA")
	if def == "" {
		def = "127.0.0.1:9092"
	}
	bootstrap := fs.String("bootstrap", def, "Kafka bootstrap servers, comma separated")
	fromBeginning := fs.Bool("from-beginning", false, "start at the oldest record instead of the end")
	fromOffset := fs.Int64("from-offset", -1, "start at this offset in every partition")
	maxN := fs.Int("max", 0, "stop after this many records (0: no limit)")
	idle := fs.Duration("idle", 0, "stop after this long without a record (0: never)")
	output := fs.String("o", "text", "output: text or json (one object a line)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fail(ExitUsage, "%v\n%s", err, TailUsage)
	}
	if len(pos) != 1 {
		return fail(ExitUsage, "tail needs exactly one topic\n%s", TailUsage)
	}
	if *output != "text" && *output != "json" {
		return fail(ExitUsage, "-o %q: use text or json", *output)
	}
	start := kgo.NewOffset().AtEnd()
	if *fromBeginning {
		start = kgo.NewOffset().AtStart()
	}
	if *fromOffset >= 0 {
		start = kgo.NewOffset().At(*fromOffset)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*bootstrap, ",")...), kgo.ConsumeTopics(pos[0]), kgo.ConsumeResetOffset(start))
	if err != nil {
		return fmt.Errorf("could not create a Kafka client for %s: %w", *bootstrap, err)
	}
	defer cl.Close()
	n := 0
	last := time.Now()
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if *idle > 0 {
			pctx, cancel = context.WithDeadline(ctx, last.Add(*idle))
		}
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if *idle > 0 && time.Now().After(last.Add(*idle)) && fetches.NumRecords() == 0 {
			if *maxN > 0 {
				return fail(ExitNotFound, "%d of %d records after %s without a new one", n, *maxN, *idle)
			}
			return nil
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				continue
			}
			return fmt.Errorf("could not read %s from %s: %w", fe.Topic, *bootstrap, fe.Err)
		}
		var werr error
		fetches.EachRecord(func(r *kgo.Record) {
			if werr != nil || (*maxN > 0 && n >= *maxN) {
				return
			}
			n++
			last = time.Now()
			ev := describe(r)
			if *output == "json" {
				werr = json.NewEncoder(stdout).Encode(ev)
			} else {
				_, werr = fmt.Fprintln(stdout, ev.line())
			}
		})
		if werr != nil {
			return werr
		}
		if *maxN > 0 && n >= *maxN {
			return nil
		}
	}
}

// event is what tail shows of one record.
type event struct {
	Partition int32          `json:"partition"`
	Offset    int64          `json:"offset"`
	Op        string         `json:"op"`
	Key       any            `json:"key"`
	Columns   map[string]any `json:"columns,omitempty"`
	Changed   map[string]any `json:"changed,omitempty"` // column -> [old, new]
	Source    string         `json:"source,omitempty"`
}

// payload strips a JsonConverter schema envelope if there is one.
func payload(b []byte) (any, error) {
	if b == nil {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return string(b), err
	}
	if m, ok := v.(map[string]any); ok {
		if p, ok := m["payload"]; ok {
			if _, ok := m["schema"]; ok {
				return p, nil
			}
		}
	}
	return v, nil
}

func describe(r *kgo.Record) event {
	ev := event{Partition: r.Partition, Offset: r.Offset}
	ev.Key, _ = payload(r.Key)
	if r.Value == nil {
		ev.Op = "tombstone"
		return ev
	}
	v, err := payload(r.Value)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		ev.Op = "?"
		ev.Columns = map[string]any{"value": v}
		return ev
	}
	op, _ := m["op"].(string)
	if op == "" {
		ev.Op = "other"
		ev.Columns = m
		return ev
	}
	ev.Op = op
	before, _ := m["before"].(map[string]any)
	after, _ := m["after"].(map[string]any)
	if src, ok := m["source"].(map[string]any); ok {
		parts := []string{}
		for _, k := range []string{"db", "schema", "table", "snapshot"} {
			if s, ok := src[k].(string); ok && s != "" && s != "false" {
				if k == "snapshot" {
					s = "snapshot=" + s
				}
				parts = append(parts, s)
			}
		}
		ev.Source = strings.Join(parts, ".")
	}
	switch op {
	case "u":
		ev.Changed = map[string]any{}
		for k, nv := range after {
			ov, had := before[k]
			if before == nil || !had || compactJSON(ov) != compactJSON(nv) {
				ev.Changed[k] = []any{ov, nv}
			}
		}
	case "d":
		ev.Columns = before
	default:
		ev.Columns = after
	}
	return ev
}

func (e event) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%-5d %-9s %s", e.Partition, e.Offset, e.Op, compactJSON(e.Key))
	if e.Source != "" {
		fmt.Fprintf(&b, "  [%s]", e.Source)
	}
	keys := func(m map[string]any) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	if e.Op == "u" {
		for _, k := range keys(e.Changed) {
			p := e.Changed[k].([]any)
			fmt.Fprintf(&b, "  %s: %s -> %s", k, compactJSON(p[0]), compactJSON(p[1]))
		}
	} else if e.Op != "d" {
		for _, k := range keys(e.Columns) {
			fmt.Fprintf(&b, "  %s=%s", k, compactJSON(e.Columns[k]))
		}
	}
	return b.String()
}

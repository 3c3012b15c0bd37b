// Command compatdiff compares connectd's output with Debezium's, and does the Kafka chores of
// tests/compat/capture-debezium.
//
//	compatdiff diff [-rules FILE] [-max N] OURS THEIRS
//	    OURS and THEIRS are dump directories, or kafka:PREFIX[,connector=NAME][,offsets=TOPIC]
//	    [,history=TOPIC] to read a connector's output live from -brokers. Exits 1 when they
//	    differ beyond tests/compat/allowed-differences.json and different-run.json.
//	compatdiff dump -prefix P [-connector C] [-offsets-topic T] [-offsets-start FILE]
//	    [-history-topic H] [-producer TEXT] -out DIR
//	compatdiff end-offsets -topic T            (JSON {"partition":offset,...} on stdout)
//	compatdiff wait-quiet -prefix P[,P2] [-quiet 5s] [-timeout 5m]
//	compatdiff delete-topics [-prefix P[,P2]] [-topics T1,T2]
//
// A prefix written PREFIX/DELIM is a connector whose topic.delimiter is DELIM instead of '.'.
// Every subcommand takes -brokers (default $CONNECTD_TEST_KAFKA or 127.0.0.1:9092).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/tests/compat/diff"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "diff":
		err = runDiff(os.Args[2:])
	case "dump":
		err = runDump(os.Args[2:])
	case "end-offsets":
		err = runEndOffsets(os.Args[2:])
	case "wait-quiet":
		err = runWaitQuiet(os.Args[2:])
	case "delete-topics":
		err = runDeleteTopics(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	var differ errDiffer
	switch {
	case errors.As(err, &differ):
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "compatdiff:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: compatdiff diff|dump|end-offsets|wait-quiet|delete-topics [flags]
  diff [-rules FILE] [-max N] OURS THEIRS   compare two dumps (dirs) or kafka:PREFIX[,connector=C][,offsets=T][,history=H]
  dump -prefix P [-connector C] [-offsets-topic T] [-offsets-start FILE] [-history-topic H] -out DIR
  end-offsets -topic T                      print {"partition":endOffset} as JSON
  wait-quiet -prefix P[,P2] [-quiet 5s] [-timeout 5m]
  delete-topics [-prefix P[,P2]] [-topics T1,T2]
a prefix PREFIX/DELIM is a connector with topic.delimiter DELIM instead of '.'
every subcommand takes -brokers (default $CONNECTD_TEST_KAFKA or 127.0.0.1:9092); run one with -h for details
`)
}

// errDiffer makes main exit 1 (dumps differ) rather than 2 (could not compare).
type errDiffer struct{}

func (errDiffer) Error() string { return "the dumps differ" }

func brokersFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("CONNECTD_TEST_KAFKA")
	if def == "" {
		def = "127.0.0.1:9092"
	}
	return fs.String("brokers", def, "Kafka bootstrap addresses, comma-separated")
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// defaultRules finds tests/compat/different-run.json and allowed-differences.json next to this
// command's source, so `go run ./tests/compat/cmd/compatdiff diff` works from anywhere in the
// checkout: the rules for comparing with a capture of another run, such as the committed
// reference.
func defaultRules() string {
	dir := "tests/compat"
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(p, "allowed-differences.json")); err == nil {
			dir = p
		}
	}
	return filepath.Join(dir, "allowed-differences.json") + "," + filepath.Join(dir, "different-run.json")
}

func runDiff(args []string) error {
	fs := flag.NewFlagSet("diff", flag.ExitOnError)
	brokers := brokersFlag(fs)
	rulesFile := fs.String("rules", defaultRules(), "allowed-differences files, comma-separated, the first matching rule deciding (the default is for a capture of another run; only tests/compat/allowed-differences.json for two connectors that read the same events in one run; add tests/compat/shared-server.json when other clients write to the database server); empty for none: everything must be equal")
	maxPer := fs.Int("max", 20, "differences shown per topic (0: all)")
	ignoreSchemas := fs.Bool("ignore-schemas", false, "compare payloads only, ignoring JsonConverter schemas (to compare a schemas.enable=true dump with a false one)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long reading live topics may take")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: compatdiff diff [flags] OURS THEIRS\nOURS and THEIRS: a dump directory, or kafka:PREFIX[,connector=NAME][,offsets=TOPIC][,history=TOPIC]")
		fs.PrintDefaults()
	}
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("diff needs two dumps, ours then theirs")
	}
	var rules *diff.Rules
	if *rulesFile != "" {
		var err error
		if rules, err = diff.LoadRules(split(*rulesFile)...); err != nil {
			return err
		}
	}
	if *ignoreSchemas {
		if rules == nil {
			rules = &diff.Rules{}
		}
		err := rules.Add(diff.Rule{
			ID: "ignore-schemas", Paths: []string{"key.$schema", "value.$schema"}, Check: diff.CheckIgnore,
			Reason: "asked for with -ignore-schemas",
		})
		if err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ours, err := load(ctx, fs.Arg(0), split(*brokers))
	if err != nil {
		return fmt.Errorf("ours: %w", err)
	}
	theirs, err := load(ctx, fs.Arg(1), split(*brokers))
	if err != nil {
		return fmt.Errorf("theirs: %w", err)
	}
	rep := diff.Compare(ours, theirs, rules)
	if err := rep.WriteText(os.Stdout, *maxPer); err != nil {
		return fmt.Errorf("could not write the report: %w", err)
	}
	if rep.HasDifferences() {
		return errDiffer{}
	}
	return nil
}

// load reads a dump directory or a kafka: spec.
func load(ctx context.Context, spec string, brokers []string) (*diff.Dump, error) {
	rest, ok := strings.CutPrefix(spec, "kafka:")
	if !ok {
		return diff.LoadDump(spec)
	}
	parts := split(rest)
	if len(parts) == 0 {
		return nil, fmt.Errorf("%q names no prefix; write kafka:PREFIX[,connector=NAME][,offsets=TOPIC][,history=TOPIC]", spec)
	}
	m := diff.Manifest{Prefix: parts[0]}
	if p, d := diff.SplitPrefix(parts[0]); d != "." {
		m.Prefix, m.Delimiter = p, d
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "connector":
			m.Connector = v
		case "offsets":
			m.OffsetsTopic = v
		case "history":
			m.HistoryTopic = v
		default:
			return nil, fmt.Errorf("unknown option %q in %q (want connector=, offsets= or history=)", k, spec)
		}
	}
	return diff.ReadKafka(ctx, diff.Source{Brokers: brokers, Manifest: m})
}

func runDump(args []string) error {
	fs := flag.NewFlagSet("dump", flag.ExitOnError)
	brokers := brokersFlag(fs)
	prefix := fs.String("prefix", "", "the connector's topic.prefix (required); PREFIX/DELIM for a topic.delimiter other than '.'")
	connector := fs.String("connector", "", "the connector's name: its records of the offsets topic are dumped")
	offsetsTopic := fs.String("offsets-topic", "", "the worker's offsets topic (offset.storage.topic)")
	offsetsStart := fs.String("offsets-start", "", "a file written by end-offsets before the connector started: older offsets are left out")
	history := fs.String("history-topic", "", "the connector's schema history topic")
	producer := fs.String("producer", "", "what wrote the records, for the manifest (e.g. \"Debezium 3.7.0.Final\")")
	out := fs.String("out", "", "the dump directory to write (required)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long reading may take")
	_ = fs.Parse(args)
	if *prefix == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("dump needs -prefix and -out")
	}
	src := diff.Source{Brokers: split(*brokers), Manifest: diff.Manifest{
		Prefix: *prefix, Connector: *connector, OffsetsTopic: *offsetsTopic, HistoryTopic: *history, Producer: *producer,
	}}
	if p, d := diff.SplitPrefix(*prefix); d != "." {
		src.Manifest.Prefix, src.Manifest.Delimiter = p, d
	}
	if *offsetsStart != "" {
		b, err := os.ReadFile(*offsetsStart)
		if err != nil {
			return fmt.Errorf("could not read the offsets start: %w", err)
		}
		var m map[string]int64
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s is not an end-offsets file: %w", *offsetsStart, err)
		}
		src.OffsetsStart = map[int32]int64{}
		for p, o := range m {
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil {
				return fmt.Errorf("%s has a partition %q that is not a number", *offsetsStart, p)
			}
			src.OffsetsStart[int32(n)] = o
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	d, err := diff.ReadKafka(ctx, src)
	if err != nil {
		return err
	}
	if err := d.Write(*out); err != nil {
		return err
	}
	n := 0
	for _, c := range d.Manifest.Records {
		n += c
	}
	fmt.Fprintf(os.Stderr, "compatdiff: dumped %d records of %d topics into %s\n", n, len(d.Manifest.Records), *out)
	return nil
}

func runEndOffsets(args []string) error {
	fs := flag.NewFlagSet("end-offsets", flag.ExitOnError)
	brokers := brokersFlag(fs)
	topic := fs.String("topic", "", "the topic (required)")
	_ = fs.Parse(args)
	if *topic == "" {
		fs.Usage()
		return fmt.Errorf("end-offsets needs -topic")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	offs, err := diff.EndOffsets(ctx, split(*brokers), *topic)
	if err != nil {
		return err
	}
	m := map[string]int64{}
	for p, o := range offs {
		m[strconv.Itoa(int(p))] = o
	}
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
	return nil
}

func runWaitQuiet(args []string) error {
	fs := flag.NewFlagSet("wait-quiet", flag.ExitOnError)
	brokers := brokersFlag(fs)
	prefixes := fs.String("prefix", "", "topic prefixes, comma-separated (required)")
	quiet := fs.Duration("quiet", 5*time.Second, "how long nothing may change")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	_ = fs.Parse(args)
	if *prefixes == "" {
		fs.Usage()
		return fmt.Errorf("wait-quiet needs -prefix")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, err := diff.WaitQuiet(ctx, split(*brokers), split(*prefixes), *quiet)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "compatdiff: %s quiet for %v with %d records\n", *prefixes, *quiet, n)
	return nil
}

func runDeleteTopics(args []string) error {
	fs := flag.NewFlagSet("delete-topics", flag.ExitOnError)
	brokers := brokersFlag(fs)
	prefixes := fs.String("prefix", "", "delete every topic of these prefixes, comma-separated")
	topics := fs.String("topics", "", "delete these topics, comma-separated")
	_ = fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	del, err := diff.DeleteTopics(ctx, split(*brokers), split(*prefixes), split(*topics))
	if err != nil {
		return err
	}
	if len(del) > 0 {
		fmt.Fprintf(os.Stderr, "compatdiff: deleted %s\n", strings.Join(del, " "))
	}
	return nil
}

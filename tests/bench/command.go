package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Command is what the benchmark commands (tests/bench/cmd/bench, eos and memory) share: the flags
// --db, --repo, --results and --work, what Start finds from them and the environment, and the
// start and end of a run.
type Command struct {
	// DB is --db: mariadb, postgres or both.
	DB string
	// Repo is --repo, the repository root; after Start, the one found when it was empty.
	Repo string
	// Results is --results, the folder for the Markdown reports: empty for
	// <repo>/tests/bench/results, - for none.
	Results string
	// Work is --work, the folder for what the run leaves; after Start, the new temporary folder
	// made when it was empty.
	Work string
	// Home is the test bed's home (TestbedHome), set by Start.
	Home string
	// Kafka is the test bed's broker (CONNECTD_TEST_KAFKA), set by Start.
	Kafka string
	// MariaDB and Postgres are the test bed's databases (CONNECTD_TEST_MARIADB_*,
	// CONNECTD_TEST_POSTGRES_*), set by Start.
	MariaDB, Postgres DBConfig

	stderr io.Writer
	holds  string
	start  time.Time
}

// NewCommand returns the flag set of the command name, its errors written to stderr, with the
// shared flags registered on it. reports names what --results holds ("report" or "reports"),
// holds what --work holds ("logs", say).
func NewCommand(name string, stderr io.Writer, reports, holds string) (*flag.FlagSet, *Command) {
	c := &Command{stderr: stderr, holds: holds}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DB, "db", "both", "database to run: mariadb, postgres or both")
	fs.StringVar(&c.Repo, "repo", "", "repository root (default: found from the working directory)")
	fs.StringVar(&c.Results, "results", "", "folder for the Markdown "+reports+" (default <repo>/tests/bench/results; - for none)")
	fs.StringVar(&c.Work, "work", "", "folder for "+holds+" (default a new temporary folder)")
	return fs, c
}

// Parse parses args with fs and sets *dbs to the one database --db names, leaving it as it is for
// both. It returns false, the error said on stderr, for args fs rejects or any other --db.
func (c *Command) Parse(fs *flag.FlagSet, args []string, dbs *[]string) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	switch c.DB {
	case "both":
	case "mariadb", "postgres":
		*dbs = []string{c.DB}
	default:
		fmt.Fprintf(c.stderr, "--db %s: use mariadb, postgres or both\n", c.DB)
		return false
	}
	return true
}

// setup finds the repository (unless --repo names it), the test bed's home and addresses, and
// the work folder (unless --work names it, a new temporary one named tempPrefix and a random
// suffix). It says on stderr what went wrong and returns false if it could not.
func (c *Command) setup(tempPrefix string) bool {
	if c.Repo == "" {
		var err error
		if c.Repo, err = FindRepo(); err != nil {
			fmt.Fprintln(c.stderr, err)
			return false
		}
	}
	c.Home = TestbedHome()
	c.Kafka = EnvOr("CONNECTD_TEST_KAFKA", "127.0.0.1:9092")
	c.MariaDB = DBFromEnv("CONNECTD_TEST_MARIADB", 3306)
	c.Postgres = DBFromEnv("CONNECTD_TEST_POSTGRES", 5432)
	if c.Work == "" {
		d, err := os.MkdirTemp("", tempPrefix)
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			return false
		}
		c.Work = d
	}
	return true
}

// Start sets the run up (see setup) and starts it: it returns a context that SIGINT and SIGTERM
// cancel until stop is called, and the machine described for the report (Command is script and
// args), and says on stderr where the run's files are. It returns ok false, the error said on
// stderr, if the setup failed.
func (c *Command) Start(tempPrefix, script string, args []string) (ctx context.Context, stop context.CancelFunc, m Machine, ok bool) {
	if !c.setup(tempPrefix) {
		return nil, nil, Machine{}, false
	}
	ctx, stop = signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	m = DescribeMachine(ctx, EnvOr("CONNECTD_TEST_KAFKA_LIBS", filepath.Join(c.Home, "kafka-libs")), c.Repo)
	m.Command = script + " " + strings.Join(args, " ")
	fmt.Fprintf(c.stderr, "bench: %s in %s\n", c.holds, c.Work)
	c.start = time.Now()
	return ctx, stop, m, true
}

// End records the load average at the end of the run in m and returns the command's exit status
// so far: 1, said on stderr, when the run returned err, else 0.
func (c *Command) End(m *Machine, err error) int {
	m.LoadEnd = LoadAvg()
	if err != nil {
		fmt.Fprintf(c.stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// WriteReports calls write with the --results folder, unless it is -, and says on stderr which
// files write wrote and how long since Start the run took. It says so and returns false if write
// failed.
func (c *Command) WriteReports(write func(dir string) ([]string, error)) bool {
	if c.Results == "-" {
		return true
	}
	dir := c.Results
	if dir == "" {
		dir = filepath.Join(c.Repo, "tests", "bench", "results")
	}
	paths, err := write(dir)
	if err != nil {
		fmt.Fprintf(c.stderr, "bench: %v\n", err)
		return false
	}
	fmt.Fprintf(c.stderr, "bench: wrote %s (%s)\n", strings.Join(paths, ", "), time.Since(c.start).Round(time.Second))
	return true
}

// Report ends the run of a command that writes one report of its results rs: it records the
// load at the end in m (End) and, unless there are no results (status 1), writes the report,
// markdown's text, to stdout and with write to the --results folder (WriteReports). The exit
// status is 1 when the run returned err, a result failed, or the report could not be written;
// else 0.
func Report[R any](c *Command, m Machine, rs []R, err error, failed func(R) bool, stdout io.Writer,
	markdown func(Machine) string, write func(dir string, m Machine) (string, error)) int {
	status := c.End(&m, err)
	for _, r := range rs {
		if failed(r) {
			status = 1
		}
	}
	if len(rs) == 0 {
		return 1
	}
	fmt.Fprintln(stdout, markdown(m))
	if !c.WriteReports(func(dir string) ([]string, error) {
		path, err := write(dir, m)
		return []string{path}, err
	}) {
		return 1
	}
	return status
}

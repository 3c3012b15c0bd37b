package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// restClient speaks the Kafka Connect REST API, which connectd and Kafka Connect both serve.
type restClient struct {
	base string
	hc   *http.Client
}

func newREST(base string) *restClient {
	return &restClient{base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: 30 * time.Second}}
}

func (r *restClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s%s: %w", method, r.base, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (r *restClient) createConnector(ctx context.Context, name string, cfg map[string]string) error {
	code, b, err := r.do(ctx, http.MethodPost, "/connectors", map[string]any{"name": name, "config": cfg})
	if err != nil {
		return err
	}
	if code != http.StatusCreated {
		return fmt.Errorf("could not create connector %s on %s: HTTP %d: %s", name, r.base, code, b)
	}
	return nil
}

func (r *restClient) deleteConnector(ctx context.Context, name string) error {
	code, b, err := r.do(ctx, http.MethodDelete, "/connectors/"+name, nil)
	if err != nil {
		return err
	}
	if code >= 300 && code != http.StatusNotFound {
		return fmt.Errorf("could not delete connector %s on %s: HTTP %d: %s", name, r.base, code, b)
	}
	// Wait until it is gone, so its task has let go of the replication slot / binlog stream.
	for i := 0; i < 120; i++ {
		code, _, err := r.do(ctx, http.MethodGet, "/connectors/"+name, nil)
		if err == nil && code == http.StatusNotFound {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("connector %s on %s was not gone 30 s after DELETE", name, r.base)
}

// setState pauses or resumes a connector (PUT /connectors/{c}/pause|resume) and waits until
// its connector and tasks report want (PAUSED or RUNNING).
func (r *restClient) setState(ctx context.Context, name, verb, want string) error {
	code, b, err := r.do(ctx, http.MethodPut, "/connectors/"+name+"/"+verb, nil)
	if err != nil {
		return err
	}
	if code >= 300 {
		return fmt.Errorf("could not %s connector %s on %s: HTTP %d: %s", verb, name, r.base, code, b)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		code, b, err := r.do(ctx, http.MethodGet, "/connectors/"+name+"/status", nil)
		if err == nil && code == http.StatusOK {
			var st struct {
				Connector struct {
					State string `json:"state"`
				} `json:"connector"`
				Tasks []struct {
					State string `json:"state"`
				} `json:"tasks"`
			}
			if json.Unmarshal(b, &st) == nil && st.Connector.State == want && len(st.Tasks) > 0 {
				all := true
				for _, t := range st.Tasks {
					all = all && t.State == want
				}
				if all {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("connector %s on %s did not report %s within 60 s of %s", name, r.base, want, verb)
}

// failed returns an error carrying the trace when the connector or its task is FAILED.
func (r *restClient) failed(ctx context.Context, name string) error {
	code, b, err := r.do(ctx, http.MethodGet, "/connectors/"+name+"/status", nil)
	if err != nil || code != http.StatusOK {
		return nil // transient; the stall timeout catches a worker that is gone
	}
	var st struct {
		Connector struct {
			State string `json:"state"`
			Trace string `json:"trace"`
		} `json:"connector"`
		Tasks []struct {
			State string `json:"state"`
			Trace string `json:"trace"`
		} `json:"tasks"`
	}
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	trace := ""
	if st.Connector.State == "FAILED" {
		trace = st.Connector.Trace
	}
	for _, t := range st.Tasks {
		if t.State == "FAILED" {
			trace = t.Trace
		}
	}
	if trace == "" && st.Connector.State != "FAILED" {
		return nil
	}
	if len(trace) > 2000 {
		trace = trace[:2000] + "..."
	}
	return fmt.Errorf("connector %s FAILED on %s: %s", name, r.base, trace)
}

func (r *restClient) connectors(ctx context.Context) ([]string, error) {
	code, b, err := r.do(ctx, http.MethodGet, "/connectors", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s/connectors: HTTP %d: %s", r.base, code, b)
	}
	var names []string
	err = json.Unmarshal(b, &names)
	return names, err
}

// pluginVersion is the version GET /connector-plugins reports for class.
func (r *restClient) pluginVersion(ctx context.Context, class string) string {
	_, b, err := r.do(ctx, http.MethodGet, "/connector-plugins", nil)
	if err != nil {
		return "unknown"
	}
	var ps []struct {
		Class   string `json:"class"`
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &ps) != nil {
		return "unknown"
	}
	for _, p := range ps {
		if p.Class == class {
			return p.Version
		}
	}
	return "unknown"
}

func (r *restClient) ready(ctx context.Context) bool {
	code, _, err := r.do(ctx, http.MethodGet, "/", nil)
	return err == nil && code == http.StatusOK
}

// system is a process under test serving the Connect REST API.
type system struct {
	// label is how the report names it: "connectd" or "Debezium".
	label string
	rest  *restClient
	pid   int
	// stop ends what start began (connectd: the process; Debezium: nothing, its worker stays).
	stop func() error
	// notes are caveats about this run for the report.
	notes []string
	// logPath is the process's log; logStart where this run's part of it begins.
	logPath  string
	logStart int64
}

// logNotes reads this run's part of the system's log and returns its warnings and errors; on
// the shared Debezium worker only lines naming one of ours (the connector or its topic prefix)
// count, since other users' connectors log there too.
func (s *system) logNotes(ours ...string) []string {
	b, err := readFrom(s.logPath, s.logStart)
	if err != nil {
		return nil
	}
	var notes []string
	var problems []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "level=WARN") && !strings.Contains(line, "level=ERROR") && !strings.Contains(line, "] ERROR ") {
			continue
		}
		mine := len(ours) == 0
		for _, o := range ours {
			mine = mine || strings.Contains(line, o)
		}
		if mine {
			problems = append(problems, line)
		}
	}
	if len(problems) > 0 {
		first := problems[0]
		if len(first) > 300 {
			first = first[:300] + "..."
		}
		notes = append(notes, fmt.Sprintf("%d warning/error lines in its log during the run, the first: `%s`", len(problems), first))
	}
	return notes
}

// startConnectd starts `connectd standalone worker.properties` (no connector yet) with its REST
// API on a free loopback port and its offsets in dir. env adds environment variables.
func startConnectd(ctx context.Context, binary, dir, bootstrap string, env []string) (*system, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	props := strings.Join([]string{
		"bootstrap.servers=" + bootstrap,
		"offset.storage.file.filename=" + filepath.Join(dir, "offsets"),
		// As the Debezium reference worker (deploy/testbed/debezium-up).
		"offset.flush.interval.ms=1000",
		"listeners=http://127.0.0.1:" + strconv.Itoa(port),
		"key.converter=org.apache.kafka.connect.json.JsonConverter",
		"value.converter=org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable=false",
		"value.converter.schemas.enable=false",
	}, "\n") + "\n"
	wp := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(wp, []byte(props), 0o644); err != nil {
		return nil, fmt.Errorf("could not write %s: %w", wp, err)
	}
	return runConnectd(ctx, binary, "standalone", wp, dir, port, env, 60*time.Second, 100*time.Millisecond)
}

// runConnectd starts `connectd <mode> <properties>` with env added to its environment and its
// output in dir/connectd.log, and waits until its REST API on the loopback port answers: polling
// every poll, it fails when connectd exits or has not answered within startup (then stopping it).
// The system's stop sends SIGTERM and kills connectd if it has not exited 60 s later.
func runConnectd(ctx context.Context, binary, mode, properties, dir string, port int, env []string, startup, poll time.Duration) (*system, error) {
	logPath := filepath.Join(dir, "connectd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("could not create %s: %w", logPath, err)
	}
	cmd := exec.Command(binary, mode, properties)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("could not start %s: %w", binary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	s := &system{label: "connectd", rest: newREST("http://127.0.0.1:" + strconv.Itoa(port)), pid: cmd.Process.Pid, logPath: logPath}
	s.stop = func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return nil
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("connectd (pid %d) did not stop within 60 s of SIGTERM; killed it (log %s)", s.pid, logPath)
		}
	}
	deadline := time.Now().Add(startup)
	for !s.rest.ready(ctx) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("connectd exited during start-up (%v); see %s:\n%s", err, logPath, tail(logPath, 20))
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("connectd did not answer on %s within %d s; see %s", s.rest.base, int(startup/time.Second), logPath)
		}
	}
	return s, nil
}

// readFrom returns the contents of path from offset on.
func readFrom(path string, offset int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// mariaDBErrorLog is where the test bed's MariaDB logs each replica's binlog dump
// (deploy/testbed/up sets log_error).
const mariaDBErrorLog = "/var/log/mysql/error.log"

// fileSize is the size of path, 0 when it cannot be read.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// binlogDumps counts the binlog streams MariaDB started for a replica server id since offset of
// its error log: more than one means the connector lost its stream and reconnected.
func binlogDumps(offset int64, serverID string) int {
	b, err := readFrom(mariaDBErrorLog, offset)
	if err != nil {
		return -1
	}
	return strings.Count(string(b), "Start binlog_dump to slave_server("+serverID+")")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("could not find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// DebeziumOptions says where the Debezium reference worker is and how to manage it.
type DebeziumOptions struct {
	// RepoRoot holds deploy/testbed/debezium-up and debezium-down.
	RepoRoot string
	// TestbedHome is $TESTBED_HOME (the worker's pid file is debezium/connect.pid in it).
	TestbedHome string
	// REST is the worker's REST URL (default http://127.0.0.1:8183).
	REST string
	// Restart restarts the worker before the run when no other connector is on it, so its VmHWM
	// (peak RSS) and CPU time cover this run only.
	Restart bool
	// Heap is the JVM's heap options when the harness (re)starts the worker (DEBEZIUM_HEAP_OPTS
	// of deploy/testbed/debezium-up); empty means its default, Kafka's connect-distributed.sh
	// heap (-Xms256m -Xmx2g).
	Heap string
}

// heapNote says which heap the worker was started with.
func (o DebeziumOptions) heapNote() string {
	if o.Heap != "" {
		return o.Heap
	}
	return "-Xms256m -Xmx2g (Kafka's connect-distributed.sh default heap), G1"
}

// startDebezium makes sure the Debezium reference worker runs (deploy/testbed/debezium-up),
// restarting it first when asked and nothing else uses it, and returns it.
func startDebezium(ctx context.Context, o DebeziumOptions, ns string, log io.Writer) (*system, error) {
	rest := newREST(o.REST)
	s := &system{label: "Debezium", rest: rest, stop: func() error { return nil }}
	script := func(name string) error {
		path := filepath.Join(o.RepoRoot, "deploy", "testbed", name)
		cmd := exec.CommandContext(ctx, "bash", path)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Env = append(os.Environ(), "TESTBED_HOME="+o.TestbedHome)
		if o.Heap != "" {
			cmd.Env = append(cmd.Env, "DEBEZIUM_HEAP_OPTS="+o.Heap)
		}
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s failed: %w", path, err)
		}
		return nil
	}
	if rest.ready(ctx) && o.Restart {
		names, err := rest.connectors(ctx)
		var others []string
		for _, n := range names {
			if !strings.HasPrefix(n, ns+"-") {
				others = append(others, n)
			}
		}
		switch {
		case err != nil:
			s.notes = append(s.notes, "could not list the worker's connectors, so it was not restarted: its peak RSS may include earlier work")
		case len(others) > 0:
			s.notes = append(s.notes, fmt.Sprintf("the Debezium worker also ran %v (another user of the test bed), so it was not restarted: its peak RSS and CPU include that work", others))
		default:
			fmt.Fprintln(log, "bench: restarting the Debezium worker so its peak RSS covers this run only")
			if err := script("debezium-down"); err != nil {
				return nil, err
			}
		}
	}
	if err := script("debezium-up"); err != nil {
		return nil, err
	}
	s.logPath = filepath.Join(o.TestbedHome, "debezium", "logs", "connect.log")
	if st, err := os.Stat(s.logPath); err == nil {
		s.logStart = st.Size()
	}
	pid, err := debeziumPID(o.TestbedHome)
	if err != nil {
		return nil, err
	}
	s.pid = pid
	return s, nil
}

// debeziumPID finds the Kafka Connect JVM that debezium-up started: from its pid file, or, when
// another user of the shared test bed restarted it in between and the file is gone, by its
// command line (ConnectDistributed with the test bed's Debezium worker properties).
func debeziumPID(home string) (int, error) {
	pidFile := filepath.Join(home, "debezium", "connect.pid")
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			if _, err := readProc(pid); err == nil {
				return pid, nil
			}
		}
	}
	props := filepath.Join(home, "debezium", "connect-distributed.properties")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		if bytes.Contains(cmd, []byte("org.apache.kafka.connect.cli.ConnectDistributed")) && bytes.Contains(cmd, []byte(props)) {
			if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the Debezium worker answers but neither its pid file %s nor a process running ConnectDistributed with %s was found", pidFile, props)
}

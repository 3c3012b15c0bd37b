package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs       int
	CPUModel   string
	MemoryGiB  float64
	Kernel     string
	OS         string
	Go         string
	Java       string
	Kafka      string
	LoadStart  string
	LoadEnd    string
	Commit     string
	Command    string
	StartedUTC time.Time
}

// DescribeMachine reads the machine's description from /proc and the tools on PATH; kafkaLibs is
// the directory of the test bed's Kafka jars (the Kafka version is read from their names).
func DescribeMachine(ctx context.Context, kafkaLibs, repoRoot string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), StartedUTC: time.Now().UTC(), LoadStart: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				m.MemoryGiB = float64(kib(v)) / (1 << 20)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput(); err == nil {
		m.Java = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	m.Kafka = "unknown"
	if jars, _ := filepath.Glob(filepath.Join(kafkaLibs, "kafka-clients-*.jar")); len(jars) > 0 {
		m.Kafka = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(jars[0]), "kafka-clients-"), ".jar")
	}
	if out, err := exec.CommandContext(ctx, "git", "-C", repoRoot, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "-C", repoRoot, "status", "--porcelain", "--", "connect", "connectors", "cmd", "offsets", "schemahistory").Output(); err == nil && len(st) > 0 {
			m.Commit += " (with uncommitted changes in the runtime or connectors)"
		}
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Markdown renders one database's results with the machine and the workload.
func Markdown(m Machine, cfg Config, r *DBResult) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	dbName := map[string]string{"mariadb": "MariaDB", "postgres": "PostgreSQL"}[r.DB]
	p("# connectd vs Debezium on %s, %s\n\n", dbName, m.StartedUTC.Format("2006-01-02 15:04 UTC"))
	p("Command: `%s`\n\n", m.Command)

	p("## Machine\n\n| | |\n|---|---|\n")
	p("| CPUs | %d × %s |\n", m.CPUs, m.CPUModel)
	p("| memory | %.1f GiB |\n", m.MemoryGiB)
	p("| OS, kernel | %s, Linux %s |\n", m.OS, m.Kernel)
	p("| Go | %s |\n", m.Go)
	p("| Java (Kafka, Kafka Connect) | %s |\n", m.Java)
	p("| Kafka | %s, single-node KRaft on 127.0.0.1:9092 |\n", m.Kafka)
	p("| %s | %s on 127.0.0.1 |\n", dbName, r.DBVersion)
	p("| Debezium | %s (Kafka Connect %s distributed worker, deploy/testbed/debezium-up, %s) |\n", orNotRun(r.Dbz.Version, r.Dbz), m.Kafka, cfg.DebeziumOptions.heapNote())
	p("| connectd | %s, commit %s (`connectd standalone`) |\n", orNotRun(r.Ours.Version, r.Ours), m.Commit)
	p("| load average (1/5/15 min) | %s at the start, %s at the end |\n\n", m.LoadStart, m.LoadEnd)
	p("Everything is co-located on these %d cores: Kafka, %s, the system under test and the harness; "+
		"other work on the machine shows in the load average.\n\n", m.CPUs, dbName)

	p("## Workload\n\n")
	converter := "JsonConverter with `schemas.enable=false`"
	if cfg.Converter == "avro" {
		converter = "Apicurio's AvroConverter in its Confluent-compatible mode, schemas registered with " + cfg.SchemaRegistry
	}
	p("Table `%s.%s`: id BIGINT primary key, three integers, VARCHAR(200)×2 and VARCHAR(150) filled with 180, 180 and 140 characters, "+
		"DECIMAL(12,2), DATETIME(6)/TIMESTAMP(6), commit_us BIGINT (~600 bytes of column data per row). "+
		"Both systems use the same connector properties (%s, `snapshot.mode=initial`, "+
		"everything else at its default) and the same Kafka topic, created beforehand with one partition and "+
		"`message.timestamp.type=LogAppendTime`; tables, topics, slots and offsets are reset between systems.\n\n", r.Schema, benchTable, converter)
	p("- **snapshot**: %d preloaded rows; rows/s from `POST /connectors` to the broker's append time of the last snapshot record.\n", cfg.Rows)
	p("- **streaming**: %d events: INSERT transactions of %d rows alternating with UPDATE statements of %d rows, one writer, as fast as the database takes them; events/s from the first write to the append time of the last event.\n", cfg.Events, txnRows, txnRows)
	if cfg.CatchUp {
		p("- **catch-up**: another %d events of the same kind written while the connector is paused (`PUT /connectors/{c}/pause`); events/s from `PUT .../resume` to the append time of the last event. This is the connector's streaming capacity whatever the database's write rate.\n", cfg.Events)
	}
	p("- **latency**: %.0f events/s for %s, autocommit INSERTs of %d rows; latency = LogAppendTime − the inserting statement's start (`NOW(6)` / `statement_timestamp()`, stored in commit_us). Kafka timestamps have millisecond resolution.\n", cfg.LatencyRate, cfg.LatencyDuration, cfg.LatencyTxn)
	p("- **peak RSS**: VmHWM of the process under test (connectd; the Kafka Connect JVM) at the end; **CPU**: utime+stime from `POST /connectors` to the end of the latency phase.\n")
	p("- **CPU per 1,000 events**: the process's utime+stime over the phase divided by its events, so a loaded machine shows in the data.\n")
	p("- **Kafka ceiling**: connectd's records of each phase (same keys and values) produced from memory by connectd's own producer with the same producer settings into a fresh topic of the same settings, timed the same way. **Source ceiling**: the database alone (see Physical limit).\n\n")

	o, d, dd := r.Ours, r.Dbz, r.DbzDefault
	p("## Settings\n\n")
	p("connectd and the tuned Debezium run the same connector properties: the workload's, plus %s. "+
		"Debezium (defaults) runs the workload's properties only (`max.batch.size` 2048, `max.queue.size` 8192, `poll.interval.ms` 500, "+
		"the worker's producer: `batch.size` 16384, `linger.ms` 5 on Kafka 4, no compression). "+
		"The Kafka ceiling is connectd's own producer with the same producer settings. JVM: %s.\n\n", tunedList(), cfg.DebeziumOptions.heapNote())

	p("## Results\n\n")
	if n := max(len(r.OursRuns), len(r.DbzRuns)); n > 1 {
		p("Each system ran %d times, alternating (connectd, ceiling, Debezium tuned, Debezium defaults, connectd, ...); each figure is the median over the runs, "+
			"latency percentiles are over the samples of all runs. Every run is listed under Details.\n\n", n)
	}
	p("| metric | connectd | Debezium (tuned) | Debezium (defaults) | connectd / tuned | target | met? |\n|---|---:|---:|---:|---:|---|---|\n")
	row := func(metric string, get func(SystemResult) float64, format, target string, met func(o, d float64) bool) {
		ov, dv := get(o), get(d)
		ratio, ok := "not run", "not run"
		if o.Ran && d.Ran && dv != 0 {
			ratio = fmt.Sprintf("%.2f×", ov/dv)
		}
		switch {
		case target == "":
			target, ok = "–", "–"
		case o.Ran && (d.Ran || strings.Contains(target, "<")):
			ok = yesNo(met(ov, dv))
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", metric, cell(o, ov, format), cell(d, dv, format), cell(dd, get(dd), format), ratio, target, ok)
	}
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	five := func(a, b float64) bool { return a >= 5*b }
	quarter := func(a, b float64) bool { return a*4 <= b }
	row(fmt.Sprintf("snapshot rows/s (%d rows)", cfg.Rows), SystemResult.SnapshotRate, "%.0f", "≥ 5× tuned", five)
	row(fmt.Sprintf("streaming events/s, live (%d events)", cfg.Events), SystemResult.StreamRate, "%.0f", "", nil)
	if cfg.CatchUp {
		row(fmt.Sprintf("catch-up events/s (backlog of %d)", cfg.Events), SystemResult.CatchUpRate, "%.0f", "≥ 5× tuned", five)
	}
	row("CPU s per 1,000 snapshot rows", func(s SystemResult) float64 { return perK(s.SnapshotCPU, s.SnapshotRows) }, "%.3f", "≤ ¼ of tuned", quarter)
	row("CPU s per 1,000 live events", func(s SystemResult) float64 { return perK(s.StreamCPU, s.StreamEvents) }, "%.3f", "≤ ¼ of tuned", quarter)
	if cfg.CatchUp {
		row("CPU s per 1,000 catch-up events", func(s SystemResult) float64 { return perK(s.CatchUpCPU, s.CatchUpEvents) }, "%.3f", "≤ ¼ of tuned", quarter)
	}
	row(fmt.Sprintf("latency p50, ms (%.0f events/s)", cfg.LatencyRate), func(s SystemResult) float64 { return ms(s.Percentile(0.5)) }, "%.1f", "", nil)
	row("latency p99, ms", func(s SystemResult) float64 { return ms(s.Percentile(0.99)) }, "%.1f", "≤ ½ of tuned", func(a, b float64) bool { return a*2 <= b })
	row("peak RSS, MiB", func(s SystemResult) float64 { return float64(s.PeakRSSKiB) / 1024 }, "%.0f", "< 100 MiB", func(a, _ float64) bool { return a < 100 })
	row("start to first event, s", func(s SystemResult) float64 { return s.FirstEventDur.Seconds() }, "%.2f", "< 1 s", func(a, _ float64) bool { return a < 1 })
	row("CPU seconds (whole run)", func(s SystemResult) float64 { return s.CPUSeconds }, "%.1f", "", nil)
	p("\n")

	if len(r.Ceiling) > 0 || r.SourceRan {
		p("## Physical limit\n\nA phase's physical limit on this machine is the lower of two ceilings: the **Kafka ceiling** (connectd's records of the phase, same bytes, "+
			"produced from memory by connectd's own producer) and the **source ceiling** (the database alone: %s for the snapshot; %s for streaming).\n\n",
			orDash(r.Source.ScanReader), orDash(r.Source.LogReader))
		p("| phase | Kafka ceiling /s | source ceiling /s | limit /s | connectd /s | connectd / limit | target | met? |\n|---|---:|---:|---:|---:|---:|---|---|\n")
		kafkaRate := func(phase string) float64 {
			for _, c := range r.Ceiling {
				if c.Phase == phase {
					return c.Rate()
				}
			}
			return 0
		}
		line := func(phase string, kc, sc, ours float64, target bool) {
			limit := kc
			if sc > 0 && (limit == 0 || sc < limit) {
				limit = sc
			}
			frac, t, met := "–", "–", "–"
			if limit > 0 {
				frac = fmt.Sprintf("%.0f%%", 100*ours/limit)
			}
			if target {
				t, met = "≥ 80%", yesNo(limit > 0 && ours >= 0.8*limit)
			}
			p("| %s | %s | %s | %s | %.0f | %s | %s | %s |\n", phase, rateCell(kc), rateCell(sc), rateCell(limit), ours, frac, t, met)
		}
		line("snapshot", kafkaRate("snapshot"), r.Source.ScanRate(), o.SnapshotRate(), true)
		if o.CatchUpEvents > 0 {
			line("catch-up (a backlog)", kafkaRate("streaming"), r.Source.LogRate(), o.CatchUpRate(), true)
		}
		line("live streaming (bounded by the writer)", kafkaRate("streaming"), rate(r.DBOnlyEvents, r.DBOnlyDur), o.StreamRate(), false)
		p("\n")
		for _, c := range r.Ceiling {
			p("- Kafka ceiling, %s: %d records, %.0f bytes on average, %.1f MB/s.\n", c.Phase, c.Records, float64(c.Bytes)/float64(c.Records), float64(c.Bytes)/c.Dur.Seconds()/1e6)
		}
		if r.SourceRan {
			p("- Source ceiling: scan of %d rows in %.2f s; %d change events drained from the log in %.2f s.\n", r.Source.ScanRows, r.Source.ScanDur.Seconds(), r.Source.LogEvents, r.Source.LogDur.Seconds())
		}
		p("\n")
	}

	writeMachineCPU(p, r, []SystemResult{o, d, dd})

	p("## Details\n\n")
	if max(len(r.OursRuns), len(r.DbzRuns)) > 1 {
		p("| run | system | snapshot rows/s | streaming events/s | catch-up events/s | p50 ms | p99 ms | peak RSS MiB | CPU s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, runs := range [][]SystemResult{r.OursRuns, r.DbzRuns, r.DbzDefaultRuns} {
			for i, s := range runs {
				p("| %d | %s | %.0f | %.0f | %.0f | %.1f | %.1f | %.0f | %.1f |\n", i+1, s.System, s.SnapshotRate(), s.StreamRate(), s.CatchUpRate(),
					ms(s.Percentile(0.5)), ms(s.Percentile(0.99)), float64(s.PeakRSSKiB)/1024, s.CPUSeconds)
			}
		}
		for i, run := range r.CeilingRuns {
			snap, stream := "", ""
			for _, c := range run {
				if c.Phase == "snapshot" {
					snap = fmt.Sprintf("%.0f", c.Rate())
				} else {
					stream = fmt.Sprintf("%.0f", c.Rate())
				}
			}
			p("| %d | Kafka ceiling | %s | %s | | | | | |\n", i+1, snap, stream)
		}
		p("\n")
	}
	if r.DBOnlyEvents > 0 {
		p("- %s alone (nothing capturing, scratch table): the streaming writes took %.2f s = **%.0f events/s**.\n", dbName, r.DBOnlyDur.Seconds(), rate(r.DBOnlyEvents, r.DBOnlyDur))
	}
	for _, s := range []SystemResult{o, d, dd} {
		if !s.Ran {
			p("- %s: not run (%s).\n", s.System, s.Reason)
			continue
		}
		p("- %s: preload %.1f s; snapshot %.2f s (%.1f CPU s); streaming writes took %.2f s (%.0f events/s while %s captured), last event in Kafka after %.2f s (%.1f CPU s); "+
			"catch-up of %d events in %.2f s (%.1f CPU s; written in %.2f s while paused); "+
			"latency phase wrote %.0f events/s, %d samples, max %.1f ms (%.1f CPU s); peak RSS %.0f MiB (largest sampled VmRSS %.0f MiB); "+
			"average record (key+value) %.0f bytes in the snapshot, %.0f streaming.\n",
			s.System, s.PreloadDur.Seconds(), s.SnapshotDur.Seconds(), s.SnapshotCPU, s.StreamWriteDur.Seconds(), rate(s.StreamEvents, s.StreamWriteDur), s.System,
			s.StreamDur.Seconds(), s.StreamCPU, s.CatchUpEvents, s.CatchUpDur.Seconds(), s.CatchUpCPU, s.CatchUpWriteDur.Seconds(), s.LatencyWriteHz, len(s.Latencies), ms(s.Percentile(1)), s.LatencyCPU,
			float64(s.PeakRSSKiB)/1024, float64(s.MaxSampledKiB)/1024, avg(s.SnapshotBytes, s.SnapshotRows), avg(s.StreamBytes, s.StreamEvents))
		if s.StreamEvents > 0 && s.StreamRate() >= 0.9*rate(s.StreamEvents, s.StreamWriteDur) {
			p("  - %s kept up with the writer: its streaming figure is bounded by how fast %s took the writes, not by %s.\n", s.System, dbName, s.System)
		}
		for _, n := range s.Notes {
			p("  - note: %s\n", n)
		}
	}
	if dd.Ran {
		p("- Debezium (defaults): its poll loop returns a batch only when it holds `max.batch.size` (2048) records or `poll.interval.ms` (500 ms) has passed; at a moderate rate that wait dominates its latency. The tuned run polls every 10 ms.\n")
	}
	p("\n")
	if r.Profile != "" {
		p("## Where connectd's time goes\n\n%s. Profiles of `connectd standalone` built with runtime/pprof (tests/bench/cmd/connectd-pprof), "+
			"a separate run over the snapshot, streaming and catch-up phases; the CPU profile covers the whole process life, the heap profile is the last one taken at a new peak of the live heap.\n\n```\n%s\n```\n", r.ProfileNote, r.Profile)
	}
	return b.String()
}

func perK(cpu float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return cpu * 1000 / float64(n)
}

func rateCell(v float64) string {
	if v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", v)
}

func orDash(s string) string {
	if s == "" {
		return "not measured"
	}
	return s
}

// tunedList renders TunedProperties in a stable order.
func tunedList() string {
	keys := make([]string, 0, len(TunedProperties))
	for k := range TunedProperties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "`" + k + "=" + TunedProperties[k] + "`"
	}
	return strings.Join(parts, ", ")
}

func cell(s SystemResult, v float64, format string) string {
	if !s.Ran {
		return "not run"
	}
	return fmt.Sprintf(format, v)
}

func orNotRun(v string, s SystemResult) string {
	if !s.Ran {
		return "not run"
	}
	return v
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func avg(bytes int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(bytes) / float64(n)
}

// WriteResults writes each database's report to dir/<date>-<db>.md and returns the paths.
func WriteResults(dir string, m Machine, cfg Config, rs []*DBResult) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("could not create the results folder %s: %w", dir, err)
	}
	var paths []string
	for _, r := range rs {
		path := filepath.Join(dir, m.StartedUTC.Format("2006-01-02")+"-"+r.DB+".md")
		if err := os.WriteFile(path, []byte(Markdown(m, cfg, r)), 0o644); err != nil {
			return paths, fmt.Errorf("could not write %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// writeMachineCPU writes where the machine's CPU went in each throughput phase: a rate that stays
// under its ceiling while every core is busy is bounded by what the co-located broker and
// database burn beside the system under test, which this table measures.
func writeMachineCPU(p func(string, ...any), r *DBResult, systems []SystemResult) {
	type line struct {
		who, phase string
		n          int
		own        float64 // the system under test's CPU s; < 0 when it has none of its own
		m          MachineCPU
	}
	var lines []line
	for _, s := range systems {
		if !s.Ran {
			continue
		}
		if s.SnapshotMachine.Wall > 0 {
			lines = append(lines, line{s.System, "snapshot", s.SnapshotRows, s.SnapshotCPU, s.SnapshotMachine})
		}
		if s.CatchUpMachine.Wall > 0 {
			lines = append(lines, line{s.System, "catch-up", s.CatchUpEvents, s.CatchUpCPU, s.CatchUpMachine})
		}
	}
	for _, c := range r.Ceiling {
		if c.Machine.Wall > 0 {
			lines = append(lines, line{"Kafka ceiling", c.Phase, c.Records, -1, c.Machine})
		}
	}
	if len(lines) == 0 {
		return
	}
	cores := lines[0].m.Cores()
	p("## Where the machine's CPU went\n\nCPU seconds of the whole machine (/proc/stat: all but idle and iowait), of the Kafka broker's JVM and of the database server's processes, "+
		"from the phase's start until the harness saw its last record (a little longer than the phase's own duration). In parentheses: CPU s per 1,000 records. "+
		"\"busy\" is the machine's CPU over %d cores × that wall time; the system under test is connectd or the Kafka Connect JVM; "+
		"\"rest\" is everything else (the harness, which is the Kafka ceiling's producer, the OS, other work on the machine). When busy is near 100%% the phase's rate is bounded by the CPU all of these share.\n\n", cores)
	p("| system | phase | wall s | busy | system under test | Kafka broker | database | rest |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	cell := func(v float64, n int) string { return fmt.Sprintf("%.1f (%.3f)", v, perK(v, n)) }
	for _, l := range lines {
		own, rest := "–", l.m.Busy-l.m.Kafka-l.m.DB
		if l.own >= 0 {
			own, rest = cell(l.own, l.n), rest-l.own
		}
		p("| %s | %s | %.1f | %.0f%% | %s | %s | %s | %s |\n", l.who, l.phase, l.m.Wall, 100*l.m.BusyShare(), own, cell(l.m.Kafka, l.n), cell(l.m.DB, l.n), cell(max(rest, 0), l.n))
	}
	p("\n")
}

package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MemoryMarkdown renders the memory benchmark's results.
func MemoryMarkdown(m Machine, cfg MemoryConfig, cs []MemoryCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# connectd's memory with a %s transaction and %s rows, %s UTC\n\n",
		mib(cfg.TxnBytes), mib(int64(cfg.BigRowBytes)), m.StartedUTC.Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, "Command: `%s`\n\n", m.Command)
	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPUs | %d × %s |\n| memory | %.1f GiB |\n| OS, kernel | %s, Linux %s |\n| Go | %s |\n| Kafka | %s, single-node KRaft |\n| connectd | commit %s (`connectd standalone`) |\n| load average (1/5/15 min) | %s at the start, %s at the end |\n\n",
		m.CPUs, orDash(m.CPUModel), m.MemoryGiB, orDash(m.OS), orDash(m.Kernel), m.Go, m.Kafka, orDash(m.Commit), m.LoadStart, m.LoadEnd)
	b.WriteString("Everything is co-located on these cores (Kafka, the databases, connectd, the harness) and shared with other work: " +
		"rates are indicative, peak RSS is what this benchmark measures.\n\n")
	b.WriteString("## Workload\n\n")
	fmt.Fprintf(&b, "- **txn**: one transaction inserting %d rows of %d bytes of text (%s of payload; MariaDB: multi-row INSERTs of up to %s into a LONGTEXT column; "+
		"PostgreSQL: COPY into a TEXT column, which the server streams to the connector in chunks once it passes logical_decoding_work_mem, "+
		"and connectd spools to disk until the commit).\n",
		cfg.TxnBytes/int64(max(1, cfg.TxnRowBytes)), cfg.TxnRowBytes, mib(cfg.TxnBytes), mib(memStatementBytes))
	fmt.Fprintf(&b, "- **big**: %d rows of %s (LONGBLOB / BYTEA) inserted one per transaction, then each updated to a new %s value, while the connector is paused; "+
		"it is then resumed with the whole backlog in the log (events/s count from the resume): "+
		"%d events, each value base64 in JSON (an update's record on MariaDB carries both images, ~%s).\n",
		cfg.BigRows, mib(int64(cfg.BigRowBytes)), mib(int64(cfg.BigRowBytes)), 2*cfg.BigRows, mib(int64(cfg.BigRowBytes)*8/3))
	fmt.Fprintf(&b, "- connectd runs with its **default memory settings** (`max.queue.size`, `max.queue.size.in.bytes`, `max.batch.size`, `producer.buffer.memory`, no GOMEMLIMIT%s); "+
		"JSON without schemas. A record of a 10 MiB row does not fit Kafka's 1 MiB defaults, so, as Debezium users do, the change event topics are created with "+
		"`max.message.bytes=%d` and the connector sets `producer.override.max.request.size=%d`.\n",
		envNote(cfg.Env), cfg.MaxMessageBytes, cfg.MaxMessageBytes)
	b.WriteString("- Each case runs a fresh connectd process, so its **peak RSS** (VmHWM at the end) covers that case alone; a warm-up row's event " +
		"shows the connector streams before the writes start. **events/s** counts from the first write to the broker's append time of the last event; " +
		"**after commit** from the last commit to it.\n")
	b.WriteString("- **check**: every event is read back and compared with what was written (each id once per operation, the payload byte for byte); " +
		"the checksum is the sum of FNV-64a over (op, id, payload) of the events read, which must equal the sum over the rows written.\n\n")
	fmt.Fprintf(&b, "## Results\n\n| database | case | events | MiB on Kafka | write s | events/s | after commit s | peak RSS MiB | max sampled RSS MiB | CPU s | < %d MiB? | every event, by content |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n", cfg.LimitMiB)
	for _, c := range cs {
		if c.Err != "" {
			fmt.Fprintf(&b, "| %s | %s | %d | – | – | – | – | %s | %s | – | – | **failed**: %s |\n", c.DB, c.Name, c.Events, kibCell(c.PeakRSSKiB), kibCell(c.MaxSampledKiB), oneLine(c.Err))
			continue
		}
		check := fmt.Sprintf("yes: %d of %d, checksum %016x", c.Seen, c.Events, c.Checksum)
		if !c.OK() {
			check = fmt.Sprintf("**no**: %d of %d, checksum %016x want %016x; %s", c.Seen, c.Events, c.Checksum, c.Want, strings.Join(c.Bad, "; "))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.1f | %.0f | %.1f | %s | %s | %.1f | %s | %s |\n", c.DB, c.Name, c.Events, float64(c.Bytes)/(1<<20),
			c.WriteDur.Seconds(), c.Rate(), c.AfterCommitDur.Seconds(), kibCell(c.PeakRSSKiB), kibCell(c.MaxSampledKiB), c.CPUSeconds,
			yesNo(c.PeakRSSKiB > 0 && c.PeakRSSKiB < int64(cfg.LimitMiB)<<10), check)
	}
	for _, c := range cs {
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "\n- %s/%s: %s", c.DB, c.Name, n)
		}
	}
	for _, c := range cs {
		if c.HeapTop != "" {
			fmt.Fprintf(&b, "\n\n### %s/%s: live heap at its peak (inuse_space)\n\n```\n%s\n```\n", c.DB, c.Name, c.HeapTop)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func mib(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

func kibCell(k int64) string {
	if k <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(k)/1024)
}

func envNote(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return "; environment " + strings.Join(env, " ")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// WriteMemoryResults writes the report to dir/<date>-memory.md and returns its path.
func WriteMemoryResults(dir string, m Machine, cfg MemoryConfig, cs []MemoryCase) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("could not create the results folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, m.StartedUTC.Format("2006-01-02")+"-memory.md")
	if err := os.WriteFile(path, []byte(MemoryMarkdown(m, cfg, cs)), 0o644); err != nil {
		return "", fmt.Errorf("could not write %s: %w", path, err)
	}
	return path, nil
}

// pprofTop is `go tool pprof -top` of a heap profile's live bytes.
func pprofTop(ctx context.Context, binary, profile string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-sample_index=inuse_space", "-top", "-nodecount=25", binary, profile).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	return trimPprof(string(out)), nil
}

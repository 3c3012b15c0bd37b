package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// memoryTestLimitMiB is the peak RSS the transaction cases of TestMemoryBounded may reach (issue
// 17's target): a connectd that held the 100 MiB transaction (its rows decoded, as records) would
// not stay under it; streaming it takes about 100 MiB.
const memoryTestLimitMiB = 256

// bigRowsLimitMiB is the bound of the 10 MiB-row cases: issue 17's 256 MiB. On MariaDB each
// update event carries 20 MiB of row images; with each stage holding one such row at most (the
// binlog connection not read ahead of the queue, one record converted and waiting for room in
// producer.buffer.memory, one in flight) connectd peaks at ~170 MiB there and PostgreSQL at
// 125–165 MiB (tests/bench/results/2026-12-08-memory.md); before, 245–295 MiB.
const bigRowsLimitMiB = 256

// TestMemoryBounded streams a 100 MiB transaction of 1 KiB rows and six 10 MiB rows (inserted,
// then updated) through connectd with its default memory settings, on MariaDB and PostgreSQL,
// and checks every event by content and connectd's peak RSS (VmHWM, a fresh process per case)
// against 256 MiB (the big rows against bigRowsLimitMiB): the CI-scale form of tests/bench/memory, so a change that buffers a whole
// transaction or reads the binlog unboundedly ahead fails here. Not timed (about 1.5 minutes on
// an idle test bed; the deadline leaves room for a loaded one).
func TestMemoryBounded(t *testing.T) {
	h := newHarnessTest(t, true)
	cfg := DefaultMemoryConfig()
	cfg.Namespace = testNamespace("benchmemtest_")
	cfg.TxnBytes, cfg.BigRows = 100<<20, 6
	cfg.Connectd, cfg.Kafka, cfg.MariaDB, cfg.Postgres = h.connectd, h.kafka, h.mariadb, h.postgres
	cfg.WorkDir, cfg.Stall, cfg.Log = h.workDir, h.stall, h.log

	ctx := h.context(8*time.Minute, func(ctx context.Context) error { return CleanupMemory(ctx, cfg) })
	cs, err := RunMemory(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 {
		t.Fatalf("got %d cases, want 4 (txn and big on each database)", len(cs))
	}
	for _, c := range cs {
		t.Logf("%s/%s: %d of %d events, peak RSS %d MiB (max sampled %d MiB), %.0f events/s", c.DB, c.Name, c.Seen, c.Events, c.PeakRSSKiB>>10, c.MaxSampledKiB>>10, c.Rate())
		if c.Err != "" {
			t.Errorf("%s/%s failed: %s", c.DB, c.Name, c.Err)
			continue
		}
		if !c.OK() {
			t.Errorf("%s/%s: %d of %d events read back, checksum %x want %x: %s", c.DB, c.Name, c.Seen, c.Events, c.Checksum, c.Want, strings.Join(c.Bad, "; "))
		}
		limit := int64(memoryTestLimitMiB)
		if c.Name == "big" {
			limit = bigRowsLimitMiB
		}
		if c.PeakRSSKiB <= 0 || c.PeakRSSKiB >= limit<<10 {
			t.Errorf("%s/%s: connectd's peak RSS was %d MiB, want below %d MiB", c.DB, c.Name, c.PeakRSSKiB>>10, limit)
		}
	}
	md := MemoryMarkdown(DescribeMachine(ctx, os.Getenv("CONNECTD_TEST_KAFKA_LIBS"), h.root), cfg, cs)
	for _, want := range []string{"| mariadb | txn | 102400 |", "| postgres | big | 12 |", "yes: 12 of 12, checksum"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

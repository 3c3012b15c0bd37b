package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The disk-full case: the standalone worker's offsets file (offset.storage.file.filename) lives on
// a 256 KiB tmpfs, which the test fills up while changes stream. The design: the file store
// replaces its files whole (temporary file, fsync, rename), so a full disk can only make a write
// fail, never leave a truncated file; the runtime then fails the task (FAILED, with a trace naming
// the full disk and the restart to do) rather than go on producing records whose offsets cannot be
// saved. Once there is room again, the restart the trace asks for resumes from the last committed
// offset; nothing is lost, and the records since that offset come again (duplicates, counted).

// mountTmpfs mounts a tmpfs of size bytes on a new directory under dir, unmounted at cleanup.
func mountTmpfs(t *testing.T, dir string, size string) string {
	t.Helper()
	mnt := filepath.Join(dir, "offsets-fs")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("the disk-full case mounts a small tmpfs and needs root (or CAP_SYS_ADMIN): mount: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	return mnt
}

// fill appends to a filler file on the file system of dir until it is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "filler"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return
		}
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// offsetsFile checks that the offsets file is whole (it parses, it has the format marker and at
// least one offset) and, when settled (no write can be under way), that no temporary file was
// left beside it; it returns the file's bytes.
func offsetsFile(t *testing.T, path string, settled bool) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the offsets file: %v", err)
	}
	var f struct {
		Format  string            `json:"format"`
		Offsets []json.RawMessage `json:"offsets"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Format != "connectd-offsets" || len(f.Offsets) == 0 {
		t.Fatalf("the offsets file is damaged (%v): %.500s", err, b)
	}
	if settled {
		// A failing write's temporary file lives a moment: look twice.
		pattern := filepath.Join(filepath.Dir(path), ".*.tmp-*")
		if tmp, _ := filepath.Glob(pattern); len(tmp) > 0 {
			time.Sleep(300 * time.Millisecond)
			if again, _ := filepath.Glob(pattern); len(again) > 0 && again[0] == tmp[0] {
				t.Errorf("temporary files left beside the offsets file: %v", again)
			}
		}
	}
	return b
}

func runDiskFull(t *testing.T, src source) {
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	began := time.Now()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "full")
	dir := t.TempDir()
	mnt := mountTmpfs(t, dir, "256k")
	path := filepath.Join(mnt, "offsets")
	extra := map[string]string{"offset.storage.file.filename": path}
	conn := src.connector(prefix)
	w := startWorker(t, dir, 1, conn, extra, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	time.Sleep(2 * time.Second)
	offsetsFile(t, path, false)

	// The disk fills up; the next offset flush (every 100 ms) cannot be written.
	fill(t, mnt)
	full := time.Now()
	states := map[string]int{}
	var trace string
	for trace == "" {
		if time.Since(full) > 20*time.Second {
			t.Fatalf("the task did not report the full disk within 20 s (states seen: %v)", states)
		}
		time.Sleep(200 * time.Millisecond)
		fill(t, mnt) // a failed write frees its temporary file: keep the disk full
		_, task, tr := w.state()
		states[task]++
		if task == "FAILED" {
			trace = tr
		}
	}
	t.Logf("the task failed %s after the disk filled up (states before: %v): %.400s", time.Since(full).Round(100*time.Millisecond), states, trace)
	for _, want := range []string{"no space left on device", "restart the task"} {
		if !strings.Contains(trace, want) {
			t.Errorf("the trace does not say %q: %s", want, trace)
		}
	}
	// While the disk stays full the file stays whole and the status stays FAILED.
	whileFull := offsetsFile(t, path, true)
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		fill(t, mnt)
		if _, task, _ := w.state(); task != "FAILED" {
			t.Errorf("with the disk still full the task is %s, not FAILED", task)
		}
		if b := offsetsFile(t, path, true); !bytes.Equal(b, whileFull) {
			t.Errorf("the offsets file changed while the disk was full")
		}
	}

	// Room again: the restart the trace asks for resumes, and the offsets move on.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	fullFor := time.Since(full)
	if code, b := w.rest.Call("POST", "/connectors/faults/tasks/0/restart", nil); code >= 300 {
		t.Fatalf("restart: %d %s", code, b)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		time.Sleep(200 * time.Millisecond)
		if _, task, _ := w.state(); task == "RUNNING" && !bytes.Equal(offsetsFile(t, path, false), whileFull) {
			break
		}
		if time.Now().After(deadline) {
			c, task, tr := w.state()
			t.Fatalf("after the restart with room again: connector %s, task %s %.300s, offsets file unchanged", c, task, tr)
		}
	}
	// And a new worker process loads the file as it was left.
	time.Sleep(time.Second)
	w.kill()
	offsetsFile(t, path, false)
	w = startWorker(t, dir, 2, conn, extra, nil)
	time.Sleep(2 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault: fmt.Sprintf("offsets file system full (256 KiB tmpfs) for %.0fs: task FAILED, restarted once there was room", fullFor.Seconds()), faults: 1},
		began, load)
}

// TestMariaDBOffsetDiskFull: the offsets file's disk fills up under a MariaDB connector.
func TestMariaDBOffsetDiskFull(t *testing.T) { runDiskFull(t, newMaria(t)) }

// TestPostgresOffsetDiskFull: the same for the PostgreSQL connector.
func TestPostgresOffsetDiskFull(t *testing.T) { runDiskFull(t, newPG(t)) }

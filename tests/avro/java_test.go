package avro

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/testbed"
)

// javaDecode reads record values with a real Java Avro deserializer: Apicurio's
// AvroKafkaDeserializer (from Maven Central, listed in java/pom.xml) in its Confluent-compatible
// mode, run by java/AvroCheck.java. It returns one line per value: the decoded record's toString,
// or "ERROR ..." when the deserializer refused it. The jars are copied once per pom content.
func javaDecode(t *testing.T, reg *registry, topic string, values [][]byte) []string {
	t.Helper()
	for _, tool := range []string{"java", "mvn"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; deploy/testbed/up installs it", tool)
		}
	}
	dir := filepath.Join(testbed.RepoRoot(t), "tests", "avro", "java")
	pom, err := os.ReadFile(filepath.Join(dir, "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pom)
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	libs := filepath.Join(cache, "connectd-avro-java", hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(libs, ".done")); err != nil {
		tmp := libs + ".tmp"
		os.RemoveAll(tmp)
		settings := filepath.Join(testbed.RepoRoot(t), "deploy", "testbed", "apicurio", "settings.xml")
		cmd := exec.Command("mvn", "-B", "-q", "-s", settings, "-f", filepath.Join(dir, "pom.xml"),
			"dependency:copy-dependencies", "-DoutputDirectory="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("fetching the Java deserializer's jars: %v\n%s", err, out)
		}
		if err := os.WriteFile(filepath.Join(tmp, ".done"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(libs)
		if err := os.Rename(tmp, libs); err != nil {
			t.Fatal(err)
		}
	}
	var in strings.Builder
	for _, v := range values {
		in.WriteString(base64.StdEncoding.EncodeToString(v) + "\n")
	}
	api := strings.TrimSuffix(reg.url, "/apis/ccompat/v7") + "/apis/registry/v2"
	cmd := exec.Command("java", "-Xmx128m", "-cp", filepath.Join(libs, "*"), filepath.Join(dir, "AvroCheck.java"), api, topic)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("java AvroCheck: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(values) {
		t.Fatalf("java AvroCheck printed %d lines for %d values:\n%s", len(lines), len(values), out)
	}
	return lines
}

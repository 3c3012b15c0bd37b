// The golden files under testdata/golden were written by Kafka's connect-transforms (4.3.1) and
// Debezium's SMTs (debezium-connect-plugins 3.7.0.Final) from testdata/cases.json and
// testdata/inputs.jsonl (records Debezium itself wrote, taken from tests/compat/reference) or the
// case's own inputs file (testdata/outbox.jsonl: outbox table events written by hand). To
// regenerate them after changing the cases or inputs (needs a JDK and the test bed's jars):
//
//	connect/transforms/testdata/gen/gen.sh
//
// These tests need no Java: the golden files are committed.

package transforms

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connect/jsonconv"
)

type goldenInput struct {
	Name      string          `json:"name"`
	Topic     string          `json:"topic"`
	Timestamp int64           `json:"timestamp"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
}

type goldenCase struct {
	Name   string            `json:"name"`
	Inputs string            `json:"inputs"`
	Config map[string]string `json:"config"`
}

func readGoldenInputs(t testing.TB, conv *jsonconv.Converter, file string) ([]goldenInput, []*api.SourceRecord) {
	t.Helper()
	if file == "" {
		file = "inputs.jsonl"
	}
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ins []goldenInput
	var recs []*api.SourceRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var in goldenInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			t.Fatal(err)
		}
		r := &api.SourceRecord{Topic: in.Topic, Partition: -1, Timestamp: time.UnixMilli(in.Timestamp),
			SourcePartition: map[string]any{"p": int32(1)}, SourceOffset: map[string]any{"o": int32(1)}}
		if len(in.Key) > 0 && string(in.Key) != "null" {
			if r.KeySchema, r.Key, err = conv.Decode(in.Key); err != nil {
				t.Fatalf("%s: decode key: %v", in.Name, err)
			}
		}
		if len(in.Value) > 0 && string(in.Value) != "null" {
			if r.ValueSchema, r.Value, err = conv.Decode(in.Value); err != nil {
				t.Fatalf("%s: decode value: %v", in.Name, err)
			}
		}
		ins = append(ins, in)
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ins, recs
}

// TestGoldenAgainstJava applies every case to every input record and compares topic, key, value
// and headers, as JsonConverter and SimpleHeaderConverter bytes, with what Kafka's and Debezium's
// classes produced.
func TestGoldenAgainstJava(t *testing.T) {
	conv, err := jsonconv.New(map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata/golden", c.Name+".txt"))
			if err != nil {
				t.Fatalf("%v; run testdata/gen/gen.sh", err)
			}
			chain, probs := New(c.Config)
			if len(probs) > 0 {
				t.Fatalf("New: %v", probs)
			}
			// Fresh records per case: a transform must never change its input.
			ins, recs := readGoldenInputs(t, conv, c.Inputs)
			var b bytes.Buffer
			for i, r := range recs {
				b.WriteString("## " + ins[i].Name + "\n")
				out, err := chain.Apply(r)
				switch {
				case err != nil:
					b.WriteString("error\n")
					continue
				case out == nil:
					b.WriteString("dropped\n")
					continue
				}
				b.WriteString("topic " + out.Topic + "\n")
				if out.Partition >= 0 {
					b.WriteString("partition " + strconv.Itoa(int(out.Partition)) + "\n")
				}
				var kvLines string
				convErr := false
				for _, kv := range []struct {
					what string
					s    *api.Schema
					v    any
				}{{"key", out.KeySchema, out.Key}, {"value", out.ValueSchema, out.Value}} {
					enc, err := conv.Encode(nil, kv.s, kv.v)
					if err != nil {
						convErr = true
						break
					}
					if enc == nil {
						enc = []byte("null")
					}
					kvLines += kv.what + " " + string(enc) + "\n"
				}
				if convErr {
					b.WriteString("conversion error\n")
					continue
				}
				b.WriteString(kvLines)
				for _, h := range out.Headers {
					v := converter.HeaderValue(h.Schema, h.Value)
					s := "null"
					if v != nil {
						s = string(v)
					}
					b.WriteString("header " + h.Key + " " + s + "\n")
				}
			}
			got := b.String()
			if got == string(want) {
				return
			}
			gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			section := ""
			for i := 0; i < len(gl) || i < len(wl); i++ {
				var g, w string
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				if strings.HasPrefix(w, "## ") {
					section = w
				}
				if g != w {
					t.Fatalf("%s, line %d:\n got: %s\nwant: %s", section, i+1, g, w)
				}
			}
		})
	}
}

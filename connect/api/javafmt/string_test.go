package javafmt

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendStringGolden writes the strings of Gen.java's "strings" case as a JSON array and
// compares it with what Kafka's JsonConverter (Jackson's UTF8JsonGenerator) wrote.
func TestAppendStringGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "strings_s0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var controls []byte
	for c := byte(0); c < 0x20; c++ {
		controls = append(controls, c)
	}
	strs := []string{"", "plain", "quote\"", "back\\slash", "slash/", string(controls),
		"\u007f", "é中文😀", "\u2028\u2029", "<script>&'", "\ufffd", "\u00a0\u0080\u07ff\u0800\uffff",
		"mixed \"q\" \\ \n end"}
	got := []byte{'['}
	for i, s := range strs {
		if i > 0 {
			got = append(got, ',')
		}
		got = AppendString(got, s)
	}
	got = append(got, ']')
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

// TestAppendStringJackson holds cases checked against Jackson by hand, among them the strings of
// the "escapes" case of offsets/testdata/golden.tsv (written by Kafka Connect).
func TestAppendStringJackson(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                       `"plain"`,
		"q\"b\\s/":                    `"q\"b\\s/"`,
		"\b\t\n\f\r":                  `"\b\t\n\f\r"`,
		"\x00\x0b\x1f":                `"\u0000\u000B\u001F"`,
		"\x7f é€":                     "\"\x7f é€\"",
		"😀":                           `"\uD83D\uDE00"`,
		"we\"ird\\name/é€😀":           `"we\"ird\\name/é€\uD83D\uDE00"`,
		"日本語 ünïcödé 🚀":               `"日本語 ünïcödé \uD83D\uDE80"`,
		"bad\xffutf8":                 "\"bad\uFFFDutf8\"",
		"</script>\u2028":             "\"</script>\u2028\"",
		"0123456789abcdef\"0123456\n": `"0123456789abcdef\"0123456\n"`,
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := string(AppendString([]byte("keep:"), "x")); got != `keep:"x"` {
		t.Errorf("AppendString does not append: %s", got)
	}
}

func TestAppendWriterString(t *testing.T) {
	// Debezium's schema history (WriterBasedJsonGenerator) writes supplementary characters raw
	// and escapes the rest as the UTF-8 generator does.
	for in, want := range map[string]string{
		"sé😀":                    `"sé😀"`,
		"q\"\\/<>&\u2028é":       "\"q\\\"\\\\/<>&\u2028é\"",
		"\x00\x1f\b\f\n\r\t\x7f": "\"\\u0000\\u001F\\b\\f\\n\\r\\t\x7f\"",
		"\xff":                   "\"\uFFFD\"",
		"a𝄞b\xe4\xb8":            "\"a𝄞b\uFFFD\"",
	} {
		if got := string(AppendWriterString(nil, in)); got != want {
			t.Errorf("AppendWriterString(%q) = %s, want %s", in, got, want)
		}
	}
}

// referenceString is Jackson's string escaping written the slow, obvious way, to check the fast
// AppendString against.
func referenceString(s string, escapeSupplementary bool) string {
	var b strings.Builder
	b.WriteByte('"')
	// Only single invalid bytes are generated, each of which Java and Go replace by one U+FFFD.
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04X`, r)
		case r >= 0x10000 && escapeSupplementary:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04X\u%04X`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestAppendStringMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "/", "\"", "\\", "\x00", "\x1f", "\n", "\x7f", "é", "中", "😀", "\u2028", "\xff", "0123456789abcdef"}
	for range 20000 {
		var sb strings.Builder
		for n := r.IntN(40); n > 0; n-- {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		if got, want := string(AppendString(nil, s)), referenceString(s, true); got != want {
			t.Fatalf("AppendString(%q) = %s; want %s", s, got, want)
		}
		if got, want := string(AppendWriterString(nil, s)), referenceString(s, false); got != want {
			t.Fatalf("AppendWriterString(%q) = %s; want %s", s, got, want)
		}
	}
}

func TestAppendStringInvalidUTF8(t *testing.T) {
	// Invalid UTF-8 becomes U+FFFD per maximal invalid subpart, as Java's decoder does (JDK 25).
	for in, want := range map[string]string{
		"a\xffb":            "a\uFFFDb",
		"\xff\xfe":          "\uFFFD\uFFFD",
		"\xe4\xb8 ":         "\uFFFD ",
		"\xf0\x9f\x98":      "\uFFFD",
		"\xed\xa0\x80":      "\uFFFD",
		"\xed\xa0 ":         "\uFFFD ",
		"\xe0\x9f\x80":      "\uFFFD\uFFFD\uFFFD",
		"\xe0\x80":          "\uFFFD\uFFFD",
		"\xc3":              "\uFFFD",
		"x\xf4\x90\x80\x80": "x\uFFFD\uFFFD\uFFFD\uFFFD",
	} {
		for _, f := range []func([]byte, string) []byte{AppendString, AppendWriterString} {
			got := f(nil, in)
			if !utf8.Valid(got) || string(got) != `"`+want+`"` {
				t.Errorf("%q: got %q; want %q", in, got, `"`+want+`"`)
			}
		}
	}
}

func TestAppendStringAllocatesNothing(t *testing.T) {
	dst := make([]byte, 0, 256)
	s := "mysql-bin.000003 é 😀 \"q\"\n"
	if n := testing.AllocsPerRun(100, func() { AppendString(dst[:0], s) }); n != 0 {
		t.Errorf("AppendString allocates %v times", n)
	}
}

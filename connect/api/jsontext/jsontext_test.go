package jsontext

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestSkipSpaceAndLiteral(t *testing.T) {
	data := []byte(" \t\r\n null")
	i := SkipSpace(data, 0)
	if i != 5 || !HasLiteral(data, i, "null") || HasLiteral(data, i, "nulls") || HasLiteral(data, i+1, "null") {
		t.Fatalf("SkipSpace = %d; literal checks wrong", i)
	}
	if SkipSpace(data[:4], 0) != 4 {
		t.Fatal("SkipSpace on all white space must return len(data)")
	}
}

func TestReadString(t *testing.T) {
	tests := []struct {
		in, want string
		escaped  bool
	}{
		{`""`, "", false},
		{`"plain é"`, "plain é", false},
		{`"a\"b\\c\/d\be\ff\ng\rh\ti"`, "a\"b\\c/d\be\ff\ng\rh\ti", true},
		{`"\u0041\u00e9\u20AC"`, "Aé€", true},
		{`"\ud83d\ude00"`, "😀", true},             // a surrogate pair is one character
		{`"\ud83dx"`, "\uFFFDx", true},            // a lone high half
		{`"\ude00\ud83d"`, "\uFFFD\uFFFD", true},  // halves in the wrong order
		{`"\ud83d\u0041"`, "\uFFFDA", true},       // a high half before a non-surrogate
		{`"\ud83d\ud83d\ude00"`, "\uFFFD😀", true}, // a high half, then a pair
		{"\"\xff\"", "\xff", false},               // UTF-8 is the caller's to check
	}
	for _, tt := range tests {
		data := []byte(tt.in + ",")
		s, end, escaped, err := ReadString(data, 0, nil)
		if err != nil || string(s) != tt.want || end != len(tt.in) || escaped != tt.escaped {
			t.Errorf("ReadString(%s) = %q, %d, %v, %v; want %q, %d, %v", tt.in, s, end, escaped, err, tt.want, len(tt.in), tt.escaped)
		}
	}
}

func TestReadStringReusesBuffer(t *testing.T) {
	buf := make([]byte, 0, 64)
	s, _, escaped, err := ReadString([]byte(`"a\nb"`), 0, buf)
	if err != nil || !escaped || &s[0] != &buf[:1][0] {
		t.Fatalf("escaped string not unescaped into the given buffer: %q %v", s, err)
	}
	data := []byte(`"ab"`)
	s, _, _, _ = ReadString(data, 0, buf)
	if &s[0] != &data[1] {
		t.Fatal("a string without escapes must alias the input")
	}
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _, _ = ReadString([]byte(`"x\u00e9\ud83d\ude00y"`), 0, buf)
	})
	if allocs != 0 {
		t.Errorf("ReadString allocated %v times with a large enough buffer", allocs)
	}
}

func TestReadStringErrors(t *testing.T) {
	tests := []struct {
		in   string
		code Code
		pos  int
		b    byte
	}{
		{`"abc`, ErrUnterminatedString, 4, 0},
		{`"a\nbc`, ErrUnterminatedString, 6, 0},
		{`"abc\`, ErrUnterminatedEscape, 4, 0},
		{"\"a\tb\"", ErrControlChar, 2, '\t'},
		{"\"\\n\x01\"", ErrControlChar, 3, 0x01},
		{`"a\qb"`, ErrInvalidEscape, 3, 'q'},
		{`"\u12"`, ErrTruncatedHex, 3, 0},
		{`"\u00zz"`, ErrInvalidHex, 3, 'z'},
		{`"\ud83d\u12"`, ErrTruncatedHex, 9, 0},
		{`"\ud83d\uzzzz"`, ErrInvalidHex, 9, 'z'},
	}
	for _, tt := range tests {
		_, _, _, err := ReadString([]byte(tt.in), 0, nil)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Code != tt.code || se.Pos != tt.pos || se.Byte != tt.b {
			t.Errorf("ReadString(%s) error = %#v; want code %v at %d byte %q", tt.in, se, tt.code, tt.pos, tt.b)
		}
	}
}

func TestScanNumber(t *testing.T) {
	tests := []struct {
		in       string
		zeros    bool
		end      int
		integral bool
		code     Code
	}{
		{"0", false, 1, true, 0},
		{"-12,", false, 3, true, 0},
		{"9223372036854775808", false, 19, true, 0}, // range is the caller's to check
		{"1.5e-3]", false, 6, false, 0},
		{"1E7", false, 3, false, 0},
		{"0.5", false, 3, false, 0},
		{"01", false, 0, false, ErrLeadingZero},
		{"-007", true, 4, true, 0},
		{"-", false, 1, false, ErrDigit},
		{"x", false, 0, false, ErrDigit},
		{"1.", false, 2, false, ErrFractionDigit},
		{"1.e5", false, 2, false, ErrFractionDigit},
		{"1e+", false, 3, false, ErrExponentDigit},
		{"1-2", false, 1, true, 0}, // a number ends where the grammar does
	}
	for _, tt := range tests {
		end, integral, err := ScanNumber([]byte(tt.in), 0, tt.zeros)
		if tt.code != 0 {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Code != tt.code || se.Pos != tt.end {
				t.Errorf("ScanNumber(%s) error = %v; want %v at %d", tt.in, err, tt.code, tt.end)
			}
			continue
		}
		if err != nil || end != tt.end || integral != tt.integral {
			t.Errorf("ScanNumber(%s) = %d, %v, %v; want %d, %v", tt.in, end, integral, err, tt.end, tt.integral)
		}
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	err := &SyntaxError{Code: ErrInvalidHex, Pos: 7, Byte: 'z'}
	if got, want := err.Error(), `invalid JSON at byte 7: invalid hex digit in a \u escape`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func BenchmarkReadStringEscaped(b *testing.B) {
	data := []byte(`"CREATE TABLE \"t\" (id INT)\n\u00e9\ud83d\ude00 and some more plain text"`)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		_, _, _, _ = ReadString(data, 0, buf)
	}
}

// FuzzReadString checks ReadString against encoding/json on valid UTF-8, where the two must agree
// (encoding/json also turns a lone surrogate into U+FFFD), and that no input makes it panic.
func FuzzReadString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d\ude00"`, `"\u00e9\n\/"`, `"\x"`, `"\u12"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '"' {
			return
		}
		s, end, _, err := ReadString(data, 0, nil)
		if !utf8.Valid(data) {
			return
		}
		var want string
		if err != nil {
			if json.Unmarshal(data, &want) == nil {
				t.Fatalf("ReadString(%q) failed (%v) where encoding/json read %q", data, err, want)
			}
			return
		}
		if jsonErr := json.Unmarshal(data[:end], &want); jsonErr != nil || string(s) != want {
			t.Fatalf("ReadString(%q) = %q; encoding/json: %q, %v", data[:end], s, want, jsonErr)
		}
	})
}

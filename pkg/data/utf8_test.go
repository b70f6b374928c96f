package data

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRepair(t *testing.T) {
	// Expected values are Python's b.decode("utf-8", "replace").
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"plain ascii", "plain ascii"},
		{"caf\xc3\xa9", "café"},
		{"caf\xe9", "caf\uFFFD"},                             // Latin-1 é
		{"\xe9\xe8", "\uFFFD\uFFFD"},                         // one U+FFFD per stray byte
		{"\xe2\x82", "\uFFFD"},                               // truncated 3-byte sequence
		{"\xe2\x82x", "\uFFFDx"},                             //
		{"\xf0\x9f\x98", "\uFFFD"},                           // truncated 4-byte sequence
		{"\xf0\x9f\x98\xf0\x9f\x98\x80", "\uFFFD\U0001F600"}, //
		{"\xc0\xaf", "\uFFFD\uFFFD"},                         // overlong
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},               // surrogate
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},     // > U+10FFFF
		{"\xff\xfe", "\uFFFD\uFFFD"},                         //
		{"\x80\x80abc", "\uFFFD\uFFFDabc"},                   //
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},               //
		{"\xf0\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},     //
		{"ok \xc3\xa9 \xc3", "ok é \uFFFD"},                  // truncated at the end
		{"\xef\xbf\xbd already", "\uFFFD already"},           // a real U+FFFD stays one
		{"sister\xa0city", "sister\uFFFDcity"},               // TREC's Latin-1 no-break space
	}
	for _, tt := range tests {
		if got := repair([]byte(tt.in)); got != tt.want {
			t.Errorf("repair(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := repairString(tt.in); got != tt.want {
			t.Errorf("repairString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func readLines(t *testing.T, r io.Reader) []string {
	t.Helper()
	lr := NewLineReader(r)
	var out []string
	for {
		s, err := lr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, s)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 300_000) // far beyond bufio.Scanner's 64 KiB and our buffer
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"one line no newline", "abc", []string{"abc"}},
		{"one line", "abc\n", []string{"abc"}},
		{"empty lines kept", "a\n\nb\n\n", []string{"a", "", "b", ""}},
		{"only newline", "\n", []string{""}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
		{"crlf last without newline", "a\r\nb", []string{"a", "b"}},
		{"lone trailing cr", "a\r", []string{"a"}},
		{"inner cr kept", "a\rb\n", []string{"a\rb"}},
		{"bom dropped", "\xEF\xBB\xBFhello\nworld", []string{"hello", "world"}},
		{"bom only at start", "a\n\xEF\xBB\xBFb", []string{"a", "\uFEFFb"}},
		{"invalid utf8", "caf\xe9\n\xff", []string{"caf\uFFFD", "\uFFFD"}},
		{"long line", long + "\nend", []string{long, "end"}},
		{"long crlf line", long + "\r\n", []string{long}},
		{"partial bom", "\xEF\xBB", []string{"\uFFFD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				if len(tt.in) > 1000 {
					if _, ok := r.(*strings.Reader); !ok {
						continue
					}
				}
				got := readLines(t, r)
				if len(got) != len(tt.want) {
					t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("line %d = %.40q (len %d), want %.40q (len %d)", i, got[i], len(got[i]), tt.want[i], len(tt.want[i]))
					}
				}
			}
		})
	}
}

func TestLineReaderNumbersAndErrors(t *testing.T) {
	lr := NewLineReader(strings.NewReader("a\nb\n"))
	for want := 1; want <= 2; want++ {
		if _, err := lr.Next(); err != nil {
			t.Fatal(err)
		}
		if lr.Line() != want {
			t.Errorf("Line() = %d, want %d", lr.Line(), want)
		}
	}
	boom := errors.New("boom")
	lr = NewLineReader(iotest.ErrReader(boom))
	if _, err := lr.Next(); !errors.Is(err, boom) {
		t.Errorf("Next on failing reader = %v, want boom", err)
	}
}

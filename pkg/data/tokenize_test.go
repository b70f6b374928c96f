package data

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceTokens is the pipeline written the slow, obvious way: Python's
// string.punctuation deleted after strings.ToLower, then strings.Fields,
// each field cut to its whole characters within MaxTokenBytes.
func referenceTokens(mode, s string) []string {
	s = string([]rune(s)) // each invalid byte becomes U+FFFD, as strings.Map does
	if mode == StandardizeLowerStrip || mode == StandardizeLower {
		s = strings.ToLower(s)
	}
	if mode == StandardizeLowerStrip || mode == StandardizeStrip {
		s = strings.Map(func(r rune) rune {
			if strings.ContainsRune(punctuation, r) {
				return -1
			}
			return r
		}, s)
	}
	fields := strings.Fields(s)
	for i, f := range fields { // a token keeps its whole characters within MaxTokenBytes
		n := 0
		for _, r := range f {
			if n+utf8.RuneLen(r) > MaxTokenBytes {
				break
			}
			n += utf8.RuneLen(r)
		}
		fields[i] = f[:n]
	}
	return fields
}

func mustTokenizer(t testing.TB, mode string) *Tokenizer {
	t.Helper()
	c := DefaultTextConfig()
	c.Standardize = mode
	tok, err := NewTokenizer(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenizer(t *testing.T) {
	L, N, P, S := StandardizeLower, StandardizeNone, StandardizeLowerStrip, StandardizeStrip
	tests := []struct {
		mode, in string
		want     []string
	}{
		{P, "", nil},
		{P, "   \t\n ", nil},
		{P, "Hello, World!", []string{"hello", "world"}},
		{P, "Don't stop", []string{"dont", "stop"}},
		{P, "e-mail a - b", []string{"email", "a", "b"}},
		{P, `!"#$%&'()*+,-./:;<=>?@[\]^_` + "`{|}~", nil},
		{P, "x!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~y", []string{"xy"}},
		{P, "  many   spaces\t\ttabs\r\nnewlines  ", []string{"many", "spaces", "tabs", "newlines"}},
		{P, "ÉCOLE Straße ΑΘΗΝΑ", []string{"école", "straße", "αθηνα"}},
		{P, "non\u00a0breaking\u2003em\u3000ideographic\u0085nel", []string{"non", "breaking", "em", "ideographic", "nel"}},
		{P, "zero\u200bwidth", []string{"zero\u200bwidth"}},                     // U+200B is not white space
		{P, "«quoted» ¿qué? — dash", []string{"«quoted»", "¿qué", "—", "dash"}}, // only ASCII punctuation goes
		{P, "emoji 😀!", []string{"emoji", "😀"}},
		{P, "caf\xe9 ok", []string{"caf\uFFFD", "ok"}},
		{P, "\xff\xfe", []string{"\uFFFD\uFFFD"}},
		{P, "[UNK] token", []string{"unk", "token"}},
		{P, "KELVIN \u212a", []string{"kelvin", "k"}}, // U+212A lower-cases to ASCII k
		{L, "Don't STOP!", []string{"don't", "stop!"}},
		{S, "Don't STOP!", []string{"Dont", "STOP"}},
		{N, "Don't  STOP!", []string{"Don't", "STOP!"}},
		{N, "[UNK]", []string{"[UNK]"}},
	}
	for _, tt := range tests {
		tok := mustTokenizer(t, tt.mode)
		got := tok.Tokens(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s Tokens(%q) = %q, want %q", tt.mode, tt.in, got, tt.want)
		}
		if ref := referenceTokens(tt.mode, tt.in); !slices.Equal(got, ref) {
			t.Errorf("%s Tokens(%q) = %q, reference %q", tt.mode, tt.in, got, ref)
		}
		if n := tok.Count(tt.in); n != len(tt.want) {
			t.Errorf("%s Count(%q) = %d, want %d", tt.mode, tt.in, n, len(tt.want))
		}
		if std := tok.Standardize(tt.in); !slices.Equal(strings.Fields(std), got) {
			t.Errorf("%s Fields(Standardize(%q)) = %q, Tokens %q", tt.mode, tt.in, strings.Fields(std), got)
		}
	}
}

func TestTokenizerConfigErrors(t *testing.T) {
	c := DefaultTextConfig()
	c.Standardize = "lower_and_strip"
	if _, err := NewTokenizer(c); err == nil || !strings.Contains(err.Error(), "standardize") {
		t.Errorf("bad standardize: %v", err)
	}
	c = DefaultTextConfig()
	c.Split = "characters"
	if _, err := NewTokenizer(c); err == nil || !strings.Contains(err.Error(), "split") {
		t.Errorf("bad split: %v", err)
	}
}

func TestTokenizerLongText(t *testing.T) {
	tok := mustTokenizer(t, StandardizeLowerStrip)
	word := strings.Repeat("Ab", 50_000) // a 100 KB token, cut to MaxTokenBytes
	got := tok.Tokens(word + " x " + word)
	if len(got) != 3 || got[0] != strings.ToLower(word[:MaxTokenBytes]) || got[1] != "x" || got[2] != got[0] {
		t.Errorf("long tokens wrong: %d tokens", len(got))
	}
}

// Every split and n-gram setting cuts a long token as the whitespace scan
// does: its first MaxTokenBytes bytes, whole characters only.
func TestTokenizerLongTokenEveryMode(t *testing.T) {
	word := "é" + strings.Repeat("Abü", 200) // 802 bytes, an odd start
	simple := mustTokenizer(t, StandardizeLower).Tokens(word)
	if len(simple) != 1 || len(simple[0]) > MaxTokenBytes || len(simple[0]) < MaxTokenBytes-3 || !strings.HasPrefix(strings.ToLower(word), simple[0]) {
		t.Fatalf("whitespace scan: %q", simple)
	}
	for _, c := range []TextConfig{
		{Standardize: StandardizeLower, Split: SplitWhitespace, Ngrams: 2},
		{Standardize: StandardizeLower, Split: SplitUnicodeWords},
	} {
		tok, err := NewTokenizer(c)
		if err != nil {
			t.Fatal(err)
		}
		got := tok.Tokens(word + " x")
		if len(got) < 2 || got[0] != simple[0] || got[1] != "x" {
			t.Errorf("split %s, ngrams %d: %d tokens, first %d bytes, want the scan's %d", c.Split, c.Ngrams, len(got), len(got[0]), len(simple[0]))
		}
	}
}

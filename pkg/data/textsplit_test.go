package data

import (
	"slices"
	"strings"
	"testing"
)

func splitTokenizer(t testing.TB, standardize, split string, ngrams int) *Tokenizer {
	t.Helper()
	c := DefaultTextConfig()
	c.Standardize, c.Split, c.Ngrams = standardize, split, ngrams
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tok, err := NewTokenizer(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSplitModes(t *testing.T) {
	P, L := StandardizeLowerStrip, StandardizeLower
	C, U, W := SplitCharacter, SplitUnicodeWords, SplitWhitespace
	tests := []struct {
		std, split, in string
		want           []string
	}{
		{P, C, "", nil},
		{P, C, "Ab c!", []string{"a", "b", " ", "c"}},
		{P, C, "我爱北京", []string{"我", "爱", "北", "京"}},
		{L, C, "é\u0301", []string{"é", "\u0301"}}, // code points, not graphemes
		{P, W, "我爱北京。天安门", []string{"我爱北京。天安门"}},
		// Han: one token per character; the ideographic full stop is
		// punctuation, dropped when punctuation is stripped.
		{P, U, "我爱北京。天安门", []string{"我", "爱", "北", "京", "天", "安", "门"}},
		{L, U, "我爱北京。", []string{"我", "爱", "北", "京", "。"}},
		// Japanese: kanji, hiragana and a katakana run (one UAX #29 word)
		// all fall back to characters; the long vowel mark goes with them.
		{P, U, "東京でコーヒーを飲む", []string{"東", "京", "で", "コ", "ー", "ヒ", "ー", "を", "飲", "む"}},
		// Thai: code points, vowel signs included.
		{P, U, "กินข้าว", []string{"ก", "ิ", "น", "ข", "้", "า", "ว"}},
		// Spaced scripts keep their words; UAX #29 keeps "don't" and "3.14"
		// whole when punctuation is not stripped, and makes "," a token.
		{L, U, "Don't pay 3.14, ok?", []string{"don't", "pay", "3.14", ",", "ok", "?"}},
		{P, U, "Don't pay 3.14, ok?", []string{"dont", "pay", "314", "ok"}},
		{P, U, "«quoted» ¿qué? — dash", []string{"quoted", "qué", "dash"}},
		{L, U, "«quoted»", []string{"«", "quoted", "»"}},
		{P, U, "Straße ΑΘΗΝΑ Москва", []string{"straße", "αθηνα", "москва"}},
		{P, U, "mixed 中文 text", []string{"mixed", "中", "文", "text"}},
		{P, U, "emoji 😀", []string{"emoji", "😀"}}, // a symbol, not punctuation
		{P, U, " \t\n ", nil},
	}
	for _, tt := range tests {
		tok := splitTokenizer(t, tt.std, tt.split, 0)
		got := tok.Tokens(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s/%s Tokens(%q) = %q, want %q", tt.std, tt.split, tt.in, got, tt.want)
		}
		if n := tok.Count(tt.in); n != len(tt.want) {
			t.Errorf("%s/%s Count(%q) = %d, want %d", tt.std, tt.split, tt.in, n, len(tt.want))
		}
	}
}

func TestNgrams(t *testing.T) {
	P := StandardizeLowerStrip
	tests := []struct {
		split, in string
		n         int
		want      []string
	}{
		{SplitWhitespace, "A b c", 1, []string{"a", "b", "c"}},
		{SplitWhitespace, "A b c", 2, []string{"a", "b", "c", "a b", "b c"}},
		{SplitWhitespace, "A b c", 3, []string{"a", "b", "c", "a b", "b c", "a b c"}},
		{SplitWhitespace, "A b", 4, []string{"a", "b", "a b"}},
		{SplitWhitespace, "", 2, nil},
		{SplitUnicodeWords, "北京 ok", 2, []string{"北", "京", "ok", "北 京", "京 ok"}},
	}
	for _, tt := range tests {
		tok := splitTokenizer(t, P, tt.split, tt.n)
		if got := tok.Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ngrams %d Tokens(%q) = %q, want %q", tt.n, tt.in, got, tt.want)
		}
	}
}

// The general path with the whitespace split must give what the fast
// scanner gives.
func TestGeneralWhitespaceMatchesScanner(t *testing.T) {
	fast := splitTokenizer(t, StandardizeLowerStrip, SplitWhitespace, 0)
	slow := splitTokenizer(t, StandardizeLowerStrip, SplitWhitespace, 0)
	slow.ngrams = 2 // not simple(): appendGeneral with the same split
	if slow.simple() {
		t.Fatal("the general path is not taken")
	}
	for _, s := range []string{"", "Hello, World!", "caf\xe9 ok \u00a0x", "  many   spaces\t\ttabs\r\nnewlines  ", "KELVIN \u212a"} {
		want := fast.Tokens(s)
		got := slow.Tokens(s)[:len(want)]
		if !slices.Equal(got, want) {
			t.Errorf("Tokens(%q): general %q, scanner %q", s, got, want)
		}
	}
}

func TestEncodeNgramsTruncation(t *testing.T) {
	c := DefaultTextConfig()
	c.Ngrams = 2
	ex := []Example{{Text: "a b c", Label: "x"}}
	v, err := BuildVocab(ex, c)
	if err != nil {
		t.Fatal(err)
	}
	// max_tokens counts n-grams like words: 2 reserved + 3 words + 2 bigrams.
	if v.Len() != 7 || v.ID("a b") < 2 || v.ID("b c") < 2 {
		t.Fatalf("vocab %q", v.Tokens())
	}
	for _, tt := range []struct {
		trunc string
		L     int
		want  []string
	}{
		{SidePost, 0, []string{"a", "b", "c", "a b", "b c"}},
		{SidePost, 4, []string{"a", "b", "c", "a b"}},
		{SidePre, 2, []string{"a b", "b c"}},
	} {
		c.Truncate, c.SequenceLength = tt.trunc, tt.L
		enc, err := NewEncoder(c, v)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, id := range enc.Encode("a b c") {
			got = append(got, v.Token(id))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %d: %q, want %q", tt.trunc, tt.L, got, tt.want)
		}
	}
	c = DefaultTextConfig()
	c.Ngrams = 2
	c.MaxTokens = 4 // "", [UNK] and the two most frequent tokens
	v, err = BuildVocab([]Example{{Text: "a b a b", Label: "x"}}, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "[UNK]", "a", "a b"}; !slices.Equal(v.Tokens(), want) {
		t.Errorf("max_tokens with bigrams: %q, want %q", v.Tokens(), want)
	}
}

func TestSplitConfigErrors(t *testing.T) {
	for _, c := range []TextConfig{
		func() TextConfig { c := DefaultTextConfig(); c.Split = "words"; return c }(),
		func() TextConfig { c := DefaultTextConfig(); c.Ngrams = -1; return c }(),
		func() TextConfig { c := DefaultTextConfig(); c.Ngrams = MaxNgrams + 1; return c }(),
	} {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "text.") {
			t.Errorf("%+v: %v", c, err)
		}
		if _, err := NewTokenizer(c); err == nil {
			t.Errorf("%+v: NewTokenizer accepted it", c)
		}
	}
}

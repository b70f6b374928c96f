package data

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it)\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

func TestVocabGolden(t *testing.T) {
	exs, _, err := ReadAll(filepath.Join("testdata", "corpus.txt"), defaultReadOptions(FormatAuto))
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultTextConfig()
	tok := mustTokenizer(t, c.Standardize)
	b := NewVocabBuilder()
	for _, e := range exs {
		b.AddText(tok, e.Text)
	}
	v := b.Build(0, 1)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# vocabulary of testdata/corpus.txt with %s; index<TAB>token<TAB>count\n", c.Standardize)
	for i, tok := range v.Tokens() {
		fmt.Fprintf(&buf, "%d\t%q\t%d\n", i, tok, b.Count(tok))
	}
	golden(t, "vocab.golden", buf.Bytes())

	// BuildVocab gives the same, and max_tokens counts the reserved entries.
	c.MaxTokens = 5
	v5, err := BuildVocab(exs, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := v.Tokens()[:5]; !slices.Equal(v5.Tokens(), want) {
		t.Errorf("max_tokens 5 = %q, want %q", v5.Tokens(), want)
	}
}

func TestVocabBuild(t *testing.T) {
	b := NewVocabBuilder()
	b.Add([]string{"b", "a", "c", "b", "a", "d", "", "[UNK]", "[UNK]", "é", "z", "Z"})
	tests := []struct {
		max, min int
		want     []string
	}{
		{0, 1, []string{"", "[UNK]", "a", "b", "Z", "c", "d", "z", "é"}}, // ties in byte order: "Z" < "c" < "z" < "é"
		{0, 0, []string{"", "[UNK]", "a", "b", "Z", "c", "d", "z", "é"}},
		{0, 2, []string{"", "[UNK]", "a", "b"}},
		{0, 3, []string{"", "[UNK]"}},
		{4, 1, []string{"", "[UNK]", "a", "b"}},
		{3, 1, []string{"", "[UNK]", "a"}},
		{2, 1, []string{"", "[UNK]"}},
		{100, 1, []string{"", "[UNK]", "a", "b", "Z", "c", "d", "z", "é"}},
	}
	for _, tt := range tests {
		v := b.Build(tt.max, tt.min)
		if !slices.Equal(v.Tokens(), tt.want) {
			t.Errorf("Build(%d, %d) = %q, want %q", tt.max, tt.min, v.Tokens(), tt.want)
		}
		if v.Len() != len(tt.want) {
			t.Errorf("Len = %d", v.Len())
		}
		for i, tok := range tt.want {
			if id := v.ID(tok); id != int32(i) {
				t.Errorf("ID(%q) = %d, want %d", tok, id, i)
			}
		}
		if v.ID("never seen") != 1 {
			t.Error("unknown token is not 1")
		}
	}
	if b.Count("[UNK]") != 0 || b.Count("") != 0 || b.Count("b") != 2 {
		t.Error("reserved tokens were counted or counts are wrong")
	}
	// Empty builder: just the reserved entries.
	if v := NewVocabBuilder().Build(10, 1); v.Len() != 2 {
		t.Errorf("empty vocabulary has %d entries", v.Len())
	}
}

func TestNewVocab(t *testing.T) {
	v, err := NewVocab([]string{"", "[UNK]", "the", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if v.ID("a") != 3 || v.ID("the") != 2 || v.ID("x") != 1 || v.Token(2) != "the" {
		t.Error("NewVocab ids wrong")
	}
	toks := v.Tokens()
	toks[2] = "changed"
	if v.Token(2) != "the" {
		t.Error("Tokens does not return a copy")
	}
	for _, bad := range [][]string{nil, {""}, {"[UNK]", ""}, {"", "[UNK]", "a", "a"}, {"", "[UNK]", ""}, {"", "[UNK]", "[UNK]"}} {
		if _, err := NewVocab(bad); err == nil {
			t.Errorf("NewVocab(%q) accepted", bad)
		} else if !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

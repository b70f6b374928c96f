package data

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

func testVocab(t testing.TB) *Vocab {
	v, err := NewVocab([]string{"", "[UNK]", "a", "b", "c", "d", "e", "dont"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEncoder(t *testing.T) {
	v := testVocab(t)
	tests := []struct {
		seqLen   int
		truncate string
		text     string
		want     []int32
	}{
		{0, SidePost, "", []int32{}},
		{0, SidePost, "A b, C! zzz Don't", []int32{2, 3, 4, 1, 7}},
		{0, SidePost, "[UNK] a", []int32{1, 2}}, // "[UNK]" standardizes to "unk": unknown
		{3, SidePost, "a b c d e", []int32{2, 3, 4}},
		{3, SidePre, "a b c d e", []int32{4, 5, 6}},
		{3, SidePre, "a b c d", []int32{3, 4, 5}},
		{3, SidePre, "a b c d e a", []int32{5, 6, 2}},
		{3, SidePre, "a b c", []int32{2, 3, 4}},
		{3, SidePre, "a b", []int32{2, 3}},
		{5, SidePre, "a b c d e a b c d e a b", []int32{6, 2, 3, 4, 5, 6, 2, 3}[3:]},
		{1, SidePost, "a b", []int32{2}},
		{1, SidePre, "a b", []int32{3}},
	}
	for _, tt := range tests {
		c := DefaultTextConfig()
		c.SequenceLength, c.Truncate = tt.seqLen, tt.truncate
		enc, err := NewEncoder(c, v)
		if err != nil {
			t.Fatal(err)
		}
		got := enc.Encode(tt.text)
		if !slices.Equal(got, tt.want) {
			t.Errorf("len %d %s Encode(%q) = %v, want %v", tt.seqLen, tt.truncate, tt.text, got, tt.want)
		}
		// AppendEncode appends after existing content.
		got = enc.AppendEncode([]int32{9, 9}, tt.text)
		if !slices.Equal(got[:2], []int32{9, 9}) || !slices.Equal(got[2:], tt.want) {
			t.Errorf("AppendEncode(%q) = %v", tt.text, got)
		}
	}
	// With standardize none, a literal "[UNK]" token is the OOV id.
	c := DefaultTextConfig()
	c.Standardize = StandardizeNone
	enc, _ := NewEncoder(c, v)
	if got := enc.Encode("[UNK] a A"); !slices.Equal(got, []int32{1, 2, 1}) {
		t.Errorf("none: %v", got)
	}
	if _, err := NewEncoder(DefaultTextConfig(), nil); err == nil {
		t.Error("nil vocabulary accepted")
	}
	bad := DefaultTextConfig()
	bad.Truncate = "middle"
	if _, err := NewEncoder(bad, v); err == nil {
		t.Error("bad truncate accepted")
	}
}

func TestEncoderMatchesTokens(t *testing.T) {
	v := testVocab(t)
	enc, _ := NewEncoder(DefaultTextConfig(), v)
	text := strings.Repeat("a B zz c, d. Ée e\u00a0dont ", 100)
	var want []int32
	for _, tok := range enc.Tokenizer().Tokens(text) {
		want = append(want, v.ID(tok))
	}
	if got := enc.Encode(text); !slices.Equal(got, want[:DefaultTextConfig().SequenceLength]) {
		t.Errorf("Encode differs from Tokens+ID")
	}
}

func TestEncoderAllocs(t *testing.T) {
	enc, _ := NewEncoder(DefaultTextConfig(), testVocab(t))
	text := strings.Repeat("Some words, SOME punctuation! and a b c ", 20)
	dst := make([]int32, 0, 512)
	if n := testing.AllocsPerRun(100, func() { dst = enc.AppendEncode(dst[:0], text) }); n != 0 {
		t.Errorf("AppendEncode allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = enc.Encode(text) }); n != 1 {
		t.Errorf("Encode allocates %v times, want 1 (the result)", n)
	}
}

func TestEncoderConcurrent(t *testing.T) {
	enc, _ := NewEncoder(DefaultTextConfig(), testVocab(t))
	text := strings.Repeat("a b, C d e dont x ", 50)
	want := enc.Encode(text)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if got := enc.Encode(text); !slices.Equal(got, want) {
					t.Error("concurrent Encode differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestLabels(t *testing.T) {
	exs := []Example{{Label: "pos"}, {Label: "neg"}, {Label: "Zed"}, {Label: "pos"}}
	l, err := LabelsFromExamples(exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Names(), []string{"Zed", "neg", "pos"}) || l.Len() != 3 {
		t.Errorf("sorted labels = %q", l.Names())
	}
	if i, ok := l.Index("pos"); !ok || i != 2 || l.Name(1) != "neg" {
		t.Errorf("Index(pos) = %d, %v", i, ok)
	}
	if _, ok := l.Index("x"); ok {
		t.Error("unknown label found")
	}
	l, err = LabelsFromExamples(exs, []string{"pos", "neg", "Zed", "unused"})
	if err != nil || !slices.Equal(l.Names(), []string{"pos", "neg", "Zed", "unused"}) {
		t.Errorf("listed labels = %v, %v", l, err)
	}
	_, err = LabelsFromExamples([]Example{{Label: "pos", File: "f.txt", Line: 1}, {Label: "meh", File: "f.txt", Line: 7}}, []string{"pos", "neg"})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 7 || !errors.Is(err, ErrUnknownLabel) || !strings.Contains(err.Error(), `"meh"`) {
		t.Errorf("label outside the list: %v", err)
	}
	if _, err := LabelsFromExamples(nil, nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("no examples: %v", err)
	}
	for _, bad := range [][]string{{}, {"a", "a"}, {"a", ""}} {
		if _, err := NewLabels(bad); err == nil {
			t.Errorf("NewLabels(%q) accepted", bad)
		}
	}
}

func TestEncodeExamples(t *testing.T) {
	v := testVocab(t)
	c := DefaultTextConfig()
	c.SequenceLength = 2
	enc, _ := NewEncoder(c, v)
	exs := []Example{{Text: "a b c", Label: "y"}, {Text: "", Label: "x"}, {Text: "zz D", Label: "y"}}
	labels, _ := NewLabels([]string{"x", "y"})
	d, err := EncodeExamples(exs, enc, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int32{{2, 3}, {}, {1, 5}}
	for i := range want {
		if !slices.Equal(d.Seqs[i], want[i]) {
			t.Errorf("seq %d = %v, want %v", i, d.Seqs[i], want[i])
		}
	}
	if !slices.Equal(d.Labels, []int32{1, 0, 1}) || d.Len() != 3 {
		t.Errorf("labels = %v", d.Labels)
	}
	// Sequences share a backing array but cannot overwrite each other.
	d.Seqs[1] = append(d.Seqs[1], 7)
	if d.Seqs[2][0] != 1 {
		t.Error("appending to one sequence changed the next")
	}
	// A label the model does not know (eval time) names file and line.
	exs[2].File, exs[2].Line = "test.txt", 3
	exs[2].Label = "z"
	_, err = EncodeExamples(exs, enc, labels)
	if !errors.Is(err, ErrUnknownLabel) || !strings.HasPrefix(err.Error(), `test.txt:3: unknown label "z" (known: x, y)`) {
		t.Errorf("unknown label error = %v", err)
	}
	if _, err := EncodeExamples(nil, enc, labels); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	p := EncodeTexts([]string{"a", "e e"}, enc)
	if p.Labels != nil || !slices.Equal(p.Seqs[1], []int32{6, 6}) {
		t.Errorf("EncodeTexts = %+v", p)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	if err := DefaultTextConfig().Validate(); err != nil {
		t.Error(err)
	}
	dc := []func(*Config){
		func(c *Config) { c.ValidationSplit = 1 },
		func(c *Config) { c.ValidationSplit = -0.1 },
		func(c *Config) { c.Format = "xml" },
		func(c *Config) { c.LabelColumn = "" },
		func(c *Config) { c.TextColumns = nil },
		func(c *Config) { c.TextColumns = []string{"a", ""} },
		func(c *Config) { c.Labels = []string{"a", "a"} },
	}
	for i, f := range dc {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("data case %d: %v", i, err)
		}
	}
	tc := []func(*TextConfig){
		func(c *TextConfig) { c.Standardize = "upper" },
		func(c *TextConfig) { c.Split = "" },
		func(c *TextConfig) { c.MaxTokens = 1 },
		func(c *TextConfig) { c.MaxTokens = -5 },
		func(c *TextConfig) { c.MinCount = -1 },
		func(c *TextConfig) { c.SequenceLength = -1 },
		func(c *TextConfig) { c.Truncate = "" },
		func(c *TextConfig) { c.Pad = "left" },
	}
	for i, f := range tc {
		c := DefaultTextConfig()
		f(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("text case %d: %v", i, err)
		}
	}
	o := ReadOptionsFrom(DefaultConfig(), true)
	if !o.SkipBad || o.LabelPrefix != "__label__" || o.Format != FormatAuto || !slices.Equal(o.TextColumns, []string{"text"}) {
		t.Errorf("ReadOptionsFrom = %+v", o)
	}
}

package data

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSubwordHash: on ASCII fastText's hash is 32-bit FNV-1a (the
// published test vectors); from byte 0x80 on, fastText XORs the byte
// sign-extended from a signed char, which the reference below spells out
// on its own.
func TestSubwordHash(t *testing.T) {
	for s, want := range map[string]uint32{"": 0x811c9dc5, "a": 0xe40c292c, "foobar": 0xbf9cf968} {
		if got := SubwordHash(s); got != want {
			t.Errorf("SubwordHash(%q) = %#x, FNV-1a %#x", s, got, want)
		}
	}
	ref := func(s string) uint32 {
		h := uint32(2166136261)
		for _, b := range []byte(s) {
			x := uint32(b)
			if b >= 0x80 {
				x |= 0xFFFFFF00 // int8(b) < 0, widened to 32 bits
			}
			h = (h ^ x) * 16777619
		}
		return h
	}
	for _, s := range []string{"<café>", "北京", "\xff", "naïve"} {
		if got, want := SubwordHash(s), ref(s); got != want {
			t.Errorf("SubwordHash(%q) = %#x, want %#x", s, got, want)
		}
	}
}

// TestSubwordsMatchFastText compares the n-gram buckets of words with
// those Debian's fasttext binary gives them
// (scripts/reference/fasttext_subwords.py), n-gram by n-gram in order.
func TestSubwordsMatchFastText(t *testing.T) {
	raw, err := os.ReadFile("testdata/fasttext_subwords.json")
	if err != nil {
		t.Fatal(err)
	}
	var fix struct {
		Cases []struct {
			MinN   int `json:"min_n"`
			MaxN   int `json:"max_n"`
			Bucket int
			Words  []struct {
				Word    string
				Ngrams  []string
				Buckets []int32
			}
		}
	}
	if err := json.Unmarshal(raw, &fix); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range fix.Cases {
		cfg := SubwordConfig{MinN: c.MinN, MaxN: c.MaxN, Buckets: c.Bucket}
		for _, w := range c.Words {
			got := cfg.AppendSubwords(nil, w.Word)
			if !slices.Equal(got, w.Buckets) {
				t.Errorf("%+v %q: %v, fastText %v (%q)", cfg, w.Word, got, w.Buckets, w.Ngrams)
			}
			for i, g := range w.Ngrams {
				if i < len(got) && int32(SubwordHash(g)%uint32(c.Bucket)) != got[i] {
					t.Errorf("%q: n-gram %d is not %q", w.Word, i, g)
				}
			}
			n += len(got)
		}
	}
	if n < 200 {
		t.Errorf("only %d n-grams compared", n)
	}
}

func subwordText() TextConfig {
	c := DefaultTextConfig()
	c.Subwords = SubwordConfig{MinN: 3, MaxN: 5, Buckets: 1000}
	return c
}

// TestEncoderSubwords: words out of the vocabulary get ids of their own
// from V up, one per distinct word, with their n-grams as bags; the
// vocabulary's words keep their ids and bags; "" and [UNK] have none.
func TestEncoderSubwords(t *testing.T) {
	c := subwordText()
	ex := []Example{{Text: "the cat sat", Label: "a"}, {Text: "the dog", Label: "b"}}
	v, err := BuildVocab(ex, c)
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := LabelsFromExamples(ex, nil)
	enc, err := NewEncoder(c, v)
	if err != nil {
		t.Fatal(err)
	}
	if !enc.Subwords() {
		t.Fatal("Subwords() is false")
	}
	V := int32(v.Len())
	ds, err := EncodeExamples([]Example{{Text: "the cats sat", Label: "a"}, {Text: "cats and dogs cats", Label: "b"}}, enc, labels)
	if err != nil {
		t.Fatal(err)
	}
	cats, and, dogs := V, V+1, V+2
	want := [][]int32{{v.ID("the"), cats, v.ID("sat")}, {cats, and, dogs, cats}}
	for i := range want {
		if !slices.Equal(ds.Seqs[i], want[i]) {
			t.Errorf("seq %d = %v, want %v", i, ds.Seqs[i], want[i])
		}
	}
	if ds.Bags == nil || ds.Bags.Len() != int(V)+3 {
		t.Fatalf("bags: %v", ds.Bags)
	}
	if err := ds.Bags.Check(1000); err != nil {
		t.Fatal(err)
	}
	for id, word := range map[int32]string{v.ID("the"): "the", cats: "cats", dogs: "dogs"} {
		if got, want := ds.Bags.Bag(id), c.Subwords.AppendSubwords(nil, word); !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("bag of %q = %v, want %v", word, got, want)
		}
	}
	if len(ds.Bags.Bag(0)) != 0 || len(ds.Bags.Bag(1)) != 0 {
		t.Error("padding or [UNK] has subwords")
	}
	// The bags travel with subsets and batches.
	sub := ds.Subset([]int{1})
	var b Batch
	sub.FillBatch(&b, []int{0}, BatchOptions{Layout: c.Layout(), Masked: true})
	if sub.Bags != ds.Bags || b.Bags != ds.Bags {
		t.Error("Subset or FillBatch dropped the bags")
	}
	// Without subwords nothing changes: unknown words are [UNK], no bags.
	plain, _ := NewEncoder(DefaultTextConfig(), v)
	if plain.NewForms() != nil || EncodeTexts([]string{"cats"}, plain).Bags != nil {
		t.Error("bags without subwords")
	}
	if got := EncodeTexts([]string{"cats"}, enc); got.Seqs[0][0] != V || got.Bags.Len() != int(V)+1 {
		t.Errorf("EncodeTexts with subwords: %v, %d bags", got.Seqs, got.Bags.Len())
	}
}

func TestSubwordConfigErrors(t *testing.T) {
	for _, sw := range []SubwordConfig{
		{MinN: 3, MaxN: 6},
		{Buckets: 10},
		{MinN: 4, MaxN: 3, Buckets: 10},
		{MinN: 0, MaxN: 3, Buckets: 10},
		{MinN: 3, MaxN: MaxSubwordN + 1, Buckets: 10},
		{MinN: 3, MaxN: 6, Buckets: MaxSubwordBuckets + 1},
		{MinN: 3, MaxN: 6, Buckets: -1},
	} {
		c := DefaultTextConfig()
		c.Subwords = sw
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "text.subwords") {
			t.Errorf("%+v: %v", sw, err)
		}
	}
	c := DefaultTextConfig()
	c.Subwords = SubwordConfig{MinN: 3, MaxN: 6, Buckets: 2_000_000}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

package data

import (
	"fmt"

	"github.com/lstmctl/lstmctl/pkg/embed"
)

// Bounds of text.subwords.
const (
	MaxSubwordBuckets = 2_000_000 // fastText's default -bucket
	MaxSubwordN       = 12        // characters per n-gram
)

// SubwordConfig is text.subwords: fastText's character n-grams. Every token
// but "" and "[UNK]" is wrapped in "<" and ">" and its n-grams of MinN to
// MaxN characters are hashed into Buckets rows of a subword table; the
// model reads a token as the mean of its own row and its n-grams' rows, so
// a word the vocabulary does not hold still gets a vector. All zero (the
// default) is off.
type SubwordConfig struct {
	MinN    int `mapstructure:"min_n" json:"min_n,omitempty"`
	MaxN    int `mapstructure:"max_n" json:"max_n,omitempty"`
	Buckets int `mapstructure:"buckets" json:"buckets,omitempty"`
}

// On reports whether subwords are on.
func (c SubwordConfig) On() bool { return c.Buckets > 0 }

// Validate reports an invalid text.subwords section.
func (c SubwordConfig) Validate() error {
	if c == (SubwordConfig{}) {
		return nil
	}
	if c.Buckets < 1 || c.Buckets > MaxSubwordBuckets {
		return fmt.Errorf("data: text.subwords.buckets must be 0 (off) or 1 to %d, got %d", MaxSubwordBuckets, c.Buckets)
	}
	if c.MinN < 1 || c.MaxN < c.MinN || c.MaxN > MaxSubwordN {
		return fmt.Errorf("data: text.subwords needs 1 <= min_n <= max_n <= %d with buckets set, got min_n %d, max_n %d (fastText: 3 and 6)",
			MaxSubwordN, c.MinN, c.MaxN)
	}
	return nil
}

// SubwordHash is fastText's string hash (Dictionary::hash): 32-bit FNV-1a
// over the bytes, each byte sign-extended from a signed char before the
// XOR, as fastText does (so bytes from 0x80 on, in non-ASCII text, differ
// from textbook FNV-1a).
func SubwordHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(int32(int8(s[i])))
		h *= 16777619
	}
	return h
}

// AppendSubwords appends the subword rows of word to dst, in fastText's
// order (Dictionary::computeSubwords): for each character position of
// "<"+word+">", the n-grams of MinN to MaxN characters (UTF-8 sequences)
// starting there, leaving out the single characters "<" and ">", each
// hashed with SubwordHash modulo Buckets. The whole "<word>" is one of them
// when its length is within [MinN, MaxN]. Repeats are kept.
func (c SubwordConfig) AppendSubwords(dst []int32, word string) []int32 {
	w := "<" + word + ">"
	for i := 0; i < len(w); i++ {
		if w[i]&0xC0 == 0x80 {
			continue
		}
		j := i
		for n := 1; j < len(w) && n <= c.MaxN; n++ {
			j++
			for j < len(w) && w[j]&0xC0 == 0x80 {
				j++
			}
			if n >= c.MinN && !(n == 1 && (i == 0 || j == len(w))) {
				dst = append(dst, int32(SubwordHash(w[i:j])%uint32(c.Buckets)))
			}
		}
	}
	return dst
}

// vocabBags returns the subword bags of v's tokens (empty for "" and
// "[UNK]").
func vocabBags(v *Vocab, c SubwordConfig) *embed.Bags {
	b := &embed.Bags{}
	var rows []int32
	for i, tok := range v.tokens {
		rows = rows[:0]
		if i >= 2 {
			rows = c.AppendSubwords(rows, tok)
		}
		b.Add(rows)
	}
	return b
}

// Forms gives the words of a data set that the vocabulary does not hold
// ids of their own, from the vocabulary size up, each with its subword
// bag, so that the model builds their vectors from their n-grams (their
// word row is [UNK]). Bags covers the vocabulary's ids and these. Not safe
// for concurrent use.
type Forms struct {
	sub   SubwordConfig
	bags  embed.Bags
	index map[string]int32
	rows  []int32
}

// NewForms returns an empty table of forms over e's vocabulary, nil when
// e has no subwords.
func (e *Encoder) NewForms() *Forms {
	if e.vocabBags == nil {
		return nil
	}
	return &Forms{sub: e.sub, bags: embed.Bags{Base: e.vocabBags}, index: make(map[string]int32)}
}

// Bags returns the bags of the vocabulary and of the forms added so far.
func (f *Forms) Bags() *embed.Bags { return &f.bags }

// Len returns the number of forms.
func (f *Forms) Len() int { return len(f.index) }

// id returns the id of the out-of-vocabulary token tok, adding it.
func (f *Forms) id(tok []byte) int32 {
	if id, ok := f.index[string(tok)]; ok {
		return id
	}
	s := string(tok)
	f.rows = f.sub.AppendSubwords(f.rows[:0], s)
	id := f.bags.Add(f.rows)
	f.index[s] = id
	return id
}

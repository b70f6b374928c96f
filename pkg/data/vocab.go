package data

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Vocab maps tokens to ids: index 0 is the padding token "", index 1 the
// out-of-vocabulary token "[UNK]", then the learned tokens. It is immutable
// and safe for concurrent use.
type Vocab struct {
	tokens []string
	ids    map[string]int32
}

// NewVocab builds a vocabulary from its token list (as stored in a model
// file): tokens[0] must be "", tokens[1] "[UNK]", and no token may repeat.
func NewVocab(tokens []string) (*Vocab, error) {
	if len(tokens) < 2 || tokens[0] != PadToken || tokens[1] != OOVToken {
		return nil, fmt.Errorf("data: a vocabulary starts with %q and %q", PadToken, OOVToken)
	}
	v := &Vocab{tokens: slices.Clone(tokens), ids: make(map[string]int32, len(tokens))}
	for i, tok := range tokens {
		if _, dup := v.ids[tok]; dup {
			return nil, fmt.Errorf("data: vocabulary token %q repeats at index %d", tok, i)
		}
		v.ids[tok] = int32(i)
	}
	return v, nil
}

// Len returns the vocabulary size, the two reserved entries included.
func (v *Vocab) Len() int { return len(v.tokens) }

// Tokens returns a copy of the tokens, by index.
func (v *Vocab) Tokens() []string { return slices.Clone(v.tokens) }

// Token returns the token of id i.
func (v *Vocab) Token(i int32) string { return v.tokens[i] }

// ID returns the id of tok, 1 ("[UNK]") for an unknown token.
func (v *Vocab) ID(tok string) int32 {
	if id, ok := v.ids[tok]; ok {
		return id
	}
	return 1
}

// id is ID for a token held in bytes; it does not allocate.
func (v *Vocab) id(tok []byte) int32 {
	if id, ok := v.ids[string(tok)]; ok {
		return id
	}
	return 1
}

// VocabBuilder counts tokens. The reserved tokens "" and "[UNK]" are never
// counted, so they cannot appear twice in a vocabulary. Not safe for
// concurrent use.
type VocabBuilder struct {
	index  map[string]int32 // token -> position in tokens/counts
	tokens []string
	counts []int64
}

// NewVocabBuilder returns an empty builder.
func NewVocabBuilder() *VocabBuilder {
	return &VocabBuilder{index: make(map[string]int32)}
}

// Add counts tokens.
func (b *VocabBuilder) Add(tokens []string) {
	for _, tok := range tokens {
		b.addBytes([]byte(tok))
	}
}

// AddText counts the tokens of text as t splits them, without allocating
// for tokens already seen.
func (b *VocabBuilder) AddText(t *Tokenizer, text string) {
	if !t.simple() {
		b.Add(t.appendGeneral(nil, text))
		return
	}
	var scratch [64]byte
	buf := scratch[:0]
	for i := 0; ; {
		var ok bool
		buf, i, ok = t.next(text, i, buf)
		if !ok {
			return
		}
		b.addBytes(buf)
	}
}

func (b *VocabBuilder) addBytes(tok []byte) {
	if k, ok := b.index[string(tok)]; ok {
		b.counts[k]++
		return
	}
	s := string(tok)
	if s == PadToken || s == OOVToken {
		return
	}
	b.index[s] = int32(len(b.tokens))
	b.tokens = append(b.tokens, s)
	b.counts = append(b.counts, 1)
}

// Count returns how often tok was counted.
func (b *VocabBuilder) Count(tok string) int64 {
	if k, ok := b.index[tok]; ok {
		return b.counts[k]
	}
	return 0
}

// Build returns the vocabulary: "", "[UNK]", then the tokens seen at least
// minCount times (minCount <= 1 keeps all) by descending count, ties by
// ascending byte order, cut so that the vocabulary holds at most maxTokens
// entries, the two reserved ones included (maxTokens <= 0: no limit;
// maxTokens 1 or 2 leaves only the reserved ones).
func (b *VocabBuilder) Build(maxTokens, minCount int) *Vocab {
	order := make([]int32, 0, len(b.tokens))
	for k, c := range b.counts {
		if c >= int64(minCount) {
			order = append(order, int32(k))
		}
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := cmp.Compare(b.counts[y], b.counts[x]); c != 0 {
			return c
		}
		return strings.Compare(b.tokens[x], b.tokens[y])
	})
	if maxTokens > 0 {
		order = order[:min(len(order), max(maxTokens-2, 0))]
	}
	v := &Vocab{tokens: make([]string, 2, len(order)+2), ids: make(map[string]int32, len(order)+2)}
	v.tokens[0], v.tokens[1] = PadToken, OOVToken
	v.ids[PadToken], v.ids[OOVToken] = 0, 1
	for _, k := range order {
		v.ids[b.tokens[k]] = int32(len(v.tokens))
		v.tokens = append(v.tokens, b.tokens[k])
	}
	return v
}

// BuildVocab builds the vocabulary of c from the texts of ex (the training
// split only).
func BuildVocab(ex []Example, c TextConfig) (*Vocab, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	t, err := NewTokenizer(c)
	if err != nil {
		return nil, err
	}
	b := NewVocabBuilder()
	for i := range ex {
		b.AddText(t, ex[i].Text)
	}
	return b.Build(c.MaxTokens, c.MinCount), nil
}

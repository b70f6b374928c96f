package data

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/embed"
)

// Encoder turns texts into token ids: standardize, split, look up,
// truncate. It does the same at training and at prediction time, from the
// text config and vocabulary a model file stores. It is immutable and safe
// for concurrent use.
type Encoder struct {
	tok    *Tokenizer
	vocab  *Vocab
	seqLen int  // tokens kept: text.sequence_length, or MaxSequenceLength for 0
	pre    bool // truncate "pre": keep the last seqLen tokens

	sub       SubwordConfig
	vocabBags *embed.Bags // the vocabulary's subword bags (nil: off)
}

// NewEncoder returns the encoder of c over v.
func NewEncoder(c TextConfig, v *Vocab) (*Encoder, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("data: encoder needs a vocabulary")
	}
	t, err := NewTokenizer(c)
	if err != nil {
		return nil, err
	}
	e := &Encoder{tok: t, vocab: v, seqLen: c.TokensKept(), pre: c.Truncate == SidePre, sub: c.Subwords}
	if c.Subwords.On() {
		e.vocabBags = vocabBags(v, c.Subwords)
	}
	return e, nil
}

// Subwords reports whether the encoder computes subword bags
// (text.subwords): then datasets carry Bags and texts encode with Forms.
func (e *Encoder) Subwords() bool { return e.vocabBags != nil }

// Vocab returns the encoder's vocabulary.
func (e *Encoder) Vocab() *Vocab { return e.vocab }

// Tokenizer returns the encoder's tokenizer.
func (e *Encoder) Tokenizer() *Tokenizer { return e.tok }

// Encode returns the ids of text, truncated to the sequence length ("post"
// keeps the first tokens, "pre" the last; a sequence length of 0 keeps
// MaxSequenceLength), not padded. Unknown tokens are 1.
func (e *Encoder) Encode(text string) []int32 {
	var scratch [256]int32
	ids := e.AppendEncode(scratch[:0], text)
	return slices.Clone(ids)
}

// AppendEncode appends the ids of text (as Encode) to dst and returns the
// extended slice. It allocates nothing when dst has room.
func (e *Encoder) AppendEncode(dst []int32, text string) []int32 {
	return e.AppendEncodeForms(dst, nil, text)
}

// AppendEncodeForms is AppendEncode giving each word the vocabulary does
// not hold its id in f (with subwords; f nil: [UNK]).
func (e *Encoder) AppendEncodeForms(dst []int32, f *Forms, text string) []int32 {
	if !e.tok.simple() {
		toks := e.tok.appendGeneral(nil, text)
		if L := e.seqLen; L > 0 && len(toks) > L {
			if e.pre {
				toks = toks[len(toks)-L:]
			} else {
				toks = toks[:L]
			}
		}
		for _, tok := range toks {
			dst = append(dst, e.lookup(f, []byte(tok)))
		}
		return dst
	}
	var scratch [64]byte
	buf := scratch[:0]
	start, n, L := len(dst), 0, e.seqLen
	for i := 0; ; n++ {
		var ok bool
		buf, i, ok = e.tok.next(text, i, buf)
		if !ok {
			break
		}
		id := e.lookup(f, buf)
		switch {
		case L == 0 || n < L:
			dst = append(dst, id)
		case !e.pre:
			return dst // post: the first L are kept, stop reading
		default:
			dst[start+n%L] = id // pre: ring buffer of the last L
		}
	}
	if e.pre && L > 0 && n > L {
		// The oldest kept id sits at n%L: rotate it to the front.
		seg, k := dst[start:], n%L
		slices.Reverse(seg[:k])
		slices.Reverse(seg[k:])
		slices.Reverse(seg)
	}
	return dst
}

// lookup returns the id of tok: its vocabulary id, else its form in f, else
// [UNK].
func (e *Encoder) lookup(f *Forms, tok []byte) int32 {
	id := e.vocab.id(tok)
	if id == 1 && f != nil && string(tok) != OOVToken {
		id = f.id(tok)
	}
	return id
}

// Labels maps class names to class indices 0..C-1.
type Labels struct {
	names []string
	index map[string]int32
}

// NewLabels returns the labels in the given order (class i = names[i]).
// Names must be non-empty and distinct.
func NewLabels(names []string) (*Labels, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("data: no labels: %w", ErrEmpty)
	}
	l := &Labels{names: slices.Clone(names), index: make(map[string]int32, len(names))}
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("data: label %d is empty", i)
		}
		if _, dup := l.index[n]; dup {
			return nil, fmt.Errorf("data: label %q is listed twice", n)
		}
		l.index[n] = int32(i)
	}
	return l, nil
}

// LabelsFromExamples returns the labels of ex: listed ones in their order
// when listed is not empty (an example with another label is a *ParseError
// wrapping ErrUnknownLabel), otherwise every label of ex by ascending name
// (byte order). No examples is ErrEmpty.
func LabelsFromExamples(ex []Example, listed []string) (*Labels, error) {
	if len(ex) == 0 {
		return nil, ErrEmpty
	}
	if len(listed) > 0 {
		l, err := NewLabels(listed)
		if err != nil {
			return nil, err
		}
		for i := range ex {
			for _, name := range ex[i].AllLabels() {
				if _, ok := l.index[name]; !ok {
					return nil, l.unknown(&ex[i], name)
				}
			}
		}
		return l, nil
	}
	seen := make(map[string]bool)
	var names []string
	for i := range ex {
		for _, name := range ex[i].AllLabels() {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return NewLabels(names)
}

func (l *Labels) unknown(e *Example, label string) *ParseError {
	known := l.names
	more := ""
	if len(known) > 20 {
		known, more = known[:20], ", ..."
	}
	return &ParseError{File: e.File, Line: e.Line,
		Err: fmt.Errorf("%w %s (known: %s%s)", ErrUnknownLabel, short(label), strings.Join(known, ", "), more)}
}

// Len returns the number of classes.
func (l *Labels) Len() int { return len(l.names) }

// Names returns a copy of the class names, by index.
func (l *Labels) Names() []string { return slices.Clone(l.names) }

// Name returns the name of class i.
func (l *Labels) Name(i int32) string { return l.names[i] }

// Index returns the class index of name.
func (l *Labels) Index(name string) (int32, bool) {
	i, ok := l.index[name]
	return i, ok
}

// EncodeExamples encodes texts and labels. An example whose label is not in
// labels is a *ParseError wrapping ErrUnknownLabel (a label the model does
// not know at eval time), one with several labels a *ParseError wrapping
// ErrMultiLabel. All sequences share one backing array.
func EncodeExamples(ex []Example, enc *Encoder, labels *Labels) (*Dataset, error) {
	if len(ex) == 0 {
		return nil, ErrEmpty
	}
	d := &Dataset{Seqs: make([][]int32, len(ex)), Labels: make([]int32, len(ex))}
	for i := range ex {
		if len(ex[i].Labels) > 1 {
			return nil, MultiLabelError(&ex[i], "the model is single-label (softmax); train a multi-label model (train --multi-label, or leave model.output_activation auto) or give each record one label")
		}
		c, ok := labels.Index(ex[i].Label)
		if !ok {
			return nil, labels.unknown(&ex[i], ex[i].Label)
		}
		d.Labels[i] = c
	}
	encodeTexts(d, ex, enc)
	return d, nil
}

// EncodeMultiLabel encodes texts and label sets: LabelSets[i] holds the
// class indices of example i's labels, ascending. A label not in labels is
// a *ParseError wrapping ErrUnknownLabel.
func EncodeMultiLabel(ex []Example, enc *Encoder, labels *Labels) (*Dataset, error) {
	if len(ex) == 0 {
		return nil, ErrEmpty
	}
	d := &Dataset{Seqs: make([][]int32, len(ex)), LabelSets: make([][]int32, len(ex))}
	n := 0
	for i := range ex {
		n += len(ex[i].AllLabels())
	}
	flat := make([]int32, 0, n)
	for i := range ex {
		start := len(flat)
		for _, name := range ex[i].AllLabels() {
			c, ok := labels.Index(name)
			if !ok {
				return nil, labels.unknown(&ex[i], name)
			}
			flat = append(flat, c)
		}
		set := flat[start:len(flat):len(flat)]
		slices.Sort(set)
		d.LabelSets[i] = set
	}
	encodeTexts(d, ex, enc)
	return d, nil
}

// encodeTexts fills d.Seqs with the encoded texts of ex, one backing array
// for all.
func encodeTexts(d *Dataset, ex []Example, enc *Encoder) {
	ends := make([]int, len(ex))
	var flat []int32
	f := enc.NewForms()
	for i := range ex {
		flat = enc.AppendEncodeForms(flat, f, ex[i].Text)
		ends[i] = len(flat)
	}
	flat = slices.Clip(flat)
	if f != nil {
		d.Bags = f.Bags()
	}
	start := 0
	for i, end := range ends {
		d.Seqs[i] = flat[start:end:end]
		start = end
	}
}

// EncodeTexts encodes unlabelled texts (predict); the Dataset has nil Labels.
func EncodeTexts(texts []string, enc *Encoder) *Dataset {
	d := &Dataset{Seqs: make([][]int32, len(texts))}
	f := enc.NewForms()
	for i, t := range texts {
		d.Seqs[i] = enc.AppendEncodeForms(nil, f, t)
	}
	if f != nil {
		d.Bags = f.Bags()
	}
	return d
}

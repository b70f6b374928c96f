package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// TokenizerFormat is the "format" of a tokenizer file.
const TokenizerFormat = "lstmctl-tokenizer"

// Text is how a text becomes the graph's inputs: the text settings of the
// model, spelled out so that a program without lstmctl can reproduce the
// ids (docs/export.md).
type Text struct {
	Format string `json:"format"` // TokenizerFormat
	// FormatVersion is 1 for a softmax model with the whitespace split, no
	// word n-grams and no subwords; 2 when it uses any of them or sigmoid
	// outputs, so that a reader written for version 1 refuses what it
	// cannot reproduce.
	FormatVersion int `json:"format_version"`
	// Standardize is text.standardize; Lowercase and StripPunctuation say
	// what it does.
	Standardize string `json:"standardize"`
	// Lowercase maps every character to its simple Unicode lower case,
	// one character to one (Go's unicode.ToLower); LowercaseMap lists
	// every character it changes, so that a reader whose runtime knows
	// another Unicode version lower-cases the same.
	Lowercase    bool              `json:"lowercase"`
	LowercaseMap map[string]string `json:"lowercase_map,omitempty"`
	// StripPunctuation lists the characters deleted ("" deletes none).
	StripPunctuation string `json:"strip_punctuation"`
	// Split is text.split: "whitespace" (Whitespace lists the characters
	// whose runs separate tokens) or "character" (every character is a
	// token, white space included). Empty tokens never occur.
	Split      string `json:"split"`
	Whitespace string `json:"whitespace"`
	// MaxTokenBytes cuts a longer word to its first characters that fit
	// in as many bytes of UTF-8 (before n-grams are formed).
	MaxTokenBytes int `json:"max_token_bytes"`
	// MaxTextBytes cuts a longer text, as read, to as many bytes, less an
	// incomplete character at the end.
	MaxTextBytes int `json:"max_text_bytes"`
	// Ngrams N > 1 (version 2): after a text's tokens come its 2-grams,
	// ..., N-grams, tokens joined by one space.
	Ngrams int `json:"ngrams,omitempty"`
	// SequenceLength is the most tokens kept (text.sequence_length 0 keeps
	// up to data.MaxSequenceLength, which is written); Truncate says which:
	// "post" the first, "pre" the last.
	SequenceLength int    `json:"sequence_length"`
	Truncate       string `json:"truncate"`
	// Pad is where a row of input_ids holds its padding: "post" after the
	// ids, "pre" before them.
	Pad string `json:"pad"`
	// PadID fills input_ids beyond a text's ids; OOVID is the id of a
	// token the vocabulary does not hold.
	PadID int `json:"pad_id"`
	OOVID int `json:"oov_id"`
	// MaskPadding is model.mask_padding: true, only the real ids run
	// (lengths counts them); false, every text runs padded to
	// SequenceLength, as Keras without a mask.
	MaskPadding bool `json:"mask_padding"`
	// Subwords (version 2) are fastText's hashed character n-grams: the
	// graph's third input, subword_ids, holds each token's rows.
	Subwords *Subwords `json:"subwords,omitempty"`
}

// SubwordHash names the hash of a subword n-gram: 32-bit FNV-1a over the
// n-gram's UTF-8 bytes, each byte sign-extended from a signed char
// before the XOR (fastText's Dictionary::hash).
const SubwordHash = "fasttext_fnv1a32"

// Subwords is text.subwords in the tokenizer file.
type Subwords struct {
	MinN    int    `json:"min_n"`
	MaxN    int    `json:"max_n"`
	Buckets int    `json:"buckets"`
	Hash    string `json:"hash"` // SubwordHash
	// PadID fills subword_ids beyond a token's rows.
	PadID int `json:"pad_id"`
}

// Tokenizer is the tokenizer file: the text settings, the labels by class
// index (the columns of probabilities) and the vocabulary in id order.
type Tokenizer struct {
	Text
	Labels []string `json:"labels"`
	// OutputActivation is "sigmoid" for a multi-label model (each label's
	// own probability), left out for softmax.
	OutputActivation string   `json:"output_activation,omitempty"`
	Vocabulary       []string `json:"vocabulary"`
}

// newTokenizer describes m's text settings, vocabulary and labels.
func newTokenizer(m *pipeline.Model) *Tokenizer {
	t := m.Config.Text
	lower := t.Standardize == data.StandardizeLowerStrip || t.Standardize == data.StandardizeLower
	strip := ""
	if t.Standardize == data.StandardizeLowerStrip || t.Standardize == data.StandardizeStrip {
		strip = data.Punctuation
	}
	text := Text{
		Format: TokenizerFormat, FormatVersion: 1,
		Standardize: t.Standardize, Lowercase: lower, StripPunctuation: strip,
		Split: t.Split, Whitespace: whitespace(), MaxTokenBytes: data.MaxTokenBytes, MaxTextBytes: data.MaxTextBytes,
		SequenceLength: t.TokensKept(), Truncate: t.Truncate, Pad: t.Pad,
		PadID: 0, OOVID: 1, MaskPadding: m.Config.Model.MaskPadding,
	}
	if lower {
		text.LowercaseMap = lowercaseMap()
	}
	if t.Ngrams > 1 {
		text.Ngrams = t.Ngrams
	}
	if s := t.Subwords; s.On() {
		text.Subwords = &Subwords{MinN: s.MinN, MaxN: s.MaxN, Buckets: s.Buckets, Hash: SubwordHash, PadID: SubwordPad}
	}
	tok := &Tokenizer{Text: text, Labels: m.Labels.Names(), Vocabulary: m.Vocab.Tokens()}
	if m.Config.Model.Sigmoid() {
		tok.OutputActivation = model.OutputSigmoid
	}
	if text.Split != data.SplitWhitespace || text.Ngrams > 1 || text.Subwords != nil || tok.OutputActivation != "" {
		tok.FormatVersion = 2
	}
	return tok
}

// lowercaseMap returns every character unicode.ToLower changes, with its
// lower case (Unicode 15.0.0 in Go 1.26: 1433 characters).
var lowercaseMap = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l != r {
			m[string(r)] = string(l)
		}
	}
	return m
})

// whitespace returns every character the tokenizer splits on (Go's
// unicode.IsSpace), in code point order.
func whitespace() string {
	var b strings.Builder
	for _, rng := range unicode.White_Space.R16 {
		for r := rune(rng.Lo); r <= rune(rng.Hi); r += rune(rng.Stride) {
			if unicode.IsSpace(r) {
				b.WriteRune(r)
			}
		}
	}
	for _, rng := range unicode.White_Space.R32 {
		for r := rune(rng.Lo); r <= rune(rng.Hi); r += rune(rng.Stride) {
			if unicode.IsSpace(r) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// marshalJSON encodes v without HTML escaping, indented when indent.
func marshalJSON(v any, indent bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", " ")
	}
	if err := enc.Encode(v); err != nil {
		panic(err) // plain structs and strings always encode
	}
	b := buf.Bytes()
	if !indent {
		b = bytes.TrimSuffix(b, []byte("\n"))
	}
	return b
}

// JSON returns the tokenizer file's content. White space other than
// ASCII is written as \u escapes, so that the file shows what it lists.
func (t *Tokenizer) JSON() []byte {
	b := marshalJSON(t, true)
	for _, r := range whitespace() {
		if r >= utf8.RuneSelf {
			b = bytes.ReplaceAll(b, utf8.AppendRune(nil, r), fmt.Appendf(nil, "\\u%04x", r))
		}
	}
	return b
}

// TokenizerPath returns the tokenizer file that goes beside the ONNX file
// path: model.onnx gives model.tokenizer.json.
func TokenizerPath(onnxPath string) string {
	ext := filepath.Ext(onnxPath)
	if !strings.EqualFold(ext, ".onnx") {
		ext = ""
	}
	return strings.TrimSuffix(onnxPath, ext) + ".tokenizer.json"
}

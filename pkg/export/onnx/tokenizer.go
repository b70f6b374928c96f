package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// TokenizerFormat is the "format" of a tokenizer file.
const TokenizerFormat = "lstmctl-tokenizer"

// Text is how a text becomes the graph's inputs: the text settings of the
// model, spelled out so that a program without lstmctl can reproduce the
// ids (docs/export.md).
type Text struct {
	Format        string `json:"format"`         // TokenizerFormat
	FormatVersion int    `json:"format_version"` // 1
	// Standardize is text.standardize; Lowercase and StripPunctuation say
	// what it does.
	Standardize string `json:"standardize"`
	// Lowercase maps every character to its simple Unicode lower case,
	// one character to one (Go's unicode.ToLower).
	Lowercase bool `json:"lowercase"`
	// StripPunctuation lists the characters deleted ("" deletes none).
	StripPunctuation string `json:"strip_punctuation"`
	// Split is text.split; Whitespace lists the characters whose runs
	// separate tokens (after standardizing). Empty tokens never occur.
	Split      string `json:"split"`
	Whitespace string `json:"whitespace"`
	// SequenceLength is the most tokens kept (0: all); Truncate says
	// which: "post" the first, "pre" the last.
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
}

// Tokenizer is the tokenizer file: the text settings, the labels by class
// index (the columns of probabilities) and the vocabulary in id order.
type Tokenizer struct {
	Text
	Labels     []string `json:"labels"`
	Vocabulary []string `json:"vocabulary"`
}

// newTokenizer describes m's text settings, vocabulary and labels.
func newTokenizer(m *pipeline.Model) *Tokenizer {
	t := m.Config.Text
	lower := t.Standardize == data.StandardizeLowerStrip || t.Standardize == data.StandardizeLower
	strip := ""
	if t.Standardize == data.StandardizeLowerStrip || t.Standardize == data.StandardizeStrip {
		strip = data.Punctuation
	}
	return &Tokenizer{
		Text: Text{
			Format: TokenizerFormat, FormatVersion: 1,
			Standardize: t.Standardize, Lowercase: lower, StripPunctuation: strip,
			Split: t.Split, Whitespace: whitespace(),
			SequenceLength: t.SequenceLength, Truncate: t.Truncate, Pad: t.Pad,
			PadID: 0, OOVID: 1, MaskPadding: m.Config.Model.MaskPadding,
		},
		Labels:     m.Labels.Names(),
		Vocabulary: m.Vocab.Tokens(),
	}
}

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

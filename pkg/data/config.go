package data

import (
	"cmp"
	"fmt"
	"slices"
)

// Input formats accepted by data.format.
const (
	FormatAuto     = "auto"     // detect from the path (see DetectFormat)
	FormatFastText = "fasttext" // "__label__X some text" lines
	FormatCSV      = "csv"      // RFC 4180 with a header row
	FormatTSV      = "tsv"      // tab-separated with a header row, no quoting
	FormatJSONL    = "jsonl"    // one JSON object per line
	FormatDir      = "dir"      // one sub-directory per class, one document per file
)

// Formats lists the concrete format names (without FormatAuto).
var Formats = []string{FormatFastText, FormatCSV, FormatTSV, FormatJSONL, FormatDir}

// Standardize modes (text.standardize), as in Keras TextVectorization.
const (
	StandardizeLowerStrip = "lower_and_strip_punctuation"
	StandardizeLower      = "lower"
	StandardizeStrip      = "strip_punctuation"
	StandardizeNone       = "none"
)

// Sides for text.truncate and text.pad.
const (
	SidePost = "post"
	SidePre  = "pre"
)

// Reserved vocabulary entries.
const (
	PadToken = ""      // index 0
	OOVToken = "[UNK]" // index 1
)

// MaxSequenceLength bounds text.sequence_length, and is the number of
// tokens kept of a text when it is 0 ("all"): an LSTM runs one step per
// token and keeps every step for backpropagation, so a longer sequence
// costs memory and time without helping it (the longest 20 Newsgroups
// post has under 12,000 tokens).
const MaxSequenceLength = 16384

// TokensKept returns the most tokens kept of a text: text.sequence_length,
// or MaxSequenceLength for 0.
func (c TextConfig) TokensKept() int { return cmp.Or(c.SequenceLength, MaxSequenceLength) }

// DefaultConfig returns the defaults of the `data` section.
func DefaultConfig() Config {
	return Config{
		ValidationSplit: 0.1,
		Format:          FormatAuto,
		LabelPrefix:     "__label__",
		LabelColumn:     "label",
		TextColumns:     []string{"text"},
		LabelSeparator:  DefaultLabelSeparator,
	}
}

// DefaultLabelSeparator is the default of data.label_separator: "a,b" in a
// CSV or TSV label column is the labels a and b.
const DefaultLabelSeparator = ","

// NoLabelSeparator is the data.label_separator that keeps a label field
// whole ("" does too).
const NoLabelSeparator = "none"

// DefaultTextConfig returns the defaults of the `text` section: Keras
// TextVectorization's standardization and split, at most 40000 tokens
// (padding and [UNK] included), min_count 1, and 128 tokens per text kept
// from the start (truncate and pad "post"). docs/decisions/vocabulary-and-length.md
// explains the sizes.
func DefaultTextConfig() TextConfig {
	return TextConfig{
		Standardize:    StandardizeLowerStrip,
		Split:          SplitWhitespace,
		MaxTokens:      40000,
		MinCount:       1,
		SequenceLength: 128,
		Truncate:       SidePost,
		Pad:            SidePost,
	}
}

// Validate reports the first invalid setting of the `data` section.
func (c Config) Validate() error {
	if !(c.ValidationSplit >= 0 && c.ValidationSplit < 1) {
		return fmt.Errorf("data: validation_split must be in [0, 1), got %v", c.ValidationSplit)
	}
	if err := checkFormat(c.Format); err != nil {
		return err
	}
	if c.LabelColumn == "" {
		return fmt.Errorf("data: label_column must not be empty")
	}
	if len(c.TextColumns) == 0 {
		return fmt.Errorf("data: text_columns must name at least one column")
	}
	for i, col := range c.TextColumns {
		if col == "" {
			return fmt.Errorf("data: text_columns[%d] is empty", i)
		}
	}
	if len(c.Labels) > 0 {
		if _, err := NewLabels(c.Labels); err != nil {
			return err
		}
	}
	return nil
}

func checkSplit(s string) error {
	if slices.Contains(Splits, s) {
		return nil
	}
	return fmt.Errorf("data: text.split must be whitespace, character or unicode_words, got %q", s)
}

func checkFormat(f string) error {
	if f == "" || f == FormatAuto || slices.Contains(Formats, f) {
		return nil
	}
	return fmt.Errorf("%w %q (want auto, fasttext, csv, tsv, jsonl or dir)", ErrFormat, f)
}

// Validate reports the first invalid setting of the `text` section.
func (c TextConfig) Validate() error {
	if _, _, err := standardizeFlags(c.Standardize); err != nil {
		return err
	}
	if err := checkSplit(c.Split); err != nil {
		return err
	}
	if c.Ngrams < 0 || c.Ngrams > MaxNgrams {
		return fmt.Errorf("data: text.ngrams must be 0 (words only) to %d, got %d", MaxNgrams, c.Ngrams)
	}
	if err := c.Subwords.Validate(); err != nil {
		return err
	}
	if c.MaxTokens != 0 && c.MaxTokens < 2 {
		return fmt.Errorf("data: text.max_tokens must be 0 (unlimited) or at least 2 (it counts %q and %q), got %d",
			PadToken, OOVToken, c.MaxTokens)
	}
	if c.MinCount < 0 {
		return fmt.Errorf("data: text.min_count must not be negative, got %d", c.MinCount)
	}
	if c.SequenceLength < 0 || c.SequenceLength > MaxSequenceLength {
		return fmt.Errorf("data: text.sequence_length must be 0 (all tokens, up to %d) or between 1 and %d, got %d",
			MaxSequenceLength, MaxSequenceLength, c.SequenceLength)
	}
	if c.Truncate != SidePost && c.Truncate != SidePre {
		return fmt.Errorf("data: text.truncate must be post or pre, got %q", c.Truncate)
	}
	if c.Pad != SidePost && c.Pad != SidePre {
		return fmt.Errorf("data: text.pad must be post or pre, got %q", c.Pad)
	}
	return nil
}

// ReadOptions configures the readers.
type ReadOptions struct {
	Format      string   // auto (or ""), fasttext, csv, tsv, jsonl, dir
	LabelPrefix string   // fastText label prefix
	LabelColumn string   // CSV/TSV column or JSON field holding the label
	TextColumns []string // CSV/TSV columns or JSON fields joined (one space) into the text
	SkipBad     bool     // skip and count malformed records instead of failing
	// Unlabelled reads texts to predict: the label column need not exist
	// and is ignored, and a fastText line's labels, if any, are dropped
	// (Label is then "").
	Unlabelled bool
	// IDColumn, when set, names the CSV/TSV column or JSON field copied
	// into Example.ID.
	IDColumn string
	// LabelSeparator splits a CSV/TSV label field into several labels
	// ("" = never).
	LabelSeparator string
}

// ReadOptionsFrom returns the read options of a `data` section.
func ReadOptionsFrom(c Config, skipBad bool) ReadOptions {
	return ReadOptions{
		Format:         c.Format,
		LabelPrefix:    c.LabelPrefix,
		LabelColumn:    c.LabelColumn,
		TextColumns:    slices.Clone(c.TextColumns),
		SkipBad:        skipBad,
		LabelSeparator: c.labelSeparator(),
	}
}

// labelSeparator returns the separator of label fields, "" for none.
func (c Config) labelSeparator() string {
	if c.LabelSeparator == NoLabelSeparator {
		return ""
	}
	return c.LabelSeparator
}

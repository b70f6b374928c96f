package data

import "github.com/lstmctl/lstmctl/pkg/embed"

// Config is the `data` section of the configuration.
type Config struct {
	Train           string   `mapstructure:"train" json:"train"`
	Validation      string   `mapstructure:"validation" json:"validation"`
	ValidationSplit float64  `mapstructure:"validation_split" json:"validation_split"`
	Test            string   `mapstructure:"test" json:"test"`
	Format          string   `mapstructure:"format" json:"format"`
	LabelPrefix     string   `mapstructure:"label_prefix" json:"label_prefix"`
	LabelColumn     string   `mapstructure:"label_column" json:"label_column"`
	TextColumns     []string `mapstructure:"text_columns" json:"text_columns"`
	// LabelSeparator splits a CSV/TSV label field into several labels (a
	// multi-label record): "," by default; "" or "none" keeps the field
	// whole. Stored with omitempty, and left out when it is the default
	// (pipeline.Config.JSON), so that model files of single-label data
	// read as before it existed.
	LabelSeparator string `mapstructure:"label_separator" json:"label_separator,omitempty"`
	// Labels, when not empty, fixes the classes and their order (class index
	// = position in this list); otherwise classes are sorted by name.
	Labels []string `mapstructure:"labels" json:"labels"`
}

// TextConfig is the `text` section of the configuration.
type TextConfig struct {
	Standardize string `mapstructure:"standardize" json:"standardize"`
	Split       string `mapstructure:"split" json:"split"`
	// Ngrams N > 1 adds the word n-grams of 2..N words, joined by a
	// space, after the words (Keras TextVectorization(ngrams=N)); 0 and 1
	// mean words only.
	Ngrams         int    `mapstructure:"ngrams" json:"ngrams,omitempty"`
	MaxTokens      int    `mapstructure:"max_tokens" json:"max_tokens"`
	MinCount       int    `mapstructure:"min_count" json:"min_count"`
	SequenceLength int    `mapstructure:"sequence_length" json:"sequence_length"`
	Truncate       string `mapstructure:"truncate" json:"truncate"`
	Pad            string `mapstructure:"pad" json:"pad"`
	// Subwords are fastText's hashed character n-grams (off when zero).
	Subwords SubwordConfig `mapstructure:"subwords" json:"subwords,omitzero"`
}

// Dataset is an encoded data set: Seqs[i] are the token ids of sample i
// (truncated, not padded) and Labels[i] its class index. A multi-label
// data set (EncodeMultiLabel) has LabelSets instead: LabelSets[i] holds the
// class indices of sample i, ascending and distinct, and Labels is nil.
// With subwords, Bags gives every id its subword rows, and ids from the
// vocabulary size up are words the vocabulary does not hold (see Forms);
// nil otherwise.
type Dataset struct {
	Seqs      [][]int32
	Labels    []int32
	LabelSets [][]int32
	Bags      *embed.Bags
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Seqs) }

// Batch is a time-major batch ready for the model.
//
// When Masked is true, samples are ordered by non-increasing length,
// T is the longest length in the batch, each sequence is left-aligned and
// Lengths holds the real token counts. When Masked is false, T is the
// configured sequence length (the longest length when that is 0),
// sequences are laid out on the configured pad side with padding id 0, and
// every Lengths entry equals T. T is at least 1 (a batch of empty texts is
// one padding step). See Dataset.FillBatch.
type Batch struct {
	Index   []int   // dataset index of each sample in the batch, len B
	Tokens  []int32 // [T*B], Tokens[t*B+b]
	Lengths []int   // len B
	Labels  []int32 // len B
	// LabelSets holds the class indices of each sample of a multi-label
	// data set (shared with the Dataset), len B; nil otherwise.
	LabelSets [][]int32
	B, T      int
	Masked    bool
	Bags      *embed.Bags // the data set's subword bags (nil without subwords)
}

package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Pooling modes: how the classifier reads the last LSTM's outputs.
const (
	PoolLast = "last" // the state at the last real step (Keras LSTM without return_sequences)
	PoolMean = "mean" // mean over the real steps
	PoolMax  = "max"  // element-wise maximum over the real steps
)

// Config is the `model` section of the configuration.
//
// The keys after mask_padding are off by default (the Keras example) and are
// omitted from JSON when zero, so that a model file of the plain architecture
// reads the same as before they existed. An empty Pooling means "last".
type Config struct {
	EmbeddingDim int   `mapstructure:"embedding_dim" json:"embedding_dim"`
	LSTM         []int `mapstructure:"lstm" json:"lstm"`
	MaskPadding  bool  `mapstructure:"mask_padding" json:"mask_padding"`

	// Bidirectional wraps every LSTM layer in Keras Bidirectional(merge_mode
	// "concat"): a second LSTM per layer reads each sequence backwards and
	// its outputs, re-aligned in time, are concatenated after the forward
	// ones, so layer k+1 and the read-out see 2H_k values per step.
	Bidirectional bool `mapstructure:"bidirectional" json:"bidirectional,omitempty"`
	// Pooling is the read-out over the last LSTM's outputs: last, mean or
	// max (over the real steps; all T steps without masking).
	Pooling string `mapstructure:"pooling" json:"pooling,omitempty"`
	// Dropout is Keras LSTM(dropout=...): the rate of inverted dropout on
	// each LSTM layer's input, one mask per sequence shared by all steps.
	Dropout float64 `mapstructure:"dropout" json:"dropout,omitempty"`
	// RecurrentDropout is Keras LSTM(recurrent_dropout=...): the rate of
	// dropout on h_{t-1} before h_{t-1}·U, one mask per sequence.
	RecurrentDropout float64 `mapstructure:"recurrent_dropout" json:"recurrent_dropout,omitempty"`
	// DenseDropout is the rate of a Dropout layer before the dense layer.
	DenseDropout float64 `mapstructure:"dense_dropout" json:"dense_dropout,omitempty"`
	// EmbeddingDropout is the rate of Keras SpatialDropout1D after the
	// embedding: whole embedding channels dropped per sequence.
	EmbeddingDropout float64 `mapstructure:"embedding_dropout" json:"embedding_dropout,omitempty"`
	// TokenDropout replaces each real token of a training sequence by
	// "[UNK]" (id 1) with this probability before the embedding ("word
	// dropout"): it trains the [UNK] row, which test texts use for every
	// word unseen in training, and the model learns not to lean on single
	// words. Padding and [UNK] itself are left alone.
	TokenDropout float64 `mapstructure:"token_dropout" json:"token_dropout,omitempty"`
	// FreezeEmbedding keeps the embedding as initialised (Keras
	// Embedding(trainable=False), as in Keras' GloVe example): its gradient
	// is not computed and the optimizer leaves it alone. Meant for pretrained
	// vectors; without them the rows stay random. With train --from it
	// comes, as the whole model section does, from the stored model.
	FreezeEmbedding bool `mapstructure:"freeze_embedding" json:"freeze_embedding,omitempty"`
	// OutputActivation is what turns the logits into probabilities:
	// softmax (one label per text, cross-entropy) or sigmoid (any number
	// of labels, each its own yes/no: binary cross-entropy, as Keras'
	// Dense(C, activation="sigmoid") with BinaryCrossentropy). auto, the
	// default, is resolved by training: sigmoid when a training record has
	// several labels. A model file stores "" for softmax (so files of
	// single-label models read as before the key existed) and "sigmoid".
	OutputActivation string `mapstructure:"output_activation" json:"output_activation,omitempty"`
}

// Output activations (Config.OutputActivation).
const (
	OutputAuto    = "auto"
	OutputSoftmax = "softmax"
	OutputSigmoid = "sigmoid"
)

// Sigmoid reports whether the model has sigmoid outputs (multi-label).
func (c Config) Sigmoid() bool { return c.OutputActivation == OutputSigmoid }

// DefaultConfig returns the model of the Keras example: LSTM [64, 32],
// masked padding, the last state read out, every dropout off, the
// embedding starting from the built-in GloVe vectors
// (docs/decisions/built-in-vectors.md and
// docs/decisions/no-regularisation-by-default.md say why).
func DefaultConfig() Config {
	return Config{
		EmbeddingDim: 64, LSTM: []int{64, 32}, MaskPadding: true,
		Bidirectional: false, Pooling: PoolLast,
		Dropout: 0, RecurrentDropout: 0, DenseDropout: 0, EmbeddingDropout: 0,
		TokenDropout: 0, OutputActivation: OutputAuto,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.EmbeddingDim <= 0 {
		return fmt.Errorf("model: embedding_dim must be positive, got %d", c.EmbeddingDim)
	}
	if len(c.LSTM) == 0 {
		return errors.New("model: lstm needs at least one layer")
	}
	for i, h := range c.LSTM {
		if h <= 0 {
			return fmt.Errorf("model: lstm[%d] must be positive, got %d", i, h)
		}
	}
	switch c.Pooling {
	case "", PoolLast, PoolMean, PoolMax:
	default:
		return fmt.Errorf("model: pooling must be last, mean or max, got %q", c.Pooling)
	}
	switch c.OutputActivation {
	case "", OutputAuto, OutputSoftmax, OutputSigmoid:
	default:
		return fmt.Errorf("model: output_activation must be auto, softmax or sigmoid, got %q", c.OutputActivation)
	}
	for _, r := range []struct {
		key  string
		rate float64
	}{
		{"dropout", c.Dropout}, {"recurrent_dropout", c.RecurrentDropout},
		{"dense_dropout", c.DenseDropout}, {"embedding_dropout", c.EmbeddingDropout},
		{"token_dropout", c.TokenDropout},
	} {
		if !(r.rate >= 0 && r.rate < 1) || math.IsNaN(r.rate) {
			return fmt.Errorf("model: %s must be in [0, 1), got %g", r.key, r.rate)
		}
	}
	return nil
}

// pooling returns the read-out mode, "" meaning last.
func (c Config) pooling() string {
	if c.Pooling == "" {
		return PoolLast
	}
	return c.Pooling
}

// directions returns 2 for a bidirectional model, else 1.
func (c Config) directions() int {
	if c.Bidirectional {
		return 2
	}
	return 1
}

// sameArchitecture reports whether a and b describe the same network (the
// same parameters and the same inference); dropout rates are training
// settings and are not compared.
func sameArchitecture(a, b Config) bool {
	return a.EmbeddingDim == b.EmbeddingDim && a.MaskPadding == b.MaskPadding &&
		a.Bidirectional == b.Bidirectional && a.pooling() == b.pooling() && a.Sigmoid() == b.Sigmoid() &&
		slices.Equal(a.LSTM, b.LSTM)
}

package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// ErrUnsupported is wrapped by the error of a model the exporter cannot
// express in ONNX.
var ErrUnsupported = errors.New("cannot be exported to ONNX")

// A rule says what the exporter does with one key of the text or model
// section: nil accepts any value (the key only matters to training), else
// it returns why the value cannot be exported.
type rule func(v any) string

// oneOf accepts the listed string values.
func oneOf(allowed ...string) rule {
	return func(v any) string {
		s, _ := v.(string)
		if slices.Contains(allowed, s) {
			return ""
		}
		return fmt.Sprintf("the exporter knows %s", strings.Join(quoteAll(allowed), ", "))
	}
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return q
}

// splitRule accepts the splits another program can reproduce exactly from
// the tokenizer file. unicode_words is refused: the word boundaries of
// UAX #29 differ between implementations exactly where it matters, in
// text without spaces (ICU, behind JavaScript's Intl.Segmenter and most
// runtimes, segments Thai and Chinese by dictionary and joins a Thai word
// with the digits after it), so the ids could not be reproduced.
func splitRule(v any) string {
	if v == data.SplitUnicodeWords {
		return "its word boundaries (Unicode UAX #29) are not reproduced exactly by other tokenizers, ICU's among them; " +
			`train with text.split "character" or "whitespace" to export`
	}
	return oneOf(data.SplitWhitespace, data.SplitCharacter)(v)
}

// rules lists every key of the text and model sections the exporter knows.
// A key that is not listed, as a setting added to lstmctl after the
// exporter was written, is refused unless it has its zero value, which
// means "off" for the optional keys of a stored configuration: the
// exporter refuses rather than write a graph that may compute something
// else.
var rules = map[string]map[string]rule{
	"text": {
		"standardize":     oneOf(data.StandardizeLowerStrip, data.StandardizeLower, data.StandardizeStrip, data.StandardizeNone),
		"split":           splitRule,
		"ngrams":          nil, // the tokenizer's: in the tokenizer file
		"subwords":        nil, // the tokenizer's bags and the subword rows (checked on the tensors)
		"max_tokens":      nil, // the vocabulary's size: in the vocabulary
		"min_count":       nil,
		"sequence_length": nil,
		"truncate":        oneOf(data.SidePost, data.SidePre),
		"pad":             oneOf(data.SidePost, data.SidePre),
	},
	"model": {
		"embedding_dim":     nil, // the shapes: checked on the tensors
		"lstm":              nil,
		"mask_padding":      nil,
		"bidirectional":     nil,
		"pooling":           oneOf("", model.PoolLast, model.PoolMean, model.PoolMax),
		"dropout":           nil, // training only
		"recurrent_dropout": nil,
		"dense_dropout":     nil,
		"embedding_dropout": nil,
		"token_dropout":     nil,
		"freeze_embedding":  nil,
		"embedding_vectors": nil, // the embedding's start
		// auto is resolved when training: a model file stores sigmoid for
		// a multi-label model and leaves the key out otherwise.
		"output_activation": oneOf("", model.OutputAuto, model.OutputSoftmax, model.OutputSigmoid),
	},
}

// checkConfig refuses a configuration the graph cannot compute: every key
// of its text and model sections (the others say how to read data and
// train) must be known to the exporter with a value it supports, or be
// unknown with its zero value.
func checkConfig(cfg *pipeline.Config) error {
	var sections map[string]map[string]any
	if err := json.Unmarshal(cfg.JSON(), &sections); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return checkSections(sections)
}

func checkSections(sections map[string]map[string]any) error {
	for _, sec := range []string{"text", "model"} {
		keys := make([]string, 0, len(sections[sec]))
		for k := range sections[sec] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := sections[sec][k]
			r, known := rules[sec][k]
			switch {
			case !known && !isZero(v):
				return fmt.Errorf("the model has %s.%s = %s, a setting the ONNX exporter does not know: it %w rather than be exported to a graph that may compute something else",
					sec, k, show(v), ErrUnsupported)
			case known && r != nil:
				if why := r(v); why != "" {
					return fmt.Errorf("the model has %s.%s = %s, which %w (%s)", sec, k, show(v), ErrUnsupported, why)
				}
			}
		}
	}
	m := sections["model"]
	if masked, _ := m["mask_padding"].(bool); !masked {
		if n, _ := sections["text"]["sequence_length"].(float64); n == 0 {
			return fmt.Errorf("the model has model.mask_padding false and text.sequence_length 0: it pads every batch to the batch's longest text, so a text's probabilities depend on the texts beside it, which %w; train with a sequence_length or with mask_padding", ErrUnsupported)
		}
	}
	return nil
}

// isZero reports whether a decoded JSON value is its type's zero value.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// wantTensors returns the names and shapes of the parameters of the
// architecture the exporter writes, in model-file order; buckets > 0 adds
// the subword rows.
func wantTensors(cfg model.Config, vocab, buckets, classes int) []model.Tensor {
	dirs := 1
	if cfg.Bidirectional {
		dirs = 2
	}
	ts := []model.Tensor{{Name: "embedding.embeddings", Shape: []int{vocab, cfg.EmbeddingDim}}}
	in := cfg.EmbeddingDim
	for k, h := range cfg.LSTM {
		for d := range dirs {
			p := fmt.Sprintf("lstm.%d", k)
			if d == 1 {
				p += ".backward"
			}
			ts = append(ts,
				model.Tensor{Name: p + ".kernel", Shape: []int{in, 4 * h}},
				model.Tensor{Name: p + ".recurrent_kernel", Shape: []int{h, 4 * h}},
				model.Tensor{Name: p + ".bias", Shape: []int{4 * h}})
		}
		in = dirs * h
	}
	ts = append(ts,
		model.Tensor{Name: "dense.kernel", Shape: []int{in, classes}},
		model.Tensor{Name: "dense.bias", Shape: []int{classes}})
	if buckets > 0 {
		ts = append(ts, model.Tensor{Name: model.SubwordsTensor, Shape: []int{buckets, cfg.EmbeddingDim}})
	}
	return ts
}

// checkTensors refuses a classifier whose parameters are not exactly those
// the exporter writes (a layer added to lstmctl after the exporter).
func checkTensors(c *model.Classifier) error {
	want := wantTensors(c.Config, c.Vocab, c.Embedding.Buckets, c.Classes)
	got := c.Params()
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return fmt.Errorf("the model lacks the tensor %s the exporter expects, so it %w", want[i].Name, ErrUnsupported)
		case i >= len(want):
			return fmt.Errorf("the model has a tensor %s the ONNX exporter does not know, so it %w", got[i].Name, ErrUnsupported)
		case got[i].Name != want[i].Name || !slices.Equal(got[i].Shape, want[i].Shape):
			return fmt.Errorf("the model's tensor %d is %s %v where the exporter expects %s %v, so it %w",
				i, got[i].Name, got[i].Shape, want[i].Name, want[i].Shape, ErrUnsupported)
		case len(got[i].Data) != numel(want[i].Shape):
			return fmt.Errorf("the model's tensor %s holds %d values, not %d", got[i].Name, len(got[i].Data), numel(want[i].Shape))
		}
	}
	return nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

package model

import (
	"strconv"
	"strings"
)

// None is a dimension of a Shape that is not fixed: the batch, and the
// time steps of a sequence (Keras shows it as None).
const None = -1

// Shape is a layer's output shape as Keras' model.summary() shows it, with
// None for the batch and the time dimension: (None, None, 100) is a
// sequence of 100-wide vectors, (None, 64) one vector per sample.
type Shape []int

// String returns the shape in Keras' notation: "(None, None, 100)".
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == None {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// MarshalJSON writes None as null, as Keras' model.to_json() does: [null, 64].
func (s Shape) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if d == None {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(d), 10)
		}
	}
	return append(b, ']'), nil
}

// LayerSummary is one row of a Summary.
type LayerSummary struct {
	Name        string `json:"name"` // Keras' default name: lstm, lstm_1, dense, ...
	Type        string `json:"type"` // Keras' class: Embedding, LSTM, Bidirectional, ...
	OutputShape Shape  `json:"output_shape"`
	Params      int    `json:"params"`
	Trainable   bool   `json:"trainable"`
	// Tensors are the names of the layer's tensors in the model file, whose
	// sizes add up to Params.
	Tensors []string `json:"tensors"`
}

// Summary is what Keras' model.summary() shows of a classifier: its layers
// in order with their output shapes and parameter counts, and the totals.
type Summary struct {
	Layers             []LayerSummary `json:"layers"`
	TotalParams        int            `json:"total_params"`
	TrainableParams    int            `json:"trainable_params"`
	NonTrainableParams int            `json:"non_trainable_params"`
}

// Summary returns the summary of c's architecture. With subwords the
// embedding layer also holds the subword rows (embedding.subwords).
func (c *Classifier) Summary() Summary {
	s := Summarize(c.Config, c.Vocab, c.Classes)
	if b := c.Embedding.Buckets; b > 0 {
		n := b * c.Embedding.E
		l := &s.Layers[0]
		l.Params += n
		l.Tensors = append(l.Tensors, SubwordsTensor)
		s.TotalParams += n
		if l.Trainable {
			s.TrainableParams += n
		} else {
			s.NonTrainableParams += n
		}
	}
	return s
}

// Summarize returns the summary of the classifier New(cfg, vocab, classes)
// builds (cfg valid): the embedding (not trainable with
// freeze_embedding), SpatialDropout1D when embedding_dropout is set, each
// LSTM layer (a Bidirectional one with both directions' weights), the
// global pooling of mean or max, Dropout when dense_dropout is set, and
// the dense layer. Dropout inside the LSTMs and token dropout are no
// layers of their own, as in Keras.
func Summarize(cfg Config, vocab, classes int) Summary {
	var s Summary
	names := map[string]int{} // Keras numbers repeated names: lstm, lstm_1, ...
	add := func(name, typ string, shape Shape, params int, trainable bool, tensors ...string) {
		if n := names[name]; n > 0 {
			names[name]++
			name += "_" + strconv.Itoa(n)
		} else {
			names[name] = 1
		}
		s.Layers = append(s.Layers, LayerSummary{Name: name, Type: typ, OutputShape: shape, Params: params, Trainable: trainable, Tensors: append([]string{}, tensors...)})
		s.TotalParams += params
		if trainable {
			s.TrainableParams += params
		} else {
			s.NonTrainableParams += params
		}
	}
	e := cfg.EmbeddingDim
	add("embedding", "Embedding", Shape{None, None, e}, vocab*e, !cfg.FreezeEmbedding, "embedding.embeddings")
	if cfg.EmbeddingDropout > 0 {
		add("spatial_dropout1d", "SpatialDropout1D", Shape{None, None, e}, 0, true)
	}
	in := e
	for k, h := range cfg.LSTM {
		out := cfg.directions() * h
		shape := Shape{None, None, out}
		if k == len(cfg.LSTM)-1 && cfg.pooling() == PoolLast {
			shape = Shape{None, out} // the last state only (no return_sequences)
		}
		perDirection := 4 * h * (in + h + 1) // kernel, recurrent kernel, bias
		p := "lstm." + strconv.Itoa(k) + "."
		if cfg.Bidirectional {
			add("bidirectional", "Bidirectional", shape, 2*perDirection, true,
				p+"kernel", p+"recurrent_kernel", p+"bias", p+"backward.kernel", p+"backward.recurrent_kernel", p+"backward.bias")
		} else {
			add("lstm", "LSTM", shape, perDirection, true, p+"kernel", p+"recurrent_kernel", p+"bias")
		}
		in = out
	}
	switch cfg.pooling() {
	case PoolMean:
		add("global_average_pooling1d", "GlobalAveragePooling1D", Shape{None, in}, 0, true)
	case PoolMax:
		add("global_max_pooling1d", "GlobalMaxPooling1D", Shape{None, in}, 0, true)
	}
	if cfg.DenseDropout > 0 {
		add("dropout", "Dropout", Shape{None, in}, 0, true)
	}
	add("dense", "Dense", Shape{None, classes}, in*classes+classes, true, "dense.kernel", "dense.bias")
	return s
}

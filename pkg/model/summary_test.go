package model

import (
	"encoding/json"
	"fmt"
	"testing"
)

// The counts Keras' model.summary() prints for the same layers: the
// Keras example (Embedding(V, 100), LSTM(64, return_sequences=True),
// LSTM(32), Dense(C)) and TensorFlow's RNN text-classification tutorial
// (Embedding(1000, 64), Bidirectional(LSTM(64)), then a Dense of 1 here).
func TestSummaryMatchesKeras(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EmbeddingDim = 100
	got := rows(Summarize(cfg, 10000, 6))
	want := []string{
		"embedding Embedding (None, None, 100) 1000000 true",
		"lstm LSTM (None, None, 64) 42240 true",
		"lstm_1 LSTM (None, 32) 12416 true",
		"dense Dense (None, 6) 198 true",
	}
	sameRows(t, got, want)

	bi := DefaultConfig()
	bi.EmbeddingDim, bi.LSTM, bi.Bidirectional = 64, []int{64}, true
	sameRows(t, rows(Summarize(bi, 1000, 1)), []string{
		"embedding Embedding (None, None, 64) 64000 true",
		"bidirectional Bidirectional (None, 128) 66048 true",
		"dense Dense (None, 1) 129 true",
	})

	pool := DefaultConfig()
	pool.LSTM, pool.Pooling, pool.Bidirectional = []int{8, 4}, PoolMax, true
	pool.EmbeddingDropout, pool.DenseDropout, pool.FreezeEmbedding = 0.1, 0.2, true
	s := Summarize(pool, 50, 3)
	sameRows(t, rows(s), []string{
		"embedding Embedding (None, None, 64) 3200 false",
		"spatial_dropout1d SpatialDropout1D (None, None, 64) 0 true",
		"bidirectional Bidirectional (None, None, 16) 4672 true",
		"bidirectional_1 Bidirectional (None, None, 8) 672 true",
		"global_max_pooling1d GlobalMaxPooling1D (None, 8) 0 true",
		"dropout Dropout (None, 8) 0 true",
		"dense Dense (None, 3) 27 true",
	})
	if s.TotalParams != 3200+4672+672+27 || s.NonTrainableParams != 3200 || s.TrainableParams != 4672+672+27 {
		t.Errorf("totals %d, trainable %d, non-trainable %d", s.TotalParams, s.TrainableParams, s.NonTrainableParams)
	}
	b, err := json.Marshal(s.Layers[4])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"global_max_pooling1d","type":"GlobalMaxPooling1D","output_shape":[null,8],"params":0,"trainable":true,"tensors":[]}`; string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

// Every parameter tensor of a classifier belongs to exactly one layer of
// its summary, and each layer's count is the size of its tensors.
func TestSummaryCoversParams(t *testing.T) {
	for _, cfg := range []Config{
		DefaultConfig(),
		{EmbeddingDim: 5, LSTM: []int{3, 4, 2}, Bidirectional: true, Pooling: PoolMean},
		{EmbeddingDim: 7, LSTM: []int{6}, Pooling: PoolMax, DenseDropout: 0.5},
	} {
		c, err := New(cfg, 23, 4)
		if err != nil {
			t.Fatal(err)
		}
		size := map[string]int{}
		for _, p := range c.Params() {
			size[p.Name] = len(p.Data)
		}
		s := c.Summary()
		total := 0
		for _, l := range s.Layers {
			n := 0
			for _, name := range l.Tensors {
				got, ok := size[name]
				if !ok {
					t.Fatalf("%+v: layer %s claims tensor %s, which the classifier lacks (or another layer claimed)", cfg, l.Name, name)
				}
				n += got
				delete(size, name)
			}
			if n != l.Params {
				t.Errorf("%+v: layer %s counts %d parameters, its tensors hold %d", cfg, l.Name, l.Params, n)
			}
			total += n
		}
		if len(size) > 0 {
			t.Errorf("%+v: tensors of no layer: %v", cfg, size)
		}
		if s.TotalParams != total {
			t.Errorf("%+v: total_params %d, tensors hold %d", cfg, s.TotalParams, total)
		}
	}
}

func rows(s Summary) []string {
	var out []string
	for _, l := range s.Layers {
		out = append(out, fmt.Sprintf("%s %s %s %d %v", l.Name, l.Type, l.OutputShape, l.Params, l.Trainable))
	}
	return out
}

func sameRows(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
}

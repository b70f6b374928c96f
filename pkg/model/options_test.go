package model

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tests of the options beyond the Keras example: bidirectional layers,
// mean/max pooling and dropout.

func TestConfigOptionsValidate(t *testing.T) {
	base := Config{EmbeddingDim: 4, LSTM: []int{3}, MaskPadding: true}
	for _, tc := range []struct {
		edit func(*Config)
		err  string
	}{
		{func(c *Config) { c.Pooling = "sum" }, `pooling must be last, mean or max, got "sum"`},
		{func(c *Config) { c.Pooling = "Max" }, "pooling"},
		{func(c *Config) { c.Dropout = 1 }, "dropout must be in [0, 1), got 1"},
		{func(c *Config) { c.Dropout = -0.1 }, "dropout must be in [0, 1)"},
		{func(c *Config) { c.RecurrentDropout = math.NaN() }, "recurrent_dropout must be in [0, 1), got NaN"},
		{func(c *Config) { c.DenseDropout = 1.5 }, "dense_dropout"},
		{func(c *Config) { c.EmbeddingDropout = math.Inf(1) }, "embedding_dropout"},
	} {
		cfg := base
		tc.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "model: ") {
			t.Errorf("%+v: error %v, want %q", cfg, err, tc.err)
		}
		if _, err := New(cfg, 10, 2); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
	for _, pool := range []string{"", PoolLast, PoolMean, PoolMax} {
		cfg := base
		cfg.Pooling, cfg.Bidirectional = pool, true
		cfg.Dropout, cfg.RecurrentDropout, cfg.DenseDropout, cfg.EmbeddingDropout = 0, 0.5, 0.999, 0.2
		if err := cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	d := DefaultConfig()
	if d.Pooling != PoolLast || d.Bidirectional || d.Dropout != 0 || d.RecurrentDropout != 0 ||
		d.DenseDropout != 0 || d.EmbeddingDropout != 0 || d.EmbeddingDim != 64 ||
		!slices.Equal(d.LSTM, []int{64, 32}) || !d.MaskPadding || d.TokenDropout != 0 {
		t.Errorf("DefaultConfig() = %+v, want the Keras example with every option off", d)
	}
	// The new keys are omitted from JSON when off, and round-trip when on.
	b, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"embedding_dim":4,"lstm":[3],"mask_padding":true}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	on := base
	on.Bidirectional, on.Pooling, on.Dropout, on.RecurrentDropout, on.DenseDropout, on.EmbeddingDropout = true, PoolMax, 0.1, 0.2, 0.3, 0.4
	b, _ = json.Marshal(on)
	want := `{"embedding_dim":4,"lstm":[3],"mask_padding":true,"bidirectional":true,"pooling":"max",` +
		`"dropout":0.1,"recurrent_dropout":0.2,"dense_dropout":0.3,"embedding_dropout":0.4}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back.LSTM, on.LSTM) {
		t.Fatal(err)
	}
	back.LSTM = on.LSTM
	if fmt.Sprint(back) != fmt.Sprint(on) {
		t.Errorf("round trip %+v, want %+v", back, on)
	}
}

func TestBidirectionalParams(t *testing.T) {
	cfg := Config{EmbeddingDim: 8, LSTM: []int{6, 5}, MaskPadding: true, Bidirectional: true}
	c := mustNew(t, cfg, 30, 3)
	want := []namedShape{
		{"embedding.embeddings", []int{30, 8}},
		{"lstm.0.kernel", []int{8, 24}}, {"lstm.0.recurrent_kernel", []int{6, 24}}, {"lstm.0.bias", []int{24}},
		{"lstm.0.backward.kernel", []int{8, 24}}, {"lstm.0.backward.recurrent_kernel", []int{6, 24}}, {"lstm.0.backward.bias", []int{24}},
		{"lstm.1.kernel", []int{12, 20}}, {"lstm.1.recurrent_kernel", []int{5, 20}}, {"lstm.1.bias", []int{20}},
		{"lstm.1.backward.kernel", []int{12, 20}}, {"lstm.1.backward.recurrent_kernel", []int{5, 20}}, {"lstm.1.backward.bias", []int{20}},
		{"dense.kernel", []int{10, 3}}, {"dense.bias", []int{3}},
	}
	checkParamLayout(t, c, want)
	ps := c.Params()
	// The shapes the model file expects are the same.
	i := 0
	for name, shape := range paramShapes(cfg, 30, 0, 3) {
		if i >= len(ps) || name != ps[i].Name || !slices.Equal(shape, ps[i].Shape) {
			t.Errorf("paramShapes %d: %s %v, want Params' %v", i, name, shape, ps[min(i, len(ps)-1)].Name)
		}
		i++
	}
	if i != len(ps) {
		t.Errorf("paramShapes yields %d tensors, Params %d", i, len(ps))
	}
	if !c.BackLSTMs[0].GoBackwards || c.LSTMs[0].GoBackwards || !c.BackLSTMs[0].ReturnSequences || c.BackLSTMs[1].ReturnSequences {
		t.Error("flags of the backward layers")
	}

	// Init: the backward LSTMs get their own draws, Keras-distributed.
	c.Init(rand.New(rand.NewPCG(9, 9)))
	for k := range c.LSTMs {
		fw, bw := c.LSTMs[k], c.BackLSTMs[k]
		if slices.Equal(fw.Kernel.Data, bw.Kernel.Data) || slices.Equal(fw.Recurrent.Data, bw.Recurrent.Data) {
			t.Errorf("layer %d: backward weights equal the forward ones", k)
		}
		if !slices.Equal(fw.Bias.Data, bw.Bias.Data) || bw.Bias.Data[bw.Units] != 1 || bw.Bias.Data[0] != 0 {
			t.Errorf("layer %d: backward bias %v", k, bw.Bias.Data)
		}
		limit := math.Sqrt(6 / float64(bw.In+4*bw.Units))
		for _, v := range bw.Kernel.Data {
			if math.Abs(float64(v)) > limit {
				t.Fatalf("layer %d backward kernel %g beyond the Glorot limit %g", k, v, limit)
			}
		}
		H, U := bw.Units, bw.Recurrent.Data
		for a := 0; a < H; a++ {
			var d float64
			for p := 0; p < 4*H; p++ {
				d += float64(U[a*4*H+p]) * float64(U[a*4*H+p])
			}
			if math.Abs(d-1) > 1e-5 {
				t.Fatalf("layer %d backward recurrent kernel row %d has norm² %g", k, a, d)
			}
		}
	}
	if lim := math.Sqrt(6 / float64(10+3)); math.Abs(float64(c.Dense.Kernel.Data[0])) > lim {
		t.Error("dense kernel beyond its Glorot limit (fan_in 2H)")
	}
	// A unidirectional model draws the same embedding and first LSTM from the
	// same seed: Init order is layer by layer.
	u := mustNew(t, Config{EmbeddingDim: 8, LSTM: []int{6, 5}, MaskPadding: true}, 30, 3)
	u.Init(rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(u.Embedding.Weights.Data, c.Embedding.Weights.Data) || !slices.Equal(u.LSTMs[0].Kernel.Data, c.LSTMs[0].Kernel.Data) {
		t.Error("Init of a bidirectional model does not start like the unidirectional one")
	}
}

// optionConfigs are the option combinations the numerics tests run.
func optionConfigs() []Config {
	var out []Config
	for _, lstm := range [][]int{{4}, {4, 3}} {
		for _, masked := range []bool{true, false} {
			for _, bidi := range []bool{false, true} {
				for _, pool := range []string{PoolLast, PoolMean, PoolMax} {
					if !bidi && pool == PoolLast {
						continue // the Keras model: covered by grad_test.go
					}
					out = append(out, Config{EmbeddingDim: 3, LSTM: lstm, MaskPadding: masked, Bidirectional: bidi, Pooling: pool})
				}
			}
		}
	}
	return out
}

func cfgName(c Config) string {
	s := fmt.Sprintf("%v_mask%v", c.LSTM, c.MaskPadding)
	if c.Bidirectional {
		s += "_bidi"
	}
	s += "_" + c.pooling()
	for _, d := range []struct {
		n string
		v float64
	}{{"drop", c.Dropout}, {"rdrop", c.RecurrentDropout}, {"ddrop", c.DenseDropout}, {"edrop", c.EmbeddingDropout}} {
		if d.v > 0 {
			s += fmt.Sprintf("_%s%g", d.n, d.v)
		}
	}
	return s
}

// noiseKeys returns B distinct dropout keys.
func noiseKeys(rng *rand.Rand, B int) []uint64 {
	k := make([]uint64, B)
	for i := range k {
		k[i] = rng.Uint64()
	}
	return k
}

// checkClassifierGradients checks every gradient of c on in by central
// differences of the summed cross-entropy, and returns the number of
// coordinates checked. Max pooling is not differentiable where two steps tie
// for a maximum: a coordinate whose ±fdEps perturbation moves any maximum to
// another step straddles such a kink and is left out (at most a fifth of
// them may be).
func checkClassifierGradients(t *testing.T, c *Classifier, in Input, labels []int) int {
	t.Helper()
	C := c.Classes
	s := c.NewState()
	loss := func() float64 {
		l, _ := softmaxCE(c.Forward(s, in), labels, C)
		return l
	}
	_, dlogits := softmaxCE(c.Forward(s, in), labels, C)
	var base []int32
	if c.Config.pooling() == PoolMax {
		base = slices.Clone(s.argmax)
	}
	grads := c.NewGrads()
	c.Backward(s, dlogits, grads)
	n, all := 0, 0
	for i, p := range c.Params() {
		var idx []int
		for j := range p.Data {
			smooth := true
			if base != nil {
				old := p.Data[j]
				for _, e := range []float32{fdEps, -fdEps} {
					p.Data[j] = old + e
					c.Forward(s, in)
					smooth = smooth && slices.Equal(s.argmax, base)
				}
				p.Data[j] = old
			}
			if smooth {
				idx = append(idx, j)
			}
		}
		all += len(p.Data)
		if len(idx) > 0 {
			n += fdCheck(t, p.Name, p.Data, grads[i].Data, idx, loss)
		}
	}
	if base != nil {
		t.Logf("max pooling: %d of %d coordinates away from a kink", n, all)
	}
	if n < all*4/5 {
		t.Errorf("only %d of %d coordinates away from a max-pooling kink", n, all)
	}
	return n
}

// TestOptionGradients checks every gradient of classifiers with mean and max
// pooling and bidirectional layers (1 and 2 layers, masked and unmasked,
// with empty sequences) by central differences.
func TestOptionGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 1))
	for _, cfg := range optionConfigs() {
		t.Run(cfgName(cfg), func(t *testing.T) {
			const V, C, B, T = 7, 3, 5, 4
			c := mustNew(t, cfg, V, C)
			c.Init(rng)
			perturbModel(c, rng)
			in := randomBatch(rng, V, T, []int{T, 3, 3, 1, 0}, cfg.MaskPadding)
			if !cfg.MaskPadding {
				in.Tokens[3*B+2] = 0
			}
			labels := []int{0, 2, 1, 1, 2}
			if n := checkClassifierGradients(t, c, in, labels); n < 150 {
				t.Fatalf("only %d coordinates checked", n)
			}
		})
	}
}

// TestDropoutGradients: with Train set the masks are fixed by Noise, the loss
// is a deterministic function of the weights, and its gradient is checked by
// central differences, for every kind of dropout alone and all together.
func TestDropoutGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 1))
	type rates struct{ in, rec, dense, emb, tok float64 }
	for _, tc := range []struct {
		lstm   []int
		masked bool
		bidi   bool
		pool   string
		r      rates
	}{
		{[]int{4, 3}, true, false, PoolLast, rates{in: 0.4}},
		{[]int{4, 3}, true, false, PoolLast, rates{rec: 0.4}},
		{[]int{4, 3}, false, false, PoolLast, rates{rec: 0.3}},
		{[]int{4, 3}, true, false, PoolLast, rates{dense: 0.5}},
		{[]int{4, 3}, true, false, PoolLast, rates{emb: 0.4}},
		{[]int{4, 3}, true, false, PoolLast, rates{tok: 0.5}},
		{[]int{4, 3}, true, true, PoolMax, rates{0.3, 0.3, 0.3, 0.3, 0.3}},
		{[]int{4, 3}, false, true, PoolMean, rates{0.3, 0.3, 0.3, 0.3, 0.3}},
		{[]int{5}, true, true, PoolLast, rates{0.3, 0.4, 0, 0, 0}},
	} {
		cfg := Config{EmbeddingDim: 3, LSTM: tc.lstm, MaskPadding: tc.masked, Bidirectional: tc.bidi, Pooling: tc.pool,
			Dropout: tc.r.in, RecurrentDropout: tc.r.rec, DenseDropout: tc.r.dense, EmbeddingDropout: tc.r.emb, TokenDropout: tc.r.tok}
		t.Run(cfgName(cfg), func(t *testing.T) {
			const V, C, B, T = 7, 3, 5, 4
			c := mustNew(t, cfg, V, C)
			c.Init(rng)
			perturbModel(c, rng)
			in := randomBatch(rng, V, T, []int{T, 3, 3, 1, 0}, tc.masked)
			in.Train, in.Noise = true, noiseKeys(rng, B)
			labels := []int{1, 2, 0, 1, 2}
			checkClassifierGradients(t, c, in, labels)
			// The masks really drop something: without Train the logits differ.
			s := c.NewState()
			on := slices.Clone(c.Forward(s, in))
			in.Train = false
			off := c.Forward(s, in)
			if slices.Equal(on[:4*C], off[:4*C]) {
				t.Error("dropout changed nothing")
			}
		})
	}
}

// TestLSTMLayerDropoutGradients checks one layer's gradients under input and
// recurrent dropout (masks fixed), including dx, at the layer level.
func TestLSTMLayerDropoutGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 1))
	for _, masked := range []bool{true, false} {
		const in, H, T = 3, 4, 5
		lengths := []int{5, 4, 2, 0}
		B := len(lengths)
		l := NewLSTM(0, in, H, true)
		l.Init(rng)
		for _, p := range l.Params() {
			for i := range p.Data {
				p.Data[i] += float32(0.5 * (2*rng.Float64() - 1))
			}
		}
		var p packing
		p.build(B, T, lengths, masked)
		x := randVec(rng, p.N*in, 1)
		wOut := randVec(rng, p.N*H, 1)
		var s lstmState
		s.reserve(l, B, p.N, true, true)
		noise := noiseKeys(rng, B)
		fillMasks(s.imask, noise, 1, in, 0.4)
		fillMasks(s.rmask, noise, 2, H, 0.4)
		if !slices.Contains(s.imask, 0) || !slices.Contains(s.rmask, 0) {
			t.Fatal("masks drop nothing")
		}
		loss := func() float64 {
			l.forward(&s, &p, x)
			return dot64(wOut, s.hs[:p.N*H])
		}
		loss()
		dW := make([]float32, len(l.Kernel.Data))
		dU := make([]float32, len(l.Recurrent.Data))
		db := make([]float32, len(l.Bias.Data))
		l.backward(&s, &p, x, wOut, nil, dW, dU, db, true)
		dx := slices.Clone(s.dx[:p.N*in])
		name := fmt.Sprintf("masked%v ", masked)
		fdCheck(t, name+"kernel", l.Kernel.Data, dW, nil, loss)
		fdCheck(t, name+"recurrent_kernel", l.Recurrent.Data, dU, nil, loss)
		fdCheck(t, name+"bias", l.Bias.Data, db, nil, loss)
		fdCheck(t, name+"x", x, dx, nil, loss)
	}
}

// TestOptionsMatchReference compares Forward with an independent float64
// implementation (refOptLogits) for every option combination, with and
// without dropout: masked, each sample padded after and before its tokens
// gives the same reference logits (the padding side does not matter), and
// each sample run alone without padding gives its logits in the batch;
// unmasked, padding is an ordinary token and the side matters.
func TestOptionsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 1))
	cfgs := optionConfigs()
	for i := range cfgs {
		if i%2 == 0 { // some of them with every dropout on
			cfgs[i].Dropout, cfgs[i].RecurrentDropout, cfgs[i].DenseDropout, cfgs[i].EmbeddingDropout = 0.3, 0.25, 0.5, 0.2
		}
	}
	for _, cfg := range cfgs {
		for _, train := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_train%v", cfgName(cfg), train), func(t *testing.T) {
				const V, E, C, B, T = 40, 3, 4, 7, 9
				c := mustNew(t, cfg, V, C)
				c.Init(rng)
				perturbModel(c, rng)
				lengths := randomLengths(rng, B, T)
				noise := noiseKeys(rng, B)
				if cfg.MaskPadding {
					in := randomBatch(rng, V, T, lengths, true)
					in.Train, in.Noise = train, noise
					got := slices.Clone(c.Forward(c.NewState(), in))
					for b := 0; b < B; b++ {
						for _, pre := range []bool{false, true} {
							want := refOptLogits(c, sampleRow(in, b, pre), true, train, noise[b])
							closeLogits(t, fmt.Sprintf("sample %d (length %d, pre %v)", b, in.Lengths[b], pre), got[b*C:(b+1)*C], want)
						}
						l := in.Lengths[b]
						one := Input{Tokens: make([]int32, l), Lengths: []int{l}, B: 1, T: l, Train: train, Noise: noise[b : b+1]}
						for t := 0; t < l; t++ {
							one.Tokens[t] = in.Tokens[t*B+b]
						}
						alone := c.Forward(c.NewState(), one)
						for j := 0; j < C; j++ {
							if d := math.Abs(float64(alone[j] - got[b*C+j])); d > 1e-5*(1+math.Abs(float64(alone[j]))) {
								t.Fatalf("sample %d alone: logit %d = %g, in the batch %g", b, j, alone[j], got[b*C+j])
							}
						}
						if l == 0 && !train {
							for j := 0; j < C; j++ {
								if got[b*C+j] != c.Dense.Bias.Data[j] {
									t.Fatalf("empty sample %d: logits %v, want the dense bias", b, got[b*C:(b+1)*C])
								}
							}
						}
					}
					return
				}
				diff := false
				for _, pre := range []bool{false, true} {
					ref := randomBatch(rng, V, T, lengths, false)
					in := Input{Tokens: make([]int32, T*B), B: B, T: T, Train: train, Noise: noise}
					rows := make([][]int32, B)
					for b := 0; b < B; b++ {
						rows[b] = sampleRow(ref, b, pre)
						for t := 0; t < T; t++ {
							in.Tokens[t*B+b] = rows[b][t]
						}
					}
					got := c.Forward(c.NewState(), in)
					for b := 0; b < B; b++ {
						want := refOptLogits(c, rows[b], false, train, noise[b])
						closeLogits(t, fmt.Sprintf("pre %v sample %d", pre, b), got[b*C:(b+1)*C], want)
						masked := refOptLogits(c, rows[b], true, train, noise[b])
						if lengths[b] < T && math.Abs(masked[0]-want[0]) > 1e-6 {
							diff = true
						}
					}
				}
				if !diff {
					t.Error("padding made no difference without masking")
				}
			})
		}
	}
}

func closeLogits(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for j, w := range want {
		if g := float64(got[j]); math.Abs(g-w) > 2e-5*(1+math.Abs(w)) {
			t.Fatalf("%s logit %d: %g, want %g", what, j, g, w)
		}
	}
}

// TestTrainFalseIsExact: with Train false the dropout rates change nothing,
// bit for bit (logits and gradients), and with Train true but every rate 0
// neither; Noise is then not needed.
func TestTrainFalseIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 1))
	for _, base := range []Config{
		{EmbeddingDim: 5, LSTM: []int{6, 4}, MaskPadding: true},
		{EmbeddingDim: 5, LSTM: []int{6, 4}, MaskPadding: false, Bidirectional: true, Pooling: PoolMax},
	} {
		drop := base
		drop.Dropout, drop.RecurrentDropout, drop.DenseDropout, drop.EmbeddingDropout, drop.TokenDropout = 0.5, 0.5, 0.5, 0.5, 0.5
		a, b := mustNew(t, base, 30, 3), mustNew(t, drop, 30, 3)
		a.Init(rng)
		for i, p := range a.Params() {
			copy(b.Params()[i].Data, p.Data)
		}
		in := randomBatch(rng, 30, 8, randomLengths(rng, 6, 8), true)
		dl := randVec(rng, 6*3, 1)
		run := func(c *Classifier, in Input) ([]float32, []*Tensor) {
			s := c.NewState()
			logits := slices.Clone(c.Forward(s, in))
			g := c.NewGrads()
			c.Backward(s, dl, g)
			return logits, g
		}
		la, ga := run(a, in)
		lb, gb := run(b, in) // Train false, Noise nil: no dropout
		trained := in
		trained.Train = true // rates 0: nothing to drop, Noise not needed
		lc, gc := run(a, trained)
		for _, other := range []struct {
			name string
			l    []float32
			g    []*Tensor
		}{{"rates set, Train false", lb, gb}, {"Train true, rates 0", lc, gc}} {
			if !slices.Equal(la, other.l) {
				t.Errorf("%s: logits differ", other.name)
			}
			for i := range ga {
				if !slices.Equal(ga[i].Data, other.g[i].Data) {
					t.Errorf("%s: gradient %s differs", other.name, ga[i].Name)
				}
			}
		}
		trained.Noise = noiseKeys(rng, 6)
		ld, _ := run(b, trained)
		if slices.Equal(la, ld) {
			t.Error("Train true with rates 0.5 gave the logits without dropout")
		}
		short := trained
		short.Noise = short.Noise[:5]
		expectPanic(t, "Noise too short", func() { b.Forward(b.NewState(), short) })
	}
}

// TestDropoutIndependentOfBatch: a sample's masks depend only on its Noise
// key: alone, or at another place in another batch, it gets the same logits
// and, summed over samples, the same gradients; another key gives other
// masks.
func TestDropoutIndependentOfBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(36, 1))
	for _, masked := range []bool{true, false} {
		cfg := Config{EmbeddingDim: 5, LSTM: []int{6, 4}, MaskPadding: masked, Bidirectional: true, Pooling: PoolMean,
			Dropout: 0.3, RecurrentDropout: 0.3, DenseDropout: 0.3, EmbeddingDropout: 0.3, TokenDropout: 0.3}
		const V, C, B, T = 30, 3, 6, 7
		c := mustNew(t, cfg, V, C)
		c.Init(rng)
		perturbModel(c, rng)
		lengths := []int{7, 7, 5, 3, 3, 1}
		if !masked {
			lengths = []int{T, T, T, T, T, T}
		}
		in := randomBatch(rng, V, T, lengths, false)
		in.Train, in.Noise = true, noiseKeys(rng, B)
		labels := []int{0, 1, 2, 0, 1, 2}
		s := c.NewState()
		got := slices.Clone(c.Forward(s, in))
		_, dl := softmaxCE(got, labels, C)
		batchGrads := c.NewGrads()
		c.Backward(s, dl, batchGrads)

		sumGrads := c.NewGrads()
		for b := 0; b < B; b++ {
			l := lengths[b]
			one := Input{Tokens: make([]int32, l), Lengths: []int{l}, B: 1, T: l, Train: true, Noise: in.Noise[b : b+1]}
			for t := 0; t < l; t++ {
				one.Tokens[t] = in.Tokens[t*B+b]
			}
			alone := c.Forward(s, one)
			for j := 0; j < C; j++ {
				if d := math.Abs(float64(alone[j] - got[b*C+j])); d > 1e-5*(1+math.Abs(float64(got[b*C+j]))) {
					t.Fatalf("masked %v sample %d alone: logit %d = %g, in the batch %g", masked, b, j, alone[j], got[b*C+j])
				}
			}
			_, d1 := softmaxCE(alone, labels[b:b+1], C)
			c.Backward(s, d1, sumGrads)
		}
		for i, g := range batchGrads {
			var scale float64
			for _, v := range g.Data {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for j, v := range g.Data {
				if math.Abs(float64(v-sumGrads[i].Data[j])) > 1e-5*(1+scale) {
					t.Fatalf("masked %v %s[%d]: batch gradient %g, sum over samples alone %g", masked, g.Name, j, v, sumGrads[i].Data[j])
				}
			}
		}
		// The same batch in reverse order (a sample elsewhere in the batch).
		perm := Input{Tokens: make([]int32, T*B), Lengths: slices.Clone(lengths), B: B, T: T, Train: true, Noise: make([]uint64, B)}
		if masked {
			// Lengths must stay non-increasing: swap two samples of equal length.
			copy(perm.Tokens, in.Tokens)
			copy(perm.Noise, in.Noise)
			for tt := 0; tt < T; tt++ {
				perm.Tokens[tt*B+3], perm.Tokens[tt*B+4] = in.Tokens[tt*B+4], in.Tokens[tt*B+3]
			}
			perm.Noise[3], perm.Noise[4] = in.Noise[4], in.Noise[3]
			pg := c.Forward(s, perm)
			for j := 0; j < C; j++ {
				if pg[3*C+j] != got[4*C+j] || pg[4*C+j] != got[3*C+j] {
					t.Fatalf("swapping samples 3 and 4 changed their logits")
				}
			}
		} else {
			for b := 0; b < B; b++ {
				perm.Noise[b] = in.Noise[B-1-b]
				for tt := 0; tt < T; tt++ {
					perm.Tokens[tt*B+b] = in.Tokens[tt*B+B-1-b]
				}
			}
			pg := c.Forward(s, perm)
			for b := 0; b < B; b++ {
				for j := 0; j < C; j++ {
					if d := math.Abs(float64(pg[b*C+j] - got[(B-1-b)*C+j])); d > 1e-5 {
						t.Fatalf("reversed batch: sample %d logit %d = %g, was %g", b, j, pg[b*C+j], got[(B-1-b)*C+j])
					}
				}
			}
		}
		// Another key for sample 0: other masks, other logits.
		in.Noise[0]++
		other := c.Forward(s, in)
		if slices.Equal(other[:C], got[:C]) {
			t.Error("a different Noise key gave the same logits")
		}
		if !slices.Equal(other[C:], got[C:]) {
			t.Error("changing sample 0's key changed other samples")
		}
	}
}

// TestDropTokens: about rate of the real tokens become [UNK]; padding and
// [UNK] stay; a sample's choices depend only on its key; the embedding
// gradient then reaches the [UNK] row and not the dropped tokens' rows.
func TestDropTokens(t *testing.T) {
	const B, T, rate = 40, 50, 0.25
	lengths := make([]int, B)
	for b := range lengths {
		lengths[b] = T - b
	}
	var p packing
	p.build(B, T, lengths, true)
	ids := make([]int32, p.N)
	for i := range ids {
		ids[i] = int32(2 + i%5)
	}
	ids[p.off[0]+0] = UnknownID // an [UNK] token stays [UNK]
	noise := make([]uint64, B)
	for b := range noise {
		noise[b] = uint64(1000 + b)
	}
	got := slices.Clone(ids)
	dropTokens(got, noise, &p, maskStream(0, 0, maskToken), rate)
	dropped := 0
	for i, id := range got {
		switch {
		case id == ids[i]:
		case id == UnknownID:
			dropped++
		default:
			t.Fatalf("row %d: %d became %d", i, ids[i], id)
		}
	}
	if f := float64(dropped) / float64(p.N); math.Abs(f-rate) > 0.03 {
		t.Errorf("dropped %.3f of the tokens, rate %v", f, rate)
	}
	// Sample 7 alone, with its key, makes the same choices.
	var one packing
	one.build(1, lengths[7], lengths[7:8], true)
	alone := make([]int32, one.N)
	for tt := range alone {
		alone[tt] = ids[p.off[tt]+7]
	}
	dropTokens(alone, noise[7:8], &one, maskStream(0, 0, maskToken), rate)
	for tt, id := range alone {
		if id != got[p.off[tt]+7] {
			t.Fatalf("sample 7 step %d alone: %d, in the batch: %d", tt, id, got[p.off[tt]+7])
		}
	}
	// Padding (unmasked batches) is never replaced.
	var pad packing
	pad.build(1, 8, nil, false)
	zeros := make([]int32, 8)
	dropTokens(zeros, []uint64{3}, &pad, maskStream(0, 0, maskToken), 0.9)
	if !slices.Equal(zeros, make([]int32, 8)) {
		t.Errorf("padding replaced: %v", zeros)
	}

	// Through the classifier: rate 0.99 drops all three tokens (key 42), so
	// the embedding gradient goes to [UNK] alone.
	cfg := Config{EmbeddingDim: 3, LSTM: []int{4}, MaskPadding: true, TokenDropout: 0.99}
	c := mustNew(t, cfg, 10, 2)
	c.Init(rand.New(rand.NewPCG(37, 1)))
	in := Input{Tokens: []int32{5, 6, 7}, Lengths: []int{3}, B: 1, T: 3, Train: true, Noise: []uint64{42}}
	s := c.NewState()
	logits := c.Forward(s, in)
	_, dl := softmaxCE(slices.Clone(logits), []int{1}, 2)
	g := c.NewGrads()
	c.Backward(s, dl, g)
	emb := g[0].Data
	if g[0].Name != "embedding.embeddings" {
		t.Fatalf("first gradient is %s", g[0].Name)
	}
	if slices.Equal(emb[UnknownID*3:UnknownID*3+3], make([]float32, 3)) {
		t.Error("no gradient reached the [UNK] row")
	}
	if !slices.Equal(emb[5*3:8*3], make([]float32, 9)) {
		t.Error("dropped tokens' rows got a gradient")
	}
}

// TestFillMasks: the drop fraction is close to the rate, kept entries are
// 1/(1-rate), rows depend only on their key and stream.
func TestFillMasks(t *testing.T) {
	const B, W = 64, 257
	noise := noiseKeys(rand.New(rand.NewPCG(37, 1)), B)
	for _, rate := range []float64{0.1, 0.5, 0.9} {
		m := make([]float32, B*W)
		fillMasks(m, noise, maskStream(1, 0, maskInput), W, rate)
		keep := float32(1 / (1 - rate))
		zeros := 0
		for _, v := range m {
			switch v {
			case 0:
				zeros++
			case keep:
			default:
				t.Fatalf("rate %g: mask value %g, want 0 or %g", rate, v, keep)
			}
		}
		if f := float64(zeros) / float64(B*W); math.Abs(f-rate) > 0.02 {
			t.Errorf("rate %g: dropped fraction %g", rate, f)
		}
		one := make([]float32, W)
		fillMasks(one, noise[5:6], maskStream(1, 0, maskInput), W, rate)
		if !slices.Equal(one, m[5*W:6*W]) {
			t.Errorf("rate %g: row 5 alone differs from row 5 in the batch", rate)
		}
		for _, st := range []uint64{maskStream(2, 0, maskInput), maskStream(1, 1, maskInput), maskStream(1, 0, maskRecurrent)} {
			fillMasks(one, noise[5:6], st, W, rate)
			if slices.Equal(one, m[5*W:6*W]) {
				t.Errorf("rate %g: another layer, direction or kind gave the same mask", rate)
			}
		}
	}
	// Masks of different streams are uncorrelated (a weak check of the
	// stream mixing): agreement of two rate-0.5 masks is near 1/2.
	a, b := make([]float32, B*W), make([]float32, B*W)
	fillMasks(a, noise, maskStream(0, 0, maskInput), W, 0.5)
	fillMasks(b, noise, maskStream(0, 1, maskInput), W, 0.5)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if f := float64(same) / float64(len(a)); math.Abs(f-0.5) > 0.02 {
		t.Errorf("two streams agree on %g of the entries", f)
	}
}

// TestBidirectionalEmptyBatches: all-empty batches and B = 0 with every
// option on.
func TestOptionsEmptyBatches(t *testing.T) {
	for _, pool := range []string{PoolLast, PoolMean, PoolMax} {
		for _, masked := range []bool{true, false} {
			cfg := Config{EmbeddingDim: 3, LSTM: []int{4, 2}, MaskPadding: masked, Bidirectional: true, Pooling: pool,
				Dropout: 0.5, RecurrentDropout: 0.5, DenseDropout: 0.5, EmbeddingDropout: 0.5}
			c := mustNew(t, cfg, 10, 3)
			c.Init(rand.New(rand.NewPCG(1, 2)))
			copy(c.Dense.Bias.Data, []float32{0.5, -1, 2})
			s := c.NewState()
			inputs := []Input{{Tokens: nil, Lengths: []int{0, 0}, B: 2, T: 0, Train: true, Noise: []uint64{1, 2}}}
			if masked {
				inputs = append(inputs, Input{Tokens: make([]int32, 6), Lengths: []int{0, 0}, B: 2, T: 3, Train: true, Noise: []uint64{1, 2}})
			}
			for _, in := range inputs {
				logits := c.Forward(s, in)
				for i, v := range logits {
					if v != c.Dense.Bias.Data[i%3] {
						t.Fatalf("%s masked %v T %d: logits %v, want the bias twice", pool, masked, in.T, logits)
					}
				}
				g := c.NewGrads()
				c.Backward(s, []float32{1, 2, 3, 4, 5, 6}, g)
				for _, p := range g {
					for j, v := range p.Data {
						want := float32(0)
						if p.Name == "dense.bias" {
							want = []float32{5, 7, 9}[j]
						}
						if v != want {
							t.Fatalf("%s: gradient %s[%d] = %g, want %g", pool, p.Name, j, v, want)
						}
					}
				}
			}
			if got := c.Forward(s, Input{B: 0, T: 5, Lengths: []int{}, Train: true}); len(got) != 0 {
				t.Fatalf("B=0: %d logits", len(got))
			}
			c.Backward(s, nil, c.NewGrads())
		}
	}
}

// TestMaxPoolingRouting: the gradient of max pooling reaches exactly the
// step that held each maximum (a hand-built case), and mean pooling divides
// by the real length.
func TestPoolingReadout(t *testing.T) {
	for _, pool := range []string{PoolMean, PoolMax} {
		cfg := Config{EmbeddingDim: 2, LSTM: []int{3}, MaskPadding: true, Pooling: pool}
		c := mustNew(t, cfg, 10, 2)
		c.Init(rand.New(rand.NewPCG(4, 4)))
		in := randomBatch(rand.New(rand.NewPCG(5, 5)), 10, 4, []int{4, 2, 0}, true)
		s := c.NewState()
		c.Forward(s, in)
		p := &s.pack
		hs := s.layers[0].dir[0].hs
		for b := 0; b < 3; b++ {
			for j := 0; j < 3; j++ {
				want := float32(0)
				for t := 0; t < p.lens[b]; t++ {
					v := hs[(p.off[t]+b)*3+j]
					switch {
					case pool == PoolMean:
						want += v
					case t == 0 || v > want:
						want = v
					}
				}
				if pool == PoolMean && p.lens[b] > 0 {
					want /= float32(p.lens[b])
				}
				if got := s.hFinal[b*3+j]; math.Abs(float64(got-want)) > 1e-6 {
					t.Errorf("%s sample %d unit %d: %g, want %g", pool, b, j, got, want)
				}
			}
		}
	}
}

// TestOptionsNoAlloc: with every option on (bidirectional, pooling,
// dropout in training), Forward and Backward allocate nothing once a State
// has seen its largest batch, also for smaller batches and in inference.
func TestOptionsNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, pool := range []string{PoolLast, PoolMean, PoolMax} {
		for _, masked := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(38, 5))
			cfg := Config{EmbeddingDim: 8, LSTM: []int{8, 6}, MaskPadding: masked, Bidirectional: true, Pooling: pool,
				Dropout: 0.2, RecurrentDropout: 0.2, DenseDropout: 0.2, EmbeddingDropout: 0.2}
			c := mustNew(t, cfg, 50, 4)
			c.Init(rng)
			big := randomBatch(rng, 50, 12, randomLengths(rng, 16, 12), true)
			big.Lengths[1] = 12
			big.Train, big.Noise = true, noiseKeys(rng, 16)
			small := randomBatch(rng, 50, 5, randomLengths(rng, 9, 5), true)
			small.Train, small.Noise = true, noiseKeys(rng, 9)
			infer := small
			infer.Train = false
			s := c.NewState()
			grads := c.NewGrads()
			dl := randVec(rng, 16*4, 1)
			step := func(in Input) {
				c.Forward(s, in)
				c.Backward(s, dl[:in.B*4], grads)
			}
			step(big)
			for name, in := range map[string]Input{"big": big, "small": small, "inference": infer} {
				if a := testing.AllocsPerRun(20, func() { step(in) }); a != 0 {
					t.Errorf("%s masked %v %s batch: %v allocations per Forward+Backward", pool, masked, name, a)
				}
			}
		}
	}
}

// TestOptionsModelFile: a bidirectional model with pooling and dropout
// saves and loads with its backward tensors and 2H-wide dense kernel, and
// predicts the same; a config that disagrees with the tensors is refused.
func TestOptionsModelFile(t *testing.T) {
	cfg := Config{EmbeddingDim: 3, LSTM: []int{4, 2}, MaskPadding: true, Bidirectional: true, Pooling: PoolMax,
		Dropout: 0.25, RecurrentDropout: 0.1, DenseDropout: 0.5}
	c := mustNew(t, cfg, 5, 3)
	c.Init(rand.New(rand.NewPCG(8, 1)))
	m := Meta{Vocab: []string{"", "[UNK]", "a", "b", "c"}, Labels: []string{"x", "y", "z"}}
	dir := t.TempDir()
	path := mustSave(t, dir, c, m)
	got, gm, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, got.Params(), c.Params())
	if fmt.Sprint(got.Config) != fmt.Sprint(c.Config) {
		t.Errorf("loaded config %+v, want %+v", got.Config, c.Config)
	}
	want := `{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true,"pooling":"max","dropout":0.25,"recurrent_dropout":0.1,"dense_dropout":0.5}}`
	if string(gm.Config) != want {
		t.Errorf("stored config %s, want %s", gm.Config, want)
	}
	in := randomBatch(rand.New(rand.NewPCG(8, 2)), 5, 6, []int{6, 3, 0}, true)
	if a, b := c.Forward(c.NewState(), in), got.Forward(got.NewState(), in); !slices.Equal(a, b) {
		t.Errorf("loaded model predicts %v, want %v", b, a)
	}
	// Dropout rates are training settings: a stored config that differs only
	// in them still describes the classifier; pooling or direction do not.
	m.Config = json.RawMessage(`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true,"pooling":"max"}}`)
	if err := Save(path, c, m); err != nil {
		t.Errorf("dropout-free config refused: %v", err)
	}
	for _, bad := range []string{
		`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true}}`,
		`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"pooling":"max"}}`,
	} {
		m.Config = json.RawMessage(bad)
		if err := Save(path, c, m); err == nil || !strings.Contains(err.Error(), "does not describe the classifier") {
			t.Errorf("config %s: error %v", bad, err)
		}
	}
	// A file whose config claims the wrong direction or pooling is refused.
	for _, tc := range []struct{ config, msg string }{
		{`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true}}`, `tensor "lstm.1.kernel" has shape [8 8], expected [4 8]`},
		{`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true,"pooling":"sum"}}`, "pooling must be"},
		{`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true,"dropout":1}}`, "dropout must be in [0, 1)"},
	} {
		ts, meta := rawParts(t, c, Meta{Vocab: m.Vocab, Labels: m.Labels})
		meta["config"] = tc.config
		p := filepath.Join(dir, "bad.safetensors")
		writeRaw(t, p, ts, meta)
		if _, _, err := Load(p); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("config %s: error %v, want %q", tc.config, err, tc.msg)
		}
	}
	// A unidirectional file does not load as bidirectional.
	u := mustNew(t, Config{EmbeddingDim: 3, LSTM: []int{4, 2}, MaskPadding: true}, 5, 3)
	ts, meta := rawParts(t, u, Meta{Vocab: m.Vocab, Labels: m.Labels})
	meta["config"] = `{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"bidirectional":true}}`
	p := filepath.Join(dir, "uni.safetensors")
	writeRaw(t, p, ts, meta)
	if _, _, err := Load(p); err == nil || !strings.Contains(err.Error(), "lstm.0.backward.kernel") {
		t.Errorf("unidirectional tensors under a bidirectional config: error %v", err)
	}
}

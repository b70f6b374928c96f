package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		V, C int
	}{
		{Config{EmbeddingDim: 0, LSTM: []int{4}}, 10, 2},
		{Config{EmbeddingDim: 4, LSTM: nil}, 10, 2},
		{Config{EmbeddingDim: 4, LSTM: []int{4, 0}}, 10, 2},
		{DefaultConfig(), 0, 2},
		{DefaultConfig(), 10, 0},
	} {
		if _, err := New(tc.cfg, tc.V, tc.C); err == nil {
			t.Errorf("New(%+v, %d, %d): no error", tc.cfg, tc.V, tc.C)
		}
	}
}

type namedShape struct {
	name  string
	shape []int
}

// checkParamLayout checks the names and shapes of Params and NewGrads.
func checkParamLayout(t *testing.T, c *Classifier, want []namedShape) {
	t.Helper()
	ps, gs := c.Params(), c.NewGrads()
	if len(ps) != len(want) || len(gs) != len(want) {
		t.Fatalf("%d params, %d grads, want %d", len(ps), len(gs), len(want))
	}
	for i, w := range want {
		for _, p := range []*Tensor{ps[i], gs[i]} {
			if p.Name != w.name || fmt.Sprint(p.Shape) != fmt.Sprint(w.shape) || len(p.Data) != numel(w.shape) {
				t.Errorf("tensor %d: %s %v (%d values), want %s %v", i, p.Name, p.Shape, len(p.Data), w.name, w.shape)
			}
		}
	}
}

func TestParamsNamesAndShapes(t *testing.T) {
	cfg := Config{EmbeddingDim: 8, LSTM: []int{6, 5, 4}, MaskPadding: true}
	c := mustNew(t, cfg, 30, 3)
	want := []namedShape{
		{"embedding.embeddings", []int{30, 8}},
		{"lstm.0.kernel", []int{8, 24}}, {"lstm.0.recurrent_kernel", []int{6, 24}}, {"lstm.0.bias", []int{24}},
		{"lstm.1.kernel", []int{6, 20}}, {"lstm.1.recurrent_kernel", []int{5, 20}}, {"lstm.1.bias", []int{20}},
		{"lstm.2.kernel", []int{5, 16}}, {"lstm.2.recurrent_kernel", []int{4, 16}}, {"lstm.2.bias", []int{16}},
		{"dense.kernel", []int{4, 3}}, {"dense.bias", []int{3}},
	}
	checkParamLayout(t, c, want)
}

func TestInit(t *testing.T) {
	cfg := Config{EmbeddingDim: 16, LSTM: []int{24, 8}, MaskPadding: true}
	a := mustNew(t, cfg, 500, 5)
	b := mustNew(t, cfg, 500, 5)
	a.Init(rand.New(rand.NewPCG(42, 7)))
	b.Init(rand.New(rand.NewPCG(42, 7)))
	for i, p := range a.Params() {
		for j, v := range p.Data {
			if v != b.Params()[i].Data[j] {
				t.Fatalf("Init is not deterministic: %s[%d]", p.Name, j)
			}
		}
	}
	other := mustNew(t, cfg, 500, 5)
	other.Init(rand.New(rand.NewPCG(43, 7)))
	if other.LSTMs[0].Kernel.Data[0] == a.LSTMs[0].Kernel.Data[0] {
		t.Error("different seeds gave the same kernel")
	}

	checkUniform := func(name string, w []float32, limit float64) {
		t.Helper()
		var maxAbs, sum float64
		for _, v := range w {
			maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
			sum += float64(v)
		}
		if maxAbs > limit*(1+1e-6) || maxAbs < 0.9*limit {
			t.Errorf("%s: max |w| = %g, want just below the limit %g", name, maxAbs, limit)
		}
		if mean := sum / float64(len(w)); math.Abs(mean) > 0.1*limit {
			t.Errorf("%s: mean %g", name, mean)
		}
	}
	checkUniform("embedding", a.Embedding.Weights.Data, 0.05)
	in := cfg.EmbeddingDim
	for k, l := range a.LSTMs {
		H := l.Units
		checkUniform(l.Kernel.Name, l.Kernel.Data, math.Sqrt(6/float64(in+4*H)))
		// Orthogonal: the H rows of U [H, 4H] are orthonormal.
		U := l.Recurrent.Data
		for i := 0; i < H; i++ {
			for j := 0; j < H; j++ {
				var d float64
				for p := 0; p < 4*H; p++ {
					d += float64(U[i*4*H+p]) * float64(U[j*4*H+p])
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(d-want) > 1e-5 {
					t.Fatalf("lstm %d: (U·Uᵀ)[%d,%d] = %g, want %g", k, i, j, d, want)
				}
			}
		}
		for j, v := range l.Bias.Data {
			want := float32(0)
			if j >= H && j < 2*H {
				want = 1
			}
			if v != want {
				t.Fatalf("lstm %d: bias[%d] = %g, want %g", k, j, v, want)
			}
		}
		in = H
	}
	checkUniform("dense.kernel", a.Dense.Kernel.Data, math.Sqrt(6/float64(8+5)))
	for _, v := range a.Dense.Bias.Data {
		if v != 0 {
			t.Fatal("dense bias must start at zero")
		}
	}
}

// TestOrthogonalShapes covers both orientations of the Keras initialiser.
func TestOrthogonalShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sh := range [][2]int{{3, 12}, {12, 3}, {5, 5}, {1, 4}} {
		r, c := sh[0], sh[1]
		w := make([]float32, r*c)
		orthogonal(w, r, c, rng)
		// Gram matrix of the shorter side must be the identity.
		n, m := min(r, c), max(r, c)
		at := func(i, p int) float64 { // i-th vector of the short side, p-th entry
			if r <= c {
				return float64(w[i*c+p])
			}
			return float64(w[p*c+i])
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var d float64
				for p := 0; p < m; p++ {
					d += at(i, p) * at(j, p)
				}
				if want := map[bool]float64{true: 1, false: 0}[i == j]; math.Abs(d-want) > 1e-5 {
					t.Fatalf("%v: gram[%d,%d] = %g", sh, i, j, d)
				}
			}
		}
	}
}

// TestMaskedMatchesReference compares Forward with an independent float64
// step-by-step implementation of Keras' masking, fed the same texts padded
// after (post) and before (pre) the tokens: masked results do not depend on
// the padding side, and garbage past the lengths is ignored.
func TestMaskedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	for _, lstm := range [][]int{{6}, {5, 4}, {3, 4, 5}} {
		const V, E, C, B, T = 40, 5, 4, 7, 9
		c := mustNew(t, Config{EmbeddingDim: E, LSTM: lstm, MaskPadding: true}, V, C)
		c.Init(rng)
		perturbModel(c, rng)
		in := randomBatch(rng, V, T, randomLengths(rng, B, T), true)
		s := c.NewState()
		got := append([]float32(nil), c.Forward(s, in)...)
		for b := 0; b < B; b++ {
			for _, pre := range []bool{false, true} {
				want := refLogits(c, sampleRow(in, b, pre), true)
				for j, w := range want {
					if g := float64(got[b*C+j]); math.Abs(g-w) > 2e-5*(1+math.Abs(w)) {
						t.Fatalf("%v sample %d (length %d, pre %v) logit %d: %g, want %g", lstm, b, in.Lengths[b], pre, j, g, w)
					}
				}
			}
			if in.Lengths[b] == 0 {
				for j := 0; j < C; j++ {
					if got[b*C+j] != c.Dense.Bias.Data[j] {
						t.Fatalf("empty sample %d: logits %v, want the dense bias %v", b, got[b*C:(b+1)*C], c.Dense.Bias.Data)
					}
				}
			}
		}
		// Each sample alone, without padding, gives its logits in the batch.
		for b := 0; b < B; b++ {
			l := in.Lengths[b]
			one := Input{Tokens: make([]int32, l), Lengths: []int{l}, B: 1, T: l}
			for t := 0; t < l; t++ {
				one.Tokens[t] = in.Tokens[t*B+b]
			}
			alone := c.Forward(c.NewState(), one)
			for j := 0; j < C; j++ {
				if d := math.Abs(float64(alone[j] - got[b*C+j])); d > 1e-5 {
					t.Fatalf("%v sample %d alone: logit %d = %g, in the batch %g", lstm, b, j, alone[j], got[b*C+j])
				}
			}
		}
		// Other garbage past the lengths, and extra padded steps: identical.
		in2 := Input{Tokens: make([]int32, (T+3)*B), Lengths: in.Lengths, B: B, T: T + 3}
		for t := 0; t < T+3; t++ {
			for b := 0; b < B; b++ {
				if t < in.Lengths[b] {
					in2.Tokens[t*B+b] = in.Tokens[t*B+b]
				} else {
					in2.Tokens[t*B+b] = int32(rng.IntN(V))
				}
			}
		}
		got2 := c.Forward(s, in2)
		for i := range got {
			if got[i] != got2[i] {
				t.Fatalf("%v: padding content or extra steps changed logit %d: %g vs %g", lstm, i, got2[i], got[i])
			}
		}
	}
}

// TestUnmaskedMatchesReference: without masking, padding is an ordinary
// token and every step runs, so pre- and post-padding give different,
// reference-exact results.
func TestUnmaskedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 1))
	for _, lstm := range [][]int{{6}, {5, 4}} {
		const V, E, C, B, T = 30, 4, 3, 6, 7
		c := mustNew(t, Config{EmbeddingDim: E, LSTM: lstm, MaskPadding: false}, V, C)
		c.Init(rng)
		perturbModel(c, rng)
		lengths := randomLengths(rng, B, T)
		for _, pre := range []bool{false, true} {
			ref := randomBatch(rng, V, T, lengths, false)
			in := Input{Tokens: make([]int32, T*B), B: B, T: T} // Lengths ignored
			rows := make([][]int32, B)
			for b := 0; b < B; b++ {
				rows[b] = sampleRow(ref, b, pre)
				for t := 0; t < T; t++ {
					in.Tokens[t*B+b] = rows[b][t]
				}
			}
			got := c.Forward(c.NewState(), in)
			diff := false
			for b := 0; b < B; b++ {
				want := refLogits(c, rows[b], false)
				for j, w := range want {
					if g := float64(got[b*C+j]); math.Abs(g-w) > 2e-5*(1+math.Abs(w)) {
						t.Fatalf("%v pre %v sample %d logit %d: %g, want %g", lstm, pre, b, j, g, w)
					}
				}
				masked := refLogits(c, rows[b], true)
				if lengths[b] < T && math.Abs(masked[0]-want[0]) > 1e-6 {
					diff = true
				}
			}
			if !diff {
				t.Errorf("%v: padding made no difference without masking", lstm)
			}
		}
	}
}

func TestEmptyBatches(t *testing.T) {
	for _, masked := range []bool{true, false} {
		c := mustNew(t, Config{EmbeddingDim: 3, LSTM: []int{4, 2}, MaskPadding: masked}, 10, 3)
		c.Init(rand.New(rand.NewPCG(1, 2)))
		copy(c.Dense.Bias.Data, []float32{0.5, -1, 2})
		s := c.NewState()
		// All sequences empty (T = 0, or T > 0 with masking and zero lengths).
		inputs := []Input{{Tokens: nil, Lengths: []int{0, 0}, B: 2, T: 0}}
		if masked {
			inputs = append(inputs, Input{Tokens: make([]int32, 6), Lengths: []int{0, 0}, B: 2, T: 3})
		}
		for _, in := range inputs {
			logits := c.Forward(s, in)
			for i, v := range logits {
				if v != c.Dense.Bias.Data[i%3] {
					t.Fatalf("masked %v T %d: logits %v, want the bias twice", masked, in.T, logits)
				}
			}
			g := c.NewGrads()
			c.Backward(s, []float32{1, 2, 3, 4, 5, 6}, g)
			for i, p := range g {
				for j, v := range p.Data {
					want := float32(0)
					if p.Name == "dense.bias" {
						want = []float32{5, 7, 9}[j]
					}
					if v != want {
						t.Fatalf("gradient %d %s[%d] = %g, want %g", i, p.Name, j, v, want)
					}
				}
			}
		}
		// B = 0.
		if got := c.Forward(s, Input{B: 0, T: 5, Lengths: []int{}}); len(got) != 0 {
			t.Fatalf("B=0: %d logits", len(got))
		}
		c.Backward(s, nil, c.NewGrads())
	}
}

// TestNoAllocSteadyState: once a State has seen its largest batch, Forward
// and Backward allocate nothing, also for smaller batches.
func TestNoAllocSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, masked := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(5, 5))
		c := mustNew(t, Config{EmbeddingDim: 8, LSTM: []int{8, 6}, MaskPadding: masked}, 50, 4)
		c.Init(rng)
		big := randomBatch(rng, 50, 12, randomLengths(rng, 16, 12), true)
		big.Lengths[1] = 12
		small := randomBatch(rng, 50, 5, randomLengths(rng, 9, 5), true)
		s := c.NewState()
		grads := c.NewGrads()
		dl := randVec(rng, 16*4, 1)
		step := func(in Input) {
			c.Forward(s, in)
			c.Backward(s, dl[:in.B*4], grads)
		}
		step(big)
		for name, in := range map[string]Input{"big": big, "small": small} {
			if a := testing.AllocsPerRun(20, func() { step(in) }); a != 0 {
				t.Errorf("masked %v %s batch: %v allocations per Forward+Backward", masked, name, a)
			}
		}
	}
}

// TestConcurrentStates: several goroutines with their own States share one
// Classifier and get the same results as one goroutine.
func TestConcurrentStates(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	c := mustNew(t, Config{EmbeddingDim: 6, LSTM: []int{7, 5}, MaskPadding: true}, 40, 3)
	c.Init(rng)
	inputs := make([]Input, 4)
	want := make([][]float32, len(inputs))
	for i := range inputs {
		inputs[i] = randomBatch(rng, 40, 8, randomLengths(rng, 5+i, 8), true)
		want[i] = append([]float32(nil), c.Forward(c.NewState(), inputs[i])...)
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(inputs))
	for i := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := c.NewState()
			for r := 0; r < 5; r++ {
				got := c.Forward(s, inputs[i])
				for j := range got {
					if got[j] != want[i][j] {
						errs <- fmt.Sprintf("goroutine %d: logit %d = %g, want %g", i, j, got[j], want[i][j])
						return
					}
				}
				g := c.NewGrads()
				c.Backward(s, got, g)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestProgrammerErrorsPanic(t *testing.T) {
	c := mustNew(t, Config{EmbeddingDim: 3, LSTM: []int{4}, MaskPadding: true}, 10, 2)
	other := mustNew(t, Config{EmbeddingDim: 3, LSTM: []int{4}, MaskPadding: true}, 10, 2)
	ok := Input{Tokens: []int32{1, 2, 3, 0}, Lengths: []int{2, 1}, B: 2, T: 2}
	s := c.NewState()
	expectPanic(t, "increasing lengths", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 0, 3}, Lengths: []int{1, 2}, B: 2, T: 2}) })
	expectPanic(t, "length > T", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 3, 4}, Lengths: []int{3, 1}, B: 2, T: 2}) })
	expectPanic(t, "negative length", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 3, 4}, Lengths: []int{2, -1}, B: 2, T: 2}) })
	expectPanic(t, "lengths count", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 3, 4}, Lengths: []int{2}, B: 2, T: 2}) })
	expectPanic(t, "tokens count", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 3}, Lengths: []int{2, 1}, B: 2, T: 2}) })
	expectPanic(t, "token id", func() { c.Forward(s, Input{Tokens: []int32{1, 2, 10, 0}, Lengths: []int{2, 1}, B: 2, T: 2}) })
	expectPanic(t, "foreign state", func() { other.Forward(s, ok) })
	expectPanic(t, "nil state", func() { c.Forward(nil, ok) })
	s = c.NewState()
	expectPanic(t, "backward first", func() { c.Backward(s, make([]float32, 4), c.NewGrads()) })
	c.Forward(s, ok)
	expectPanic(t, "dlogits size", func() { c.Backward(s, make([]float32, 3), c.NewGrads()) })
	expectPanic(t, "grads count", func() { c.Backward(s, make([]float32, 4), c.NewGrads()[1:]) })
	expectPanic(t, "grads shape", func() {
		g := c.NewGrads()
		g[2].Data = g[2].Data[:1]
		c.Backward(s, make([]float32, 4), g)
	})
	c.Backward(s, make([]float32, 4), c.NewGrads())
	expectPanic(t, "second backward", func() { c.Backward(s, make([]float32, 4), c.NewGrads()) })
	expectPanic(t, "replaced weights", func() {
		c.Params()[1].Data = make([]float32, 3)
		c.Forward(c.NewState(), ok)
	})
}

// TestFreezeEmbeddingGradients: a frozen embedding gets no gradient, and
// every other gradient is bit for bit the trainable model's (the skipped
// input gradient of the first layer feeds only the embedding).
func TestFreezeEmbeddingGradients(t *testing.T) {
	for _, bidi := range []bool{false, true} {
		cfg := Config{EmbeddingDim: 5, LSTM: []int{4, 3}, MaskPadding: true, Bidirectional: bidi}
		a := mustNew(t, cfg, 12, 3)
		cfg.FreezeEmbedding = true
		b := mustNew(t, cfg, 12, 3)
		a.Init(rand.New(rand.NewPCG(3, 4)))
		b.Init(rand.New(rand.NewPCG(3, 4)))
		in := Input{Tokens: []int32{2, 5, 7, 11, 3, 4, 9, 6, 0}, Lengths: []int{3, 3, 2}, B: 3, T: 3}
		dl := []float32{0.1, -0.2, 0.1, 0.3, 0.1, -0.4, -0.2, 0.5, -0.3}
		ga, gb := a.NewGrads(), b.NewGrads()
		sa, sb := a.NewState(), b.NewState()
		a.Forward(sa, in)
		a.Backward(sa, dl, ga)
		b.Forward(sb, in)
		b.Backward(sb, dl, gb)
		nonzero := 0
		for i := range ga {
			for j := range ga[i].Data {
				if i == 0 {
					if gb[0].Data[j] != 0 {
						t.Fatalf("bidirectional %v: frozen embedding gradient [%d] = %g", bidi, j, gb[0].Data[j])
					}
					if ga[0].Data[j] != 0 {
						nonzero++
					}
				} else if ga[i].Data[j] != gb[i].Data[j] {
					t.Fatalf("bidirectional %v: %s[%d] = %g frozen, %g trainable", bidi, ga[i].Name, j, gb[i].Data[j], ga[i].Data[j])
				}
			}
		}
		if nonzero == 0 {
			t.Fatalf("bidirectional %v: the trainable embedding got no gradient either", bidi)
		}
	}
}

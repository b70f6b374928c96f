package model

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks at the default model's shapes: B=128, T=40, E=64, H=64 for one
// LSTM layer, and the whole default classifier (V=10000, LSTM [64, 32], C=6).
// Run with -tags noasm for the pure-Go kernels.

const benchB, benchT, benchE, benchH = 128, 40, 64, 64

// benchLSTM returns an initialised layer, a full-length layout and an input.
func benchLSTM(b *testing.B) (*LSTM, *packing, *lstmState, []float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	l := NewLSTM(0, benchE, benchH, true)
	l.Init(rng)
	p := &packing{}
	lengths := make([]int, benchB)
	for i := range lengths {
		lengths[i] = benchT
	}
	p.build(benchB, benchT, lengths, true)
	s := &lstmState{}
	s.reserve(l, benchB, p.N, false, false)
	x := randVec(rng, p.N*benchE, 1)
	return l, p, s, x
}

// BenchmarkLSTMStep is one recurrent step on 128 rows: h·U plus gate math.
func BenchmarkLSTMStep(b *testing.B) {
	l, p, s, x := benchLSTM(b)
	l.forward(s, p, x)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l.step(s, p, 1, nil)
	}
}

// BenchmarkLSTMForward is one layer's forward over T=40 steps.
func BenchmarkLSTMForward(b *testing.B) {
	l, p, s, x := benchLSTM(b)
	b.ReportAllocs()
	for b.Loop() {
		l.forward(s, p, x)
	}
	b.ReportMetric(float64(benchB*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkLSTMForwardBackward is one layer's forward and BPTT over T=40.
func BenchmarkLSTMForwardBackward(b *testing.B) {
	l, p, s, x := benchLSTM(b)
	rng := rand.New(rand.NewPCG(2, 2))
	dy := randVec(rng, p.N*benchH, 1)
	dW := make([]float32, len(l.Kernel.Data))
	dU := make([]float32, len(l.Recurrent.Data))
	db := make([]float32, len(l.Bias.Data))
	b.ReportAllocs()
	for b.Loop() {
		l.forward(s, p, x)
		l.backward(s, p, x, dy, nil, dW, dU, db, true)
	}
	b.ReportMetric(float64(benchB*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkTrainStep is Forward+Backward of the default classifier on one
// batch: "full" has every sequence at T=40 (or masking off), "masked" has
// lengths uniform in 1..40 (half the tokens), which packing skips; "trec"
// draws lengths from the TREC training set's histogram (3..37 tokens, mean
// 10), "20ng" those of 20 Newsgroups cut at 200 (half the documents longer,
// the rest spread over 20..200). The _b32 cases are one shard of 32 samples,
// what each worker of pkg/train runs.
func BenchmarkTrainStep(b *testing.B) {
	for _, tc := range []struct {
		name   string
		masked bool
		B, T   int
		length func(rng *rand.Rand) int
	}{
		{"full", true, benchB, benchT, func(*rand.Rand) int { return benchT }},
		{"masked", true, benchB, benchT, func(rng *rand.Rand) int { return 1 + rng.IntN(benchT) }},
		{"unmasked", false, benchB, benchT, func(*rand.Rand) int { return benchT }},
		{"trec", true, benchB, benchT, trecLength},
		{"trec_b32", true, 32, benchT, trecLength},
		{"20ng_b32", true, 32, 200, ngLength},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const V, C = 10000, 6
			rng := rand.New(rand.NewPCG(3, 3))
			cfg := DefaultConfig()
			cfg.MaskPadding = tc.masked
			c := mustNew(b, cfg, V, C)
			c.Init(rng)
			lengths := make([]int, tc.B)
			for i := range lengths {
				lengths[i] = tc.length(rng)
			}
			sortDesc(lengths)
			in := randomBatch(rng, V, tc.T, lengths, false)
			labels := make([]int, tc.B)
			for i := range labels {
				labels[i] = rng.IntN(C)
			}
			s := c.NewState()
			grads := c.NewGrads()
			_, dl := softmaxCE(c.Forward(s, in), labels, C)
			c.Backward(s, dl, grads)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Forward(s, in)
				c.Backward(s, dl, grads)
			}
			b.ReportMetric(float64(tc.B*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// trecHist is the number of TREC training questions (train.txt, 5452) of
// each length in tokens, from 3 up.
var trecHist = []int{4, 135, 268, 395, 566, 630, 674, 586, 531, 470, 296, 197, 193, 143, 92, 80, 58, 31, 31, 19, 11, 13, 8, 5, 1, 3, 4, 1, 3, 2, 0, 1, 0, 0, 1}

// trecLength draws a length from trecHist.
func trecLength(rng *rand.Rand) int {
	r := rng.IntN(5452)
	for i, n := range trecHist {
		if r < n {
			return 3 + i
		}
		r -= n
	}
	return 3 + len(trecHist) - 1
}

// ngLength draws a 20 Newsgroups length cut at 200 tokens: 200 for half the
// documents, uniform in 20..199 for the others.
func ngLength(rng *rand.Rand) int {
	if rng.IntN(2) == 0 {
		return 200
	}
	return 20 + rng.IntN(180)
}

func sortDesc(x []int) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] > x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

// BenchmarkTrainStepOptions is Forward+Backward of the default classifier
// (V=10000, E=64, LSTM [64, 32], C=6, B=128, lengths uniform in 1..40)
// against the same with the options on: bidirectional with max pooling, and
// that plus every dropout at 0.2 (Input.Train set).
func BenchmarkTrainStepOptions(b *testing.B) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"default", func(*Config) {}},
		{"mean", func(c *Config) { c.Pooling = PoolMean }},
		{"bidi_max", func(c *Config) { c.Bidirectional, c.Pooling = true, PoolMax }},
		{"bidi_max_dropout", func(c *Config) {
			c.Bidirectional, c.Pooling = true, PoolMax
			c.Dropout, c.RecurrentDropout, c.DenseDropout, c.EmbeddingDropout = 0.2, 0.2, 0.2, 0.2
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const V, C = 10000, 6
			rng := rand.New(rand.NewPCG(3, 3))
			cfg := DefaultConfig()
			tc.edit(&cfg)
			c := mustNew(b, cfg, V, C)
			c.Init(rng)
			lengths := make([]int, benchB)
			for i := range lengths {
				lengths[i] = 1 + rng.IntN(benchT)
			}
			sortDesc(lengths)
			in := randomBatch(rng, V, benchT, lengths, false)
			in.Train, in.Noise = true, noiseKeys(rng, benchB)
			labels := make([]int, benchB)
			for i := range labels {
				labels[i] = rng.IntN(C)
			}
			s := c.NewState()
			grads := c.NewGrads()
			_, dl := softmaxCE(c.Forward(s, in), labels, C)
			c.Backward(s, dl, grads)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Forward(s, in)
				c.Backward(s, dl, grads)
			}
			b.ReportMetric(float64(benchB*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkPredictVariants compares, in one run on the same batches, the
// inference Forward of the default classifier at the TREC model's shapes
// (V=8068, E=100, LSTM [64, 32], C=6; batches of 32, predict's default,
// lengths from the TREC histogram): "float" as trained; "folded" with the
// first layer's input projection folded into a per-token table (Fold: the
// same bits; the rows of the batches' tokens computed beforehand, as in a
// long prediction run); "int8" with the weights quantized and dequantized
// as an int8 model file is loaded, which is the float code on other numbers,
// so its ratio to float shows the noise of the run; "int8compute" folded
// and with the other LSTM products in int8 (QuantizeCompute, UseInt8), as
// predict --int8-compute runs. The four take turns batch by batch; the
// metrics are samples/s of each and the speed-ups over float.
func BenchmarkPredictVariants(b *testing.B) {
	const V, C, B, batches = 8068, 6, 32, 16
	rng := rand.New(rand.NewPCG(4, 4))
	cfg := DefaultConfig()
	cfg.EmbeddingDim = 100
	c := mustNew(b, cfg, V, C)
	c.Init(rng)
	q := mustNew(b, cfg, V, C)
	for i, p := range c.Params() {
		copy(q.Params()[i].Data, p.Data)
		if quantizedParam(p.Name, p.Shape) {
			w, s := quantizeRows(p.Data, p.Shape[0], p.Shape[1])
			dequantizeRows(q.Params()[i].Data, w, s, p.Shape[1])
		}
	}
	f, err := c.Fold()
	if err != nil {
		b.Fatal(err)
	}
	ins := make([]Input, batches)
	for i := range ins {
		lengths := make([]int, B)
		for j := range lengths {
			lengths[j] = trecLength(rng)
		}
		sortDesc(lengths)
		ins[i] = randomBatch(rng, V, benchT, lengths, false)
	}
	for _, in := range ins { // the steady state: the rows of these tokens computed
		f.Prepare(in.Tokens)
	}
	sFloat, sFolded, sInt8, sQ := c.NewState(), c.NewState(), q.NewState(), c.NewState()
	sFolded.UseFolded(f)
	sQ.UseFolded(f)
	sQ.UseInt8(c.QuantizeCompute())
	var tFloat, tFolded, tInt8, tQ time.Duration
	timed := func(d *time.Duration, run func()) {
		start := time.Now()
		run()
		*d += time.Since(start)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, in := range ins {
			timed(&tFloat, func() { c.Forward(sFloat, in) })
			timed(&tFolded, func() { c.Forward(sFolded, in) })
			timed(&tInt8, func() { q.Forward(sInt8, in) })
			timed(&tQ, func() { c.Forward(sQ, in) })
		}
	}
	n := float64(B * batches * b.N)
	b.ReportMetric(n/tFloat.Seconds(), "float_samples/s")
	b.ReportMetric(n/tFolded.Seconds(), "folded_samples/s")
	b.ReportMetric(n/tInt8.Seconds(), "int8_samples/s")
	b.ReportMetric(tFloat.Seconds()/tFolded.Seconds(), "folded_speedup")
	b.ReportMetric(n/tQ.Seconds(), "int8compute_samples/s")
	b.ReportMetric(tFloat.Seconds()/tInt8.Seconds(), "int8_speedup")
	b.ReportMetric(tFloat.Seconds()/tQ.Seconds(), "int8compute_speedup")
	b.ReportMetric(tFolded.Seconds()/tQ.Seconds(), "int8compute_over_folded")
}

package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// This file holds the helpers of the numerics tests: random models and
// batches, losses in float64, a central finite-difference checker and a
// plain float64 reference implementation of the classifier.

// The finite-difference tolerance: |analytic - numeric| must be at
// most fdAbs + fdRel·|numeric| per coordinate, and the relative error of the
// whole checked gradient vector at most fdVec.
const (
	fdEps = 1e-2
	fdAbs = 2e-3
	fdRel = 2e-2
	fdVec = 5e-3
)

// perturbModel replaces the initial weights by larger random ones so that
// every path of the network carries gradient of order 0.1..1 and a wrong
// term cannot hide below the tolerance.
func perturbModel(c *Classifier, rng *rand.Rand) {
	for _, p := range c.Params() {
		scale := 0.6
		if p.Name == "embedding.embeddings" {
			scale = 1
		}
		for i := range p.Data {
			p.Data[i] = float32(scale * (2*rng.Float64() - 1))
		}
	}
}

// randomBatch returns a time-major batch of B sequences with the given
// lengths (non-increasing, each <= T), real tokens drawn from [1, V). With
// garbage, the steps past a sequence's length hold random ids (which masking
// must ignore), otherwise 0.
func randomBatch(rng *rand.Rand, V, T int, lengths []int, garbage bool) Input {
	B := len(lengths)
	tok := make([]int32, T*B)
	for b, l := range lengths {
		for t := 0; t < T; t++ {
			switch {
			case t < l:
				tok[t*B+b] = int32(1 + rng.IntN(V-1))
			case garbage:
				tok[t*B+b] = int32(rng.IntN(V))
			}
		}
	}
	return Input{Tokens: tok, Lengths: slices.Clone(lengths), B: B, T: T}
}

// randomLengths returns B non-increasing lengths in [0, T] that include T
// and 0 when B >= 2.
func randomLengths(rng *rand.Rand, B, T int) []int {
	l := make([]int, B)
	for i := range l {
		l[i] = rng.IntN(T + 1)
	}
	if B >= 2 {
		l[0], l[B-1] = T, 0
	}
	slices.SortFunc(l, func(a, b int) int { return b - a })
	return l
}

// softmaxCE returns the summed cross-entropy of logits [B, C] (float64
// arithmetic) and its gradient with respect to the logits.
func softmaxCE(logits []float32, labels []int, C int) (float64, []float32) {
	B := len(labels)
	d := make([]float32, B*C)
	var loss float64
	for b := 0; b < B; b++ {
		row := logits[b*C : (b+1)*C]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		loss += m + math.Log(z) - float64(row[labels[b]])
		for j, v := range row {
			p := math.Exp(float64(v)-m) / z
			if j == labels[b] {
				p--
			}
			d[b*C+j] = float32(p)
		}
	}
	return loss, d
}

// dot64 returns Σ w⊙x in float64.
func dot64(w, x []float32) float64 {
	var s float64
	for i := range w {
		s += float64(w[i]) * float64(x[i])
	}
	return s
}

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return x
}

// fdCheck compares the analytic gradient of loss with respect to the
// coordinates idx of param (nil: all) with central differences. It returns
// the number of coordinates checked.
func fdCheck(t *testing.T, what string, param, analytic []float32, idx []int, loss func() float64) int {
	t.Helper()
	if idx == nil {
		idx = make([]int, len(param))
		for i := range idx {
			idx[i] = i
		}
	}
	var diff2, num2 float64
	for _, i := range idx {
		old := param[i]
		param[i] = old + fdEps
		hi := param[i]
		lp := loss()
		param[i] = old - fdEps
		lo := param[i]
		lm := loss()
		param[i] = old
		num := (lp - lm) / (float64(hi) - float64(lo))
		a := float64(analytic[i])
		if d := math.Abs(a - num); d > fdAbs+fdRel*math.Abs(num) {
			t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", what, i, a, num)
		}
		diff2 += (a - num) * (a - num)
		num2 += num * num
	}
	// The floor of 1e-5 per coordinate is float32 rounding noise of the
	// numeric derivative (visible when a gradient is tiny).
	if math.Sqrt(diff2) > fdVec*math.Sqrt(num2)+1e-5*math.Sqrt(float64(len(idx))) {
		t.Errorf("%s: relative error of the gradient vector %.3g over %d coordinates", what, math.Sqrt(diff2/num2), len(idx))
	}
	if testing.Verbose() {
		t.Logf("%s: %d coords, |num| %.3g, rel vec err %.3g", what, len(idx), math.Sqrt(num2), math.Sqrt(diff2/num2))
	}
	return len(idx)
}

// refLogits is an independent float64 implementation of the classifier for
// one sample given as a padded token row: step by step, skipping (with
// mask) every step whose token is 0, as Keras does with mask_zero=True.
func refLogits(c *Classifier, tokens []int32, mask bool) []float64 {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	E := c.Embedding.E
	hs := make([][]float64, len(c.LSTMs))
	cs := make([][]float64, len(c.LSTMs))
	for k, l := range c.LSTMs {
		hs[k] = make([]float64, l.Units)
		cs[k] = make([]float64, l.Units)
	}
	for _, tok := range tokens {
		if mask && tok == 0 {
			continue
		}
		x := make([]float64, E)
		for j := range x {
			x[j] = float64(c.Embedding.Weights.Data[int(tok)*E+j])
		}
		for k, l := range c.LSTMs {
			H := l.Units
			z := make([]float64, 4*H)
			for j := range z {
				z[j] = float64(l.Bias.Data[j])
				for p := 0; p < l.In; p++ {
					z[j] += x[p] * float64(l.Kernel.Data[p*4*H+j])
				}
				for p := 0; p < H; p++ {
					z[j] += hs[k][p] * float64(l.Recurrent.Data[p*4*H+j])
				}
			}
			for j := 0; j < H; j++ {
				i, f := sig(z[j]), sig(z[H+j])
				g, o := math.Tanh(z[2*H+j]), sig(z[3*H+j])
				cs[k][j] = f*cs[k][j] + i*g
				hs[k][j] = o * math.Tanh(cs[k][j])
			}
			x = slices.Clone(hs[k])
		}
	}
	h := hs[len(hs)-1]
	d := c.Dense
	out := make([]float64, d.Out)
	for j := range out {
		out[j] = float64(d.Bias.Data[j])
		for p := 0; p < d.In; p++ {
			out[j] += h[p] * float64(d.Kernel.Data[p*d.Out+j])
		}
	}
	return out
}

// sampleRow returns the tokens of sample b of a time-major batch, padded to
// T with zeros on the given side (pre: padding first).
func sampleRow(in Input, b int, pre bool) []int32 {
	l := in.Lengths[b]
	row := make([]int32, in.T)
	for t := 0; t < l; t++ {
		if pre {
			row[in.T-l+t] = in.Tokens[t*in.B+b]
		} else {
			row[t] = in.Tokens[t*in.B+b]
		}
	}
	return row
}

func mustNew(t testing.TB, cfg Config, V, C int) *Classifier {
	t.Helper()
	c, err := New(cfg, V, C)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func expectPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

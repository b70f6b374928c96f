package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/kernels"
)

// int8Cases are the configurations the int8 tests run: the default, one
// direction unmasked, two directions with each read-out, odd widths, and
// the default without the folded table (as with subwords: the first
// layer's x·W in float32, the rest in int8).
var int8Cases = []struct {
	name     string
	cfg      func(*Config)
	unfolded bool
}{
	{"default", func(*Config) {}, false},
	{"unfolded", func(*Config) {}, true},
	{"unmasked", func(c *Config) { c.MaskPadding = false }, false},
	{"bidirectional-mean", func(c *Config) { c.Bidirectional, c.Pooling = true, PoolMean }, false},
	{"bidirectional-max", func(c *Config) { c.Bidirectional, c.Pooling = true, PoolMax }, false},
	{"odd-widths", func(c *Config) { c.LSTM, c.EmbeddingDim = []int{13, 7, 5}, 9 }, false},
}

// softmaxRows returns the softmax of each row of logits [B, C] in float64.
func softmaxRows(logits []float32, C int) []float64 {
	p := make([]float64, len(logits))
	for b := 0; b < len(logits)/C; b++ {
		row := logits[b*C : (b+1)*C]
		m := float64(slices.Max(row))
		var sum float64
		for j, v := range row {
			p[b*C+j] = math.Exp(float64(v) - m)
			sum += p[b*C+j]
		}
		for j := range row {
			p[b*C+j] /= sum
		}
	}
	return p
}

// sharpen scales the LSTM and dense kernels of an initialised classifier so
// that its probabilities spread over [0, 1] (freshly initialised, they are
// all near 1/C, which no error would move far).
func sharpen(c *Classifier) {
	for _, p := range c.Params() {
		f := float32(1)
		switch {
		case p.Name == "dense.kernel":
			f = 8
		case strings.HasPrefix(p.Name, "lstm."):
			f = 2
		}
		for i := range p.Data {
			p.Data[i] *= f
		}
	}
}

// int8Fixture returns a classifier of cfg (V tokens, C classes) drawn
// from rng and sharpened, its int8 kernels and its folded table.
func int8Fixture(t *testing.T, rng *rand.Rand, cfg Config, V, C int) (*Classifier, *Int8Compute, *Folded) {
	t.Helper()
	c := mustNew(t, cfg, V, C)
	c.Init(rng)
	sharpen(c)
	f, err := c.Fold()
	if err != nil {
		t.Fatal(err)
	}
	return c, c.QuantizeCompute(), f
}

// TestInt8ComputeNearFloat compares the int8 forward with the float one on
// random classifiers: the probabilities within 0.02 of each other, the
// predicted class the same on at least 95% of the texts. It also checks that
// the int8 products were used (some logit differs) and that the float path
// is untouched by a State using int8 (UseInt8(nil) gives the float bits).
func TestInt8ComputeNearFloat(t *testing.T) {
	for _, tc := range int8Cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			cfg := DefaultConfig()
			cfg.EmbeddingDim = 24
			tc.cfg(&cfg)
			const V, C, B, T = 200, 5, 64, 15
			c, q, f := int8Fixture(t, rng, cfg, V, C)
			sf, sq := c.NewState(), c.NewState()
			sq.UseInt8(q)
			if !tc.unfolded {
				sq.UseFolded(f)
			}
			var worst float64
			agree, total, differ := 0, 0, false
			for range 8 {
				lengths := make([]int, B)
				for i := range lengths {
					lengths[i] = 1 + rng.IntN(T)
				}
				sortDesc(lengths)
				in := randomBatch(rng, V, T, lengths, true)
				f.Prepare(in.Tokens)
				lf := slices.Clone(c.Forward(sf, in))
				lq := c.Forward(sq, in)
				differ = differ || !slices.Equal(lf, lq)
				pf, pq := softmaxRows(lf, C), softmaxRows(lq, C)
				for b := range B {
					for j := range C {
						worst = max(worst, math.Abs(pf[b*C+j]-pq[b*C+j]))
					}
					if argmax(pf[b*C:(b+1)*C]) == argmax(pq[b*C:(b+1)*C]) {
						agree++
					}
					total++
				}
			}
			t.Logf("largest probability difference %.4f, argmax agreement %d/%d", worst, agree, total)
			if worst > 0.02 {
				t.Errorf("probabilities differ by up to %.4f, want at most 0.02", worst)
			}
			if float64(agree) < 0.95*float64(total) {
				t.Errorf("the predicted class agrees on %d of %d texts, want 95%%", agree, total)
			}
			if !differ {
				t.Error("the int8 forward gave the float logits: the int8 products did not run")
			}
			// Back to float32 on the same State: the float bits.
			sq.UseInt8(nil)
			in := randomBatch(rng, V, T, []int{T, 3, 1}, false)
			f.Prepare(in.Tokens)
			if got, want := c.Forward(sq, in), c.Forward(c.NewState(), in); !slices.Equal(got, slices.Clone(want)) {
				t.Errorf("UseInt8(nil): %v, the float forward %v", got, want)
			}
		})
	}
}

func argmax(p []float64) int {
	best := 0
	for j, v := range p {
		if v > p[best] {
			best = j
		}
	}
	return best
}

// TestInt8ComputeRowAlone checks that a text gets the same bits alone as in
// a batch, with and without the folded table (which gives the same bits),
// for every QGemm variant, and that the variants agree bit for bit when the
// gate math is the generic one in all (the gate kernels' variants may
// differ from each other in the last places, the int8 products may not).
func TestInt8ComputeRowAlone(t *testing.T) {
	restoreGates, err := kernels.Force("gates", "generic")
	if err != nil {
		t.Fatal(err)
	}
	defer restoreGates()
	restoreSgemm, err := kernels.Force("sgemm", "generic")
	if err != nil {
		t.Fatal(err)
	}
	defer restoreSgemm()
	for _, tc := range int8Cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(31, 32))
			cfg := DefaultConfig()
			cfg.EmbeddingDim = 16
			tc.cfg(&cfg)
			const V, C, T = 100, 4, 11
			c, q, f := int8Fixture(t, rng, cfg, V, C)
			lengths := []int{11, 9, 9, 7, 5, 4, 4, 2, 1}
			if !cfg.MaskPadding {
				for i := range lengths {
					lengths[i] = T
				}
			}
			in := randomBatch(rng, V, T, lengths, false)
			f.Prepare(in.Tokens)
			var first []float32
			for _, variant := range kernels.Available("qgemm") {
				restore, err := kernels.Force("qgemm", variant)
				if err != nil {
					t.Fatal(err)
				}
				for _, folded := range []bool{false, true} {
					s := c.NewState()
					s.UseInt8(q)
					if folded {
						s.UseFolded(f)
					}
					all := slices.Clone(c.Forward(s, in))
					if first == nil {
						first = all
					} else if !slices.Equal(all, first) {
						t.Fatalf("qgemm %s folded=%v: %v, first run %v", variant, folded, all, first)
					}
					for b := range in.B {
						one := Input{Tokens: sampleRow(in, b, false), Lengths: []int{in.Lengths[b]}, B: 1, T: T}
						got := c.Forward(s, one)
						for j := range C {
							if math.Float32bits(got[j]) != math.Float32bits(all[b*C+j]) {
								t.Fatalf("qgemm %s folded=%v sample %d: alone %v, in the batch %v", variant, folded, b, got, all[b*C:(b+1)*C])
							}
						}
					}
				}
				restore()
			}
		})
	}
}

// TestInt8ComputeTrainingAndBackward: a training Forward ignores the int8
// kernels, Backward after an int8 Forward refuses, and UseInt8 refuses
// another classifier's kernels.
func TestInt8ComputeTrainingAndBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := DefaultConfig()
	cfg.EmbeddingDim, cfg.Dropout = 8, 0.5
	c := mustNew(t, cfg, 30, 3)
	c.Init(rng)
	s := c.NewState()
	s.UseInt8(c.QuantizeCompute())
	in := randomBatch(rng, 30, 5, []int{5, 3}, false)
	in.Train, in.Noise = true, []uint64{1, 2}
	want := slices.Clone(c.Forward(c.NewState(), in))
	got := c.Forward(s, in)
	if !slices.Equal(got, want) {
		t.Fatalf("training Forward with int8 kernels: %v, without %v", got, want)
	}
	c.Backward(s, make([]float32, len(got)), c.NewGrads()) // allowed: float32 ran
	in.Train = false
	c.Forward(s, in)
	expectPanic(t, "Backward after an int8 Forward", func() { c.Backward(s, make([]float32, len(got)), c.NewGrads()) })
	expectPanic(t, "UseInt8 of another classifier", func() { mustNew(t, cfg, 30, 3).NewState().UseInt8(c.QuantizeCompute()) })
}

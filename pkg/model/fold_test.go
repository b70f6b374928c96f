package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/kernels"
)

// TestFoldedSameBits checks that Forward with a folded first-layer
// projection gives the very bits of the plain Forward, for every Sgemm
// variant this CPU runs, masked and unmasked, one and two directions, every
// read-out, batch sizes that do and do not fill the kernels' tiles.
func TestFoldedSameBits(t *testing.T) {
	for _, variant := range kernels.Available("sgemm") {
		restore, err := kernels.Force("sgemm", variant)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			cfg  func(*Config)
		}{
			{"default", func(*Config) {}},
			{"unmasked", func(c *Config) { c.MaskPadding = false }},
			{"bidirectional-mean", func(c *Config) { c.Bidirectional, c.Pooling = true, PoolMean }},
			{"bidirectional-last-unmasked", func(c *Config) { c.Bidirectional, c.MaskPadding = true, false }},
			{"one-layer-max-wide", func(c *Config) { c.LSTM, c.EmbeddingDim, c.Pooling = []int{40}, 300, PoolMax }},
		} {
			t.Run(variant+"/"+tc.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, 9))
				cfg := DefaultConfig()
				cfg.EmbeddingDim = 20
				tc.cfg(&cfg)
				const V = 97
				c := mustNew(t, cfg, V, 5)
				c.Init(rng)
				f, err := c.Fold()
				if err != nil {
					t.Fatal(err)
				}
				plain, folded := c.NewState(), c.NewState()
				folded.UseFolded(f)
				for _, B := range []int{1, 7, 8, 33} {
					lengths := make([]int, B)
					for i := range lengths {
						lengths[i] = rng.IntN(12)
					}
					sortDesc(lengths)
					in := randomBatch(rng, V, 12, lengths, true)
					f.Prepare(in.Tokens)
					want := slices.Clone(c.Forward(plain, in))
					got := c.Forward(folded, in)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("B=%d logit %d: folded %v, plain %v", B, i, got[i], want[i])
						}
					}
				}
			})
		}
		restore()
	}
}

// TestFoldedTrainingAndBackward: a training Forward ignores the table, and
// Backward after a folded Forward refuses (the embeddings were never looked
// up).
func TestFoldedTrainingAndBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := DefaultConfig()
	cfg.EmbeddingDim, cfg.Dropout = 8, 0.5
	c := mustNew(t, cfg, 30, 3)
	c.Init(rng)
	f, err := c.Fold()
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewState()
	s.UseFolded(f)
	in := randomBatch(rng, 30, 5, []int{5, 3}, false)
	in.Train, in.Noise = true, []uint64{1, 2}
	s2 := c.NewState()
	want := slices.Clone(c.Forward(s2, in))
	got := c.Forward(s, in)
	if !slices.Equal(got, want) {
		t.Fatalf("training Forward with a table: %v, without %v", got, want)
	}
	c.Backward(s, make([]float32, len(got)), c.NewGrads()) // allowed: the table was not used
	in.Train = false
	f.Prepare(in.Tokens)
	c.Forward(s, in)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "folded") {
			t.Fatalf("Backward after a folded Forward: %v", r)
		}
	}()
	c.Backward(s, make([]float32, len(got)), c.NewGrads())
}

func TestFoldLimits(t *testing.T) {
	big := DefaultConfig()
	big.EmbeddingDim = 1
	if _, err := mustNew(t, big, MaxFoldedFloats/256+1, 2).Fold(); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("Fold of a too large table: %v", err)
	}
	c := mustNew(t, DefaultConfig(), 10, 2)
	f, err := c.Fold()
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewState()
	s.UseFolded(f)
	in := Input{Tokens: []int32{3, 0}, Lengths: []int{2}, B: 1, T: 2}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "token 3 has no row") {
				t.Errorf("Forward with a token not prepared: %v", r)
			}
		}()
		c.Forward(s, in)
	}()
	f.Prepare(in.Tokens)
	c.Forward(s, in)
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("UseFolded took another classifier's table")
		}
	}()
	mustNew(t, DefaultConfig(), 10, 2).NewState().UseFolded(f)
}

package train

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// BenchmarkTrainStep is one training step (fill, forward, backward, shard
// reduction, Adam) of the default architecture: B=128, T=40, V=10000, C=6,
// with the Keras example's recipe (keras) and with the default recipe's
// per-step extra, the moving average of the weights (defaults); the ratio of
// the two is its cost.
func BenchmarkTrainStep(b *testing.B) {
	const B, T, V, C = 128, 40, 10000, 6
	rng := rand.New(rand.NewPCG(1, 2))
	ds := &data.Dataset{}
	for i := 0; i < B; i++ {
		s := make([]int32, T)
		for t := range s {
			s[t] = int32(2 + rng.IntN(V-2))
		}
		ds.Seqs = append(ds.Seqs, s)
		ds.Labels = append(ds.Labels, int32(rng.IntN(C)))
	}
	for _, recipe := range []string{"keras", "defaults"} {
		b.Run(recipe, func(b *testing.B) {
			cfg := KerasConfig()
			cfg.Optimizer.UseEMA = recipe == "defaults"
			m, err := model.New(model.DefaultConfig(), V, C)
			if err != nil {
				b.Fatal(err)
			}
			m.Init(rand.New(rand.NewPCG(1, 1)))
			tr := &Trainer{Model: m, Config: cfg, Layout: data.Layout{SequenceLength: T}}
			r, _, err := tr.prepare(ds, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer r.e.close()
			idx := data.EpochBatches(ds, r.opt, 0)[0]
			for range 3 { // warm up every worker's State
				if err := r.step(0, 0, idx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := r.step(0, 0, idx); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(B*n)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkAdamUpdate is the dense Adam update of the default model's
// parameters (V=10000, C=6: ~690k values) on 1 and 2 goroutines, with the
// variant in use on this CPU ("best"), and with each variant
// (kernel=generic is the scalar Go loop).
func BenchmarkAdamUpdate(b *testing.B) {
	variants := append([]string{kernels.Variants()["adam"]}, kernels.Available("adam")...)
	for i, k := range variants {
		name := "kernel=" + k + "/"
		if i == 0 {
			name = ""
		}
		for _, threads := range []int{1, 2} {
			b.Run(name+"threads="+strconv.Itoa(threads), func(b *testing.B) {
				withAdamVariant(b, k, func() { benchAdamUpdate(b, threads) })
			})
		}
	}
}

func benchAdamUpdate(b *testing.B, threads int) {
	m, err := model.New(model.DefaultConfig(), 10000, 6)
	if err != nil {
		b.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)))
	e := newEngine(m, threads)
	defer e.close()
	a, err := NewAdam(KerasConfig().Optimizer, e.params)
	if err != nil {
		b.Fatal(err)
	}
	g := m.NewGrads()
	rng := rand.New(rand.NewPCG(2, 2))
	for _, t := range g {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * 1e-3)
		}
	}
	sumsq := make([]float64, len(g))
	sumSquaresTo(sumsq, g)
	b.ReportAllocs()
	for b.Loop() {
		e.update(a, g, sumsq)
	}
	n := 0
	for _, p := range e.params {
		n += len(p.Data)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}

// BenchmarkPredict is Predictor.Predict on chunks of 256 TREC-like texts
// (lengths 1..20) with the default architecture, as lstmctl predict runs it.
func BenchmarkPredict(b *testing.B) {
	const N, V, C = 256, 10000, 6
	rng := rand.New(rand.NewPCG(3, 4))
	seqs := make([][]int32, N)
	for i := range seqs {
		s := make([]int32, 1+rng.IntN(20))
		for t := range s {
			s[t] = int32(2 + rng.IntN(V-2))
		}
		seqs[i] = s
	}
	m, err := model.New(model.DefaultConfig(), V, C)
	if err != nil {
		b.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)))
	for _, threads := range []int{1, 2} {
		b.Run("threads="+strconv.Itoa(threads), func(b *testing.B) {
			p := NewPredictor(m, data.Layout{SequenceLength: 40}, 128, threads)
			defer p.Close()
			if _, err := p.Predict(seqs); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := p.Predict(seqs); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(N*n)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

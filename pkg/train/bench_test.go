package train

import (
	"math/rand/v2"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// BenchmarkTrainStep is one training step (fill, forward, backward, shard
// reduction, Adam) of the default architecture: B=128, T=40, V=10000, C=6.
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
	m, err := model.New(model.DefaultConfig(), V, C)
	if err != nil {
		b.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)))
	cfg := DefaultConfig()
	tr := &Trainer{Model: m, Config: cfg, Batch: data.BatchOptions{SequenceLength: T}}
	r, _, err := tr.prepare(ds, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.e.close()
	idx := data.EpochBatches(ds, r.opt, 0)[0]
	for range 3 { // warm up every worker's State
		if err := r.step(idx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := r.step(idx); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(B*n)/b.Elapsed().Seconds(), "samples/s")
}

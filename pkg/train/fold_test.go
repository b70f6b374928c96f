package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// TestPredictorFoldedSameBits: the Predictor's folded first layer gives the
// probabilities of the unfolded model bit for bit, across calls that bring
// new tokens, for 1 and 2 threads, masked and not.
func TestPredictorFoldedSameBits(t *testing.T) {
	const V, C = 300, 4
	rng := rand.New(rand.NewPCG(8, 8))
	for _, masked := range []bool{true, false} {
		cfg := model.DefaultConfig()
		cfg.EmbeddingDim, cfg.MaskPadding = 24, masked
		m, err := model.New(cfg, V, C)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(1, 1)))
		for _, threads := range []int{1, 2} {
			folded := NewPredictor(m, data.Layout{SequenceLength: 20}, 16, threads)
			plain := NewPredictor(m, data.Layout{SequenceLength: 20}, 16, threads)
			if folded.fold == nil {
				t.Fatal("the Predictor did not fold")
			}
			plain.fold = nil
			for i := range plain.e.workers {
				plain.e.workers[i].state.UseFolded(nil)
			}
			for call := range 3 {
				seqs := make([][]int32, 40)
				for i := range seqs {
					seqs[i] = make([]int32, rng.IntN(21))
					for j := range seqs[i] {
						seqs[i][j] = int32(rng.IntN(V/3*(call+1) - 1))
					}
				}
				want, err := plain.Predict(seqs)
				if err != nil {
					t.Fatal(err)
				}
				want = append([]float32(nil), want...)
				got, err := folded.Predict(seqs)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("masked=%v threads=%d call %d: probability %d folded %v, plain %v", masked, threads, call, i, got[i], want[i])
					}
				}
			}
			folded.Close()
			plain.Close()
		}
	}
}

package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// tinyData returns n samples of a separable task over a vocabulary of
// 2+5*classes tokens: class c uses tokens 2+5c .. 2+5c+4, lengths 1..maxLen
// (some samples of length 0 when withEmpty, labelled 0).
func tinyData(seed uint64, n, classes, maxLen int, withEmpty bool) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 99))
	ds := &data.Dataset{}
	for i := 0; i < n; i++ {
		c := rng.IntN(classes)
		l := 1 + rng.IntN(maxLen)
		if withEmpty && i%17 == 5 {
			c, l = 0, 0
		}
		s := make([]int32, l)
		for t := range s {
			s[t] = int32(2 + 5*c + rng.IntN(5))
		}
		ds.Seqs = append(ds.Seqs, s)
		ds.Labels = append(ds.Labels, int32(c))
	}
	return ds
}

func tinyVocab(classes int) int { return 2 + 5*classes }

func newTinyModel(t testing.TB, masked bool, vocab, classes int, seed uint64) *model.Classifier {
	t.Helper()
	m, err := model.New(model.Config{EmbeddingDim: 6, LSTM: []int{5, 4}, MaskPadding: masked}, vocab, classes)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 1)))
	return m
}

func tinyConfig() Config {
	c := KerasConfig()
	c.Epochs = 3
	c.BatchSize = 40
	c.Optimizer.LearningRate = 0.01
	return c
}

// weightBytes serialises every parameter (names and float bits).
func weightBytes(m *model.Classifier) []byte {
	var b bytes.Buffer
	for _, p := range m.Params() {
		b.WriteString(p.Name)
		for _, x := range p.Data {
			_ = binary.Write(&b, binary.LittleEndian, x)
		}
	}
	return b.Bytes()
}

// stepRecorder records callbacks and can run a hook after each step.
type stepRecorder struct {
	starts [][2]int
	steps  [][2]int
	ends   []EpochStats
	after  func(epoch, step int)
}

func (r *stepRecorder) EpochStart(epoch, steps int) {
	r.starts = append(r.starts, [2]int{epoch, steps})
}
func (r *stepRecorder) Step(epoch, step int, loss, acc float64) {
	r.steps = append(r.steps, [2]int{epoch, step})
	if r.after != nil {
		r.after(epoch, step)
	}
}
func (r *stepRecorder) EpochEnd(s EpochStats) { r.ends = append(r.ends, s) }

// cancelAfter returns a context and a recorder that cancels it after the
// given global step (1-based) has finished.
func cancelAfter(n int) (context.Context, context.CancelFunc, *stepRecorder) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := &stepRecorder{}
	count := 0
	rec.after = func(epoch, step int) {
		count++
		if count == n {
			cancel()
		}
	}
	return ctx, cancel, rec
}

// sameHistory compares the deterministic fields of two histories.
func sameHistory(a, b []EpochStats) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Epoch != y.Epoch || x.Loss != y.Loss || x.Accuracy != y.Accuracy || x.ValLoss != y.ValLoss ||
			x.ValAccuracy != y.ValAccuracy || x.HasVal != y.HasVal || x.LearningRate != y.LearningRate {
			return false
		}
	}
	return true
}

// stepAllocs returns the allocations of one warm training step of tr on
// train, cycling through the batches of epoch 0.
func stepAllocs(t *testing.T, tr *Trainer, train *data.Dataset) float64 {
	t.Helper()
	r, _, err := tr.prepare(train, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.e.close()
	batches := data.EpochBatches(train, r.opt, 0)
	warmUp(t, r, batches)
	i := 0
	return testing.AllocsPerRun(20, func() {
		if err := r.step(1, i%len(batches), batches[i%len(batches)]); err != nil {
			t.Fatal(err)
		}
		i++
	})
}

package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

func TestShardRule(t *testing.T) {
	for _, c := range []struct{ b, n int }{{1, 1}, {32, 1}, {33, 2}, {128, 4}, {256, 8}, {257, 8}, {100000, 8}} {
		if got := numShards(c.b); got != c.n {
			t.Errorf("numShards(%d) = %d, want %d", c.b, got, c.n)
		}
	}
}

func TestFitLearnsSeparableTask(t *testing.T) {
	const C = 3
	train := tinyData(1, 120, C, 6, false)
	val := tinyData(2, 60, C, 6, false)
	m := newTinyModel(t, true, tinyVocab(C), C, 1)
	cfg := tinyConfig()
	cfg.Epochs = 25
	cfg.BatchSize = 16
	cfg.Optimizer.LearningRate = 0.02
	tr := &Trainer{Model: m, Config: cfg}
	res, err := tr.Fit(context.Background(), train, val)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Completed || len(res.History) != cfg.Epochs {
		t.Fatalf("status %v, %d epochs", res.Status, len(res.History))
	}
	first, last := res.History[0], res.History[len(res.History)-1]
	if !(last.Loss < first.Loss) {
		t.Errorf("training loss did not fall: %v -> %v", first.Loss, last.Loss)
	}
	met, err := Evaluate(m, val, tr.Layout, tr.Config.BatchSize, 2)
	if err != nil {
		t.Fatal(err)
	}
	if met.Accuracy <= 0.95 || last.ValAccuracy <= 0.95 {
		t.Errorf("validation accuracy %v (history %v), want > 0.95", met.Accuracy, last.ValAccuracy)
	}
	if met.Loss != last.ValLoss || met.Accuracy != last.ValAccuracy {
		t.Errorf("Evaluate (%v, %v) differs from the epoch's validation (%v, %v)", met.Loss, met.Accuracy, last.ValLoss, last.ValAccuracy)
	}
	if res.BestEpoch < 1 || res.Monitor != "val_loss" || res.RestoredBest {
		t.Errorf("best epoch %d monitor %q restored %v", res.BestEpoch, res.Monitor, res.RestoredBest)
	}
}

func TestFitDeterministicAcrossThreads(t *testing.T) {
	const C = 3
	for _, masked := range []bool{true, false} {
		train := tinyData(3, 150, C, 9, true)
		val := tinyData(4, 40, C, 9, true)
		var ref []byte
		var refHist []EpochStats
		for _, threads := range []int{1, 2, 3} {
			m := newTinyModel(t, masked, tinyVocab(C), C, 7)
			cfg := tinyConfig()
			cfg.Epochs = 2
			cfg.BatchSize = 80 // 3 shards, last batch 70 -> 3 shards
			cfg.Threads = threads
			tr := &Trainer{Model: m, Config: cfg, Layout: data.Layout{SequenceLength: 9}}
			res, err := tr.Fit(context.Background(), train, val)
			if err != nil {
				t.Fatal(err)
			}
			w := weightBytes(m)
			if ref == nil {
				ref, refHist = w, res.History
				continue
			}
			if !bytes.Equal(w, ref) {
				t.Errorf("masked=%v: weights with %d threads differ from 1 thread", masked, threads)
			}
			if !sameHistory(res.History, refHist) {
				t.Errorf("masked=%v: history with %d threads differs: %+v vs %+v", masked, threads, res.History, refHist)
			}
		}
	}
}

func TestFitRecorderAndSteps(t *testing.T) {
	const C = 2
	train := tinyData(5, 101, C, 5, false)
	m := newTinyModel(t, true, tinyVocab(C), C, 2)
	cfg := tinyConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 25 // ceil(101/25) = 5 steps
	rec := &stepRecorder{}
	tr := &Trainer{Model: m, Config: cfg, Recorder: rec}
	res, err := tr.Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.starts) != 2 || rec.starts[0] != [2]int{1, 5} || rec.starts[1] != [2]int{2, 5} {
		t.Errorf("EpochStart calls %v", rec.starts)
	}
	if len(rec.steps) != 10 || rec.steps[4] != [2]int{1, 5} || rec.steps[5] != [2]int{2, 1} {
		t.Errorf("Step calls %v", rec.steps)
	}
	if len(rec.ends) != 2 || rec.ends[1].Epoch != 2 || rec.ends[0].HasVal {
		t.Errorf("EpochEnd calls %+v", rec.ends)
	}
	if res.Steps != 10 || res.Monitor != "loss" {
		t.Errorf("steps %d monitor %q", res.Steps, res.Monitor)
	}
	s := res.History[0]
	if s.LearningRate != cfg.Optimizer.LearningRate || !(s.Seconds > 0) || !(s.SamplesPerSec > 0) || !(s.Loss > 0) || s.Accuracy < 0 || s.Accuracy > 1 {
		t.Errorf("epoch stats %+v", s)
	}
}

func TestFitValidation(t *testing.T) {
	const C = 2
	train := tinyData(6, 20, C, 4, false)
	m := newTinyModel(t, true, tinyVocab(C), C, 2)
	cfg := tinyConfig()
	cfg.EarlyStopping.Patience = 2
	cases := map[string]struct {
		tr         *Trainer
		train, val *data.Dataset
		want       string
	}{
		"empty":     {&Trainer{Model: m, Config: tinyConfig()}, &data.Dataset{}, nil, "no samples"},
		"token id":  {&Trainer{Model: m, Config: tinyConfig()}, &data.Dataset{Seqs: [][]int32{{1, 99}}, Labels: []int32{0}}, nil, "token id 99"},
		"label":     {&Trainer{Model: m, Config: tinyConfig()}, &data.Dataset{Seqs: [][]int32{{1}}, Labels: []int32{2}}, nil, "label 2"},
		"val label": {&Trainer{Model: m, Config: tinyConfig()}, train, &data.Dataset{Seqs: [][]int32{{1}}, Labels: []int32{-1}}, "validation set"},
		"config":    {&Trainer{Model: m, Config: Config{}}, train, nil, "epochs"},
		"nil model": {&Trainer{Config: tinyConfig()}, train, nil, "Model is nil"},
	}
	for name, c := range cases {
		res, err := c.tr.Fit(context.Background(), c.train, c.val)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
		if res != nil {
			t.Errorf("%s: result %+v with a validation error", name, res)
		}
	}
	// Without validation data a val_ monitor falls back to the training metric.
	res, err := (&Trainer{Model: m, Config: cfg}).Fit(context.Background(), train, nil)
	if err != nil || res.Monitor != MonitorLoss {
		t.Errorf("val monitor without validation data: monitor %v, err %v; want loss, nil", res, err)
	}
	if _, err := (&Trainer{Model: m, Config: tinyConfig()}).Fit(context.Background(), &data.Dataset{}, nil); !errors.Is(err, data.ErrEmpty) {
		t.Errorf("empty training set: %v does not wrap data.ErrEmpty", err)
	}
}

func TestFitEarlyStoppingRestoresBest(t *testing.T) {
	const C = 2
	train := tinyData(8, 60, C, 5, false)
	cfg := tinyConfig()
	cfg.Epochs = 6
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: "loss", Patience: 2, MinDelta: 100, RestoreBestWeights: true}
	m := newTinyModel(t, true, tinyVocab(C), C, 3)
	res, err := (&Trainer{Model: m, Config: cfg}).Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 1 is the only improvement (min_delta 100); epochs 2 and 3 are not:
	// stop after epoch 3 and restore epoch 1's weights.
	if res.Status != EarlyStopped || len(res.History) != 3 || res.BestEpoch != 1 || !res.RestoredBest || res.BestValue != res.History[0].Loss {
		t.Fatalf("result %+v", res)
	}
	one := newTinyModel(t, true, tinyVocab(C), C, 3)
	cfg1 := cfg
	cfg1.Epochs = 1
	cfg1.EarlyStopping.Patience = 0
	if _, err := (&Trainer{Model: one, Config: cfg1}).Fit(context.Background(), train, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(weightBytes(m), weightBytes(one)) {
		t.Errorf("restored weights differ from the weights after epoch 1")
	}
	// Without restore_best_weights the final weights are kept.
	cfg.EarlyStopping.RestoreBestWeights = false
	m2 := newTinyModel(t, true, tinyVocab(C), C, 3)
	res2, err := (&Trainer{Model: m2, Config: cfg}).Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res2.RestoredBest || bytes.Equal(weightBytes(m2), weightBytes(one)) || res2.Status != EarlyStopped {
		t.Errorf("restore_best_weights=false restored the best weights")
	}
}

func TestFitNonFiniteStopsAndKeepsCheckpoint(t *testing.T) {
	const C = 2
	train := tinyData(9, 50, C, 5, false)
	dir := t.TempDir()
	m := newTinyModel(t, true, tinyVocab(C), C, 4)
	cfg := tinyConfig()
	cfg.Epochs = 1
	if _, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir}).Fit(context.Background(), train, nil); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(dir, LastCheckpoint)
	before, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	// Poison the dense bias: every logit becomes NaN.
	ps := m.Params()
	ps[len(ps)-1].Data[0] = float32(math.NaN())
	cfg.Epochs = 2
	res, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir}).Fit(context.Background(), train, nil)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNonFinite) || nf.Epoch != 1 || nf.Step != 1 || nf.What != "loss" {
		t.Fatalf("err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "epoch 1 step 1") || !strings.Contains(msg, "learning rate") || !strings.Contains(msg, "clipnorm") {
		t.Errorf("error message %q lacks position or hint", msg)
	}
	if res == nil || res.Status != Failed {
		t.Errorf("result %+v", res)
	}
	after, err := os.ReadFile(last)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the last good checkpoint was modified (err %v)", err)
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	const C = 3
	train := tinyData(10, 200, C, 8, true)
	for _, threads := range []int{1, 2} {
		cfg := tinyConfig()
		cfg.BatchSize = 100
		cfg.Threads = threads
		allocs := stepAllocs(t, &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 5), Config: cfg}, train)
		if allocs != 0 {
			t.Errorf("threads=%d: a training step allocates %v times", threads, allocs)
		}
	}
}

// The sparse handling of the embedding gradient (clear, reduce and square
// only the rows a shard saw) must give the dense result bit for bit.
func TestSparseEmbeddingGradientMatchesDense(t *testing.T) {
	const C = 3
	train := tinyData(22, 230, C, 9, true)
	for _, masked := range []bool{true, false} {
		var out [2][]byte
		for j, sparse := range []bool{true, false} {
			m := newTinyModel(t, masked, tinyVocab(C), C, 5)
			cfg := tinyConfig()
			cfg.BatchSize = 100 // shards 4, 4, 1 (last batch 30)
			cfg.Threads = 2
			cfg.Optimizer.GlobalClipNorm = 0.05 // the norm matters too
			r, _, err := (&Trainer{Model: m, Config: cfg}).prepare(train, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !r.e.sparse {
				t.Fatal("the embedding gradient is not handled sparsely")
			}
			r.e.sparse = sparse
			for epoch := 0; epoch < 3; epoch++ {
				for k, b := range data.EpochBatches(train, r.opt, epoch) {
					if err := r.step(epoch, k, b); err != nil {
						t.Fatal(err)
					}
				}
			}
			r.e.close()
			out[j] = weightBytes(m)
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("masked=%v: sparse embedding gradient differs from the dense one", masked)
		}
	}
}

// warmUp runs every batch once and then lets every worker run every shard
// of it, so that each worker's model.State has grown to every shape it may
// meet (which worker takes which shard varies from step to step).
func warmUp(t *testing.T, r *fitRun, batches [][]int) {
	t.Helper()
	for k, b := range batches {
		if err := r.step(0, k, b); err != nil {
			t.Fatal(err)
		}
		// The shards of this batch are still set up by the step.
		e := r.e
		e.batch, e.mode = &r.batch, modeTrain
		for w := range e.workers {
			for s := 0; s < e.n; s++ {
				e.runShard(w, s)
			}
		}
		e.batch = nil
	}
}

// TestFitAutoBatchSize: batch_size 0 trains with batches of 16 below
// SmallData samples and 32 from there on.
func TestFitAutoBatchSize(t *testing.T) {
	if AutoBatchSize(SmallData-1) != 16 || AutoBatchSize(SmallData) != 32 || AutoBatchSize(1) != 16 {
		t.Errorf("AutoBatchSize: %d %d %d", AutoBatchSize(SmallData-1), AutoBatchSize(SmallData), AutoBatchSize(1))
	}
	if got := (Config{BatchSize: 8}).BatchSizeFor(10); got != 8 {
		t.Errorf("an explicit batch size became %d", got)
	}
	const C = 2
	train := tinyData(5, 101, C, 5, false)
	m := newTinyModel(t, true, tinyVocab(C), C, 2)
	cfg := tinyConfig()
	cfg.Epochs, cfg.BatchSize = 1, 0
	tr := &Trainer{Model: m, Config: cfg}
	res, err := tr.Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 7 { // ceil(101/16)
		t.Errorf("%d steps, want 7 batches of 16", res.Steps)
	}
	bad := DefaultConfig()
	bad.BatchSize = -1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "batch_size") {
		t.Errorf("batch_size -1: %v", err)
	}
}

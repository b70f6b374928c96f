package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// newDropoutModel is the tiny model with every dropout of pkg/model on.
func newDropoutModel(t testing.TB, masked bool, vocab, classes int, seed uint64) *model.Classifier {
	t.Helper()
	cfg := model.Config{EmbeddingDim: 6, LSTM: []int{5, 4}, MaskPadding: masked,
		Dropout: 0.2, RecurrentDropout: 0.25, DenseDropout: 0.3, EmbeddingDropout: 0.1, TokenDropout: 0.1}
	m, err := model.New(cfg, vocab, classes)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 1)))
	return m
}

// recipeConfig turns on every training option but the schedule.
func recipeConfig() Config {
	c := tinyConfig()
	c.Optimizer.WeightDecay = 0.05
	c.Optimizer.ClipNorm = 0.5
	c.ClassWeight = ClassWeightBalanced
	c.LabelSmoothing = 0.1
	return c
}

// imbalanced returns tinyData with most class-1 and class-2 samples
// relabelled 0, so that balanced class weights matter.
func imbalanced(seed uint64, n, classes, maxLen int) *data.Dataset {
	ds := tinyData(seed, n, classes, maxLen, true)
	for i := range ds.Labels {
		if ds.Labels[i] != 0 && i%3 != 0 {
			ds.Labels[i] = 0
		}
	}
	return ds
}

type noiseAt struct{ epoch, step, index int }

// The dropout keys: one per sample and step, a pure function of (seed,
// epoch, step, dataset index), whatever the thread count; Train only in
// training.
func TestDropoutKeys(t *testing.T) {
	const C = 3
	train := tinyData(50, 150, C, 9, true)
	val := tinyData(51, 40, C, 9, true)
	var ref map[noiseAt]uint64
	for _, threads := range []int{1, 3} {
		cfg := tinyConfig()
		cfg.BatchSize = 80 // batches of 80 and 70: 3 shards each
		cfg.Threads = threads
		r, _, err := (&Trainer{Model: newDropoutModel(t, true, tinyVocab(C), C, 1), Config: cfg}).prepare(train, val)
		if err != nil {
			t.Fatal(err)
		}
		got := map[noiseAt]uint64{}
		seen := map[uint64]bool{}
		for epoch := 0; epoch < 2; epoch++ {
			for k, idx := range data.EpochBatches(train, r.opt, epoch) {
				if err := r.step(epoch, k, idx); err != nil {
					t.Fatal(err)
				}
				if r.e.n != 3 {
					t.Fatalf("%d shards, want 3", r.e.n)
				}
				n := 0
				for s := 0; s < r.e.n; s++ {
					sh := &r.e.shards[s]
					in := sh.input
					if !in.Train || len(in.Noise) != in.B || in.B != sh.hi-sh.lo {
						t.Fatalf("shard %d: Train=%v, %d keys for %d samples", s, in.Train, len(in.Noise), in.B)
					}
					for j, key := range in.Noise {
						idx := r.batch.Index[sh.lo+j]
						if key != DropoutKey(cfg.Seed, epoch, k, idx) {
							t.Fatalf("epoch %d step %d sample %d: key %#x, want DropoutKey", epoch, k, idx, key)
						}
						if seen[key] {
							t.Fatalf("key %#x repeats", key)
						}
						seen[key] = true
						got[noiseAt{epoch, k, idx}] = key
						n++
					}
				}
				if n != len(idx) {
					t.Fatalf("%d keys for a batch of %d", n, len(idx))
				}
			}
		}
		if len(got) != 2*train.Len() {
			t.Errorf("%d keys for 2 epochs of %d samples", len(got), train.Len())
		}
		if ref == nil {
			ref = got
		} else {
			for at, key := range ref {
				if got[at] != key {
					t.Fatalf("threads=%d: key of %+v differs from 1 thread", threads, at)
				}
			}
		}
		// Validation runs without dropout.
		r.e.evaluate(val, evalOptions(r.t.Model, r.opt.Layout, r.opt.BatchSize), DefaultThreshold)
		for s := 0; s < r.e.n; s++ {
			if in := r.e.shards[s].input; in.Train || in.Noise != nil {
				t.Errorf("evaluation shard %d: Train=%v with %d keys", s, in.Train, len(in.Noise))
			}
		}
		r.e.close()
	}
	// Different seeds, epochs, steps and samples give different keys.
	k := DropoutKey(1, 0, 0, 0)
	for _, o := range []uint64{DropoutKey(2, 0, 0, 0), DropoutKey(1, 1, 0, 0), DropoutKey(1, 0, 1, 0), DropoutKey(1, 0, 0, 1)} {
		if o == k {
			t.Errorf("DropoutKey ignores an argument")
		}
	}
}

// With every option on (dropout, weight decay, clipping, balanced class
// weights, label smoothing, each schedule) the weights and history are
// identical for 1, 2 and 3 threads.
func TestFitOptionsDeterministicAcrossThreads(t *testing.T) {
	const C = 3
	train := imbalanced(52, 150, C, 9)
	val := tinyData(53, 40, C, 9, true)
	for _, sched := range []LRScheduleConfig{
		{Name: ScheduleWarmupCosine, WarmupEpochs: 0.5, MinLR: 1e-4},
		{Name: ScheduleReduceOnPlateau, Factor: 0.5, Patience: 1, MinDelta: 0.05, Monitor: MonitorValLoss},
	} {
		var ref []byte
		var refHist []EpochStats
		for _, threads := range []int{1, 2, 3} {
			m := newDropoutModel(t, true, tinyVocab(C), C, 7)
			cfg := recipeConfig()
			cfg.Epochs = 3
			cfg.BatchSize = 80
			cfg.Threads = threads
			cfg.LRSchedule = sched
			res, err := (&Trainer{Model: m, Config: cfg, Layout: data.Layout{SequenceLength: 9}}).Fit(context.Background(), train, val)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refHist = weightBytes(m), res.History
				continue
			}
			if !bytes.Equal(weightBytes(m), ref) {
				t.Errorf("%s: weights with %d threads differ from 1 thread", sched.Name, threads)
			}
			if !sameHistory(res.History, refHist) {
				t.Errorf("%s: history with %d threads differs", sched.Name, threads)
			}
		}
	}
}

// A run with every option on, interrupted mid-epoch (after the plateau
// schedule lowered the rate) and resumed from its checkpoint file on another
// thread count, ends with the uninterrupted run's weights, history
// (learning rates included) and restored epoch.
func TestResumeWithEveryOption(t *testing.T) {
	const C = 3
	train := imbalanced(54, 130, C, 8)
	val := tinyData(55, 30, C, 8, false)
	cases := []struct {
		name     string
		sched    LRScheduleConfig
		cancelAt int // global step; 4 steps per epoch
		early    bool
		ema      bool
	}{
		{"plateau", LRScheduleConfig{Name: ScheduleReduceOnPlateau, Factor: 0.5, Patience: 1, MinDelta: 10, Monitor: MonitorValLoss}, 10, false, false},
		{"cosine", LRScheduleConfig{Name: ScheduleWarmupCosine, WarmupSteps: 3, MinLR: 1e-4}, 6, false, false},
		{"linear early", LRScheduleConfig{Name: ScheduleWarmupLinear, WarmupEpochs: 1}, 9, true, false},
		{"plateau ema", LRScheduleConfig{Name: ScheduleReduceOnPlateau, Factor: 0.5, Patience: 1, MinDelta: 10, Monitor: MonitorValLoss}, 7, false, true},
	}
	for _, tc := range cases {
		cfg := recipeConfig()
		cfg.Epochs = 4
		cfg.BatchSize = 40 // 4 steps per epoch
		cfg.LRSchedule = tc.sched
		cfg.Optimizer.UseEMA, cfg.Optimizer.EMAMomentum = tc.ema, 0.8
		if tc.early {
			cfg.EarlyStopping = EarlyStoppingConfig{Monitor: MonitorValLoss, Patience: 2, MinDelta: 0.5, RestoreBestWeights: true}
		}
		layout := data.Layout{SequenceLength: 8}
		ref := newDropoutModel(t, true, tinyVocab(C), C, 21)
		refRes, err := (&Trainer{Model: ref, Config: cfg, Layout: layout}).Fit(context.Background(), train, val)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		ctx, cancel, rec := cancelAfter(tc.cancelAt)
		cfg1 := cfg
		cfg1.Threads = 1
		res1, err := (&Trainer{Model: newDropoutModel(t, true, tinyVocab(C), C, 21), Config: cfg1, Layout: layout, Recorder: rec, CheckpointDir: dir}).Fit(ctx, train, val)
		cancel()
		if !errors.Is(err, context.Canceled) || res1.Status != Interrupted || res1.Steps != tc.cancelAt {
			t.Fatalf("%s: interrupted run: %v %+v", tc.name, err, res1)
		}
		if tc.cancelAt%4 == 0 {
			t.Fatalf("%s: the test wants a mid-epoch interruption", tc.name)
		}
		m2 := newDropoutModel(t, true, tinyVocab(C), C, 999)
		cfg2 := cfg
		cfg2.Threads = 3
		tr2 := &Trainer{Model: m2, Config: cfg2, Layout: layout}
		if err := tr2.Resume(filepath.Join(dir, LastCheckpoint)); err != nil {
			t.Fatal(err)
		}
		res2, err := tr2.Fit(context.Background(), train, val)
		if err != nil {
			t.Fatalf("%s: resumed run: %v", tc.name, err)
		}
		if !bytes.Equal(weightBytes(m2), weightBytes(ref)) {
			t.Errorf("%s: resumed weights differ from the uninterrupted run", tc.name)
		}
		if !sameHistory(res2.History, refRes.History) || res2.Status != refRes.Status || res2.Steps != refRes.Steps ||
			res2.RestoredEpoch != refRes.RestoredEpoch || res2.BestEpoch != refRes.BestEpoch {
			t.Errorf("%s: resumed result %+v\nwant %+v", tc.name, res2, refRes)
		}
		lrs := map[float64]bool{}
		for _, s := range refRes.History {
			lrs[s.LearningRate] = true
		}
		if len(lrs) < 2 {
			t.Errorf("%s: the learning rate never changed: %+v", tc.name, refRes.History)
		}
		if tc.early && (refRes.Status != EarlyStopped || refRes.RestoredEpoch != 1) {
			t.Errorf("%s: early stopping did not restore epoch 1: %+v", tc.name, refRes)
		}
	}
}

// restore_best_weights with a schedule: the model ends with the weights of
// the best epoch (those of best.safetensors) and Result names that epoch.
func TestRestoreBestWithSchedule(t *testing.T) {
	const C = 2
	train := tinyData(56, 60, C, 5, false)
	val := tinyData(57, 20, C, 5, false)
	cfg := recipeConfig()
	cfg.Epochs = 6
	cfg.BatchSize = 20
	cfg.LRSchedule = LRScheduleConfig{Name: ScheduleWarmupCosine, WarmupSteps: 2}
	// Only an improvement by 0.05 counts: training stops once two epochs in
	// a row do not improve by that much.
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: MonitorValLoss, Patience: 2, MinDelta: 0.05, RestoreBestWeights: true}
	m := newDropoutModel(t, true, tinyVocab(C), C, 3)
	res, best := fitAndRead(t, m, cfg, train, val, BestCheckpoint)
	if !res.RestoredBest || res.RestoredEpoch != res.BestEpoch || res.RestoredEpoch < 1 {
		t.Fatalf("result %+v", res)
	}
	if best.Epoch != res.RestoredEpoch {
		t.Errorf("best checkpoint of epoch %d, restored epoch %d", best.Epoch, res.RestoredEpoch)
	}
	for _, name := range differingParams(m, best.Weights) {
		t.Errorf("%s: restored weights differ from best.safetensors", name)
	}
	// Without restore_best_weights nothing is restored.
	cfg.EarlyStopping.RestoreBestWeights = false
	res, err := (&Trainer{Model: newDropoutModel(t, true, tinyVocab(C), C, 3), Config: cfg}).Fit(context.Background(), train, val)
	if err != nil || res.RestoredBest || res.RestoredEpoch != 0 {
		t.Errorf("restore off: %v %+v", err, res)
	}
}

// fitAndRead fits m with checkpoints in a new directory and returns the
// result and the checkpoint file named file (LastCheckpoint or
// BestCheckpoint), read back.
func fitAndRead(t *testing.T, m *model.Classifier, cfg Config, train, val *data.Dataset, file string) (*Result, *Checkpoint) {
	t.Helper()
	dir := t.TempDir()
	res, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir}).Fit(context.Background(), train, val)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return res, ck
}

// differingParams returns the names of m's parameters whose bits differ
// from the tensor of the same name in ts (or that ts lacks).
func differingParams(m *model.Classifier, ts []*model.Tensor) []string {
	byName := tensorsByName(ts)
	var out []string
	for _, p := range m.Params() {
		if w, ok := byName[p.Name]; !ok || !bytes.Equal(floatBytes(p.Data), floatBytes(w.Data)) {
			out = append(out, p.Name)
		}
	}
	return out
}

func floatBytes(x []float32) []byte {
	var b bytes.Buffer
	for _, v := range x {
		b.WriteString(string(rune(0))) // separator keeps lengths honest
		b.Write([]byte{byte(math.Float32bits(v)), byte(math.Float32bits(v) >> 8), byte(math.Float32bits(v) >> 16), byte(math.Float32bits(v) >> 24)})
	}
	return b.Bytes()
}

func TestClassWeights(t *testing.T) {
	const C = 3
	train := imbalanced(58, 120, C, 6)
	run := func(cfg Config, cw []float64, rec Recorder) (*Result, []byte, error) {
		m := newTinyModel(t, true, tinyVocab(C), C, 4)
		res, err := (&Trainer{Model: m, Config: cfg, ClassWeights: cw, Recorder: rec}).Fit(context.Background(), train, nil)
		return res, weightBytes(m), err
	}
	cfg := tinyConfig()
	cfg.Epochs = 2
	plain, wPlain, err := run(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Weights all 2: the weighted mean is the plain mean, bit for bit
	// (scaling by a power of two is exact).
	two, wTwo, err := run(cfg, []float64{2, 2, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wPlain, wTwo) || !sameHistory(plain.History, two.History) {
		t.Errorf("uniform class weights changed training: %+v vs %+v", two.History, plain.History)
	}
	// Balanced weights change it, and the reported loss of the first step
	// is the weighted mean of the first batch at the initial weights.
	cfgB := cfg
	cfgB.ClassWeight = ClassWeightBalanced
	var first float64
	rec := &stepRecorder{}
	rec.after = func(epoch, step int) {}
	steps := 0
	hook := &lossHook{f: func(loss float64) {
		if steps == 0 {
			first = loss
		}
		steps++
	}}
	bal, wBal, err := run(cfgB, nil, hook)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(wBal, wPlain) || bal.History[0].Loss == plain.History[0].Loss {
		t.Errorf("balanced class weights did not change training")
	}
	m := newTinyModel(t, true, tinyVocab(C), C, 4)
	tr := &Trainer{Model: m, Config: cfgB}
	opt := tr.batchOptions()
	var b data.Batch
	train.FillBatch(&b, data.EpochBatches(train, opt, 0)[0], opt)
	logits := m.Forward(m.NewState(), model.Input{Tokens: b.Tokens, Lengths: b.Lengths, B: b.B, T: b.T})
	sum, sw, _ := WeightedSoftmaxCrossEntropy(logits, b.Labels, b.B, C, LossOptions{ClassWeights: BalancedClassWeights(train.Labels, C)}, nil)
	if math.Abs(first-sum/sw) > 1e-6 {
		t.Errorf("first step loss %v, weighted mean %v", first, sum/sw)
	}
	// Errors.
	cfgMap := cfg
	cfgMap.ClassWeights = map[string]float64{"a": 2}
	for name, c := range map[string]struct {
		cfg  Config
		cw   []float64
		want string
	}{
		"unresolved map": {cfgMap, nil, "resolved"},
		"both":           {cfgB, []float64{1, 1, 1}, "both"},
		"length":         {cfg, []float64{1, 1}, "2 class weights for 3 classes"},
		"zero":           {cfg, []float64{1, 0, 1}, "positive"},
		"nan":            {cfg, []float64{1, math.NaN(), 1}, "positive"},
	} {
		if _, _, err := run(c.cfg, c.cw, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	// The resolved weights are part of the fingerprint.
	dir := t.TempDir()
	cfg.Epochs = 1
	if _, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 4), Config: cfgMap, ClassWeights: []float64{1, 2, 3}, CheckpointDir: dir}).Fit(context.Background(), train, nil); err != nil {
		t.Fatal(err)
	}
	cfgMap.Epochs = 2
	tr = &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 4), Config: cfgMap, ClassWeights: []float64{1, 2, 4}}
	if err := tr.Resume(filepath.Join(dir, LastCheckpoint)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), train, nil); !errors.Is(err, ErrFingerprint) {
		t.Errorf("resume with other class weights: %v", err)
	}
}

// lossHook records the running loss reported after each step.
type lossHook struct {
	NopRecorder
	f func(loss float64)
}

func (h *lossHook) Step(epoch, step int, loss, acc float64) { h.f(loss) }

// Label smoothing and weight decay change training; both are in the
// fingerprint.
func TestSmoothingAndDecayTakeEffect(t *testing.T) {
	const C = 2
	train := tinyData(59, 60, C, 5, false)
	run := func(mut func(*Config)) []byte {
		cfg := tinyConfig()
		cfg.Epochs = 1
		mut(&cfg)
		m := newTinyModel(t, true, tinyVocab(C), C, 4)
		if _, err := (&Trainer{Model: m, Config: cfg}).Fit(context.Background(), train, nil); err != nil {
			t.Fatal(err)
		}
		return weightBytes(m)
	}
	base := run(func(*Config) {})
	if bytes.Equal(base, run(func(c *Config) { c.LabelSmoothing = 0.2 })) {
		t.Errorf("label smoothing had no effect")
	}
	if bytes.Equal(base, run(func(c *Config) { c.Optimizer.WeightDecay = 0.1 })) {
		t.Errorf("weight decay had no effect")
	}
	fp := func(mut func(*Config)) string {
		cfg := tinyConfig()
		mut(&cfg)
		return (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 4), Config: cfg}).fingerprint(train, nil)
	}
	f0 := fp(func(*Config) {})
	for name, mut := range map[string]func(*Config){
		"smoothing": func(c *Config) { c.LabelSmoothing = 0.1 },
		"decay":     func(c *Config) { c.Optimizer.WeightDecay = 0.1 },
		"schedule":  func(c *Config) { c.LRSchedule.Name = ScheduleWarmupCosine },
		"balanced":  func(c *Config) { c.ClassWeight = ClassWeightBalanced },
	} {
		if fp(mut) == f0 {
			t.Errorf("%s is not in the fingerprint", name)
		}
	}
	if fp(func(c *Config) { c.Epochs = 30; c.Threads = 2 }) != f0 {
		t.Errorf("epochs or threads changed the fingerprint")
	}
}

// A training step with every option on allocates nothing in steady state.
func TestStepWithOptionsDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	const C = 3
	train := imbalanced(60, 200, C, 8)
	for _, threads := range []int{1, 2} {
		cfg := recipeConfig()
		cfg.BatchSize = 100
		cfg.Threads = threads
		cfg.LRSchedule = LRScheduleConfig{Name: ScheduleWarmupCosine, WarmupSteps: 3}
		allocs := stepAllocs(t, &Trainer{Model: newDropoutModel(t, true, tinyVocab(C), C, 5), Config: cfg}, train)
		if allocs != 0 {
			t.Errorf("threads=%d: a training step with every option allocates %v times", threads, allocs)
		}
	}
}

// A checkpoint whose learning-rate state does not fit the configuration is
// refused when Fit restores it.
func TestResumeRefusesBadScheduleState(t *testing.T) {
	const C = 2
	train := tinyData(61, 40, C, 4, false)
	cfg := tinyConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 10
	cfg.LRSchedule = LRScheduleConfig{Name: ScheduleWarmupCosine, WarmupSteps: 2}
	ctx, cancel, rec := cancelAfter(3)
	res, _ := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg, Recorder: rec}).Fit(ctx, train, nil)
	cancel()
	if res == nil || res.Checkpoint == nil {
		t.Fatal("no checkpoint")
	}
	if st := res.Checkpoint.lr; st.LR != cfg.Optimizer.LearningRate || st.Total != 8 || st.Warmup != 2 {
		t.Errorf("checkpoint schedule state %+v", st)
	}
	for name, mut := range map[string]func(*lrState){
		"rate above learning_rate": func(s *lrState) { s.LR *= 2 },
		"zero rate":                func(s *lrState) { s.LR = 0 },
		"cosine rate changed":      func(s *lrState) { s.LR /= 2 },
		"no horizon":               func(s *lrState) { s.Total = 0 },
		"negative wait":            func(s *lrState) { s.Wait = -1 },
	} {
		ck := res.Checkpoint.clone()
		mut(&ck.lr)
		tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}
		if err := tr.ResumeFrom(ck); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), train, nil); err == nil || !strings.Contains(err.Error(), "learning-rate state") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A run resumed with more epochs keeps the decay horizon it started with:
// the extra epochs run at min_lr.
func TestResumeWithMoreEpochsKeepsHorizon(t *testing.T) {
	const C = 2
	train := tinyData(62, 40, C, 4, false)
	cfg := tinyConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 10 // 4 steps per epoch
	cfg.LRSchedule = LRScheduleConfig{Name: ScheduleWarmupLinear, MinLR: 0.002}
	dir := t.TempDir()
	if _, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg, CheckpointDir: dir}).Fit(context.Background(), train, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 3
	tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}
	if err := tr.Resume(filepath.Join(dir, LastCheckpoint)); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Horizon 8 steps: epoch 1 ends at step 3 (p = 3/8), epoch 2 at step 7.
	want := []float64{0.002 + 0.008*5/8, 0.002 + 0.008/8, 0.002}
	for i, w := range want {
		if got := res.History[i].LearningRate; math.Abs(got-w) > 1e-15 {
			t.Errorf("epoch %d: rate %v, want %v", i+1, got, w)
		}
	}
}

// use_ema: Fit validates the moving averages, and returns them (Keras'
// finalize_variable_values) or, with restore_best_weights, the averages of
// the best epoch; a checkpoint's ModelWeights are the averages.
func TestFitWithEMA(t *testing.T) {
	const C = 3
	train := tinyData(60, 90, C, 6, true)
	val := tinyData(61, 30, C, 6, false)
	cfg := tinyConfig()
	cfg.Epochs = 3
	cfg.BatchSize = 30
	cfg.Optimizer.UseEMA, cfg.Optimizer.EMAMomentum = true, 0.9
	m := newTinyModel(t, true, tinyVocab(C), C, 4)
	res, last := fitAndRead(t, m, cfg, train, val, LastCheckpoint)
	if res.RestoredBest {
		t.Fatalf("%+v", res)
	}
	for _, name := range differingParams(m, last.ModelWeights()) {
		t.Errorf("%s: the model does not hold the moving average", name)
	}
	if len(differingParams(m, last.Weights)) == 0 {
		t.Error("the moving average equals the raw weights: use_ema had no effect")
	}
	// The validation loss of the last epoch is that of the returned model.
	vm, err := Evaluate(m, val, data.Layout{}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.History[len(res.History)-1].ValLoss; math.Abs(got-vm.Loss) > 1e-12 {
		t.Errorf("last val_loss %v, the returned model's %v", got, vm.Loss)
	}

	// The average spans at most an epoch: with one step per epoch it is the
	// weights, and use_ema changes nothing.
	full := cfg
	full.BatchSize = train.Len()
	plain := full
	plain.Optimizer.UseEMA = false
	m1, m2 := newTinyModel(t, true, tinyVocab(C), C, 4), newTinyModel(t, true, tinyVocab(C), C, 4)
	if _, err := (&Trainer{Model: m1, Config: full}).Fit(context.Background(), train, val); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Trainer{Model: m2, Config: plain}).Fit(context.Background(), train, val); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(weightBytes(m1), weightBytes(m2)) {
		t.Error("one step per epoch: use_ema changed the model")
	}

	// With restore_best_weights the model holds best.safetensors' averages.
	cfg.Epochs = 6
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: MonitorValLoss, Patience: 2, MinDelta: 0.05, RestoreBestWeights: true}
	m = newTinyModel(t, true, tinyVocab(C), C, 4)
	res, best := fitAndRead(t, m, cfg, train, val, BestCheckpoint)
	if !res.RestoredBest {
		t.Fatalf("%+v", res)
	}
	for _, name := range differingParams(m, best.ModelWeights()) {
		t.Errorf("%s: restored weights differ from best.safetensors' moving average", name)
	}
}

// TestFitFreezeEmbedding: a frozen embedding (Keras trainable=False) leaves
// training bit for bit as initialised, through weight decay, the moving
// average and the restore of the best weights, while the other tensors
// train; unfrozen, the embedding changes.
func TestFitFreezeEmbedding(t *testing.T) {
	const C = 3
	train := tinyData(70, 90, C, 6, true)
	val := tinyData(71, 30, C, 6, false)
	cfg := tinyConfig()
	cfg.Epochs = 4
	cfg.Optimizer.WeightDecay = 0.05
	cfg.Optimizer.UseEMA, cfg.Optimizer.EMAMomentum = true, 0.9
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: MonitorValLoss, Patience: 2, RestoreBestWeights: true}
	for _, frozen := range []bool{true, false} {
		m := newTinyModel(t, true, tinyVocab(C), C, 9)
		m.Config.FreezeEmbedding = frozen
		for i, same := range fitUnchanged(t, m, cfg, train, val) {
			if want := i == 0 && frozen; same != want {
				t.Errorf("frozen %v: %s unchanged = %v, want %v", frozen, m.Params()[i].Name, same, want)
			}
		}
	}
}

// fitUnchanged fits m and reports, per parameter, whether it ended bit for
// bit as it started.
func fitUnchanged(t *testing.T, m *model.Classifier, cfg Config, train, val *data.Dataset) []bool {
	t.Helper()
	before := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		before[i] = slices.Clone(p.Data)
	}
	if _, err := (&Trainer{Model: m, Config: cfg}).Fit(context.Background(), train, val); err != nil {
		t.Fatal(err)
	}
	same := make([]bool, len(before))
	for i, p := range m.Params() {
		same[i] = slices.Equal(p.Data, before[i])
	}
	return same
}

// TestFitFreezeEmbeddingEpochs: freeze_embedding_epochs keeps the
// embedding as initialised for its first epochs only, while the other
// tensors train, and leaves the model's own setting as it was.
func TestFitFreezeEmbeddingEpochs(t *testing.T) {
	const C = 3
	train := tinyData(72, 90, C, 6, true)
	val := tinyData(73, 30, C, 6, false)
	for _, epochs := range []int{2, 3} {
		cfg := tinyConfig()
		cfg.Epochs = epochs
		cfg.FreezeEmbeddingEpochs = 2
		cfg.Optimizer.UseEMA, cfg.Optimizer.EMAMomentum = true, 0.9
		m := newTinyModel(t, true, tinyVocab(C), C, 9)
		for i, same := range fitUnchanged(t, m, cfg, train, val) {
			if want := i == 0 && epochs == 2; same != want {
				t.Errorf("%d epochs: %s unchanged = %v, want %v", epochs, m.Params()[i].Name, same, want)
			}
		}
		if m.Config.FreezeEmbedding || m.EmbeddingFrozen() {
			t.Errorf("%d epochs: Fit left the embedding frozen (config %v)", epochs, m.Config.FreezeEmbedding)
		}
	}
	if err := (Config{Epochs: 1, BatchSize: 1, FreezeEmbeddingEpochs: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "freeze_embedding_epochs") {
		t.Errorf("freeze_embedding_epochs -1: err = %v", err)
	}
}

package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

func TestLRScheduleSequences(t *testing.T) {
	c := math.Cos(math.Pi / 4)
	cases := []struct {
		cfg  LRScheduleConfig
		want []float64 // rate of steps 0, 1, ...
	}{
		{LRScheduleConfig{Name: "constant"}, []float64{0.1, 0.1, 0.1}},
		{LRScheduleConfig{}, []float64{0.1, 0.1}},
		{LRScheduleConfig{Name: "constant", WarmupSteps: 4}, []float64{0.025, 0.05, 0.075, 0.1, 0.1, 0.1}},
		{LRScheduleConfig{Name: "warmup_cosine", WarmupSteps: 2, MinLR: 0.01},
			[]float64{0.05, 0.1, 0.1, 0.01 + 0.09*0.5*(1+c), 0.055, 0.01 + 0.09*0.5*(1-c), 0.01, 0.01}},
		{LRScheduleConfig{Name: "warmup_linear", WarmupSteps: 2, MinLR: 0.01},
			[]float64{0.05, 0.1, 0.1, 0.01 + 0.09*0.75, 0.055, 0.01 + 0.09*0.25, 0.01}},
		{LRScheduleConfig{Name: "warmup_cosine"}, // no warm-up, to 0
			[]float64{0.1, 0.05 * (1 + math.Cos(math.Pi/6)), 0.05 * (1 + math.Cos(math.Pi/3)), 0.05, 0.05 * (1 + math.Cos(2*math.Pi/3)), 0.05 * (1 + math.Cos(5*math.Pi/6)), 0}},
		// warmup_epochs 0.5 of 3 steps per epoch: round(1.5) = 2 steps.
		{LRScheduleConfig{Name: "warmup_linear", WarmupEpochs: 0.5}, []float64{0.05, 0.1, 0.1, 0.075, 0.05, 0.025, 0}},
		// reduce_on_plateau with warm-up behaves as constant within an epoch.
		{LRScheduleConfig{Name: "reduce_on_plateau", WarmupSteps: 2, Factor: 0.5, Monitor: "loss"}, []float64{0.05, 0.1, 0.1}},
	}
	for _, tc := range cases {
		if err := tc.cfg.validate(0.1); err != nil {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		s := newLRScheduler(tc.cfg, 0.1, "loss", 3, 2) // S = 6 steps
		for step, want := range tc.want {
			if got := s.rate(step); math.Abs(got-want) > 1e-15 {
				t.Errorf("%+v: rate(%d) = %v, want %v", tc.cfg, step, got, want)
			}
		}
	}
	// The constant schedule returns learning_rate itself (bit-identical runs).
	if got := newLRScheduler(LRScheduleConfig{}, 0.001, "", 7, 3).rate(5); got != 0.001 {
		t.Errorf("constant rate %v", got)
	}
}

func TestReduceOnPlateau(t *testing.T) {
	cfg := LRScheduleConfig{Name: "reduce_on_plateau", Factor: 0.5, Patience: 2, Cooldown: 1, MinDelta: 0.01, MinLR: 0.02, Monitor: "val_loss"}
	s := newLRScheduler(cfg, 0.1, "val_loss", 5, 20)
	seq := []struct {
		v       float64
		lr      float64 // after the epoch
		wait    int
		reduced bool
	}{
		{1.0, 0.1, 0, false},   // first value improves
		{0.995, 0.1, 1, false}, // not by more than min_delta
		{0.98, 0.1, 0, false},  // improves
		{0.98, 0.1, 1, false},
		{0.99, 0.05, 0, true},        // wait reaches patience: halve, cooldown 1
		{0.99, 0.05, 1, false},       // cooldown ends this epoch, then wait counts
		{0.99, 0.025, 0, true},       // reduced again
		{0.5, 0.025, 0, false},       // improves during cooldown
		{0.6, 0.025, 1, false},       //
		{0.6, 0.02, 0, true},         // 0.0125 clipped to min_lr
		{0.6, 0.02, 1, false},        // cooldown epoch
		{0.6, 0.02, 2, false},        // at min_lr: no more reduction
		{math.NaN(), 0.02, 3, false}, // NaN never improves
	}
	for i, e := range seq {
		red := s.epochEnd(EpochStats{Epoch: i + 1, ValLoss: e.v, Loss: -1, HasVal: true})
		if red != e.reduced || s.LR != e.lr || s.Wait != e.wait || s.rate(100) != e.lr {
			t.Errorf("epoch %d (%v): reduced=%v lr=%v wait=%d, want %v %v %d", i+1, e.v, red, s.LR, s.Wait, e.reduced, e.lr, e.wait)
		}
	}
	// Accuracies are maximised; patience 0 reduces at every non-improvement.
	s = newLRScheduler(LRScheduleConfig{Name: "reduce_on_plateau", Factor: 0.1}, 1, "accuracy", 1, 1)
	for i, e := range []struct {
		acc, lr float64
	}{{0.5, 1}, {0.6, 1}, {0.6, 0.1}, {0.4, 0.01}, {0.7, 0.01}} {
		s.epochEnd(EpochStats{Accuracy: e.acc})
		if math.Abs(s.LR-e.lr) > 1e-15 {
			t.Errorf("accuracy epoch %d: lr %v, want %v", i+1, s.LR, e.lr)
		}
	}
	// An accuracy tie improves when its loss is lower (tieImproves, as in
	// early stopping); val_accuracy pairs with val_loss, not loss.
	s = newLRScheduler(LRScheduleConfig{Name: "reduce_on_plateau", Factor: 0.1}, 1, "val_accuracy", 1, 1)
	for i, e := range []struct {
		acc, loss, lr float64
	}{{1, 0.5, 1}, {1, 0.2, 1}, {1, 0.2, 0.1}, {1, 0.3, 0.01}, {1, 0.1, 0.01}} {
		s.epochEnd(EpochStats{ValAccuracy: e.acc, ValLoss: e.loss, Loss: 1 - e.loss, HasVal: true})
		if math.Abs(s.LR-e.lr) > 1e-15 {
			t.Errorf("val_accuracy tie, epoch %d: lr %v, want %v", i+1, s.LR, e.lr)
		}
	}
	// Other schedules ignore epoch ends.
	s = newLRScheduler(LRScheduleConfig{Name: "warmup_cosine"}, 1, "loss", 1, 1)
	if s.epochEnd(EpochStats{Loss: 1}) || s.epochEnd(EpochStats{Loss: 2}) || s.LR != 1 {
		t.Errorf("warmup_cosine reacted to a plateau")
	}
}

func TestLRScheduleValidate(t *testing.T) {
	cases := []struct {
		want string
		mut  func(*Config)
	}{
		{"lr_schedule.name", func(c *Config) { c.LRSchedule.Name = "step" }},
		{"warmup_steps", func(c *Config) { c.LRSchedule.WarmupSteps = -1 }},
		{"warmup_epochs", func(c *Config) { c.LRSchedule.WarmupEpochs = math.Inf(1) }},
		{"only one", func(c *Config) { c.LRSchedule.WarmupSteps, c.LRSchedule.WarmupEpochs = 3, 1 }},
		{"min_lr", func(c *Config) { c.LRSchedule.MinLR = -1 }},
		{"must not exceed", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.MinLR = "warmup_cosine", 0.01 }},
		{"factor", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.Factor = "reduce_on_plateau", 1 }},
		{"lr_schedule.patience", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.Patience = "reduce_on_plateau", -1 }},
		{"cooldown", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.Cooldown = "reduce_on_plateau", -1 }},
		{"lr_schedule.min_delta", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.MinDelta = "reduce_on_plateau", math.NaN() }},
		{"lr_schedule.monitor", func(c *Config) { c.LRSchedule.Name, c.LRSchedule.Monitor = "reduce_on_plateau", "val_acc" }},
	}
	for _, tc := range cases {
		c := KerasConfig()
		tc.mut(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("want an error about %s, got %v", tc.want, err)
		}
	}
	// The plateau settings do not matter for other schedules (old configs
	// and checkpoints have a zero lr_schedule section).
	c := KerasConfig()
	c.LRSchedule = LRScheduleConfig{}
	if err := c.Validate(); err != nil {
		t.Errorf("zero lr_schedule refused: %v", err)
	}
}

// Fit sets Adam's rate from the schedule before every step, reports the
// rate of each epoch's last step, and lowers it on a plateau.
func TestFitAppliesSchedule(t *testing.T) {
	const C = 2
	train := tinyData(40, 50, C, 5, false) // 5 steps of 10
	cfg := tinyConfig()
	cfg.Epochs = 3
	cfg.BatchSize = 10
	cfg.LRSchedule = LRScheduleConfig{Name: "warmup_cosine", WarmupSteps: 3, MinLR: 0.001}
	r, _, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}).prepare(train, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.e.close()
	ref := newLRScheduler(cfg.LRSchedule, cfg.Optimizer.LearningRate, "", 5, 3)
	if r.sched.Total != 15 || r.sched.Warmup != 3 {
		t.Fatalf("schedule total %d warm-up %d, want 15 and 3", r.sched.Total, r.sched.Warmup)
	}
	for step := 0; step < 15; step++ {
		if err := r.step(step/5, step%5, data.EpochBatches(train, r.opt, step/5)[step%5]); err != nil {
			t.Fatal(err)
		}
		if got, want := r.adam.LearningRate(), ref.rate(step); got != want {
			t.Errorf("step %d: Adam rate %v, want %v", step, got, want)
		}
	}

	// reduce_on_plateau on loss with min_delta 10: every epoch after the
	// first is a plateau, so the rate halves after each of them.
	cfg.LRSchedule = LRScheduleConfig{Name: "reduce_on_plateau", Factor: 0.5, Patience: 1, MinDelta: 10, Monitor: "loss"}
	cfg.Epochs = 4
	res, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}).Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.01, 0.01, 0.005, 0.0025} {
		if got := res.History[i].LearningRate; got != want {
			t.Errorf("epoch %d: learning rate %v, want %v", i+1, got, want)
		}
	}
	// Without validation data a val_ monitor falls back to the training
	// counterpart: the same learning rates as monitoring loss.
	monitored := cfg.LRSchedule.Monitor
	cfg.LRSchedule.Monitor = "val_" + monitored
	res2, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}).Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatalf("val_%s plateau without validation data: %v", monitored, err)
	}
	for i := range res.History {
		if res2.History[i].LearningRate != res.History[i].LearningRate {
			t.Errorf("epoch %d: lr %v with val_%s and no validation data, %v with %s", i+1, res2.History[i].LearningRate, monitored, res.History[i].LearningRate, monitored)
		}
	}
}

// The schedule's horizon counts the steps data.EpochBatches makes.
func TestScheduleHorizonIsEpochSteps(t *testing.T) {
	const C = 2
	for _, c := range []struct{ n, bs int }{{50, 10}, {51, 10}, {7, 40}, {40, 40}} {
		train := tinyData(63, c.n, C, 3, false)
		cfg := tinyConfig()
		cfg.Epochs = 3
		cfg.BatchSize = c.bs
		r, _, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}).prepare(train, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.e.close()
		if want := 3 * len(data.EpochBatches(train, r.opt, 0)); r.sched.Total != want {
			t.Errorf("N=%d batch %d: horizon %d, want %d", c.n, c.bs, r.sched.Total, want)
		}
	}
}

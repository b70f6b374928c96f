package train

import (
	"errors"
	"fmt"
	"math"
)

// Learning-rate schedules (LRScheduleConfig.Name; "" means constant).
const (
	ScheduleConstant        = "constant"
	ScheduleReduceOnPlateau = "reduce_on_plateau"
	ScheduleWarmupCosine    = "warmup_cosine"
	ScheduleWarmupLinear    = "warmup_linear"
)

// LRScheduleConfig is the `train.lr_schedule` section. With s the 0-based
// optimizer step, W the warm-up steps, S the steps of the whole run
// (epochs·ceil(N/batch_size), fixed when the run starts) and lr the
// optimizer's learning_rate:
//
//   - every schedule first warms up linearly, lr·(s+1)/W for s < W (no
//     warm-up when W is 0);
//   - constant: lr;
//   - reduce_on_plateau: Keras' ReduceLROnPlateau callback: at the end of
//     an epoch that does not improve on the best monitored value by more
//     than min_delta, wait grows; when it reaches patience the rate is
//     multiplied by factor (not below min_lr), wait is reset and cooldown
//     epochs follow during which wait stays 0;
//   - warmup_cosine: min_lr + (lr-min_lr)·(1+cos(π·p))/2 with
//     p = min(1, (s-W)/(S-W)), Keras' CosineDecay with warm-up, decaying
//     to min_lr instead of alpha·lr;
//   - warmup_linear: min_lr + (lr-min_lr)·(1-p).
//
// Epochs and thread count do not enter the checkpoint fingerprint; the
// schedule's state (current rate, S, W, plateau counters) is stored in
// checkpoints, so a resumed run keeps the horizon S it started with even if
// it is given more epochs.
type LRScheduleConfig struct {
	Name string `mapstructure:"name" json:"name"`
	// WarmupSteps is W; WarmupEpochs sets it instead as a (possibly
	// fractional) number of epochs, W = round(warmup_epochs·steps per
	// epoch), at least 1 when warmup_epochs > 0. At most one may be set.
	WarmupSteps  int     `mapstructure:"warmup_steps" json:"warmup_steps"`
	WarmupEpochs float64 `mapstructure:"warmup_epochs" json:"warmup_epochs"`
	// MinLR is the floor of reduce_on_plateau and the end point of the
	// warmup_ schedules (<= learning_rate).
	MinLR float64 `mapstructure:"min_lr" json:"min_lr"`
	// reduce_on_plateau only: factor in (0, 1), patience >= 0 and
	// cooldown >= 0 epochs, min_delta >= 0, and the monitored metric
	// (val_loss, val_accuracy, loss, accuracy; a val_ metric needs
	// validation data).
	Factor   float64 `mapstructure:"factor" json:"factor"`
	Patience int     `mapstructure:"patience" json:"patience"`
	Cooldown int     `mapstructure:"cooldown" json:"cooldown"`
	MinDelta float64 `mapstructure:"min_delta" json:"min_delta"`
	Monitor  string  `mapstructure:"monitor" json:"monitor"`
}

// name returns the schedule name, "" meaning constant.
func (c LRScheduleConfig) name() string {
	if c.Name == "" {
		return ScheduleConstant
	}
	return c.Name
}

// validate reports the first invalid setting; lr is optimizer.learning_rate.
func (c LRScheduleConfig) validate(lr float64) error {
	name := c.name()
	switch name {
	case ScheduleConstant, ScheduleReduceOnPlateau, ScheduleWarmupCosine, ScheduleWarmupLinear:
	default:
		return fmt.Errorf("train: lr_schedule.name must be constant, reduce_on_plateau, warmup_cosine or warmup_linear, got %q", c.Name)
	}
	if c.WarmupSteps < 0 {
		return fmt.Errorf("train: lr_schedule.warmup_steps must be >= 0, got %d", c.WarmupSteps)
	}
	if !(c.WarmupEpochs >= 0) || math.IsInf(c.WarmupEpochs, 0) {
		return fmt.Errorf("train: lr_schedule.warmup_epochs must be a finite number >= 0, got %v", c.WarmupEpochs)
	}
	if c.WarmupSteps > 0 && c.WarmupEpochs > 0 {
		return errors.New("train: set only one of lr_schedule.warmup_steps and lr_schedule.warmup_epochs")
	}
	if !(c.MinLR >= 0) || math.IsInf(c.MinLR, 0) {
		return fmt.Errorf("train: lr_schedule.min_lr must be a finite number >= 0, got %v", c.MinLR)
	}
	if name != ScheduleConstant && c.MinLR > lr {
		return fmt.Errorf("train: lr_schedule.min_lr (%v) must not exceed optimizer.learning_rate (%v)", c.MinLR, lr)
	}
	if name != ScheduleReduceOnPlateau {
		return nil
	}
	if !(c.Factor > 0 && c.Factor < 1) {
		return fmt.Errorf("train: lr_schedule.factor must be in (0, 1), got %v", c.Factor)
	}
	if c.Patience < 0 {
		return fmt.Errorf("train: lr_schedule.patience must be >= 0, got %d", c.Patience)
	}
	if c.Cooldown < 0 {
		return fmt.Errorf("train: lr_schedule.cooldown must be >= 0, got %d", c.Cooldown)
	}
	if !(c.MinDelta >= 0) || math.IsInf(c.MinDelta, 0) {
		return fmt.Errorf("train: lr_schedule.min_delta must be a finite number >= 0, got %v", c.MinDelta)
	}
	if !validMonitor(c.Monitor) {
		return fmt.Errorf("train: lr_schedule.monitor must be one of val_loss, val_accuracy, loss, accuracy, got %q", c.Monitor)
	}
	return nil
}

// lrState is the schedule's state, stored in checkpoints ("lr_schedule" in
// train_state).
type lrState struct {
	LR       float64 `json:"lr"`           // base rate: learning_rate, lowered by reduce_on_plateau
	Total    int     `json:"total_steps"`  // S
	Warmup   int     `json:"warmup_steps"` // W
	Best     float64 `json:"best"`         // reduce_on_plateau: best monitored value (when HasBest)
	BestLoss float64 `json:"best_loss"`    // and the loss of its epoch (ties of an accuracy)
	HasBest  bool    `json:"has_best"`
	Wait     int     `json:"wait"`
	Cooldown int     `json:"cooldown_counter"`
}

// lrScheduler computes the learning rate of every step.
type lrScheduler struct {
	cfg     LRScheduleConfig
	name    string
	monitor string // resolved monitor (reduce_on_plateau)
	lrState
}

// newLRScheduler starts a schedule for a run of epochs epochs of
// stepsPerEpoch steps at base rate lr.
func newLRScheduler(cfg LRScheduleConfig, lr float64, monitor string, stepsPerEpoch, epochs int) *lrScheduler {
	s := &lrScheduler{cfg: cfg, name: cfg.name(), monitor: monitor}
	s.LR = lr
	s.Total = stepsPerEpoch * epochs
	s.Warmup = cfg.WarmupSteps
	if cfg.WarmupEpochs > 0 {
		s.Warmup = max(1, int(math.Round(cfg.WarmupEpochs*float64(stepsPerEpoch))))
	}
	return s
}

// restore replaces the state with st (from a checkpoint) after checking it;
// lr is the configured learning rate.
func (s *lrScheduler) restore(st lrState, lr float64) error {
	bad := func(what string) error { return fmt.Errorf("train: checkpoint: bad learning-rate state: %s", what) }
	switch {
	case !(st.LR > 0) || st.LR > lr:
		return bad(fmt.Sprintf("rate %v outside (0, %v]", st.LR, lr))
	case s.name != ScheduleReduceOnPlateau && st.LR != lr:
		return bad(fmt.Sprintf("rate %v, the %s schedule starts from %v", st.LR, s.name, lr))
	case st.Total < 1 || st.Warmup < 0:
		return bad(fmt.Sprintf("total steps %d, warm-up %d", st.Total, st.Warmup))
	case math.IsNaN(st.Best) || math.IsInf(st.Best, 0) || math.IsNaN(st.BestLoss) || st.Wait < 0 || st.Cooldown < 0:
		return bad("plateau counters")
	}
	s.lrState = st
	return nil
}

// rate returns the learning rate of the 0-based optimizer step.
func (s *lrScheduler) rate(step int) float64 {
	base := s.LR
	if step < s.Warmup {
		return base * float64(step+1) / float64(s.Warmup)
	}
	switch s.name {
	case ScheduleWarmupCosine, ScheduleWarmupLinear:
		p := 1.0
		if span := s.Total - s.Warmup; span > 0 {
			p = min(1, float64(step-s.Warmup)/float64(span))
		}
		f := 1 - p
		if s.name == ScheduleWarmupCosine {
			f = 0.5 * (1 + math.Cos(math.Pi*p))
		}
		return s.cfg.MinLR + (base-s.cfg.MinLR)*f
	}
	return base
}

// epochEnd applies reduce_on_plateau (Keras' on_epoch_end) to the finished
// epoch's stats and reports whether the rate was lowered.
func (s *lrScheduler) epochEnd(st EpochStats) (reduced bool) {
	if s.name != ScheduleReduceOnPlateau {
		return false
	}
	v, loss := monitorValue(s.monitor, st), tieLoss(s.monitor, st)
	if s.Cooldown > 0 {
		s.Cooldown--
		s.Wait = 0
	}
	improved := false
	if !math.IsNaN(v) {
		switch {
		case !s.HasBest:
			improved = true
		case monitorMaximizes(s.monitor):
			improved = v > s.Best+s.cfg.MinDelta || tieImproves(v, loss, s.Best, s.BestLoss)
		default:
			improved = v < s.Best-s.cfg.MinDelta
		}
	}
	switch {
	case improved:
		s.Best, s.BestLoss, s.HasBest, s.Wait = v, loss, true, 0
	case s.Cooldown == 0:
		s.Wait++
		if s.Wait >= s.cfg.Patience && s.LR > s.cfg.MinLR {
			s.LR = max(s.LR*s.cfg.Factor, s.cfg.MinLR)
			s.Cooldown = s.cfg.Cooldown
			s.Wait = 0
			reduced = true
		}
	}
	return reduced
}

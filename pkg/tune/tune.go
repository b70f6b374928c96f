// Package tune searches for a better configuration than the one it is
// given, within a budget of optimizer steps or of time: fastText's
// -autotune-validation for lstmctl.
//
// The search is successive halving. It draws candidates from a Space (the
// first is the base configuration itself), trains each for a few epochs,
// keeps the best third by validation accuracy, trains those about three
// times longer, and so on until one rung is left; the best trial of the
// last rung wins. Every trial trains from scratch with the base's
// train.seed, so a trial's model is exactly what `lstmctl train` makes of
// its configuration.
//
// The budget in steps (optimizer steps summed over all trials) makes a
// search reproducible: the same seed, data, base and budget run the same
// trials and pick the same winner, bit for bit. A budget in time is
// turned into steps by a first one-epoch trial of the base configuration
// that measures the speed, and the search also stops at the deadline; it
// is not reproducible, since the speed of a machine varies.
package tune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// Options configure a search.
type Options struct {
	// Space is what is searched; nil is DefaultSpace.
	Space Space
	// Seed draws the candidates (the trials themselves train with the
	// base's train.seed).
	Seed uint64
	// BudgetSteps is the optimizer steps all trials may take together.
	// When 0, Budget (wall time) is used.
	BudgetSteps int
	Budget      time.Duration
	// Candidates is the most configurations the first rung trains
	// (0 = 27); fewer when the budget is small.
	Candidates int
	// Eta is the halving factor: each rung keeps 1/Eta of the trials and
	// trains them Eta times longer (0 = 3).
	Eta int
	// Train holds the options every trial trains with (vectors, reading,
	// version); its Reporter, From and Resume are ignored.
	Train pipeline.TrainOptions
	// Dir receives the trials' model files (trial-N.safetensors).
	Dir string
	// Progress, when set, is told of each trial as it ends.
	Progress func(Trial)
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Trial is one training of the search.
type Trial struct {
	N         int      // 1-based, in the order trials ran
	Candidate int      // which candidate (0 = the base configuration)
	Rung      int      // 0-based; -1 for the speed probe of a time budget
	Epochs    int      // the most epochs it was given (train.epochs)
	Settings  Settings // what it changes in the base configuration
	// EpochsRun and Steps are what it did (early stopping may end a
	// trial before its epochs).
	EpochsRun int
	Steps     int
	// ValAccuracy and ValLoss are the validation metrics of the weights
	// its model holds (the epoch early stopping kept).
	ValAccuracy float64
	ValLoss     float64
	Seconds     float64
	Model       string // its model file
	Err         error  // a trial that failed (it ranks last)
}

// Result is a finished search.
type Result struct {
	Trials      []Trial
	Best        int // index into Trials; -1 when no trial succeeded
	BudgetSteps int // the budget in steps (measured for a time budget)
	StepsUsed   int
	Rungs       int // rungs planned
	// Config is the best trial's configuration (train.epochs included);
	// Settings is what it changes in the base.
	Config   pipeline.Config
	Settings Settings
}

// BestTrial returns the winning trial, or nil.
func (r *Result) BestTrial() *Trial {
	if r.Best < 0 {
		return nil
	}
	return &r.Trials[r.Best]
}

// Search tunes base (a valid configuration with validation data: a
// data.validation file or data.validation_split) within the budget of
// opts. base.Train.Epochs caps the epochs of every trial. On an error of
// the context (Ctrl-C) it returns what ran so far with the error.
func Search(ctx context.Context, base pipeline.Config, opts Options) (*Result, error) {
	if opts.Space == nil {
		opts.Space = DefaultSpace()
		if base.Model.EmbeddingVectors == "" {
			// Freezing a random embedding only keeps it random.
			opts.Space = opts.Space.without("model.freeze_embedding", "train.freeze_embedding_epochs")
		}
	}
	if opts.Candidates <= 0 {
		opts.Candidates = 27
	}
	if opts.Eta <= 1 {
		opts.Eta = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := checkBase(base, opts); err != nil {
		return nil, &pipeline.ConfigError{Err: err}
	}
	if err := opts.Space.Check(base); err != nil {
		return nil, &pipeline.ConfigError{Err: err}
	}
	nTrain, err := trainingSize(base, opts.Train.Read)
	if err != nil {
		return nil, err
	}
	s := &search{base: base, opts: opts, nTrain: nTrain, res: &Result{Best: -1}}
	if opts.BudgetSteps == 0 {
		start := opts.Now()
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(opts.Budget))
		defer cancel()
		if err := s.probe(ctx, start); err != nil {
			return s.res, err
		}
	} else {
		s.res.BudgetSteps = opts.BudgetSteps
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x74756e65))
	cands := opts.Space.candidates(opts.Candidates, rng)
	err = s.run(ctx, cands)
	s.finish()
	return s.res, err
}

// checkBase refuses what a search cannot work with.
func checkBase(base pipeline.Config, opts Options) error {
	if err := base.Validate(); err != nil {
		return err
	}
	if opts.BudgetSteps < 0 || (opts.BudgetSteps == 0 && opts.Budget <= 0) {
		return errors.New("tune: set a budget: a time (--budget 10m) or optimizer steps (--budget-steps N)")
	}
	if base.Data.Train == "" || base.Data.Train == pipeline.Stdin {
		return errors.New("tune: the training data must be a file or directory (each trial reads it again), not standard input")
	}
	if base.Data.Validation == pipeline.Stdin {
		return errors.New("tune: the validation data must be a file or directory (each trial reads it again), not standard input")
	}
	if base.Data.Validation == "" && !(base.Data.ValidationSplit > 0) {
		return errors.New("tune: trials are compared on validation data: set --validation (or data.validation_split)")
	}
	if opts.Dir == "" {
		return errors.New("tune: no directory for the trials' models")
	}
	return nil
}

// trainingSize counts the training samples, for planning epochs in steps:
// exactly those Train will fit on (the stratified split included), read
// once before any trial so that bad data fails before the budget is spent.
func trainingSize(base pipeline.Config, ro pipeline.ReadOptions) (int, error) {
	ro.Skipped = nil
	trainEx, _, err := pipeline.ReadTrainingData(base, ro)
	if err != nil {
		return 0, err
	}
	return max(len(trainEx), 1), nil
}

type search struct {
	base   pipeline.Config
	opts   Options
	nTrain int
	res    *Result
}

// stepsPerEpoch is the optimizer steps of an epoch at batch size b.
func (s *search) stepsPerEpoch(b int) int { return (s.nTrain + b - 1) / b }

// probe measures the speed of the base configuration with a one-epoch
// trial and sets the budget in steps that the time left allows.
func (s *search) probe(ctx context.Context, start time.Time) error {
	t, err := s.trial(ctx, 0, -1, 1, nil)
	if err != nil {
		return err
	}
	if t.Err != nil {
		return fmt.Errorf("tune: the base configuration fails: %w", t.Err)
	}
	left := s.opts.Budget - s.opts.Now().Sub(start)
	rate := float64(t.Steps) / math.Max(t.Seconds, 1e-3)
	// A little under the measured rate: later trials read the data and
	// build their vocabulary too, and many are slower than the base.
	s.res.BudgetSteps = t.Steps + int(0.8*rate*left.Seconds())
	return nil
}

// plan picks the number of rungs and candidates: the most candidates
// (Eta^(rungs-1), at most opts.Candidates) whose first rung can give each
// candidate at least one epoch when every rung spends an equal share of
// the budget.
func (s *search) plan(cands []Settings, budget int) (rungs, n int) {
	for rungs = 1; ; rungs++ {
		next := int(math.Pow(float64(s.opts.Eta), float64(rungs)))
		if next > len(cands) {
			break
		}
	}
	for ; rungs > 1; rungs-- {
		n = int(math.Pow(float64(s.opts.Eta), float64(rungs-1)))
		share := budget / rungs / n
		ok := true
		for _, c := range cands[:n] {
			if share < s.stepsPerEpoch(s.batchSize(c)) {
				ok = false
				break
			}
		}
		if ok {
			return rungs, n
		}
	}
	return 1, 1
}

// batchSize is the batch size of a candidate.
func (s *search) batchSize(c Settings) int {
	cfg, err := c.apply(s.base)
	if err != nil {
		cfg = s.base
	}
	return cfg.Train.BatchSizeFor(s.nTrain)
}

// run trains the rungs.
func (s *search) run(ctx context.Context, cands []Settings) error {
	budget := s.res.BudgetSteps - s.res.StepsUsed
	rungs, n := s.plan(cands, budget)
	s.res.Rungs = rungs
	alive := make([]int, n)
	for i := range alive {
		alive[i] = i
	}
	for rung := range rungs {
		share := budget / rungs / len(alive)
		var done []Trial
		for _, ci := range alive {
			spe := s.stepsPerEpoch(s.batchSize(cands[ci]))
			epochs := min(max(share/spe, 1), s.base.Train.Epochs)
			if left := s.res.BudgetSteps - s.res.StepsUsed; epochs*spe > left {
				epochs = left / spe
			}
			if epochs < 1 {
				break // the budget is spent
			}
			t, err := s.trial(ctx, ci, rung, epochs, cands[ci])
			if err != nil {
				return err
			}
			done = append(done, t)
		}
		if len(done) == 0 {
			break
		}
		slices.SortStableFunc(done, better)
		keep := max(1, len(done)/s.opts.Eta)
		alive = alive[:0]
		for _, t := range done[:keep] {
			if t.Err == nil {
				alive = append(alive, t.Candidate)
			}
		}
		if len(alive) == 0 {
			break
		}
	}
	return nil
}

// better orders trials best first: higher validation accuracy, then lower
// validation loss, then the earlier candidate; failed trials last.
func better(a, b Trial) int {
	if (a.Err == nil) != (b.Err == nil) {
		if a.Err == nil {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.ValAccuracy, a.ValAccuracy); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ValLoss, b.ValLoss); c != 0 {
		return c
	}
	return cmp.Compare(a.Candidate, b.Candidate)
}

// trial trains candidate c for at most epochs epochs and records it. A
// trial that fails on its own (a learning rate that diverges) is recorded
// with its error; an error of the context ends the search.
func (s *search) trial(ctx context.Context, ci, rung, epochs int, c Settings) (Trial, error) {
	cfg, err := c.apply(s.base)
	if err != nil {
		return Trial{}, err
	}
	n := len(s.res.Trials) + 1
	cfg.Train.Epochs = epochs
	cfg.Data.Test = ""
	cfg.Output = pipeline.OutputConfig{Model: filepath.Join(s.opts.Dir, fmt.Sprintf("trial-%d.safetensors", n))}
	to := s.opts.Train
	to.From, to.Resume, to.Reporter = "", "", nil
	t := Trial{N: n, Candidate: ci, Rung: rung, Epochs: epochs, Settings: c, Model: cfg.Output.Model}
	start := s.opts.Now()
	res, err := pipeline.Train(ctx, cfg, to)
	t.Seconds = s.opts.Now().Sub(start).Seconds()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return t, nil // the time budget ended it: not recorded
		}
		return t, ctx.Err()
	}
	if err != nil {
		t.Err = err
	} else {
		fit := res.Fit
		t.Steps, t.EpochsRun = fit.Steps, len(fit.History)
		e := fit.History[len(fit.History)-1]
		if fit.RestoredEpoch > 0 {
			e = fit.History[fit.RestoredEpoch-1]
		}
		t.ValAccuracy, t.ValLoss = e.ValAccuracy, e.ValLoss
	}
	s.res.StepsUsed += t.Steps
	s.res.Trials = append(s.res.Trials, t)
	if s.opts.Progress != nil {
		s.opts.Progress(t)
	}
	return t, nil
}

// finish picks the winner: the best trial of the highest rung that ran.
func (s *search) finish() {
	top := -2
	for _, t := range s.res.Trials {
		if t.Err == nil && t.Rung > top {
			top = t.Rung
		}
	}
	for i, t := range s.res.Trials {
		if t.Err != nil || t.Rung != top {
			continue
		}
		if s.res.Best < 0 || better(t, s.res.Trials[s.res.Best]) < 0 {
			s.res.Best = i
		}
	}
	if b := s.res.BestTrial(); b != nil {
		cfg, _ := b.Settings.apply(s.base)
		cfg.Train.Epochs = b.Epochs
		s.res.Config, s.res.Settings = cfg, b.Settings
	}
}

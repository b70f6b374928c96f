package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// Checkpoint file names inside Trainer.CheckpointDir.
const (
	LastCheckpoint = "last.safetensors"
	BestCheckpoint = "best.safetensors"
)

// Status says how Fit ended.
type Status int

const (
	Completed    Status = iota // all epochs ran
	EarlyStopped               // early stopping ended training
	Interrupted                // the context was cancelled
	Failed                     // an error (non-finite loss, checkpoint write) stopped training
)

func (s Status) String() string {
	switch s {
	case Completed:
		return "completed"
	case EarlyStopped:
		return "early_stopped"
	case Interrupted:
		return "interrupted"
	default:
		return "failed"
	}
}

// Result is the outcome of Fit.
type Result struct {
	Status  Status
	History []EpochStats // one entry per completed epoch, resumed epochs included
	// Monitor is the metric tracked for the best epoch (the configured
	// monitor, or its training counterpart when there is no validation data).
	Monitor      string
	BestEpoch    int     // 1-based epoch with the best Monitor value, 0 = none
	BestValue    float64 // Monitor at BestEpoch
	RestoredBest bool    // the model holds the weights of BestEpoch
	// RestoredEpoch is the epoch whose weights the model holds after
	// restore_best_weights (== BestEpoch when RestoredBest), 0 when the
	// final weights were kept.
	RestoredEpoch int
	Steps         int // optimizer steps done in total
	// CheckpointPath is the last checkpoint file written by this call ("" if none).
	CheckpointPath string
	// Checkpoint is, when Interrupted, the state to resume from with
	// ResumeFrom (also written to CheckpointDir/last.safetensors when a
	// directory is set).
	Checkpoint *Checkpoint
}

// ErrNonFinite is wrapped by *NonFiniteError.
var ErrNonFinite = errors.New("train: non-finite value")

// NonFiniteError reports a NaN or ±Inf loss or gradient. Training stops
// before the update, and no checkpoint is written, so the last good one
// survives.
type NonFiniteError struct {
	Epoch, Step int    // 1-based
	What        string // "loss" or "gradient of TENSOR"
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("train: non-finite %s at epoch %d step %d; lower the learning rate or set optimizer.clipnorm (or global_clipnorm)", e.What, e.Epoch, e.Step)
}

func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }

// ErrFingerprint is returned (wrapped) when a checkpoint does not belong to
// the data and configuration Fit is given.
var ErrFingerprint = errors.New("train: checkpoint was made with different data or configuration")

// Trainer trains Model on a data set. Set the fields, optionally call Resume
// or ResumeFrom, then Fit. A Trainer runs one Fit at a time.
type Trainer struct {
	Model  *model.Classifier // initialised by the caller (Init or loaded weights)
	Config Config
	// Layout is the batch layout of the text settings
	// (data.TextConfig.Layout); the sampling comes from Config, the masking
	// from Model.Config.MaskPadding, and length bucketing is always on.
	Layout   data.Layout
	Recorder Recorder // nil = NopRecorder
	// CheckpointDir, when set, receives last.safetensors at every epoch end,
	// every CheckpointEvery optimizer steps (0 = epoch ends only) and on
	// interruption, and best.safetensors whenever the monitored metric
	// improves. It is created if missing.
	CheckpointDir   string
	CheckpointEvery int
	// CheckpointMeta is stored in every checkpoint (for example the full
	// config, vocabulary and labels, so a checkpoint is self-contained). Keys
	// may not collide with the checkpoint's own (see Checkpoint).
	CheckpointMeta map[string]string
	// FingerprintExtra is hashed into the fingerprint along with the data
	// and the training configuration (for example the text configuration).
	FingerprintExtra []byte
	// ClassWeights, when not nil, holds the loss weight of each class index
	// (len = Model.Classes, each finite and > 0): the caller's resolution of
	// Config.ClassWeights (label name -> weight) in label order. It must be
	// set when Config.ClassWeights is, and must not be with class_weight
	// "balanced" (which Fit computes from the training labels).
	ClassWeights []float64

	resume *Checkpoint
}

// batchOptions returns the batching Fit uses.
func (t *Trainer) batchOptions() data.BatchOptions {
	return data.BatchOptions{
		Layout:    t.Layout,
		BatchSize: t.Config.BatchSize,
		Shuffle:   t.Config.Shuffle,
		Seed:      t.Config.Seed,
		Bucket:    true,
		Masked:    t.Model.Config.MaskPadding,
	}
}

// epochAcc accumulates the current epoch (saved in checkpoints so a resumed
// epoch reports the same loss and accuracy).
type epochAcc struct {
	Loss         float64 `json:"loss"`
	Correct      int     `json:"correct"`
	Samples      int     `json:"samples"`
	Weight       float64 `json:"weight"` // sum of the samples' class weights (Samples without)
	TrainSeconds float64 `json:"train_seconds"`
	Seconds      float64 `json:"seconds"`
}

// fitRun is the state of one Fit call.
type fitRun struct {
	t          *Trainer
	cfg        Config
	opt        data.BatchOptions
	train, val *data.Dataset
	params     []*model.Tensor
	adam       *Adam
	sched      *lrScheduler
	loss       LossOptions
	e          *engine
	es         *earlyStopper
	keepBest   bool
	best       []*model.Tensor // copy of the best weights (keepBest only)
	raw        []*model.Tensor // the parameters while withModelWeights runs
	batch      data.Batch
	sumsq      []float64
	fp         string
	acc        epochAcc
	history    []EpochStats
	stopped    bool
	lastPath   string

	resumeEpoch, resumeBatch int // position to start from

	frozenEmbedding bool // model.freeze_embedding: frozen in every epoch
}

// freezeEmbedding freezes or unfreezes the embedding for epoch (0-based):
// frozen throughout with model.freeze_embedding, else for the first
// FreezeEmbeddingEpochs. Both the model (no embedding gradient) and Adam
// (no update) follow it. It depends only on the epoch, so a resumed run
// freezes as the interrupted one did.
func (r *fitRun) freezeEmbedding(epoch int) {
	frozen := r.frozenEmbedding || epoch < r.cfg.FreezeEmbeddingEpochs
	r.t.Model.SetEmbeddingFrozen(frozen)
	r.adam.SetFrozen(0, frozen) // params[0] is the embedding (model.Classifier.Params)
	if ps := r.t.Model.Params(); r.t.Model.Embedding.Buckets > 0 {
		r.adam.SetFrozen(len(ps)-1, frozen) // the subword rows, last, freeze with it
	}
}

// Fit trains for Config.Epochs epochs (continuing a resumed run) and returns
// the result. Each epoch has exactly ceil(N/BatchSize) steps, drawn by
// data.EpochBatches from (Seed, epoch); each step is sharded (see ShardSize)
// over Config.Threads goroutines, and the model is bit-identical for any
// thread count. ctx is checked before every step: on cancellation the
// current step is finished, a checkpoint is taken and Fit returns Status
// Interrupted with an error wrapping ctx.Err(). A non-finite loss or gradient
// returns Status Failed and a *NonFiniteError. valDS may be nil.
func (t *Trainer) Fit(ctx context.Context, trainDS, valDS *data.Dataset) (*Result, error) {
	r, res, err := t.prepare(trainDS, valDS)
	if err != nil {
		return nil, err
	}
	defer r.e.close()
	res, err = r.loop(ctx, res)
	if err != nil {
		return res, err
	}
	switch {
	case r.keepBest && r.best != nil && r.es.HasBest:
		copyTensors(r.params, r.best)
		res.RestoredBest, res.RestoredEpoch = true, r.es.BestEpoch
	case r.adam.EMATensors() != nil:
		// Keras' finalize_variable_values: the model keeps the averages.
		copyTensors(r.params, r.adam.EMATensors())
	}
	res.BestEpoch, res.BestValue = r.es.BestEpoch, r.es.Best
	return res, nil
}

// prepare validates everything and builds the run (restoring a checkpoint).
func (t *Trainer) prepare(trainDS, valDS *data.Dataset) (*fitRun, *Result, error) {
	if t.Model == nil {
		return nil, nil, errors.New("train: Trainer.Model is nil")
	}
	if t.Config.BatchSize == 0 && trainDS != nil {
		t.Config.BatchSize = AutoBatchSize(trainDS.Len()) // batch_size 0: the data's size chooses
	}
	cfg := t.Config
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if t.CheckpointEvery < 0 {
		return nil, nil, fmt.Errorf("train: checkpoint interval must be >= 0, got %d", t.CheckpointEvery)
	}
	m := t.Model
	if err := checkDataset("training set", trainDS, m, t.Layout, true); err != nil {
		return nil, nil, err
	}
	if valDS != nil && valDS.Len() == 0 {
		valDS = nil
	}
	if valDS != nil {
		if err := checkDataset("validation set", valDS, m, t.Layout, true); err != nil {
			return nil, nil, err
		}
	}
	monitor := cfg.EarlyStopping.Monitor
	lrMonitor := cfg.LRSchedule.Monitor
	if m.Config.Sigmoid() {
		// A multi-label model's accuracy is the subset accuracy, which
		// moves in coarse steps and stays near 0 for many labels: its
		// accuracy monitors watch the loss instead.
		monitor, lrMonitor = multiLabelMonitor(monitor), multiLabelMonitor(lrMonitor)
	}
	// Without validation data a val_ monitor falls back to its training
	// counterpart (Keras would warn and never stop); Result.Monitor says
	// which metric was tracked.
	if valDS == nil && (monitor == MonitorValLoss || monitor == MonitorValAccuracy) {
		monitor = monitor[len("val_"):]
	}
	if valDS == nil && (lrMonitor == MonitorValLoss || lrMonitor == MonitorValAccuracy) {
		lrMonitor = lrMonitor[len("val_"):]
	}
	r := &fitRun{t: t, cfg: cfg, opt: t.batchOptions(), train: trainDS, val: valDS, params: m.Params()}
	var err error
	if r.loss, err = t.lossOptions(trainDS); err != nil {
		return nil, nil, err
	}
	r.keepBest = cfg.EarlyStopping.Patience > 0 && cfg.EarlyStopping.RestoreBestWeights
	r.es = newEarlyStopper(cfg.EarlyStopping, monitor)
	r.sumsq = make([]float64, len(r.params))
	r.fp = t.fingerprint(trainDS, valDS)
	// data.EpochBatches makes exactly ceil(N/BatchSize) batches.
	stepsPerEpoch := (trainDS.Len() + cfg.BatchSize - 1) / cfg.BatchSize
	optCfg := cfg.Optimizer
	// The moving average spans at most about one epoch (package doc).
	optCfg.EMAMomentum = min(optCfg.EMAMomentum, 1-1/float64(stepsPerEpoch))
	r.adam = newAdam(optCfg, r.params) // cfg was validated above
	r.frozenEmbedding = t.Model.Config.FreezeEmbedding
	r.sched = newLRScheduler(cfg.LRSchedule, cfg.Optimizer.LearningRate, lrMonitor, stepsPerEpoch, cfg.Epochs)
	if t.CheckpointDir != "" {
		if err := os.MkdirAll(t.CheckpointDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("train: checkpoint directory: %w", err)
		}
	}
	res := &Result{Monitor: monitor}
	if ck := t.resume; ck != nil {
		if err := r.restore(ck); err != nil {
			return nil, nil, err
		}
		t.resume = nil
	}
	r.e = newEngine(m, cfg.Threads)
	r.e.loss = r.loss
	return r, res, nil
}

// multiLabelMonitor maps an accuracy monitor to the loss of the same data.
func multiLabelMonitor(m string) string {
	switch m {
	case MonitorValAccuracy:
		return MonitorValLoss
	case MonitorAccuracy:
		return MonitorLoss
	}
	return m
}

// lossOptions resolves the class weights and label smoothing of the run.
func (t *Trainer) lossOptions(trainDS *data.Dataset) (LossOptions, error) {
	cfg := t.Config
	opt := LossOptions{LabelSmoothing: cfg.LabelSmoothing}
	C := t.Model.Classes
	if t.Model.Config.Sigmoid() && (cfg.ClassWeight != "" || len(cfg.ClassWeights) > 0 || t.ClassWeights != nil) {
		return opt, errors.New("train: class weights are for single-label (softmax) models; a multi-label model weighs every label decision alike")
	}
	switch {
	case cfg.ClassWeight == ClassWeightBalanced:
		if t.ClassWeights != nil {
			return opt, errors.New("train: class_weight \"balanced\" and Trainer.ClassWeights are both set")
		}
		opt.ClassWeights = BalancedClassWeights(trainDS.Labels, C)
	case len(cfg.ClassWeights) > 0 && t.ClassWeights == nil:
		return opt, errors.New("train: class_weights must be resolved to class indices by the caller (Trainer.ClassWeights)")
	case t.ClassWeights != nil:
		if len(t.ClassWeights) != C {
			return opt, fmt.Errorf("train: %d class weights for %d classes", len(t.ClassWeights), C)
		}
		for c, w := range t.ClassWeights {
			if !(w > 0) || math.IsInf(w, 0) {
				return opt, fmt.Errorf("train: class weight %v of class %d is not a positive number", w, c)
			}
		}
		opt.ClassWeights = append([]float64(nil), t.ClassWeights...)
	}
	return opt, nil
}

// restore applies a checkpoint to the run (after checking its fingerprint).
func (r *fitRun) restore(ck *Checkpoint) error {
	if ck.Fingerprint != r.fp {
		return fmt.Errorf("%w (fingerprint %.12s…, this run %.12s…): resume with the same data, vocabulary and training settings", ErrFingerprint, ck.Fingerprint, r.fp)
	}
	if err := r.t.checkWeights(ck); err != nil {
		return err
	}
	if len(ck.History) != ck.Epoch {
		return fmt.Errorf("train: checkpoint: %d history entries for %d completed epochs", len(ck.History), ck.Epoch)
	}
	if ck.Batch > 0 && ck.Epoch < r.cfg.Epochs {
		if n := len(data.EpochBatches(r.train, r.opt, ck.Epoch)); ck.Batch > n {
			return fmt.Errorf("train: checkpoint: position %d is past the %d steps of epoch %d", ck.Batch, n, ck.Epoch+1)
		}
	}
	if err := r.adam.LoadState(ck.Iterations, ck.Optimizer); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := r.sched.restore(ck.lr, r.cfg.Optimizer.LearningRate); err != nil {
		return err
	}
	byName := tensorsByName(ck.Weights)
	for _, p := range r.params {
		copy(p.Data, byName[p.Name].Data)
	}
	if r.keepBest && len(ck.Best) > 0 {
		r.best = cloneParams(r.params)
		bb := tensorsByName(ck.Best)
		for _, b := range r.best {
			copy(b.Data, bb[b.Name].Data)
		}
	}
	es := ck.early
	es.Monitor, es.Patience, es.MinDelta = r.es.Monitor, r.es.Patience, r.es.MinDelta
	*r.es = es
	r.history = append([]EpochStats(nil), ck.History...)
	r.acc = ck.acc
	r.stopped = ck.stopped
	r.resumeEpoch, r.resumeBatch = ck.Epoch, ck.Batch
	return nil
}

// loop runs the epochs.
func (r *fitRun) loop(ctx context.Context, res *Result) (*Result, error) {
	rec := r.t.Recorder
	if rec == nil {
		rec = NopRecorder{}
	}
	finish := func(st Status, err error) (*Result, error) {
		res.Status = st
		res.History = r.history
		res.Steps = r.adam.Iterations()
		res.CheckpointPath = r.lastPath
		res.BestEpoch, res.BestValue = r.es.BestEpoch, r.es.Best
		return res, err
	}
	if r.stopped {
		return finish(EarlyStopped, nil)
	}
	defer r.t.Model.SetEmbeddingFrozen(r.frozenEmbedding)
	for epoch := r.resumeEpoch; epoch < r.cfg.Epochs; epoch++ {
		r.freezeEmbedding(epoch)
		batches := data.EpochBatches(r.train, r.opt, epoch)
		steps := len(batches)
		k0 := 0
		if epoch == r.resumeEpoch {
			k0 = r.resumeBatch
		} else {
			r.acc = epochAcc{}
		}
		rec.EpochStart(epoch+1, steps)
		for k := k0; k < steps; k++ {
			if ctx.Err() != nil {
				return r.interrupt(ctx, res, finish, epoch, k)
			}
			t0 := time.Now()
			if err := r.step(epoch, k, batches[k]); err != nil {
				var nf *NonFiniteError
				if errors.As(err, &nf) {
					nf.Epoch, nf.Step = epoch+1, k+1
				}
				return finish(Failed, err)
			}
			dt := time.Since(t0).Seconds()
			r.acc.TrainSeconds += dt
			r.acc.Seconds += dt
			if r.t.CheckpointEvery > 0 && r.adam.Iterations()%r.t.CheckpointEvery == 0 && k+1 < steps {
				if err := r.saveLast(epoch, k+1); err != nil {
					return finish(Failed, err)
				}
			}
			rec.Step(epoch+1, k+1, r.acc.Loss/r.acc.Weight, float64(r.acc.Correct)/float64(r.acc.Samples))
		}
		if ctx.Err() != nil {
			return r.interrupt(ctx, res, finish, epoch, steps)
		}
		t0 := time.Now()
		st := EpochStats{
			Epoch:        epoch + 1,
			Loss:         r.acc.Loss / r.acc.Weight,
			Accuracy:     float64(r.acc.Correct) / float64(r.acc.Samples),
			LearningRate: r.sched.rate(r.adam.Iterations() - 1),
		}
		if r.val != nil {
			r.withModelWeights(func() {
				vm := r.e.evaluate(r.val, evalOptions(r.t.Model, r.opt.Layout, r.opt.BatchSize), DefaultThreshold)
				st.ValLoss, st.ValAccuracy, st.HasVal = vm.Loss, vm.Accuracy, true
			})
		}
		r.acc.Seconds += time.Since(t0).Seconds()
		st.Seconds = r.acc.Seconds
		if r.acc.TrainSeconds > 0 {
			st.SamplesPerSec = float64(r.acc.Samples) / r.acc.TrainSeconds
		}
		r.history = append(r.history, st)
		improved, stop := r.es.update(st)
		r.sched.epochEnd(st)
		r.stopped = stop
		r.acc = epochAcc{}
		if improved && r.keepBest {
			if r.best == nil {
				r.best = cloneParams(r.params)
			}
			copyTensors(r.best, r.modelWeights())
		}
		rec.EpochEnd(st)
		if improved && r.t.CheckpointDir != "" {
			if err := r.save(filepath.Join(r.t.CheckpointDir, BestCheckpoint), epoch+1, 0); err != nil {
				return finish(Failed, err)
			}
		}
		if err := r.saveLast(epoch+1, 0); err != nil {
			return finish(Failed, err)
		}
		if stop {
			return finish(EarlyStopped, nil)
		}
	}
	return finish(Completed, nil)
}

// modelWeights returns the weights the run would return now: the moving
// averages with use_ema, else the parameters themselves.
func (r *fitRun) modelWeights() []*model.Tensor {
	if ema := r.adam.EMATensors(); ema != nil {
		return ema
	}
	return r.params
}

// withModelWeights runs f with the model holding modelWeights (the moving
// averages with use_ema), then puts the raw parameters back.
func (r *fitRun) withModelWeights(f func()) {
	ema := r.adam.EMATensors()
	if ema == nil {
		f()
		return
	}
	if r.raw == nil {
		r.raw = cloneParams(r.params)
	}
	copyTensors(r.raw, r.params)
	copyTensors(r.params, ema)
	defer copyTensors(r.params, r.raw)
	f()
}

// step trains on batch k (0-based) of epoch (0-based), the sample indices
// idx: fill, forward/backward over the shards, guard, clip and update with
// the scheduled learning rate. It does not allocate in steady state.
func (r *fitRun) step(epoch, k int, idx []int) error {
	r.train.FillBatch(&r.batch, idx, r.opt)
	grads, sum, weight, correct := r.e.trainStep(&r.batch, stepKey(r.cfg.Seed, epoch, k), r.sumsq)
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return &NonFiniteError{What: "loss"}
	}
	for i, s := range r.sumsq {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return &NonFiniteError{What: "gradient of " + grads[i].Name}
		}
	}
	r.adam.SetLearningRate(r.sched.rate(r.adam.Iterations()))
	r.e.update(r.adam, grads, r.sumsq)
	r.acc.Loss += sum
	r.acc.Weight += weight
	r.acc.Correct += correct
	r.acc.Samples += r.batch.B
	return nil
}

// interrupt takes a checkpoint at (epoch, batches done) and ends the run.
func (r *fitRun) interrupt(ctx context.Context, res *Result, finish func(Status, error) (*Result, error), epoch, done int) (*Result, error) {
	ck := r.checkpoint(epoch, done)
	res.Checkpoint = ck.clone()
	if r.t.CheckpointDir != "" {
		if err := r.saveLast(epoch, done); err != nil {
			return finish(Failed, fmt.Errorf("train: interrupted, and the checkpoint could not be written: %w", err))
		}
	}
	return finish(Interrupted, fmt.Errorf("train: interrupted in epoch %d after %d steps: %w", epoch+1, done, ctx.Err()))
}

// saveLast writes CheckpointDir/last.safetensors when a directory is set.
func (r *fitRun) saveLast(epoch, batch int) error {
	if r.t.CheckpointDir == "" {
		return nil
	}
	return r.save(filepath.Join(r.t.CheckpointDir, LastCheckpoint), epoch, batch)
}

// save writes a checkpoint at position (epoch, batch) to path, refusing to
// overwrite a good checkpoint with non-finite weights.
func (r *fitRun) save(path string, epoch, batch int) error {
	for _, p := range r.params {
		for _, x := range p.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return &NonFiniteError{What: "weight in " + p.Name, Epoch: epoch + 1, Step: batch}
			}
		}
	}
	if err := r.checkpoint(epoch, batch).WriteFile(path); err != nil {
		return err
	}
	r.lastPath = path
	return nil
}

// checkpoint describes the run at (epoch, batch), aliasing live tensors.
func (r *fitRun) checkpoint(epoch, batch int) *Checkpoint {
	ck := &Checkpoint{
		Epoch:       epoch,
		Batch:       batch,
		Iterations:  r.adam.Iterations(),
		Seed:        r.cfg.Seed,
		Fingerprint: r.fp,
		Config:      r.cfg,
		Weights:     r.params,
		Optimizer:   r.adam.StateTensors(),
		History:     r.history,
		Meta:        r.t.CheckpointMeta,
		early:       *r.es,
		lr:          r.sched.lrState,
		stopped:     r.stopped,
	}
	if batch > 0 {
		ck.acc = r.acc
	}
	if r.keepBest && r.best != nil {
		ck.Best = r.best
	}
	return ck
}

// copyTensors copies the data of src[i] into dst[i] (same shapes, in
// parameter order).
func copyTensors(dst, src []*model.Tensor) {
	for i, d := range dst {
		copy(d.Data, src[i].Data)
	}
}

func cloneParams(ps []*model.Tensor) []*model.Tensor {
	out := make([]*model.Tensor, len(ps))
	for i, p := range ps {
		out[i] = &model.Tensor{Name: p.Name, Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Data...)}
	}
	return out
}

func tensorsByName(ts []*model.Tensor) map[string]*model.Tensor {
	m := make(map[string]*model.Tensor, len(ts))
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}

package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// Checkpoint format identification (metadata "format" and "format_version").
const (
	CheckpointFormat        = "lstmctl-checkpoint"
	CheckpointFormatVersion = "1"
)

// Metadata keys a checkpoint reserves; Trainer.CheckpointMeta may not use them.
var reservedMeta = map[string]bool{
	"format": true, "format_version": true, "epoch": true, "batch": true,
	"iterations": true, "seed": true, "fingerprint": true, "train_config": true,
	"train_state": true, "sha256": true, "header_sha256": true,
}

// bestPrefix names the copies of the best weights in a checkpoint.
const bestPrefix = "best."

// Checkpoint is the complete state of a training run at a step boundary,
// stored as a safetensors file:
//
//   - tensors: the weights under their model names, the Adam moments
//     "optimizer.m.<name>" and "optimizer.v.<name>", the moving averages
//     "optimizer.ema.<name>" (optimizer.use_ema only), and (with early
//     stopping and restore_best_weights) the best weights "best.<name>";
//   - metadata: format "lstmctl-checkpoint", format_version, epoch (0-based
//     epoch in progress), batch (batches of it already done), iterations
//     (Adam's step t), seed, fingerprint, train_config (JSON), train_state
//     (JSON: history, early-stopping state, learning-rate schedule state,
//     the running sums of a partial epoch) and the caller's CheckpointMeta;
//     safetensors adds sha256 and header_sha256.
//
// No RNG stream state is stored: the random choices of training are the
// batch order, which data.EpochBatches derives from (seed, epoch) alone, and
// the dropout masks, keyed by DropoutKey(seed, epoch, step, sample), so
// (seed, epoch, batch) determines where to continue.
type Checkpoint struct {
	Epoch       int    // 0-based epoch in progress (== epochs completed when Batch is 0)
	Batch       int    // batches of Epoch already done
	Iterations  int    // optimizer steps done
	Seed        uint64 // Config.Seed of the run
	Fingerprint string // hex SHA-256 of the data and configuration
	Config      Config
	Weights     []*model.Tensor
	Optimizer   []*model.Tensor // optimizer.m.*, optimizer.v.* (then optimizer.ema.*)
	Best        []*model.Tensor // named like Weights; empty unless best weights are kept
	History     []EpochStats    // completed epochs
	Meta        map[string]string

	early   earlyStopper
	lr      lrState
	acc     epochAcc
	stopped bool
}

// ModelWeights returns the weights a model made from the checkpoint
// should hold: the moving averages (named like Weights) when the run kept
// them (optimizer.use_ema), since Fit validates and returns those, else
// Weights. The tensors alias the checkpoint's.
func (c *Checkpoint) ModelWeights() []*model.Tensor {
	var ema []*model.Tensor
	for _, t := range c.Optimizer {
		if name, ok := strings.CutPrefix(t.Name, EMAPrefix); ok {
			ema = append(ema, &model.Tensor{Name: name, Shape: t.Shape, Data: t.Data})
		}
	}
	if len(ema) == 0 {
		return c.Weights
	}
	return ema
}

// trainState is the JSON of the "train_state" metadata entry.
type trainState struct {
	History []EpochStats `json:"history"`
	Early   earlyStopper `json:"early_stopping"`
	LR      lrState      `json:"lr_schedule"`
	Epoch   epochAcc     `json:"epoch_sums"`
	Stopped bool         `json:"stopped"`
}

// clone returns a deep copy (tensors included).
func (c *Checkpoint) clone() *Checkpoint {
	d := *c
	d.Weights = cloneParams(c.Weights)
	d.Optimizer = cloneParams(c.Optimizer)
	d.Best = cloneParams(c.Best)
	d.History = append([]EpochStats(nil), c.History...)
	if c.Meta != nil {
		d.Meta = make(map[string]string, len(c.Meta))
		for k, v := range c.Meta {
			d.Meta[k] = v
		}
	}
	return &d
}

// WriteFile writes the checkpoint to path atomically (temporary file in the
// same directory, fsync, rename, fsync of the directory).
func (c *Checkpoint) WriteFile(path string) error {
	ts, meta, err := c.encode()
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// encode returns the checkpoint's tensors (aliasing c's data) and metadata.
func (c *Checkpoint) encode() ([]safetensors.Tensor, map[string]string, error) {
	meta := make(map[string]string, len(c.Meta)+9)
	for k, v := range c.Meta {
		if reservedMeta[k] {
			return nil, nil, fmt.Errorf("train: checkpoint: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	cfgJSON, err := json.Marshal(c.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	stJSON, err := json.Marshal(trainState{History: c.History, Early: c.early, LR: c.lr, Epoch: c.acc, Stopped: c.stopped})
	if err != nil {
		return nil, nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	meta["format"] = CheckpointFormat
	meta["format_version"] = CheckpointFormatVersion
	meta["epoch"] = strconv.Itoa(c.Epoch)
	meta["batch"] = strconv.Itoa(c.Batch)
	meta["iterations"] = strconv.Itoa(c.Iterations)
	meta["seed"] = strconv.FormatUint(c.Seed, 10)
	meta["fingerprint"] = c.Fingerprint
	meta["train_config"] = string(cfgJSON)
	meta["train_state"] = string(stJSON)
	ts := make([]safetensors.Tensor, 0, len(c.Weights)+len(c.Optimizer)+len(c.Best))
	for _, t := range c.Weights {
		ts = append(ts, safetensors.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	for _, t := range c.Optimizer {
		ts = append(ts, safetensors.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
	}
	for _, t := range c.Best {
		ts = append(ts, safetensors.Tensor{Name: bestPrefix + t.Name, Shape: t.Shape, Data: t.Data})
	}
	return ts, meta, nil
}

// ReadCheckpoint reads and verifies a checkpoint file: the safetensors
// checks (structure, checksums), the format and version, the position and
// state entries, and that every tensor is finite. Tensor names and shapes are
// checked against a model by ResumeFrom.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	ts, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	return parseCheckpoint(path, ts, meta)
}

// parseCheckpoint checks and converts a verified safetensors file's content.
func parseCheckpoint(path string, ts []safetensors.Tensor, meta map[string]string) (*Checkpoint, error) {
	var err error
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	if meta["format"] != CheckpointFormat {
		return nil, bad("not an lstmctl checkpoint (format %q)", meta["format"])
	}
	if v := meta["format_version"]; v != CheckpointFormatVersion {
		return nil, bad("unsupported format_version %q (this build reads %s)", v, CheckpointFormatVersion)
	}
	// Only lstmctl writes checkpoints, always with both checksums.
	if meta[safetensors.SHA256Key] == "" || meta[safetensors.HeaderSHA256Key] == "" {
		return nil, bad("missing checksum metadata (file corrupted?)")
	}
	if err := safetensors.AllFinite(ts); err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	c := &Checkpoint{Fingerprint: meta["fingerprint"], Meta: map[string]string{}}
	for _, f := range []struct {
		key string
		dst *int
	}{{"epoch", &c.Epoch}, {"batch", &c.Batch}, {"iterations", &c.Iterations}} {
		n, err := strconv.Atoi(meta[f.key])
		if err != nil || n < 0 {
			return nil, bad("bad %s %q", f.key, meta[f.key])
		}
		*f.dst = n
	}
	if c.Seed, err = strconv.ParseUint(meta["seed"], 10, 64); err != nil {
		return nil, bad("bad seed %q", meta["seed"])
	}
	if len(c.Fingerprint) != 64 {
		return nil, bad("bad fingerprint %q", c.Fingerprint)
	}
	if _, err := hex.DecodeString(c.Fingerprint); err != nil {
		return nil, bad("bad fingerprint %q", c.Fingerprint)
	}
	dec := json.NewDecoder(strings.NewReader(meta["train_config"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.Config); err != nil {
		return nil, bad("bad train_config: %v", err)
	}
	var st trainState
	dec = json.NewDecoder(strings.NewReader(meta["train_state"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, bad("bad train_state: %v", err)
	}
	if st.Early.Wait < 0 || st.Early.BestEpoch < 0 || st.Early.BestEpoch > c.Epoch || st.Epoch.Samples < 0 || st.Epoch.Correct < 0 ||
		st.Epoch.Correct > st.Epoch.Samples || (c.Batch > 0) != (st.Epoch.Samples > 0) || st.Epoch.Samples < c.Batch ||
		!(st.Epoch.Weight >= 0) || math.IsInf(st.Epoch.Weight, 0) || (st.Epoch.Samples > 0) != (st.Epoch.Weight > 0) {
		return nil, bad("inconsistent train_state")
	}
	if l := st.LR; !(l.LR >= 0) || math.IsInf(l.LR, 0) || math.IsNaN(l.Best) || math.IsInf(l.Best, 0) ||
		l.Total < 0 || l.Warmup < 0 || l.Wait < 0 || l.Cooldown < 0 {
		return nil, bad("inconsistent learning-rate state")
	}
	if len(st.History) != c.Epoch {
		return nil, bad("%d history entries for %d completed epochs", len(st.History), c.Epoch)
	}
	c.History, c.early, c.lr, c.acc, c.stopped = st.History, st.Early, st.LR, st.Epoch, st.Stopped
	for k, v := range meta {
		if !reservedMeta[k] {
			c.Meta[k] = v
		}
	}
	for i := range ts {
		t := &model.Tensor{Name: ts[i].Name, Shape: ts[i].Shape, Data: ts[i].Data}
		switch {
		case strings.HasPrefix(t.Name, adamMPrefix) || strings.HasPrefix(t.Name, adamVPrefix) || strings.HasPrefix(t.Name, EMAPrefix):
			c.Optimizer = append(c.Optimizer, t)
		case strings.HasPrefix(t.Name, bestPrefix):
			t.Name = strings.TrimPrefix(t.Name, bestPrefix)
			c.Best = append(c.Best, t)
		default:
			c.Weights = append(c.Weights, t)
		}
	}
	return c, nil
}

// Resume reads the checkpoint at path and makes the next Fit continue from
// it (see ResumeFrom).
func (t *Trainer) Resume(path string) error {
	c, err := ReadCheckpoint(path)
	if err != nil {
		return err
	}
	return t.ResumeFrom(c)
}

// ResumeFrom makes the next Fit continue from c: Fit checks that c's
// fingerprint matches its data and configuration (else an error wrapping
// ErrFingerprint), then restores the weights, the Adam state, the position
// (epoch, batch), the history, the early-stopping state and the
// learning-rate schedule's state, so that the
// resumed run ends with exactly the weights of an uninterrupted one.
// ResumeFrom checks c's tensors against Model now.
func (t *Trainer) ResumeFrom(c *Checkpoint) error {
	if t.Model == nil {
		return fmt.Errorf("train: resume: Trainer.Model is nil")
	}
	if err := t.checkWeights(c); err != nil {
		// Other shapes mean another vocabulary, labels or architecture.
		return fmt.Errorf("%w: %s; resume with the same data, vocabulary and settings", ErrFingerprint, strings.TrimPrefix(err.Error(), "train: checkpoint: "))
	}
	t.resume = c
	return nil
}

// checkWeights verifies that c's weights (and best weights, if any) are
// exactly the model's parameters by name and shape.
func (t *Trainer) checkWeights(c *Checkpoint) error {
	params := t.Model.Params()
	check := func(what string, ts []*model.Tensor) error {
		if len(ts) != len(params) {
			return fmt.Errorf("train: checkpoint: %d %s tensors, the model has %d", len(ts), what, len(params))
		}
		byName := tensorsByName(ts)
		for _, p := range params {
			w, ok := byName[p.Name]
			if !ok {
				return fmt.Errorf("train: checkpoint: %s tensor %q missing", what, p.Name)
			}
			if !sameShape(w.Shape, p.Shape) || len(w.Data) != len(p.Data) {
				return fmt.Errorf("train: checkpoint: %s tensor %q has shape %v, the model wants %v", what, p.Name, w.Shape, p.Shape)
			}
		}
		return nil
	}
	if err := check("weight", c.Weights); err != nil {
		return err
	}
	if len(c.Best) > 0 {
		return check("best-weight", c.Best)
	}
	return nil
}

// fingerprint is the hex SHA-256 of what determines the run's trajectory:
// the training configuration without Threads and Epochs (the thread count
// does not change the result, and more epochs may be added when resuming),
// the batching options, the model's parameter names and shapes, every token
// id and label of the training and validation sets, and FingerprintExtra.
func (t *Trainer) fingerprint(trainDS, valDS *data.Dataset) string {
	h := sha256.New()
	h.Write([]byte("lstmctl-train-fingerprint/1\n"))
	cfg := t.Config
	cfg.Threads, cfg.Epochs = 0, 0
	b, _ := json.Marshal(cfg)
	h.Write(b)
	opt := t.batchOptions()
	// TruncatePre is always false: the Encoder cuts the sequences, and
	// FingerprintExtra carries its settings. The key stays so that the
	// checkpoints of earlier versions keep their fingerprints.
	b, _ = json.Marshal(struct {
		BatchSize, SequenceLength int
		Shuffle, Bucket, Masked   bool
		PadPre, TruncatePre       bool
		Seed                      uint64
	}{opt.BatchSize, opt.SequenceLength, opt.Shuffle, opt.Bucket, opt.Masked, opt.PadPre, false, opt.Seed})
	h.Write(b)
	for _, p := range t.Model.Params() {
		fmt.Fprintf(h, "\n%s%v", p.Name, p.Shape)
	}
	if t.ClassWeights != nil {
		b, _ = json.Marshal(t.ClassWeights)
		h.Write([]byte("\nclass_weights"))
		h.Write(b)
	}
	data.HashDataset(h, "train", trainDS)
	data.HashDataset(h, "val", valDS)
	h.Write([]byte("\nextra\n"))
	h.Write(t.FingerprintExtra)
	return hex.EncodeToString(h.Sum(nil))
}

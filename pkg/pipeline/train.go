package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// initStream is the PCG stream of the weights' initialisation (the seed is
// train.seed).
const initStream = 0x6c73746d

// VectorSource loads pretrained vectors for a vocabulary: a file path or a
// known name. from says where a named set was found ("" for a file).
// *pretrained.Cache is one.
type VectorSource interface {
	Load(ctx context.Context, value string, vocab []string) (v *embed.Vectors, from string, err error)
}

// Reporter is told how a training run goes. The epochs and steps come
// through train.Recorder.
type Reporter interface {
	train.Recorder
	// Skipped: SkipBad skipped n malformed records of a file.
	Skipped(name string, n int)
	// Vectors: the embedding starts from these vectors.
	Vectors(VectorsReport)
	// Start: the data is read and training starts.
	Start(StartReport)
	// Warn: a setting that will not do what it seems to.
	Warn(msg string)
	// Summary: the layers of the model about to be trained.
	Summary(model.Summary)
}

// VectorsReport describes the pretrained vectors of a run.
type VectorsReport struct {
	Name  string // model.embedding_vectors
	From  string // where a named set was found ("built in", a cache file), "" for a file
	Found int    // vocabulary tokens with a vector
	Total int    // vocabulary tokens
	// Lowered counts the tokens found through their lower-cased form.
	Lowered int
	Dim     int
}

// StartReport describes a run as it starts.
type StartReport struct {
	Train, Validation int // samples
	Classes, Vocab    int
	Threads           int
	// MultiLabel: the model has sigmoid outputs (several labels per text).
	MultiLabel bool
}

// TrainOptions are the inputs of Train beyond its Config.
type TrainOptions struct {
	// From starts from the weights, vocabulary and labels of this model
	// file or checkpoint; its text and model settings replace cfg's.
	From string
	// Resume continues the run a checkpoint of the same data and
	// configuration was taken from.
	Resume string
	Read   ReadOptions // how the data files are read
	// EmbeddingDimSet says that model.embedding_dim was set explicitly: it
	// must then agree with the pretrained vectors, which otherwise give the
	// embedding their dimension.
	EmbeddingDimSet bool
	Vectors         VectorSource // loads model.embedding_vectors; nil refuses them
	Reporter        Reporter     // nil reports nothing
	// Version is the version of the program that trains, stored in the
	// model file (TrainingInfo.Version).
	Version string
}

// TrainResult is what a completed run made.
type TrainResult struct {
	Model *Model
	Fit   *train.Result
	// Test holds the metrics of data.test, nil without a test set.
	Test *train.Metrics
}

// InterruptedError is returned when the context ends a run: the state is
// in Checkpoint ("" when it could not be kept) and resumes with
// TrainOptions.Resume.
type InterruptedError struct {
	Checkpoint string
	Err        error // wraps the context's error
}

func (e *InterruptedError) Error() string { return e.Err.Error() }
func (e *InterruptedError) Unwrap() error { return e.Err }

// ConfigError is a configuration that cannot work with the data, the
// vectors or the model given (for example a vectors file of another
// dimension than model.embedding_dim).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Train runs a whole training: it checks that every input opens and every
// output can be written (a *ConfigError otherwise, before any data is
// read), reads data.train (and data.validation, or splits off
// data.validation_split), builds the vocabulary and the labels (or takes
// them from opts.From), starts the embedding from model.embedding_vectors,
// fits, writing a row of output.history after every epoch, writes
// output.model (or, when that fails, a rescue file the error names), and
// evaluates data.test when set. cfg must be valid (Config.Validate).
func Train(ctx context.Context, cfg Config, opts TrainOptions) (*TrainResult, error) {
	rep := opts.Reporter
	if rep == nil {
		rep = nopReporter{}
	}
	opts.Read.Skipped, opts.Read.Warn = rep.Skipped, rep.Warn
	if cfg.Data.Train == "" {
		return nil, &ConfigError{errors.New("train: no training data: set --train or data.train")}
	}
	if err := preflight(&cfg, opts); err != nil {
		return nil, err
	}
	var from *Model
	if opts.From != "" {
		var err error
		if from, err = Open(opts.From); err != nil {
			return nil, err
		}
		// The text pipeline and the architecture belong to the weights.
		cfg.Text, cfg.Model = from.Config.Text, from.Config.Model
	}
	trainEx, valEx, err := readSplit(&cfg, opts.Read)
	if err != nil {
		return nil, err
	}
	if err := resolveOutput(&cfg.Model.Config, trainEx, valEx); err != nil {
		return nil, err
	}
	if from == nil { // a model to fine-tune knows its classes already
		name := cfg.Data.Train
		if name == Stdin {
			name = stdinName
		}
		if err := data.CheckTrainedClasses(trainEx, valEx, name); err != nil {
			return nil, err
		}
	}
	var resume *train.Checkpoint
	if opts.Resume != "" {
		if resume, err = readResume(opts.Resume); err != nil {
			return nil, err
		}
	}
	m := from
	if m == nil {
		if m, err = newUntrained(ctx, &cfg, trainEx, resume, opts, rep); err != nil {
			return nil, err
		}
	}
	if from != nil || cfg.Model.EmbeddingVectors == "" {
		// Freezing the embedding for the first epochs lets the new layers
		// learn on pretrained vectors before they move; a random or
		// fine-tuned embedding has nothing to protect.
		cfg.Train.FreezeEmbeddingEpochs = 0
	}
	// batch_size 0 is resolved here, so that the model file stores the
	// batch size it was trained with.
	cfg.Train.BatchSize = cfg.Train.BatchSizeFor(len(trainEx))
	m.Config = cfg
	trainDS, valDS, err := encodeSplit(m, trainEx, valEx)
	if err != nil {
		return nil, err
	}
	est := train.MemoryFor(cfg.Model.Config, tableRows(&cfg, m.Vocab.Len()), m.Labels.Len(), trainConfig(&cfg), cfg.Text.Layout(), trainDS, valDS)
	if err := checkMemory("train", est, true, subwordHeavy(&cfg, m.Vocab.Len())); err != nil {
		return nil, err
	}
	m.Training = &TrainingInfo{DataFingerprint: DataFingerprint(m.Vocab, m.Labels, trainDS, valDS), Version: opts.Version}
	m.Checkpoint = nil
	rep.Summary(m.Summary())
	rep.Start(StartReport{Train: len(trainEx), Validation: len(valEx), Classes: m.Labels.Len(), Vocab: m.Vocab.Len(), Threads: cfg.Threads(),
		MultiLabel: cfg.Model.Sigmoid()})
	res, histErr, err := fit(ctx, m, trainDS, valDS, resume, rep)
	if err != nil {
		return nil, err
	}
	m.Training = m.Training.finished(res)
	if err := m.Save(cfg.Output.Model); err != nil {
		return nil, rescue(m, cfg.Output.Model, err)
	}
	if histErr != nil {
		return nil, fmt.Errorf("%w (the model was saved to %s)", histErr, cfg.Output.Model)
	}
	out := &TrainResult{Model: m, Fit: res}
	if cfg.Data.Test != "" {
		if out.Test, err = m.EvaluateFile(cfg.Data.Test, opts.Read); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readSplit reads the training data and the validation data, or splits
// the validation data off the training data.
func readSplit(cfg *Config, ro ReadOptions) (trainEx, valEx []data.Example, err error) {
	all, err := ReadExamples(cfg.Data.Train, cfg.Data, ro)
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		return nil, nil, emptyInput(cfg.Data.Train, "the training data")
	}
	trainEx = all
	if cfg.Data.Validation != "" {
		if valEx, err = ReadExamples(cfg.Data.Validation, cfg.Data, ro); err != nil {
			return nil, nil, err
		}
		if len(valEx) == 0 {
			return nil, nil, emptyInput(cfg.Data.Validation, "the validation data")
		}
	} else if cfg.Data.ValidationSplit > 0 {
		// Stratified by class; a record with several labels by its
		// rarest, so that labels of few records reach the validation set
		// in proportion.
		ti, vi := data.StratifiedSplit(data.RarestLabelKeys(all), cfg.Data.ValidationSplit, cfg.Train.Seed)
		trainEx, valEx = pick(all, ti), pick(all, vi)
	}
	if len(trainEx) == 0 {
		return nil, nil, fmt.Errorf("%s: %w (after the validation split)", cfg.Data.Train, data.ErrEmpty)
	}
	return trainEx, valEx, nil
}

// multiLabel reports whether a model of configuration c trained on ex is
// multi-label: sigmoid outputs, or auto and a record with several labels.
func multiLabel(c model.Config, ex []data.Example) bool {
	return c.Sigmoid() || (c.OutputActivation == model.OutputAuto && data.MultiLabel(ex))
}

// resolveOutput settles model.output_activation for the training data:
// auto becomes sigmoid when a training or validation record has several
// labels, else softmax;
// softmax is stored as "" (model files of single-label models read as
// before the key existed). A record with several labels for a softmax
// model is an error that names it.
func resolveOutput(c *model.Config, trainEx, valEx []data.Example) error {
	multi := multiLabel(*c, trainEx) || multiLabel(*c, valEx)
	if !multi {
		for _, ex := range [][]data.Example{trainEx, valEx} {
			for i := range ex {
				if len(ex[i].Labels) > 1 {
					why := "model.output_activation is softmax (one label per record); train a multi-label model with --multi-label (or output_activation auto or sigmoid), or give each record one label"
					return data.MultiLabelError(&ex[i], why)
				}
			}
		}
		c.OutputActivation = ""
		return nil
	}
	c.OutputActivation = model.OutputSigmoid
	return nil
}

// encodeSplit encodes the training and validation examples (valDS is nil
// without validation data).
func encodeSplit(m *Model, trainEx, valEx []data.Example) (trainDS, valDS *data.Dataset, err error) {
	if trainDS, err = m.EncodeExamples(trainEx); err != nil {
		return nil, nil, err
	}
	if len(valEx) > 0 {
		if valDS, err = m.EncodeExamples(valEx); err != nil {
			return nil, nil, err
		}
	}
	return trainDS, valDS, nil
}

// newUntrained builds the vocabulary and labels of the training examples
// and an initialised classifier, its embedding started from the pretrained
// vectors of the configuration. It settles cfg.Model.EmbeddingDim.
func newUntrained(ctx context.Context, cfg *Config, trainEx []data.Example, resume *train.Checkpoint, opts TrainOptions, rep Reporter) (*Model, error) {
	labels, err := data.LabelsFromExamples(trainEx, cfg.Data.Labels)
	if err != nil {
		return nil, err
	}
	vocab, err := data.BuildVocab(trainEx, cfg.Text)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if err := checkHeader(vocab, labels); err != nil {
		return nil, err
	}
	var vec *embed.Vectors
	switch {
	case cfg.Model.EmbeddingVectors == "":
		if cfg.Model.FreezeEmbedding {
			rep.Warn("model.freeze_embedding without embedding_vectors keeps the embedding at its random initialisation")
		}
	case resume != nil:
		// The checkpoint holds the embedding; only its dimension is
		// needed, so resuming needs neither the vectors nor the network.
		// An explicit model.embedding_dim stays: a mismatch fails the
		// checkpoint's fingerprint check, as any other change does.
		if !opts.EmbeddingDimSet {
			dim, err := checkpointEmbeddingDim(resume)
			if err != nil {
				return nil, fmt.Errorf("%s: checkpoint: %w", opts.Resume, err)
			}
			cfg.Model.EmbeddingDim = dim
		}
	default:
		if vec, err = loadVectors(ctx, cfg, vocab, opts, rep); err != nil {
			return nil, err
		}
	}
	// The weights, gradients and optimizer state, before they are made
	// (the activations are checked once the data is encoded).
	est := train.MemoryFor(cfg.Model.Config, tableRows(cfg, vocab.Len()), labels.Len(), trainConfig(cfg), cfg.Text.Layout(), nil, nil)
	if err := checkMemory("train", est, true, subwordHeavy(cfg, vocab.Len())); err != nil {
		return nil, err
	}
	clf, err := model.NewWithSubwords(cfg.Model.Config, vocab.Len(), cfg.Text.Subwords.Buckets, labels.Len())
	if err != nil {
		return nil, &ConfigError{err}
	}
	clf.Init(rand.New(rand.NewPCG(cfg.Train.Seed, initStream)))
	if vec != nil {
		tab := clf.Embedding.Table()
		if _, err := embed.ApplyVectors(&tab, vec); err != nil {
			return nil, err
		}
	}
	return newModel(clf, *cfg, vocab, labels)
}

// loadVectors reads the vectors of the vocabulary's tokens from
// model.embedding_vectors. The embedding takes their dimension unless
// model.embedding_dim was set, when the two must agree: a user who names
// only the vectors gets an embedding of their size, as fastText's -dim
// follows -pretrainedVectors.
func loadVectors(ctx context.Context, cfg *Config, vocab *data.Vocab, opts TrainOptions, rep Reporter) (*embed.Vectors, error) {
	if opts.Vectors == nil {
		return nil, &ConfigError{fmt.Errorf("train: vectors: no source to load %q from", cfg.Model.EmbeddingVectors)}
	}
	v, from, err := opts.Vectors.Load(ctx, cfg.Model.EmbeddingVectors, vocab.Tokens())
	if err != nil {
		if _, ok := errors.AsType[*embed.ParseError](err); ok {
			return nil, err // names the file and line
		}
		return nil, fmt.Errorf("train: vectors: %w", err)
	}
	if v.Dim != cfg.Model.EmbeddingDim {
		if opts.EmbeddingDimSet {
			return nil, &ConfigError{fmt.Errorf("train: vectors: %s holds %d-dimensional vectors, but model.embedding_dim is %d (leave it unset to take the file's)",
				v.Name, v.Dim, cfg.Model.EmbeddingDim)}
		}
		cfg.Model.EmbeddingDim = v.Dim
	}
	found, total := v.Coverage()
	rep.Vectors(VectorsReport{Name: cfg.Model.EmbeddingVectors, From: from, Found: found, Total: total, Lowered: v.Lowered, Dim: v.Dim})
	if msg := coverageWarning(cfg.Model.EmbeddingVectors, v, vocab, cfg.Text); msg != "" {
		rep.Warn(msg)
	}
	return v, nil
}

// fit trains m, writing the history file as it goes, and keeps the state
// of an interrupted run. histErr is a failure to write the history, which
// does not stop the run: the weights matter more.
func fit(ctx context.Context, m *Model, trainDS, valDS *data.Dataset, resume *train.Checkpoint, rep Reporter) (res *train.Result, histErr, err error) {
	cfg := &m.Config
	tcfg := trainConfig(cfg)
	tr := &train.Trainer{
		Model:            m.Classifier,
		Config:           tcfg,
		Layout:           cfg.Text.Layout(),
		Recorder:         rep,
		CheckpointDir:    cfg.Output.CheckpointDir,
		CheckpointEvery:  cfg.Output.CheckpointEvery,
		CheckpointMeta:   checkpointMeta(m),
		FingerprintExtra: fingerprintExtra(cfg, m.Vocab),
	}
	if tr.ClassWeights, err = ClassWeights(cfg.Train.ClassWeights, m.Labels); err != nil {
		return nil, nil, err
	}
	var prior []train.EpochStats
	if resume != nil {
		if err := tr.ResumeFrom(resume); err != nil {
			return nil, nil, err
		}
		prior = resume.History
	}
	if cfg.Output.History != "" {
		h, err := train.CreateHistory(cfg.Output.History, prior)
		if err != nil {
			return nil, nil, err
		}
		hr := &historyRecorder{Reporter: rep, file: h}
		tr.Recorder = hr
		defer func() {
			if cerr := h.Close(); hr.err == nil {
				hr.err = cerr
			}
			histErr = hr.err
		}()
	}
	res, err = tr.Fit(ctx, trainDS, valDS)
	if err != nil && ctx.Err() != nil && res != nil { // cancelled, or past a deadline
		return nil, nil, keepInterrupted(res, cfg.Output.Model, err)
	}
	return res, nil, err
}

// trainConfig is the train section as the Trainer gets it: with the
// thread count resolved.
func trainConfig(cfg *Config) train.Config {
	tc := cfg.Train
	tc.Threads = cfg.Threads()
	return tc
}

// historyRecorder appends each epoch's row to the history file as the
// run's reporter hears of the epoch.
type historyRecorder struct {
	Reporter
	file *train.HistoryFile
	err  error // the first write that failed; no row is written after it
}

func (h *historyRecorder) EpochEnd(s train.EpochStats) {
	h.Reporter.EpochEnd(s)
	if h.err == nil {
		h.err = h.file.Append(s)
	}
}

// rescue saves the weights of a run whose model file could not be written
// to a rescue file (rescueFile) and returns the error that says where they
// are.
func rescue(m *Model, path string, saveErr error) error {
	name, err := rescueFile(path, m.Save)
	if err != nil {
		return fmt.Errorf("train: writing the model to %s failed: %w; saving the weights beside it and in %s failed as well: %v", path, saveErr, os.TempDir(), err)
	}
	return fmt.Errorf("train: writing the model to %s failed: %w; the trained weights were saved to %s instead (move it into place: mv %s %s)",
		path, saveErr, name, name, path)
}

// rescueFile saves what a file at path was to hold under a new name,
// lstmctl-rescued-NAME-RANDOM.safetensors, beside path or else in the
// temporary directory, and returns that name. Nothing removes a rescued
// file.
func rescueFile(path string, save func(string) error) (string, error) {
	base := strings.TrimSuffix(filepath.Base(path), ".safetensors")
	var errs []error
	for _, dir := range []string{filepath.Dir(path), os.TempDir()} {
		f, err := os.CreateTemp(dir, "lstmctl-rescued-"+base+"-*.safetensors")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		name := f.Name()
		f.Close()
		if err := save(name); err != nil {
			errs = append(errs, err)
			_ = os.Remove(name)
			continue
		}
		_ = os.Chmod(name, 0o644)
		return name, nil
	}
	return "", errors.Join(errs...)
}

// readResume reads the checkpoint to resume; a model file given instead
// gets a pointer to what it can do.
func readResume(path string) (*train.Checkpoint, error) {
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		if _, _, mErr := model.Load(path); mErr == nil {
			return nil, &ConfigError{fmt.Errorf("train: %s is a model file, not a checkpoint: --from starts from its weights (a checkpoint is what --checkpoint-dir or an interrupted run keeps)", path)}
		}
	}
	return ck, err
}

// keepInterrupted makes sure the state of an interrupted run is on disk:
// in the checkpoint directory, or beside the model file, or else in a
// rescue file (rescueFile).
func keepInterrupted(res *train.Result, modelPath string, fitErr error) error {
	path := res.CheckpointPath
	if path == "" && res.Checkpoint != nil {
		path = InterruptCheckpointPath(modelPath)
		if err := res.Checkpoint.WriteFile(path); err != nil {
			rescued, rerr := rescueFile(path, res.Checkpoint.WriteFile)
			if rerr != nil {
				return &InterruptedError{Err: fmt.Errorf("%w (and the checkpoint could not be written: %v; nor beside it or in %s: %v)", fitErr, err, os.TempDir(), rerr)}
			}
			path = rescued
		}
	}
	return &InterruptedError{Checkpoint: path, Err: fitErr}
}

// ClassWeights resolves train.class_weights into one weight per class index
// (nil when the map is empty). Configuration keys are case-insensitive, so
// labels are matched exactly first, then ignoring case; labels the map does
// not name weigh 1.
func ClassWeights(m map[string]float64, labels *data.Labels) ([]float64, error) {
	if len(m) == 0 {
		return nil, nil
	}
	names := labels.Names()
	w := make([]float64, len(names))
	used := map[string]bool{}
	for i, name := range names {
		w[i] = 1
		if v, ok := m[name]; ok {
			w[i], used[name] = v, true
			continue
		}
		low := strings.ToLower(name)
		for j, other := range names {
			if j != i && strings.ToLower(other) == low {
				return nil, &ConfigError{fmt.Errorf("config: train.class_weights: labels %q and %q differ only in case; configuration keys are case-insensitive", name, other)}
			}
		}
		if v, ok := m[low]; ok {
			w[i], used[low] = v, true
		}
	}
	for k := range m {
		if !used[k] {
			return nil, &ConfigError{fmt.Errorf("config: train.class_weights: %q is not a label of the training data (labels: %s)", k, strings.Join(names, ", "))}
		}
	}
	return w, nil
}

func pick(ex []data.Example, idx []int) []data.Example {
	out := make([]data.Example, len(idx))
	for i, j := range idx {
		out[i] = ex[j]
	}
	return out
}

// nopReporter reports nothing.
type nopReporter struct{ train.NopRecorder }

func (nopReporter) Skipped(string, int)   {}
func (nopReporter) Vectors(VectorsReport) {}
func (nopReporter) Start(StartReport)     {}
func (nopReporter) Warn(string)           {}
func (nopReporter) Summary(model.Summary) {}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// Train runs a whole training: it reads data.train (and data.validation, or
// splits off data.validation_split), builds the vocabulary and the labels
// (or takes them from opts.From), starts the embedding from
// model.embedding_vectors, fits, writes output.history and output.model,
// and evaluates data.test when set. cfg must be valid (Config.Validate).
func Train(ctx context.Context, cfg Config, opts TrainOptions) (*TrainResult, error) {
	rep := opts.Reporter
	if rep == nil {
		rep = nopReporter{}
	}
	opts.Read.Skipped = rep.Skipped
	var from *Model
	if opts.From != "" {
		var err error
		if from, err = Open(opts.From); err != nil {
			return nil, err
		}
		// The text pipeline and the architecture belong to the weights.
		cfg.Text, cfg.Model = from.Config.Text, from.Config.Model
	}
	if cfg.Data.Train == "" {
		return nil, &ConfigError{errors.New("train: no training data: set --train or data.train")}
	}
	trainEx, valEx, err := readSplit(&cfg, opts.Read)
	if err != nil {
		return nil, err
	}
	var resume *train.Checkpoint
	if opts.Resume != "" {
		if resume, err = train.ReadCheckpoint(opts.Resume); err != nil {
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
	m.Config = cfg
	trainDS, valDS, err := encodeSplit(m, trainEx, valEx)
	if err != nil {
		return nil, err
	}
	rep.Start(StartReport{Train: len(trainEx), Validation: len(valEx), Classes: m.Labels.Len(), Vocab: m.Vocab.Len(), Threads: cfg.Threads()})
	res, err := fit(ctx, m, trainDS, valDS, resume, rep)
	if err != nil {
		return nil, err
	}
	if err := m.Save(cfg.Output.Model); err != nil {
		return nil, err
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
		return nil, nil, fmt.Errorf("%s: %w", cfg.Data.Train, data.ErrEmpty)
	}
	trainEx = all
	if cfg.Data.Validation != "" {
		if valEx, err = ReadExamples(cfg.Data.Validation, cfg.Data, ro); err != nil {
			return nil, nil, err
		}
	} else if cfg.Data.ValidationSplit > 0 {
		ti, vi := data.Split(len(all), cfg.Data.ValidationSplit, cfg.Train.Seed)
		trainEx, valEx = pick(all, ti), pick(all, vi)
	}
	if len(trainEx) == 0 {
		return nil, nil, fmt.Errorf("%s: %w (after the validation split)", cfg.Data.Train, data.ErrEmpty)
	}
	return trainEx, valEx, nil
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
	clf, err := model.New(cfg.Model.Config, vocab.Len(), labels.Len())
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

// fit trains m, writes the history file, and keeps the state of an
// interrupted run.
func fit(ctx context.Context, m *Model, trainDS, valDS *data.Dataset, resume *train.Checkpoint, rep Reporter) (*train.Result, error) {
	cfg := &m.Config
	tcfg := cfg.Train
	tcfg.Threads = cfg.Threads()
	tr := &train.Trainer{
		Model:            m.Classifier,
		Config:           tcfg,
		Layout:           cfg.Text.Layout(),
		Recorder:         rep,
		CheckpointDir:    cfg.Output.CheckpointDir,
		CheckpointEvery:  cfg.Output.CheckpointEvery,
		CheckpointMeta:   checkpointMeta(cfg, m.Vocab, m.Labels),
		FingerprintExtra: fingerprintExtra(cfg, m.Vocab),
	}
	var err error
	if tr.ClassWeights, err = ClassWeights(cfg.Train.ClassWeights, m.Labels); err != nil {
		return nil, err
	}
	if resume != nil {
		if err := tr.ResumeFrom(resume); err != nil {
			return nil, err
		}
	}
	res, fitErr := tr.Fit(ctx, trainDS, valDS)
	if res != nil && cfg.Output.History != "" && len(res.History) > 0 {
		if err := train.WriteHistory(cfg.Output.History, res.History); err != nil {
			return nil, err
		}
	}
	if fitErr != nil && errors.Is(fitErr, context.Canceled) && res != nil {
		return nil, keepInterrupted(res, cfg.Output.Model, fitErr)
	}
	return res, fitErr
}

// keepInterrupted makes sure the state of an interrupted run is on disk:
// in the checkpoint directory, or beside the model file.
func keepInterrupted(res *train.Result, modelPath string, fitErr error) error {
	path := res.CheckpointPath
	if path == "" && res.Checkpoint != nil {
		path = InterruptCheckpointPath(modelPath)
		if err := res.Checkpoint.WriteFile(path); err != nil {
			return &InterruptedError{Err: fmt.Errorf("%w (and the checkpoint could not be written: %v)", fitErr, err)}
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

package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// Model is a trained classifier with everything needed to use it.
type Model struct {
	Classifier *model.Classifier
	// Config is the configuration the classifier was trained with. Its
	// Text and Model sections belong to the weights; Configure changes the
	// others.
	Config  Config
	Vocab   *data.Vocab
	Labels  *data.Labels
	Encoder *data.Encoder // texts to token ids, by Config.Text and Vocab
	// Training says how the model was trained; nil for a file of a
	// version that did not store it.
	Training *TrainingInfo
	// Checkpoint says where in its run a checkpoint was taken; nil for a
	// model file.
	Checkpoint *CheckpointInfo
	// Storage says how the file Open read stores the weights and whether it
	// carried lstmctl's checksums.
	Storage StorageInfo

	// int8 is set by UseInt8Compute: predictions and evaluations compute
	// the LSTM products in int8.
	int8 *model.Int8Compute
}

// UseInt8Compute makes the Predictors, evaluations and Probabilities of m
// from now on compute the LSTM products but the first layer's input
// projection in int8 (model.Int8Compute: weights quantized per output
// column from the weights loaded, float32 or int8 file alike; activations
// per row). It is faster on a CPU with AVX-512 VNNI and gives the same
// results, slower, in pure Go elsewhere; probabilities move by up to about
// 0.02.
// The weights must not change afterwards.
func (m *Model) UseInt8Compute() { m.int8 = m.Classifier.QuantizeCompute() }

// StorageInfo is how a model file stores its weights.
type StorageInfo struct {
	// Weights is "float32", or "int8" for a file of Model.SaveInt8 (the
	// classifier holds the weights dequantized).
	Weights string `json:"weights"`
	// Checksums is "verified" when the file carries lstmctl's sha256 and
	// header_sha256 (and they matched), "absent" for a file another
	// safetensors writer made (a model converted from PyTorch).
	Checksums string `json:"checksums"`
}

// newModel bundles a classifier with its configuration, vocabulary and
// labels.
func newModel(clf *model.Classifier, cfg Config, vocab *data.Vocab, labels *data.Labels) (*Model, error) {
	if b := cfg.Text.Subwords.Buckets; clf.Embedding.Buckets != b {
		return nil, fmt.Errorf("the model has %d subword rows but its text.subwords.buckets is %d", clf.Embedding.Buckets, b)
	}
	enc, err := data.NewEncoder(cfg.Text, vocab)
	if err != nil {
		return nil, err
	}
	return &Model{Classifier: clf, Config: cfg, Vocab: vocab, Labels: labels, Encoder: enc}, nil
}

// Open loads a model file, or the weights of a training checkpoint (the
// best.safetensors or last.safetensors of a checkpoint directory, or the
// checkpoint an interrupted run left), which carries the same
// configuration, vocabulary and labels.
func Open(path string) (*Model, error) {
	// A FIFO or a device would block the open or never end: only a
	// regular file can be a model (os.Stat does not open it).
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("model: %s is not a regular file (%s); give the path of a model file or checkpoint", path, fi.Mode().Type())
	}
	clf, meta, err := model.Load(path)
	if err != nil {
		ck, ckErr := train.ReadCheckpoint(path)
		if ckErr != nil {
			return nil, err // not a checkpoint either: the model error says why
		}
		return fromCheckpoint(path, ck)
	}
	cfg, err := ParseStoredConfig(meta.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := bundle(path, clf, cfg, meta.Vocab, meta.Labels)
	if err != nil {
		return nil, err
	}
	m.Training = parseTraining(meta.Extra)
	m.Storage = StorageInfo{Weights: "float32", Checksums: meta.Checksums}
	if meta.Quantization != "" {
		m.Storage.Weights = meta.Quantization
	}
	return m, nil
}

// bundle checks a loaded vocabulary and label list and makes a Model.
func bundle(path string, clf *model.Classifier, cfg *Config, vocab, labels []string) (*Model, error) {
	v, err := data.NewVocab(vocab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l, err := data.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := newModel(clf, *cfg, v, l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Save writes the model file (with m.Training when set).
func (m *Model) Save(path string) error {
	return model.Save(path, m.Classifier, m.fileMeta())
}

// fileMeta is what the model file stores besides the weights.
func (m *Model) fileMeta() model.Meta {
	meta := model.Meta{Config: m.Config.JSON(), Vocab: m.Vocab.Tokens(), Labels: m.Labels.Names()}
	if m.Training != nil {
		meta.Extra = map[string]string{metaTraining: m.Training.json()}
	}
	return meta
}

// SaveInt8 writes the model as an int8 model file: the embedding and the
// LSTM kernels as int8 with a float32 scale per row, about a quarter of the
// float32 size. Open reads it back with the weights dequantized.
func (m *Model) SaveInt8(path string) error {
	return model.SaveInt8(path, m.Classifier, m.fileMeta())
}

// Configure takes the settings of how the model is run (data, train and
// output) from cfg, typically a stored configuration overlaid with a
// config file, the environment and flags. The text and model sections
// stay the model's: they belong to its weights.
func (m *Model) Configure(cfg Config) {
	cfg.Text, cfg.Model = m.Config.Text, m.Config.Model
	m.Config = cfg
}

// Threads returns the worker threads of train.threads (0 = all cores).
func (c *Config) Threads() int {
	if c.Train.Threads <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return c.Train.Threads
}

// ReadExamples reads a labelled file or class directory by the model's
// data settings (see the package function ReadExamples).
func (m *Model) ReadExamples(path string, opts ReadOptions) ([]data.Example, error) {
	return ReadExamples(path, m.Config.Data, opts)
}

// EncodeExamples turns examples into token ids and label indices; a label
// the model does not know is a *data.ParseError.
// A multi-label model's data set has label sets (data.EncodeMultiLabel);
// a single-label model refuses a record with several labels.
func (m *Model) EncodeExamples(ex []data.Example) (*data.Dataset, error) {
	if m.MultiLabel() {
		return data.EncodeMultiLabel(ex, m.Encoder, m.Labels)
	}
	return data.EncodeExamples(ex, m.Encoder, m.Labels)
}

// MultiLabel reports whether the model has sigmoid outputs: any number of
// labels per text, each probability on its own.
func (m *Model) MultiLabel() bool { return m.Classifier.Config.Sigmoid() }

// Evaluate computes the metrics of the model on labelled examples (a
// multi-label model's at the threshold 0.5).
func (m *Model) Evaluate(ex []data.Example) (*train.Metrics, error) {
	return m.EvaluateAt(ex, train.DefaultThreshold)
}

// EvaluateAt is Evaluate with the threshold from which a multi-label model
// predicts a label (unused by a single-label model).
func (m *Model) EvaluateAt(ex []data.Example, threshold float64) (*train.Metrics, error) {
	if len(ex) == 0 {
		return nil, data.ErrEmpty
	}
	ds, err := m.EncodeExamples(ex)
	if err != nil {
		return nil, err
	}
	if err := m.checkInference("eval", ds); err != nil {
		return nil, err
	}
	return train.EvaluateInt8At(m.Classifier, m.int8, ds, m.Config.Text.Layout(), m.Config.Train.BatchSize, m.Config.Threads(), threshold)
}

// Probabilities returns the class probabilities of an encoded data set
// (EncodeExamples): [N·C], row i for ds.Seqs[i], as predict gives them.
func (m *Model) Probabilities(ds *data.Dataset) ([]float32, error) {
	if err := m.checkInference("predict", ds); err != nil {
		return nil, err
	}
	p := m.trainPredictor() // the int8 setting too
	defer p.Close()
	probs, err := p.PredictBags(ds.Seqs, ds.Bags)
	if err != nil {
		return nil, err
	}
	return slices.Clone(probs), nil
}

// EvaluateFile reads labelled data (a file, a class directory, or "-")
// and evaluates the model on it.
func (m *Model) EvaluateFile(path string, opts ReadOptions) (*train.Metrics, error) {
	return m.EvaluateFileAt(path, opts, train.DefaultThreshold)
}

// EvaluateFileAt is EvaluateFile with a multi-label model's threshold.
func (m *Model) EvaluateFileAt(path string, opts ReadOptions, threshold float64) (*train.Metrics, error) {
	ex, err := m.ReadExamples(path, opts)
	if err != nil {
		return nil, err
	}
	if len(ex) == 0 {
		return nil, emptyInput(path, "the data to evaluate")
	}
	return m.EvaluateAt(ex, threshold)
}

// errNoMeta is a checkpoint without the metadata Train stores.
var errNoMeta = errors.New("checkpoint without vocabulary or labels")

// fromCheckpoint makes a Model of a checkpoint's weights.
func fromCheckpoint(path string, ck *train.Checkpoint) (*Model, error) {
	var vocab, labels []string
	if json.Unmarshal([]byte(ck.Meta[metaVocab]), &vocab) != nil || json.Unmarshal([]byte(ck.Meta[metaLabels]), &labels) != nil {
		return nil, fmt.Errorf("%s: %w", path, errNoMeta)
	}
	cfg, err := ParseStoredConfig([]byte(ck.Meta[metaConfig]))
	if err != nil {
		return nil, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	weights := map[string]*model.Tensor{}
	for _, w := range ck.ModelWeights() {
		weights[w.Name] = w
	}
	// The stored config must describe the tensors the checkpoint holds
	// before a classifier of its size is allocated.
	buckets := cfg.Text.Subwords.Buckets
	if _, err := model.CheckShapes(cfg.Model.Config, len(vocab), buckets, len(labels), func(name string) ([]int, bool) {
		w, ok := weights[name]
		if !ok {
			return nil, false
		}
		return w.Shape, true
	}); err != nil {
		return nil, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	clf, err := model.NewWithSubwords(cfg.Model.Config, len(vocab), buckets, len(labels))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range clf.Params() {
		copy(p.Data, weights[p.Name].Data)
	}
	m, err := bundle(path, clf, cfg, vocab, labels)
	if err != nil {
		return nil, err
	}
	m.Training = parseTraining(ck.Meta)
	m.Checkpoint = &CheckpointInfo{EpochsDone: ck.Epoch, Batch: ck.Batch, Step: ck.Iterations}
	m.Storage = StorageInfo{Weights: "float32", Checksums: model.ChecksumsVerified}
	return m, nil
}

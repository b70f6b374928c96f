package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// Config is the whole configuration of a run. Its keys are those of
// configs/default.yaml; its JSON form (the same keys) is stored in every
// model file and checkpoint.
type Config struct {
	Data   data.Config     `mapstructure:"data" json:"data"`
	Text   data.TextConfig `mapstructure:"text" json:"text"`
	Model  ModelConfig     `mapstructure:"model" json:"model"`
	Train  train.Config    `mapstructure:"train" json:"train"`
	Output OutputConfig    `mapstructure:"output" json:"output"`
}

// ModelConfig is the `model` section: the network (model.Config) and where
// its embedding starts from.
type ModelConfig struct {
	model.Config `mapstructure:",squash"`
	// EmbeddingVectors names the pretrained vectors that initialise the
	// embedding rows of the tokens they cover: a word2vec, fastText or
	// GloVe text file, or the name of a built-in or fetched set (lstmctl
	// vectors lists them); "" starts from random vectors. The rows they do
	// not cover keep their random start. It is read only when training
	// starts from scratch. The embedding takes the vectors' dimension unless
	// embedding_dim is set explicitly (TrainOptions.EmbeddingDimSet).
	EmbeddingVectors string `mapstructure:"embedding_vectors" json:"embedding_vectors,omitempty"`
}

// DefaultEmbeddingVectors is the default of model.embedding_vectors: the
// built-in GloVe set.
const DefaultEmbeddingVectors = "glove.6B.100d.int8"

// OutputConfig is the `output` section.
type OutputConfig struct {
	Model           string `mapstructure:"model" json:"model"`
	CheckpointDir   string `mapstructure:"checkpoint_dir" json:"checkpoint_dir"`
	CheckpointEvery int    `mapstructure:"checkpoint_every" json:"checkpoint_every"`
	History         string `mapstructure:"history" json:"history"`
}

// DefaultConfig returns the defaults of every section, the values of
// configs/default.yaml.
func DefaultConfig() Config {
	return Config{
		Data:   data.DefaultConfig(),
		Text:   data.DefaultTextConfig(),
		Model:  ModelConfig{Config: model.DefaultConfig(), EmbeddingVectors: DefaultEmbeddingVectors},
		Train:  train.DefaultConfig(),
		Output: OutputConfig{Model: "model.safetensors"},
	}
}

// Settle resolves the values that depend on which keys were set
// explicitly (by a config file, the environment or a flag; set tells):
//
//   - optimizer name adamw is Keras' AdamW, Adam with decoupled weight
//     decay, 0.004 unless weight_decay is set: it is kept as what it is,
//     adam with that weight_decay;
//   - model.embedding_vectors "none" is "", a random start;
//   - the default vectors, the built-in set, give way when embedding_dim
//     is set to another size and no vectors are named: that asks for a
//     random embedding of that size.
func (c *Config) Settle(set func(key string) bool) {
	if o := &c.Train.Optimizer; strings.EqualFold(o.Name, "adamw") {
		o.Name = "adam"
		if !set("train.optimizer.weight_decay") {
			o.WeightDecay = 0.004
		}
	}
	if m := &c.Model; strings.EqualFold(m.EmbeddingVectors, "none") {
		m.EmbeddingVectors = ""
	} else if b, ok := pretrained.LookupBuiltin(m.EmbeddingVectors); ok &&
		!set("model.embedding_vectors") && set("model.embedding_dim") && m.EmbeddingDim != b.Dim {
		m.EmbeddingVectors = ""
	}
}

// Validate checks every section.
func (c *Config) Validate() error {
	errs := []error{c.Data.Validate(), c.Text.Validate(), c.Model.Validate(), c.Train.Validate()}
	if c.Output.CheckpointEvery < 0 {
		errs = append(errs, errors.New("config: output.checkpoint_every must be >= 0"))
	}
	return errors.Join(errs...)
}

// JSON returns the configuration as stored in model files and
// checkpoints: without the settings that only say where and how fast a run
// goes (the output section and train.threads, which do not change the
// weights), so that identical trainings write identical files whatever
// their output paths and thread counts.
func (c *Config) JSON() []byte {
	s := *c
	s.Output = OutputConfig{}
	s.Train.Threads = 0
	// The default label separator is left out, so that files of data
	// that never needed it read as before it existed; "" (none) is kept
	// as "none" (ParseStoredConfig reads an absent key as the default).
	switch s.Data.LabelSeparator {
	case data.DefaultLabelSeparator:
		s.Data.LabelSeparator = ""
	case "":
		s.Data.LabelSeparator = data.NoLabelSeparator
	}
	b, err := json.Marshal(&s)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return b
}

// ParseStoredConfig reads the configuration a model file or checkpoint
// stores (Config.JSON), over the defaults, and validates it. A key JSON
// omits when empty (omitempty) and the file lacks was empty when stored, so
// it reads as empty, not as its default; a key without omitempty that the
// file lacks (from a version before the key existed) takes its default.
// Unknown keys are refused: they mean a newer or a damaged file.
// Its errors are *StoredConfigError.
func ParseStoredConfig(raw []byte) (*Config, error) {
	cfg := DefaultConfig()
	zeroOmitEmpty(reflect.ValueOf(&cfg).Elem())
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, &StoredConfigError{err}
	}
	if cfg.Data.LabelSeparator == "" { // left out: the default (Config.JSON)
		cfg.Data.LabelSeparator = data.DefaultLabelSeparator
	}
	if err := cfg.Validate(); err != nil {
		return nil, &StoredConfigError{err}
	}
	return &cfg, nil
}

// StoredConfigError is a configuration stored in a model file or
// checkpoint that does not parse or is not valid: a damaged or foreign
// file, not a mistake in the user's own configuration, although it may
// wrap the same errors (data.ErrFormat, for example).
type StoredConfigError struct{ Err error }

func (e *StoredConfigError) Error() string {
	return "stored config: " + e.Err.Error() + " (the file is damaged or was written by another version of lstmctl; retrain it, or use an intact copy)"
}
func (e *StoredConfigError) Unwrap() error { return e.Err }

// zeroOmitEmpty sets every field of struct v (and of the structs within)
// whose JSON tag has omitempty to its zero value.
func zeroOmitEmpty(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if _, opts, _ := strings.Cut(f.Tag.Get("json"), ","); strings.Contains(opts, "omitempty") {
			v.Field(i).SetZero()
		} else if f.Type.Kind() == reflect.Struct {
			zeroOmitEmpty(v.Field(i))
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

type trainOptions struct {
	IO         *IOStreams
	ConfigFile string
	Quiet      bool
	Set        map[string]any // config keys set by flags
	From       string
	Resume     string
	SkipBad    bool
}

var trainBindings = []flagBinding{
	{"train", "data.train"},
	{"validation", "data.validation"},
	{"validation-split", "data.validation_split"},
	{"test", "data.test"},
	{"format", "data.format"},
	{"model", "output.model"},
	{"checkpoint-dir", "output.checkpoint_dir"},
	{"checkpoint-every", "output.checkpoint_every"},
	{"history", "output.history"},
	{"epochs", "train.epochs"},
	{"batch-size", "train.batch_size"},
	{"learning-rate", "train.optimizer.learning_rate"},
	{"seed", "train.seed"},
	{"shuffle", "train.shuffle"},
	{"patience", "train.early_stopping.patience"},
	{"sequence-length", "text.sequence_length"},
	{"max-tokens", "text.max_tokens"},
	{"vectors", "model.embedding_vectors"},
}

func newTrainCmd(f *factory, g *globalOptions, runF func(context.Context, *trainOptions) error) *cobra.Command {
	opts := &trainOptions{IO: f.IO}
	d, err := loadConfig("", nil, noEnv, nil)
	if err != nil {
		panic(err) // the embedded defaults are valid; tests check it
	}
	c := &cobra.Command{
		Use:   "train --train PATH [flags]",
		Short: "Train a classifier and write the model file",
		Long: `Train reads labelled text, builds the vocabulary and the labels from the
training split, trains the model and writes it as one safetensors file.

Per epoch it reports train and validation loss and accuracy: a progress bar on
a terminal, one line per epoch otherwise. With --test it prints test metrics
to stdout. Ctrl-C finishes the current step, writes a checkpoint (into
--checkpoint-dir, or next to --model) and exits 130; --resume continues it.`,
		Example: `  lstmctl train --train data/train.txt
  lstmctl train --config configs/trec.yaml --train train.txt --test test.txt --model trec.safetensors
  LSTMCTL_TRAIN_EPOCHS=3 lstmctl train --train reviews.csv --history history.csv`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ConfigFile, opts.Quiet = g.ConfigFile, g.Quiet
			opts.Set = changedSettings(c, append(trainBindings, globalBindings...))
			if opts.From != "" && opts.Resume != "" {
				return &usageError{err: errors.New("train: --from and --resume exclude each other (a checkpoint already holds the weights)"), cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runTrain(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.String("train", d.Data.Train, "training data `path` (file or class directory)")
	fl.String("validation", d.Data.Validation, "validation data `path` (default: split from --train)")
	fl.Float64("validation-split", d.Data.ValidationSplit, "fraction of the training data held out for validation")
	fl.String("test", d.Data.Test, "test data `path`, evaluated after training")
	fl.String("format", d.Data.Format, "data format: auto, fasttext, csv, tsv, jsonl, dir")
	fl.String("model", d.Output.Model, "output model `file`")
	fl.StringVar(&opts.From, "from", "", "start from this `model`'s weights, vocabulary and labels")
	fl.StringVar(&opts.Resume, "resume", "", "continue training from this `checkpoint`")
	fl.String("checkpoint-dir", d.Output.CheckpointDir, "keep last and best checkpoints in this `dir`")
	fl.Int("checkpoint-every", d.Output.CheckpointEvery, "also checkpoint every N steps (0 = at epoch ends)")
	fl.Int("epochs", d.Train.Epochs, "number of epochs")
	fl.Int("batch-size", d.Train.BatchSize, "samples per step")
	fl.Float64("learning-rate", d.Train.Optimizer.LearningRate, "Adam learning rate")
	fl.Uint64("seed", d.Train.Seed, "random seed (weights, shuffling, split)")
	fl.Bool("shuffle", d.Train.Shuffle, "reshuffle the training data every epoch")
	fl.Int("patience", d.Train.EarlyStopping.Patience, "early stopping patience in epochs (0 = off)")
	fl.Int("sequence-length", d.Text.SequenceLength, "tokens kept per text")
	fl.Int("max-tokens", d.Text.MaxTokens, "vocabulary size, including padding and [UNK]")
	fl.String("vectors", d.Model.EmbeddingVectors, "pretrained word vectors to start the embedding from: a .vec or GloVe text `file`, a name of lstmctl vectors (the built-in glove.6B.100d.int8, glove.6B.100d), or none for random vectors")
	fl.String("history", d.Output.History, "write per-epoch history to this `file` (.csv or .json)")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	return c
}

func noEnv(string) (string, bool) { return "", false }

// threads resolves train.threads (0 = all cores).
func threads(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// batchOptions derives the batching of a configuration.
func batchOptions(cfg *Config, shuffle bool) data.BatchOptions {
	o := data.BatchOptionsFrom(cfg.Text, cfg.Train.BatchSize)
	o.Shuffle = shuffle
	o.Bucket = cfg.Model.MaskPadding
	o.Seed = cfg.Train.Seed
	o.Masked = cfg.Model.MaskPadding
	return o
}

// readExamples reads a labelled file ("-" = the command's stdin) and reports
// skipped records on stderr.
func readExamples(ios *IOStreams, path string, cfg *Config, skipBad bool) ([]data.Example, error) {
	opt := data.ReadOptionsFrom(cfg.Data, skipBad)
	if path != "-" {
		ex, skipped, err := data.ReadAll(path, opt)
		warnSkipped(ios, path, skipped)
		return ex, err
	}
	r, err := data.NewReader(ios.In, "<stdin>", opt)
	if err != nil {
		return nil, err
	}
	var ex []data.Example
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		ex = append(ex, e)
	}
	warnSkipped(ios, "<stdin>", r.Skipped())
	return ex, nil
}

func warnSkipped(ios *IOStreams, name string, skipped int) {
	if skipped > 0 {
		fmt.Fprintf(ios.ErrOut, "warning: %s: skipped %d malformed record(s) (--skip-bad)\n", name, skipped)
	}
}

func runTrain(ctx context.Context, opts *trainOptions) error {
	ios := opts.IO
	cfg, err := loadConfig(opts.ConfigFile, nil, ios.Env, opts.Set)
	if err != nil {
		return err
	}
	var (
		from    *model.Classifier
		fromMet *model.Meta
	)
	if opts.From != "" {
		var stored *Config
		if from, fromMet, stored, err = loadModelOrCheckpoint(opts.From); err != nil {
			return err
		}
		// The text pipeline and the architecture belong to the weights.
		cfg.Text, cfg.Model = stored.Text, stored.Model
	}
	if cfg.Data.Train == "" {
		return &usageError{err: errors.New("train: no training data: set --train or data.train"), cmd: "lstmctl train"}
	}
	all, err := readExamples(ios, cfg.Data.Train, cfg, opts.SkipBad)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: %w", cfg.Data.Train, data.ErrEmpty)
	}
	trainEx, valEx := all, []data.Example(nil)
	if cfg.Data.Validation != "" {
		if valEx, err = readExamples(ios, cfg.Data.Validation, cfg, opts.SkipBad); err != nil {
			return err
		}
	} else if cfg.Data.ValidationSplit > 0 {
		ti, vi := data.Split(len(all), cfg.Data.ValidationSplit, cfg.Train.Seed)
		trainEx, valEx = pick(all, ti), pick(all, vi)
	}
	if len(trainEx) == 0 {
		return fmt.Errorf("%s: %w (after the validation split)", cfg.Data.Train, data.ErrEmpty)
	}

	var (
		vocab  *data.Vocab
		labels *data.Labels
	)
	if from != nil {
		if vocab, err = data.NewVocab(fromMet.Vocab); err != nil {
			return fmt.Errorf("train: --from %s: %w", opts.From, err)
		}
		if labels, err = data.NewLabels(fromMet.Labels); err != nil {
			return fmt.Errorf("train: --from %s: %w", opts.From, err)
		}
	} else {
		if labels, err = data.LabelsFromExamples(trainEx, cfg.Data.Labels); err != nil {
			return err
		}
		if vocab, err = data.BuildVocab(trainEx, cfg.Text); err != nil {
			return &configError{err}
		}
	}
	enc, err := data.NewEncoder(cfg.Text, vocab)
	if err != nil {
		return &configError{err}
	}
	trainDS, err := data.EncodeExamples(trainEx, enc, labels)
	if err != nil {
		return err
	}
	var valDS *data.Dataset
	if len(valEx) > 0 {
		if valDS, err = data.EncodeExamples(valEx, enc, labels); err != nil {
			return err
		}
	}

	var resume *train.Checkpoint
	if opts.Resume != "" {
		if resume, err = train.ReadCheckpoint(opts.Resume); err != nil {
			return err
		}
	}
	clf := from
	if clf == nil {
		var vec *embed.Vectors
		var vecFrom string // where named vectors were found
		switch {
		case cfg.Model.EmbeddingVectors == "":
			if cfg.Model.FreezeEmbedding {
				fmt.Fprintln(ios.ErrOut, "warning: model.freeze_embedding without embedding_vectors keeps the embedding at its random initialisation")
			}
		case resume != nil:
			// The checkpoint holds the embedding; only its dimension is
			// needed, so resuming needs neither the vectors nor the network.
			if err := resumeEmbeddingDim(resume, opts.Resume, cfg); err != nil {
				return err
			}
		default:
			if vec, vecFrom, err = readVectors(ctx, opts, cfg, vocab); err != nil {
				return err
			}
		}
		if clf, err = model.New(cfg.Model, vocab.Len(), labels.Len()); err != nil {
			return &configError{err}
		}
		clf.Init(rand.New(rand.NewPCG(cfg.Train.Seed, 0x6c73746d)))
		if vec != nil {
			tab := clf.Embedding.Table()
			if _, err := embed.ApplyVectors(&tab, vec); err != nil {
				return err
			}
			if !opts.Quiet {
				found, total := vec.Coverage()
				name := cfg.Model.EmbeddingVectors
				if vecFrom != "" { // a named set: built in, or its cached file
					name += " (" + vecFrom + ")"
				}
				fmt.Fprintf(ios.ErrOut, "vectors: %s covers %d of %d tokens (%.1f%%; %d through the lower-cased word), %d dimensions\n",
					name, found, total, 100*float64(found)/float64(max(total, 1)), vec.Lowered, vec.Dim)
			}
		}
	} else if set, ok := opts.Set["model.embedding_vectors"]; ok && set != "" {
		return &usageError{err: errors.New("train: --vectors starts a new model; with --from the model's embedding is kept"), cmd: "lstmctl train"}
	}
	if !opts.Quiet {
		fmt.Fprintf(ios.ErrOut, "train: %d samples (%d validation), %d classes, vocabulary %d, %d threads\n",
			len(trainEx), len(valEx), labels.Len(), vocab.Len(), threads(cfg.Train.Threads))
	}
	if from != nil || cfg.Model.EmbeddingVectors == "" {
		// Freezing the embedding for the first epochs lets the new layers
		// learn on pretrained vectors before they move; a random or
		// fine-tuned embedding has nothing to protect.
		cfg.Train.FreezeEmbeddingEpochs = 0
	}
	meta := model.Meta{Config: cfg.JSON(), Vocab: vocab.Tokens(), Labels: labels.Names()}
	vocabJSON, _ := json.Marshal(meta.Vocab)
	labelsJSON, _ := json.Marshal(meta.Labels)
	// The fingerprint covers what the weights depend on beyond the train
	// section: the text pipeline, the architecture and the vocabulary.
	fp, _ := json.Marshal(struct {
		Text  data.TextConfig
		Model model.Config
		Vocab []string
	}{cfg.Text, cfg.Model, meta.Vocab})
	tcfg := cfg.Train
	tcfg.Threads = threads(tcfg.Threads)
	tr := &train.Trainer{
		Model:            clf,
		Config:           tcfg,
		Batch:            batchOptions(cfg, cfg.Train.Shuffle),
		Recorder:         newProgress(ios, opts.Quiet, cfg.Train.Epochs),
		CheckpointDir:    cfg.Output.CheckpointDir,
		CheckpointEvery:  cfg.Output.CheckpointEvery,
		CheckpointMeta:   map[string]string{"config": string(meta.Config), "vocab": string(vocabJSON), "labels": string(labelsJSON)},
		FingerprintExtra: fp,
	}
	if tr.ClassWeights, err = classWeights(cfg.Train.ClassWeights, labels); err != nil {
		return err
	}
	if resume != nil {
		if err := tr.ResumeFrom(resume); err != nil {
			return err
		}
	}
	res, fitErr := tr.Fit(ctx, trainDS, valDS)
	if res != nil && cfg.Output.History != "" && len(res.History) > 0 {
		if err := train.WriteHistory(cfg.Output.History, res.History); err != nil {
			return err
		}
	}
	if fitErr != nil {
		if errors.Is(fitErr, context.Canceled) && res != nil {
			path := res.CheckpointPath
			if path == "" && res.Checkpoint != nil {
				// No --checkpoint-dir: keep the state next to the model file.
				path = strings.TrimSuffix(cfg.Output.Model, ".safetensors") + ".checkpoint.safetensors"
				if err := res.Checkpoint.WriteFile(path); err != nil {
					return fmt.Errorf("%w (and the checkpoint could not be written: %v)", fitErr, err)
				}
			}
			if path != "" {
				fmt.Fprintf(ios.ErrOut, "interrupted: checkpoint written to %s\nresume with the same data and config: lstmctl train ... --resume %s\n", path, path)
			}
		}
		return fitErr
	}
	if err := model.Save(cfg.Output.Model, clf, meta); err != nil {
		return err
	}
	if !opts.Quiet {
		restored := ""
		if res.RestoredEpoch > 0 {
			restored = fmt.Sprintf(", weights of epoch %d: best %s %.4f", res.RestoredEpoch, res.Monitor, res.BestValue)
		}
		fmt.Fprintf(ios.ErrOut, "saved %s (%s%s)\n", cfg.Output.Model, res.Status, restored)
	}
	if cfg.Data.Test != "" {
		testEx, err := readExamples(ios, cfg.Data.Test, cfg, opts.SkipBad)
		if err != nil {
			return err
		}
		testDS, err := data.EncodeExamples(testEx, enc, labels)
		if err != nil {
			return err
		}
		m, err := train.Evaluate(clf, testDS, batchOptions(cfg, false), threads(cfg.Train.Threads))
		if err != nil {
			return err
		}
		return writeMetricsText(ios.Out, m, labels.Names())
	}
	return nil
}

// classWeights resolves train.class_weights into one weight per class index
// (nil when the map is empty). viper lower-cases map keys, so labels are
// matched exactly first, then ignoring case; labels the map does not name
// weigh 1.
func classWeights(m map[string]float64, labels *data.Labels) ([]float64, error) {
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
				return nil, configErrorf("config: train.class_weights: labels %q and %q differ only in case; configuration keys are case-insensitive", name, other)
			}
		}
		if v, ok := m[low]; ok {
			w[i], used[low] = v, true
		}
	}
	for k := range m {
		if !used[k] {
			return nil, configErrorf("config: train.class_weights: %q is not a label of the training data (labels: %s)", k, strings.Join(names, ", "))
		}
	}
	return w, nil
}

// readVectors reads the vectors of the vocabulary's tokens from
// model.embedding_vectors: a file, a built-in set or a known name (fetched
// into the cache on first use). The embedding takes their dimension unless
// model.embedding_dim was set (in a config file, the environment or a
// flag), when the two must agree: a user who passes only --vectors
// glove.6B.100d gets a 100-dimensional embedding, as fastText users would
// like -dim to follow -pretrainedVectors.
// from is Cache.Load's: where a named set was found.
func readVectors(ctx context.Context, opts *trainOptions, cfg *Config, vocab *data.Vocab) (v *embed.Vectors, from string, err error) {
	v, from, err = vectorsCache(opts.IO, opts.Quiet).Load(ctx, cfg.Model.EmbeddingVectors, vocab.Tokens())
	if err != nil {
		var pe *embed.ParseError
		if errors.As(err, &pe) {
			return nil, "", err // names the file and line
		}
		return nil, "", fmt.Errorf("train: vectors: %w", err)
	}
	if v.Dim != cfg.Model.EmbeddingDim {
		if cfg.explicit["model.embedding_dim"] {
			return nil, "", configErrorf("train: vectors: %s holds %d-dimensional vectors, but model.embedding_dim is %d (leave it unset to take the file's)",
				v.Name, v.Dim, cfg.Model.EmbeddingDim)
		}
		cfg.Model.EmbeddingDim = v.Dim
	}
	return v, from, nil
}

// resumeEmbeddingDim gives cfg the embedding dimension of checkpoint ck
// (read from path), which readVectors would have taken from the vectors
// file, unless model.embedding_dim was set explicitly (a mismatch then
// fails the checkpoint's fingerprint check, as any other change of
// settings does).
func resumeEmbeddingDim(ck *train.Checkpoint, path string, cfg *Config) error {
	stored, err := loadConfig("", json.RawMessage(ck.Meta["config"]), noEnv, nil)
	if err != nil {
		return fmt.Errorf("%s: checkpoint config: %w", path, err)
	}
	if !cfg.explicit["model.embedding_dim"] {
		cfg.Model.EmbeddingDim = stored.Model.EmbeddingDim
	}
	return nil
}

func pick(ex []data.Example, idx []int) []data.Example {
	out := make([]data.Example, len(idx))
	for i, j := range idx {
		out[i] = ex[j]
	}
	return out
}

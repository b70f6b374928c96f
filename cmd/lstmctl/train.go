package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type trainOptions struct {
	IO         *IOStreams
	ConfigFile string
	Quiet      bool
	Set        map[string]any // config keys set by flags
	From       string
	Resume     string
	SkipBad    bool
	Format     string // output format of the --test metrics: text or json
	Report     string // HTML report file, "" for none
	Plots      string // figures of the report, "" for none
}

// trainDataBindings are the config keys of the data flags that
// addTrainDataFlags defines.
var trainDataBindings = []flagBinding{
	{"train", "data.train"},
	{"validation", "data.validation"},
	{"validation-split", "data.validation_split"},
	{"test", "data.test"},
	{"data-format", "data.format"},
	{"label-column", "data.label_column"},
	{"text-column", "data.text_columns"},
}

var trainBindings = append(slices.Clip(trainDataBindings), []flagBinding{
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
}...)

func newTrainCmd(f *factory, g *globalOptions, runF func(context.Context, *trainOptions) error) *cobra.Command {
	opts := &trainOptions{IO: f.IO}
	d, err := config.Load("", nil, config.NoEnv, nil)
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
to stdout (--format json: as eval --format json prints them). Ctrl-C finishes the current step, writes a checkpoint (into
--checkpoint-dir, or next to --model) and exits 130; --resume continues it.`,
		Example: `  lstmctl train --train data/train.txt
  lstmctl train --config configs/trec.yaml --train train.txt --test test.txt --model trec.safetensors
  LSTMCTL_TRAIN_EPOCHS=3 lstmctl train --train reviews.csv --history history.csv
  lstmctl train --train tickets.csv --label-column category --text-column title --text-column body`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ConfigFile, opts.Quiet = g.ConfigFile, g.Quiet
			opts.Set = changedSettings(c, append(trainBindings, globalBindings...))
			if fl := c.Flags().Lookup("multi-label"); fl.Changed {
				opts.Set["model.output_activation"] = model.OutputSoftmax
				if fl.Value.String() == "true" {
					opts.Set["model.output_activation"] = model.OutputSigmoid
				}
			}
			if err := opts.resolveFormat(c); err != nil {
				return err
			}
			if err := checkReportFlags(c, opts.Report, opts.Plots); err != nil {
				return err
			}
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
	addTrainDataFlags(fl, d.Data)
	fl.StringVar(&opts.Format, "format", "text", "output format of the --test metrics: text or json (a data format here is the deprecated spelling of --data-format)")
	fl.String("model", d.Output.Model, "output model `file`")
	fl.StringVar(&opts.From, "from", "", "start from this `model`'s weights, vocabulary and labels")
	fl.StringVar(&opts.Resume, "resume", "", "continue training from this `checkpoint`")
	fl.String("checkpoint-dir", d.Output.CheckpointDir, "keep last and best checkpoints in this `dir`")
	fl.Int("checkpoint-every", d.Output.CheckpointEvery, "also checkpoint every N steps (0 = at epoch ends)")
	fl.Int("epochs", d.Train.Epochs, "number of epochs")
	fl.Int("batch-size", d.Train.BatchSize, "samples per step (0 = 16 below 4000 training samples, else 32)")
	fl.Float64("learning-rate", d.Train.Optimizer.LearningRate, "Adam learning rate")
	fl.Uint64("seed", d.Train.Seed, "random seed (weights, shuffling, split)")
	fl.Bool("shuffle", d.Train.Shuffle, "reshuffle the training data every epoch")
	fl.Int("patience", d.Train.EarlyStopping.Patience, "early stopping patience in epochs (0 = off)")
	fl.Int("sequence-length", d.Text.SequenceLength, "tokens kept per text")
	fl.Int("max-tokens", d.Text.MaxTokens, "vocabulary size, including padding and [UNK]")
	fl.String("vectors", d.Model.EmbeddingVectors, fmt.Sprintf("pretrained word vectors that start the embedding, which takes their width: a .vec or GloVe text `file`, a name of lstmctl vectors (the built-in glove.6B.100d.int8, 100 wide; glove.6B.100d), or none for a random embedding %d wide (model.embedding_dim)", d.Model.EmbeddingDim))
	fl.String("history", d.Output.History, "write a row of history to this `file` after every epoch (.csv, .jsonl or .json)")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	fl.Bool("multi-label", false, "train a multi-label model (sigmoid outputs, binary cross-entropy) even if every record has one label; chosen by itself when a record has several (model.output_activation)")
	addReportFlags(fl, &opts.Report, &opts.Plots)
	return c
}

// addTrainDataFlags defines train's flags of the data section, with its
// defaults d.
func addTrainDataFlags(fl *pflag.FlagSet, d data.Config) {
	fl.String("train", d.Train, "training data `path` (file or class directory)")
	fl.String("validation", d.Validation, "validation data `path` (default: split from --train)")
	fl.Float64("validation-split", d.ValidationSplit, "fraction of the training data held out for validation (stratified by class)")
	fl.String("test", d.Test, "test data `path`, evaluated after training")
	fl.String("data-format", d.Format, "input format: auto, fasttext, csv, tsv, jsonl, dir")
	addColumnFlags(fl, d.LabelColumn, d.TextColumns, "")
}

// runTrain loads the configuration, trains through the pipeline and
// renders the outcome.
func runTrain(ctx context.Context, opts *trainOptions) error {
	opts.IO = opts.IO.Interruptible(ctx)
	ios := opts.IO
	cfg, err := loadConfig(ios, opts.ConfigFile, nil, opts.Set)
	if err != nil {
		return err
	}
	if set, ok := opts.Set["model.embedding_vectors"]; ok && set != "" && opts.From != "" {
		return &usageError{err: errors.New("train: --vectors starts a new model; with --from the model's embedding is kept"), cmd: "lstmctl train"}
	}
	rep := newProgress(ios, opts.Quiet, cfg.Train.Epochs)
	res, err := pipeline.Train(ctx, cfg.Config, pipeline.TrainOptions{
		From:            opts.From,
		Resume:          opts.Resume,
		Read:            pipeline.ReadOptions{SkipBad: opts.SkipBad, Stdin: ios.In},
		EmbeddingDimSet: cfg.Explicit["model.embedding_dim"],
		Vectors:         vectorsCache(ios, opts.Quiet),
		Reporter:        rep,
		Version:         buildVersion(),
	})
	if ie, ok := errors.AsType[*pipeline.InterruptedError](err); ok && ie.Checkpoint != "" {
		fmt.Fprintf(ios.ErrOut, "interrupted: checkpoint written to %s\nresume with the same data and config: lstmctl train ... --resume %s\n", ie.Checkpoint, ie.Checkpoint)
	}
	if err != nil {
		return err
	}
	rep.saved(res.Model.Config.Output.Model, res.Fit)
	if res.Test != nil {
		if err := writeMetrics(ios.Out, opts.Format, res.Test, res.Model.Labels.Names()); err != nil {
			return err
		}
	}
	if opts.Report != "" {
		return trainReport(ctx, ios, opts, res)
	}
	return nil
}

// resolveFormat tells train's --format values apart: text and json choose
// the output of the --test metrics; a data format is the deprecated
// spelling of --data-format, taken with a warning.
func (o *trainOptions) resolveFormat(c *cobra.Command) error {
	v := o.Format
	if v == "text" || v == "json" {
		return nil
	}
	if v != data.FormatAuto && !slices.Contains(data.Formats, v) {
		return &usageError{err: fmt.Errorf("train: --format must be text or json (the output of the --test metrics), not %q; the input format is --data-format", v), cmd: c.CommandPath()}
	}
	if df := c.Flags().Lookup("data-format"); df.Changed && df.Value.String() != v {
		return &usageError{err: fmt.Errorf("train: --format %s (the deprecated spelling of --data-format) contradicts --data-format %s", v, df.Value.String()), cmd: c.CommandPath()}
	}
	fmt.Fprintf(o.IO.ErrOut, "warning: train --format %s is deprecated: use --data-format %s (--format now chooses the output of the --test metrics: text or json)\n", v, v)
	o.Set["data.format"], o.Format = v, "text"
	return nil
}

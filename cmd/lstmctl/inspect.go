package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type inspectOptions struct {
	IO     *IOStreams
	Path   string
	Format string
	Vocab  bool
}

func newInspectCmd(f *factory, runF func(*inspectOptions) error) *cobra.Command {
	opts := &inspectOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "inspect MODEL [flags]",
		Short: "Show what a model file or checkpoint holds",
		Long: `Inspect prints what a model file or a training checkpoint holds: its
layers with their output shapes and parameter counts (as Keras'
model.summary() shows them), the labels, the vocabulary size, the text
settings, and how it was trained: the fingerprint of the training data, the
epochs run, the best epoch and its metric, and the lstmctl version. For a
checkpoint it shows how far its run had come instead of the epochs run.

--vocab prints the vocabulary instead, one token per line in id order (the
first line, padding, is empty), or a JSON array with --format json.`,
		Example: `  lstmctl inspect model.safetensors
  lstmctl inspect checkpoints/best.safetensors --format json
  lstmctl inspect model.safetensors --vocab > vocab.txt`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{err: fmt.Errorf("inspect: takes one model file or checkpoint, got %d arguments", len(args)), cmd: c.CommandPath()}
			}
			if opts.Format != "text" && opts.Format != "json" {
				return &usageError{err: fmt.Errorf("inspect: --format must be text or json, not %q", opts.Format), cmd: c.CommandPath()}
			}
			opts.Path = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runInspect(opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	c.Flags().BoolVar(&opts.Vocab, "vocab", false, "print the vocabulary instead of the summary")
	return c
}

func runInspect(opts *inspectOptions) error {
	m, err := pipeline.Open(opts.Path)
	if errors.Is(err, model.ErrBadFile) {
		return fmt.Errorf("%w (inspect reads the model files and checkpoints that lstmctl train writes)", err)
	}
	if err != nil {
		return err
	}
	w := opts.IO.Out
	switch {
	case opts.Vocab && opts.Format == "json":
		return json.NewEncoder(w).Encode(m.Vocab.Tokens())
	case opts.Vocab:
		_, err := io.WriteString(w, strings.Join(m.Vocab.Tokens(), "\n")+"\n")
		return err
	case opts.Format == "json":
		return json.NewEncoder(w).Encode(newInspection(opts.Path, m))
	}
	return writeInspection(w, newInspection(opts.Path, m))
}

// inspection is what inspect shows of a model, and its JSON form.
type inspection struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // "model" or "checkpoint"
	model.Summary
	Labels     []string                 `json:"labels"`
	VocabSize  int                      `json:"vocab_size"`
	Text       data.TextConfig          `json:"text"`
	Model      pipeline.ModelConfig     `json:"model"`
	Training   *pipeline.TrainingInfo   `json:"training"` // null: not recorded
	Checkpoint *pipeline.CheckpointInfo `json:"checkpoint,omitempty"`
	Storage    pipeline.StorageInfo     `json:"storage"`
}

func newInspection(path string, m *pipeline.Model) inspection {
	kind := "model"
	if m.Checkpoint != nil {
		kind = "checkpoint"
	}
	return inspection{
		Path: path, Kind: kind, Summary: m.Summary(), Labels: m.Labels.Names(), VocabSize: m.Vocab.Len(),
		Text: m.Config.Text, Model: m.Config.Model, Training: m.Training, Checkpoint: m.Checkpoint, Storage: m.Storage,
	}
}

func writeInspection(w io.Writer, in inspection) error {
	fmt.Fprintf(w, "file: %s (%s)\n", in.Path, in.Kind)
	writeSummary(w, in.Summary)
	t, mc := in.Text, in.Model
	fmt.Fprintf(w, "\nlabels (%d): %s\n", len(in.Labels), strings.Join(in.Labels, ", "))
	fmt.Fprintf(w, "vocabulary: %d tokens\n", in.VocabSize)
	fmt.Fprintf(w, "text: standardize %s, split %s, max_tokens %d, min_count %d, sequence_length %d, truncate %s, pad %s\n",
		t.Standardize, t.Split, t.MaxTokens, t.MinCount, t.SequenceLength, t.Truncate, t.Pad)
	if t.Ngrams > 1 {
		fmt.Fprintf(w, "text: word n-grams up to %d\n", t.Ngrams)
	}
	if sw := t.Subwords; sw.On() {
		fmt.Fprintf(w, "text: subwords of %d to %d characters in %d buckets\n", sw.MinN, sw.MaxN, sw.Buckets)
	}
	vectors := mc.EmbeddingVectors
	if vectors == "" {
		vectors = "none (random)"
	}
	fmt.Fprintf(w, "model: mask_padding %v, embedding_vectors %s\n", mc.MaskPadding, vectors)
	if mc.Sigmoid() {
		fmt.Fprintln(w, "output: sigmoid, multi-label (any number of labels per text)")
	}
	weights := "float32"
	if in.Storage.Weights == "int8" {
		weights = "int8 with per-row scales (lstmctl quantize), dequantized when loaded"
	}
	checksums := "verified (sha256, header_sha256)"
	if in.Storage.Checksums == model.ChecksumsAbsent {
		checksums = "absent (written by another tool: nothing vouches for the bytes)"
	}
	fmt.Fprintf(w, "weights: %s\nchecksums: %s\n", weights, checksums)
	if c := in.Checkpoint; c != nil {
		fmt.Fprintf(w, "checkpoint: %d epochs done, %d batches of the next, step %d\n", c.EpochsDone, c.Batch, c.Step)
	}
	tr := in.Training
	if tr == nil {
		_, err := fmt.Fprintln(w, "training: not recorded in this file")
		return err
	}
	if in.Checkpoint == nil {
		fmt.Fprintf(w, "training: %d epochs (%s)", tr.Epochs, tr.Status)
		if tr.BestValue != nil {
			fmt.Fprintf(w, ", best %s %.4f at epoch %d", tr.Monitor, *tr.BestValue, tr.BestEpoch)
		}
		if tr.WeightsEpoch > 0 {
			fmt.Fprintf(w, ", weights of epoch %d", tr.WeightsEpoch)
		}
		fmt.Fprintln(w)
	}
	version := tr.Version
	if version == "" {
		version = "not recorded"
	}
	_, err := fmt.Fprintf(w, "data fingerprint: sha256:%s\nlstmctl version: %s\n", tr.DataFingerprint, version)
	return err
}

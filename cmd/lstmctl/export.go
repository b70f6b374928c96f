package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	onnxexport "github.com/lstmctl/lstmctl/pkg/export/onnx"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type exportOptions struct {
	IO        *IOStreams
	Quiet     bool
	Model     string
	Format    string
	Output    string
	Tokenizer string
}

func newExportCmd(f *factory, g *globalOptions, runF func(*exportOptions) error) *cobra.Command {
	opts := &exportOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "export MODEL -o FILE [flags]",
		Short: "Export a model to ONNX",
		Long: `Export writes a model file or checkpoint as a standard ONNX graph (operator
set 17) of the whole classifier after tokenization, with ONNX's own LSTM
operator, and a JSON file beside it that says how to turn a text into its
inputs (model.onnx gives model.tokenizer.json; --tokenizer changes it).

The graph takes input_ids (int64 [batch, time]: each text's token ids,
padded with 0 on the side the tokenizer file's "pad" names) and lengths
(int64 [batch]: the number of real ids of each text) and gives
probabilities (float32 [batch, classes]), the same as lstmctl predict;
with text.subwords a third input, subword_ids (int64 [batch, time,
subwords]), holds each token's subword rows, which the tokenizer file says
how to compute. The vocabulary, the labels and the text settings are also
in the model's metadata. Every architecture lstmctl trains exports:
bidirectional layers, the last, mean and max read-outs, masked and
unmasked padding, sigmoid outputs (multi-label), word n-grams, subwords,
and the whitespace and character splits.

A model with a setting the exporter does not know is refused (exit 2)
rather than exported to a graph that may compute something else, and so
are text.split unicode_words, whose word boundaries other tokenizers draw
differently, and an unmasked model with text.sequence_length 0, whose
output depends on the other texts of its batch. docs/export.md describes
both files.`,
		Example: `  lstmctl export model.safetensors -o model.onnx
  lstmctl export checkpoints/best.safetensors --format onnx -o best.onnx --tokenizer best.json`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{err: fmt.Errorf("export: takes one model file or checkpoint, got %d arguments", len(args)), cmd: c.CommandPath()}
			}
			if opts.Format != "onnx" {
				return &usageError{err: fmt.Errorf("export: --format must be onnx, not %q", opts.Format), cmd: c.CommandPath()}
			}
			if opts.Output == "" {
				return &usageError{err: errors.New("export: give the ONNX file to write with -o FILE"), cmd: c.CommandPath()}
			}
			if opts.Tokenizer == "" {
				opts.Tokenizer = onnxexport.TokenizerPath(opts.Output)
			}
			if err := onnxexport.CheckPaths(args[0], opts.Output, opts.Tokenizer); err != nil {
				return &usageError{err: fmt.Errorf("export: %w", err), cmd: c.CommandPath()}
			}
			opts.Model = args[0]
			opts.Quiet = g.Quiet
			if runF != nil {
				return runF(opts)
			}
			return runExport(opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Format, "format", "onnx", "export format: onnx")
	fl.StringVarP(&opts.Output, "output", "o", "", "the ONNX `file` to write")
	fl.StringVar(&opts.Tokenizer, "tokenizer", "", "the tokenizer JSON `file` to write (default: FILE's name with .tokenizer.json)")
	return c
}

func runExport(opts *exportOptions) error {
	m, err := pipeline.Open(opts.Model)
	if errors.Is(err, model.ErrBadFile) {
		return fmt.Errorf("%w (export reads the model files and checkpoints that lstmctl train writes)", err)
	}
	if err != nil {
		return err
	}
	e, err := onnxexport.Build(m, onnxexport.Options{ProducerVersion: buildVersion()})
	if errors.Is(err, onnxexport.ErrUnsupported) {
		return &usageError{err: fmt.Errorf("export: %s: %w", opts.Model, err)}
	}
	if err != nil {
		return fmt.Errorf("export: %s: %w", opts.Model, err)
	}
	if err := e.Write(opts.Output, opts.Tokenizer); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s (ONNX, opset %d) and %s\n", opts.Output, onnxexport.Opset, opts.Tokenizer)
	}
	return nil
}

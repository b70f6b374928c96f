package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type quantizeOptions struct {
	IO     *IOStreams
	Model  string
	Output string
	Quiet  bool
}

func newQuantizeCmd(f *factory, g *globalOptions, runF func(*quantizeOptions) error) *cobra.Command {
	opts := &quantizeOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "quantize MODEL [-o FILE]",
		Short: "Write a model with int8 weights, about a quarter of the size",
		Long: `Quantize writes a model file whose embedding and LSTM kernels are int8
with one float32 scale per row (each row's largest magnitude maps to 127);
the biases and the dense layer stay float32. The file is about a quarter of
the float32 one, the vocabulary aside.

predict, eval and inspect read it like any model file: the weights are
dequantized once when the file is loaded, so prediction runs at the speed
of the float32 model. Its accuracy differs by rounding only; check it with
eval on your test set.

MODEL may be a model file or a checkpoint. The output defaults to MODEL's
name with .int8 before the extension. A summary of the sizes goes to
stderr (not with --quiet).`,
		Example: `  lstmctl quantize model.safetensors -o small.safetensors
  lstmctl eval --model small.safetensors --data test.txt`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{err: fmt.Errorf("quantize: takes one model file, got %d arguments", len(args)), cmd: c.CommandPath()}
			}
			opts.Model = args[0]
			if opts.Output == "" {
				ext := filepath.Ext(opts.Model)
				opts.Output = strings.TrimSuffix(opts.Model, ext) + ".int8" + ext
			}
			opts.Quiet = g.Quiet
			if runF != nil {
				return runF(opts)
			}
			return runQuantize(opts)
		},
	}
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "output model `file` (default: MODEL with .int8 before the extension)")
	return c
}

func runQuantize(opts *quantizeOptions) error {
	m, err := pipeline.Open(opts.Model)
	if err != nil {
		return err
	}
	if err := m.SaveInt8(opts.Output); err != nil {
		return err
	}
	if opts.Quiet {
		return nil
	}
	inFile, inData, err := safetensorsSizes(opts.Model)
	if err != nil {
		return err
	}
	outFile, outData, err := safetensorsSizes(opts.Output)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.ErrOut, "quantize: wrote %s: %s, %.2fx smaller than %s (%s); tensor data %s, %.2fx smaller (%s)\n",
		opts.Output, byteSize(outFile), float64(inFile)/float64(outFile), opts.Model, byteSize(inFile),
		byteSize(outData), float64(inData)/float64(outData), byteSize(inData))
	return err
}

// safetensorsSizes returns the size of a safetensors file and of its data
// region (the tensors' bytes).
func safetensorsSizes(path string) (file, data int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close() // read-only
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	r, err := safetensors.NewReader(f, fi.Size())
	if err != nil {
		return 0, 0, errors.Join(fmt.Errorf("quantize: %s", path), err)
	}
	for _, t := range r.Tensors() {
		data += t.End - t.Begin
	}
	return fi.Size(), data, nil
}

// byteSize writes n bytes in B, KB or MB (of 1024).
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.2f MB", float64(n)/(1024*1024))
}

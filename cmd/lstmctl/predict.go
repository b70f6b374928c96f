package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type predictOptions struct {
	IO         *IOStreams
	ConfigFile string
	Set        map[string]any
	Model      string
	Format     string
	TopK       int
	Files      []string
}

func newPredictCmd(f *factory, g *globalOptions, runF func(context.Context, *predictOptions) error) *cobra.Command {
	opts := &predictOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "predict --model MODEL [FILE...]",
		Short: "Predict the label of each input line",
		Long: `Predict reads bare text, one document per line, from the files given or
from stdin, and writes exactly one line per input line, in order, an empty
input line included:

  tsv:   label<TAB>probability, then further label<TAB>probability pairs with --top-k
  jsonl: {"label": ..., "probability": ..., "top": [{"label": ..., "probability": ...}, ...]}`,
		Example: `  lstmctl predict --model model.safetensors < questions.txt > labels.tsv
  lstmctl predict --model model.safetensors --format jsonl --top-k 3 a.txt b.txt`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, globalBindings)
			opts.Files = args
			if opts.Format != "tsv" && opts.Format != "jsonl" {
				return &usageError{err: fmt.Errorf("predict: --format must be tsv or jsonl, not %q", opts.Format), cmd: c.CommandPath()}
			}
			if opts.TopK < 1 {
				return &usageError{err: fmt.Errorf("predict: --top-k must be at least 1, got %d", opts.TopK), cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPredict(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Model, "model", "model.safetensors", "model `file`")
	fl.StringVar(&opts.Format, "format", "tsv", "output format: tsv or jsonl")
	fl.IntVar(&opts.TopK, "top-k", 1, "labels per line, most probable first")
	return c
}

func runPredict(ctx context.Context, opts *predictOptions) error {
	ios := opts.IO
	m, err := openModel(ios, opts.Model, opts.ConfigFile, opts.Set)
	if err != nil {
		return err
	}
	p := m.NewPredictor()
	defer p.Close()
	w := &predictionWriter{w: bufio.NewWriterSize(ios.Out, 64<<10), labels: m.Labels.Names(), k: min(opts.TopK, m.Labels.Len()), jsonl: opts.Format == "jsonl"}
	inputs := opts.Files
	if len(inputs) == 0 {
		inputs = []string{pipeline.Stdin}
	}
	for _, name := range inputs {
		if err := predictFile(ctx, p, ios, name, w); err != nil {
			return err
		}
	}
	return w.Flush()
}

// predictFile predicts the lines of one input ("-" = stdin).
func predictFile(ctx context.Context, p *pipeline.Predictor, ios *IOStreams, name string, w *predictionWriter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := ios.In
	if name != pipeline.Stdin {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		defer f.Close()
		r = f
	}
	if err := p.PredictLines(ctx, r, name, w); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	return nil
}

// predictionWriter formats one prediction per line.
type predictionWriter struct {
	w      *bufio.Writer
	labels []string
	k      int
	jsonl  bool
	order  []int
	buf    []byte
}

type topJSON struct {
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
}

type predictionJSON struct {
	Label       string    `json:"label"`
	Probability float32   `json:"probability"`
	Top         []topJSON `json:"top"`
}

// Flush writes out what is buffered.
func (pw *predictionWriter) Flush() error { return pw.w.Flush() }

// Put writes the prediction of one text.
func (pw *predictionWriter) Put(probs []float32) error {
	if cap(pw.order) < len(probs) {
		pw.order = make([]int, len(probs))
	}
	order := pw.order[:len(probs)]
	for i := range order {
		order[i] = i
	}
	// Most probable first; ties by class index, so output is deterministic.
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	top := order[:pw.k]
	if pw.jsonl {
		rec := predictionJSON{Label: pw.labels[top[0]], Probability: probs[top[0]], Top: make([]topJSON, len(top))}
		for i, c := range top {
			rec.Top[i] = topJSON{Label: pw.labels[c], Probability: probs[c]}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		b = append(b, '\n')
		_, err = pw.w.Write(b)
		return err
	}
	b := pw.buf[:0]
	for i, c := range top {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, pw.labels[c]...)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, float64(probs[c]), 'g', -1, 32)
	}
	b = append(b, '\n')
	pw.buf = b
	_, err := pw.w.Write(b)
	return err
}

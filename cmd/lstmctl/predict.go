package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type predictOptions struct {
	IO         *IOStreams
	ConfigFile string
	Set        map[string]any
	Model      string
	Format     string
	TopK       int
	TopKSet    bool // --top-k was given
	Threshold  float64
	ThreshSet  bool // --threshold was given
	DataFormat string
	IDColumn   string
	Int8       bool // --int8-compute
	Files      []string
}

func newPredictCmd(f *factory, g *globalOptions, runF func(context.Context, *predictOptions) error) *cobra.Command {
	opts := &predictOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "predict --model MODEL [FILE...]",
		Short: "Predict the label of each input line or record",
		Long: `Predict reads the files given, or stdin, and writes one line per input, in
order:

  tsv:   label<TAB>probability, then further label<TAB>probability pairs with --top-k
  jsonl: {"label": ..., "probability": ..., "top": [{"label": ..., "probability": ...}, ...]}

A multi-label model (sigmoid outputs) gives every label whose probability
is at least --threshold (0.5), most probable first, and the most probable
label when none reaches it; --top-k caps their number:

  tsv:   label<TAB>probability pairs, one pair per label given
  jsonl: {"labels": [...], "probabilities": {label: probability, ...}}

With a single-label model --threshold, when given, drops the --top-k labels
below it but the first.

Bare text (--data-format lines) is one document per line, and gets exactly
one output line per input line, an empty line included. Records (fasttext,
csv, tsv, jsonl, dir) get one output line per record, a header none; the
text is in the model's text columns (--text-column overrides them), and a
fastText line's labels are dropped. With --id-column an id column or field
is copied into the output: the first TSV column, an "id" key in JSONL.

--data-format auto tells the format by the extension: .csv, .tsv, .jsonl,
.ndjson, a directory; a .txt file is fasttext when its first non-empty line
starts with the label prefix, else lines; stdin and any other file are lines.`,
		Example: `  lstmctl predict --model model.safetensors < questions.txt > labels.tsv
  lstmctl predict --model model.safetensors --format jsonl --top-k 3 a.txt b.txt
  lstmctl predict --model model.safetensors --id-column id --text-column review reviews.csv`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, append(columnBindings, globalBindings...))
			opts.Files = args
			opts.TopKSet, opts.ThreshSet = c.Flags().Changed("top-k"), c.Flags().Changed("threshold")
			if err := opts.check(); err != nil {
				return &usageError{err: err, cmd: c.CommandPath()}
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
	fl.IntVar(&opts.TopK, "top-k", 1, "labels per line, most probable first (multi-label: the most given, default all over --threshold)")
	fl.Float64Var(&opts.Threshold, "threshold", 0.5, "multi-label models: the probability from which a label is given")
	fl.StringVar(&opts.DataFormat, "data-format", "auto", "input format: auto, lines, fasttext, csv, tsv, jsonl, dir")
	fl.StringVar(&opts.IDColumn, "id-column", "", "copy this CSV/TSV column or JSONL field into the output")
	addColumnFlags(fl, "", nil, " (default: the model's)")
	addInt8Flag(fl, &opts.Int8)
	return c
}

// check validates the options that need no model.
func (o *predictOptions) check() error {
	if o.Format != "tsv" && o.Format != "jsonl" {
		return fmt.Errorf("predict: --format must be tsv or jsonl, not %q", o.Format)
	}
	if o.TopK < 1 {
		return fmt.Errorf("predict: --top-k must be at least 1, got %d", o.TopK)
	}
	if !(o.Threshold >= 0 && o.Threshold <= 1) {
		return fmt.Errorf("predict: --threshold must be within [0, 1], got %g", o.Threshold)
	}
	if !slices.Contains(pipeline.PredictFormats, o.DataFormat) {
		return fmt.Errorf("predict: --data-format must be one of %s, not %q", strings.Join(pipeline.PredictFormats, ", "), o.DataFormat)
	}
	return nil
}

func runPredict(ctx context.Context, opts *predictOptions) error {
	opts.IO = opts.IO.Interruptible(ctx)
	ios := opts.IO
	m, err := openModel(ios, opts.Model, opts.ConfigFile, opts.Set)
	if err != nil {
		return err
	}
	if opts.Int8 {
		useInt8(ios, m)
	}
	p := m.NewPredictor()
	defer p.Close()
	p.Warn = func(msg string) { fmt.Fprintf(ios.ErrOut, "warning: %s\n", msg) }
	topK, threshold := 0, (*float64)(nil)
	if opts.TopKSet {
		topK = opts.TopK
	}
	if opts.ThreshSet {
		threshold = &opts.Threshold
	}
	w := &predictionWriter{w: bufio.NewWriterSize(ios.Out, 64<<10), rank: m.NewRanker(topK, threshold), jsonl: opts.Format == "jsonl", withID: opts.IDColumn != ""}
	inputs := opts.Files
	if len(inputs) == 0 {
		inputs = []string{pipeline.Stdin}
	}
	for _, name := range inputs {
		if err := predictInput(ctx, m, p, opts, name, w); err != nil {
			return err
		}
	}
	return w.Flush()
}

// predictInput predicts one input ("-" = stdin) in its format: line by
// line, or record by record.
func predictInput(ctx context.Context, m *pipeline.Model, p *pipeline.Predictor, opts *predictOptions, name string, w *predictionWriter) error {
	format, err := pipeline.PredictFormat(name, opts.DataFormat, m.Config.Data.LabelPrefix)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if opts.IDColumn != "" && format != data.FormatCSV && format != data.FormatTSV && format != data.FormatJSONL {
		return &usageError{err: fmt.Errorf("predict: --id-column needs csv, tsv or jsonl input, and %s is read as %s (set --data-format)", name, format), cmd: "lstmctl predict"}
	}
	if format == pipeline.FormatLines {
		return predictFile(ctx, p, opts.IO, name, w)
	}
	r, err := m.OpenRecords(name, format, opts.IDColumn, opts.IO.In)
	if err != nil {
		return err
	}
	defer r.Close()
	return p.PredictRecords(ctx, r, w)
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

// predictionWriter formats one prediction per line; the JSON lines are
// pipeline.Ranker's records, as the HTTP API's (serve).
type predictionWriter struct {
	w      *bufio.Writer
	rank   *pipeline.Ranker
	jsonl  bool
	withID bool // the id of each record comes first
	buf    []byte
}

// Flush writes out what is buffered.
func (pw *predictionWriter) Flush() error { return pw.w.Flush() }

// Put writes the prediction of one line.
func (pw *predictionWriter) Put(probs []float32) error { return pw.PutRecord("", probs) }

// PutRecord writes the prediction of one record, its id first when the
// writer has ids.
func (pw *predictionWriter) PutRecord(id string, probs []float32) error {
	var err error
	b := pw.buf[:0]
	if pw.jsonl {
		var idp *string
		if pw.withID {
			idp = &id
		}
		if b, err = pw.rank.AppendJSON(b, idp, probs); err != nil {
			return err
		}
	} else {
		labels := pw.rank.Labels()
		if pw.withID {
			b = append(b, tsvField.Replace(id)...)
			b = append(b, '\t')
		}
		for i, c := range pw.rank.Top(probs) {
			if i > 0 {
				b = append(b, '\t')
			}
			b = append(b, labels[c]...)
			b = append(b, '\t')
			b = strconv.AppendFloat(b, float64(probs[c]), 'g', -1, 32)
		}
		b = append(b, '\n')
	}
	pw.buf = b
	_, err = pw.w.Write(b)
	return err
}

// tsvField keeps a field on its TSV line and column.
var tsvField = strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ", "\r", " ")

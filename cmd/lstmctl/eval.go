package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/train"
)

type evalOptions struct {
	IO         *IOStreams
	ConfigFile string
	Set        map[string]any
	Model      string
	Data       string
	Format     string
	FailUnder  float64
	SkipBad    bool
}

func newEvalCmd(f *factory, g *globalOptions, runF func(context.Context, *evalOptions) error) *cobra.Command {
	opts := &evalOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "eval --model MODEL --data PATH [flags]",
		Short: "Evaluate a model on labelled data",
		Long: `Eval prints accuracy, loss, macro and weighted F1, per-class precision,
recall, F1 and support, and the confusion matrix (rows: true class, columns:
predicted class). With --fail-under it exits 4 when accuracy is below the
given value: a quality gate for CI.

The data's text and label columns are the model's, those it was trained
with; --text-column and --label-column override them.`,
		Example: `  lstmctl eval --model model.safetensors --data test.txt
  lstmctl eval --model model.safetensors --data test.csv --format json --fail-under 0.85
  lstmctl eval --model model.safetensors --data other.csv --label-column stars --text-column comment`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, slices.Concat([]flagBinding{{"data-format", "data.format"}}, columnBindings, globalBindings))
			if opts.Set["data.format"] == pipeline.FormatLines {
				return &usageError{err: errors.New("eval: --data-format lines reads bare text, without the labels eval compares with; use auto, fasttext, csv, tsv, jsonl or dir"), cmd: c.CommandPath()}
			}
			if opts.Format != "text" && opts.Format != "json" {
				return &usageError{err: fmt.Errorf("eval: --format must be text or json, not %q", opts.Format), cmd: c.CommandPath()}
			}
			if opts.Model == "" || opts.Data == "" {
				return &usageError{err: fmt.Errorf("eval: --model and --data are required"), cmd: c.CommandPath()}
			}
			if !(opts.FailUnder >= 0 && opts.FailUnder <= 1) { // NaN too
				return &usageError{err: fmt.Errorf("eval: --fail-under must be within [0, 1], got %g", opts.FailUnder), cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runEval(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Model, "model", "model.safetensors", "model `file`")
	fl.StringVar(&opts.Data, "data", "", "labelled data `path` (- = stdin)")
	fl.StringVar(&opts.Format, "format", "text", "output format: text or json")
	fl.String("data-format", "auto", "input format: auto, fasttext, csv, tsv, jsonl, dir")
	addColumnFlags(fl, "", nil, " (default: the model's)")
	fl.Float64Var(&opts.FailUnder, "fail-under", 0, "exit 4 when accuracy is below this value")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	return c
}

// openModel opens a model file or checkpoint; the configuration it stores
// is the base layer under --config, the environment and flags, except for
// the text and model sections, which belong to the weights.
func openModel(ios *IOStreams, path, configFile string, set map[string]any) (*pipeline.Model, error) {
	m, err := pipeline.Open(path)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(ios, configFile, m.Config.JSON(), set)
	if err != nil {
		return nil, err
	}
	m.Configure(cfg.Config)
	return m, nil
}

func runEval(ctx context.Context, opts *evalOptions) error {
	opts.IO = opts.IO.Interruptible(ctx)
	ios := opts.IO
	m, err := openModel(ios, opts.Model, opts.ConfigFile, opts.Set)
	if err != nil {
		return err
	}
	met, err := m.EvaluateFile(opts.Data, pipeline.ReadOptions{SkipBad: opts.SkipBad, Stdin: ios.In, Skipped: warnSkipped(ios)})
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		err = writeMetricsJSON(ios.Out, met, m.Labels.Names())
	} else {
		err = writeMetricsText(ios.Out, met, m.Labels.Names())
	}
	if err != nil {
		return err
	}
	if opts.FailUnder > 0 && met.Accuracy < opts.FailUnder {
		return fmt.Errorf("%w: accuracy %.4f is below --fail-under %.4f", errQualityGate, met.Accuracy, opts.FailUnder)
	}
	return nil
}

// warnSkipped reports records --skip-bad skipped.
func warnSkipped(ios *IOStreams) func(string, int) {
	return func(name string, n int) {
		fmt.Fprintf(ios.ErrOut, "warning: %s: skipped %d malformed record(s) (--skip-bad)\n", name, n)
	}
}

type classJSON struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

type metricsJSON struct {
	N          int                  `json:"n"`
	Accuracy   float64              `json:"accuracy"`
	Loss       float64              `json:"loss"`
	MacroF1    float64              `json:"macro_f1"`
	WeightedF1 float64              `json:"weighted_f1"`
	Labels     []string             `json:"labels"`
	PerClass   map[string]classJSON `json:"per_class"`
	Confusion  [][]int              `json:"confusion"`
}

func writeMetricsJSON(w io.Writer, m *train.Metrics, labels []string) error {
	out := metricsJSON{
		N: m.N, Accuracy: m.Accuracy, Loss: m.Loss, MacroF1: m.MacroF1, WeightedF1: m.WeightedF1,
		Labels: labels, PerClass: map[string]classJSON{}, Confusion: m.Confusion,
	}
	for i, name := range labels {
		pc := m.PerClass[i]
		out.PerClass[name] = classJSON{Precision: pc.Precision, Recall: pc.Recall, F1: pc.F1, Support: pc.Support}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}

func writeMetricsText(w io.Writer, m *train.Metrics, labels []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "n\t%d\naccuracy\t%.4f\nloss\t%.4f\nmacro_f1\t%.4f\nweighted_f1\t%.4f\n\n", m.N, m.Accuracy, m.Loss, m.MacroF1, m.WeightedF1)
	fmt.Fprintf(tw, "label\tprecision\trecall\tf1\tsupport\n")
	for i, name := range labels {
		pc := m.PerClass[i]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", name, pc.Precision, pc.Recall, pc.F1, pc.Support)
	}
	fmt.Fprintf(tw, "\nconfusion (rows: true, columns: predicted)\n")
	fmt.Fprintf(tw, "\t")
	for _, name := range labels {
		fmt.Fprintf(tw, "%s\t", name)
	}
	fmt.Fprintln(tw)
	for i, row := range m.Confusion {
		fmt.Fprintf(tw, "%s\t", labels[i])
		for _, v := range row {
			fmt.Fprintf(tw, "%d\t", v)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/report"
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
	FailSet    bool // --fail-under was given
	FailMetric string
	Threshold  float64
	SkipBad    bool
	Report     string // HTML report file, "" for none
	Plots      string // figures of the report, "" for none
	Int8       bool   // --int8-compute
}

func newEvalCmd(f *factory, g *globalOptions, runF func(context.Context, *evalOptions) error) *cobra.Command {
	opts := &evalOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "eval --model MODEL --data PATH [flags]",
		Short: "Evaluate a model on labelled data",
		Long: `Eval prints accuracy, loss, macro and weighted F1, per-class precision,
recall, F1 and support, and the confusion matrix (rows: true class, columns:
predicted class). With --fail-under it exits 4 when accuracy (or the
--fail-metric) is below the given value: a quality gate for CI. Every metric
is higher-is-better except loss and hamming_loss, for which the gate fails
above the value.

A multi-label model (sigmoid outputs) predicts each label whose probability
is at least --threshold, and eval prints subset accuracy (the accuracy),
Hamming loss, micro, macro and weighted precision, recall and F1,
precision@k and recall@k (k = 1, 3, 5) and per-label precision, recall, F1
and support, without a confusion matrix.

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
			g, ok := findGateMetric(opts.FailMetric)
			if !ok {
				return &usageError{err: fmt.Errorf("eval: --fail-metric must be one of %s, not %q", gateMetricNames(), opts.FailMetric), cmd: c.CommandPath()}
			}
			if !(opts.FailUnder >= 0 && (opts.FailUnder <= 1 || g.name == "loss")) { // NaN too
				return &usageError{err: fmt.Errorf("eval: --fail-under must be within [0, 1], got %g", opts.FailUnder), cmd: c.CommandPath()}
			}
			if !(opts.Threshold >= 0 && opts.Threshold <= 1) {
				return &usageError{err: fmt.Errorf("eval: --threshold must be within [0, 1], got %g", opts.Threshold), cmd: c.CommandPath()}
			}
			opts.FailSet = c.Flags().Changed("fail-under")
			if err := checkReportFlags(c, opts.Report, opts.Plots); err != nil {
				return err
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
	fl.Float64Var(&opts.FailUnder, "fail-under", 0, "exit 4 when the --fail-metric is below this value (above it for loss and hamming_loss)")
	fl.StringVar(&opts.FailMetric, "fail-metric", "accuracy", "the metric of --fail-under: "+gateMetricNames())
	fl.Float64Var(&opts.Threshold, "threshold", train.DefaultThreshold, "multi-label models: the probability from which a label is predicted")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	addReportFlags(fl, &opts.Report, &opts.Plots)
	addInt8Flag(fl, &opts.Int8)
	return c
}

// addInt8Flag declares --int8-compute (predict, eval, serve).
func addInt8Flag(fl *pflag.FlagSet, v *bool) {
	fl.BoolVar(v, "int8-compute", false, "compute the LSTM products in int8 (fast with AVX-512 VNNI, pure Go elsewhere: the same results, slower); probabilities move by up to about 0.02; any model file")
}

// useInt8 makes m compute in int8 (--int8-compute), warning when this CPU
// (or a noasm build) runs the int8 product in pure Go, slower than float32.
func useInt8(ios *IOStreams, m *pipeline.Model) {
	m.UseInt8Compute()
	if kernels.Variants()["qgemm"] == "generic" {
		fmt.Fprintln(ios.ErrOut, "warning: --int8-compute: without AVX-512 VNNI (this CPU or a noasm build) the int8 products run in pure Go, slower than without the flag (the same results)")
	}
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
	if opts.Int8 {
		useInt8(ios, m)
	}
	g, _ := findGateMetric(opts.FailMetric)
	if g.multi && !m.MultiLabel() {
		return &usageError{err: fmt.Errorf("eval: --fail-metric %s is a multi-label metric, and %s is a single-label model (use accuracy, macro_f1, weighted_f1 or loss)", g.name, opts.Model), cmd: "lstmctl eval"}
	}
	ro := pipeline.ReadOptions{SkipBad: opts.SkipBad, Stdin: ios.In, Skipped: warnSkipped(ios), Warn: func(msg string) { fmt.Fprintf(ios.ErrOut, "warning: %s\n", msg) }}
	ex, err := readTest(m, opts.Data, ro)
	if err != nil {
		return err
	}
	met, err := m.EvaluateAt(ex, opts.Threshold)
	if err != nil {
		return err
	}
	if err := writeMetrics(ios.Out, opts.Format, met, m.Labels.Names()); err != nil {
		return err
	}
	if opts.Report != "" {
		in := report.Input{Version: buildVersion(), Test: ex, TestPath: opts.Data, Metrics: met}
		modelInput(ctx, ios, &in, m, opts.Model, ro)
		if err := writeReport(ctx, ios, in, "lstmctl report: "+filepath.Base(opts.Model), opts.Report, opts.Plots); err != nil {
			return err
		}
	}
	// The gate is on when --fail-under is given; a higher-is-better
	// metric at 0 never fails, as before --fail-metric existed.
	if opts.FailSet && (g.lower || opts.FailUnder > 0) {
		return g.check(met, opts.FailUnder)
	}
	return nil
}

// writeMetrics writes the metrics as text or json, those of a
// multi-label model in its own layout.
func writeMetrics(w io.Writer, format string, met *train.Metrics, labels []string) error {
	switch {
	case met.MultiLabel != nil && format == "json":
		return writeMultiLabelJSON(w, met, labels)
	case met.MultiLabel != nil:
		return writeMultiLabelText(w, met, labels)
	case format == "json":
		return writeMetricsJSON(w, met, labels)
	}
	return writeMetricsText(w, met, labels)
}

// warnSkipped reports records --skip-bad skipped.
func warnSkipped(ios *IOStreams) func(string, int) {
	return func(name string, n int) {
		fmt.Fprintf(ios.ErrOut, "warning: %s: skipped %d malformed record(s) (--skip-bad)\n", name, n)
	}
}

func writeMetricsJSON(w io.Writer, m *train.Metrics, labels []string) error {
	return json.NewEncoder(w).Encode(report.NewEvalMetrics(m, labels))
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

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/report"
	"github.com/lstmctl/lstmctl/pkg/train"
)

type reportOptions struct {
	IO         *IOStreams
	ConfigFile string
	Set        map[string]any
	Model      string
	Data       string
	History    string
	Output     string
	Plots      string
	SkipBad    bool
}

func newReportCmd(f *factory, g *globalOptions, runF func(context.Context, *reportOptions) error) *cobra.Command {
	opts := &reportOptions{IO: f.IO}
	c := &cobra.Command{
		Use:   "report [--model MODEL --data TEST] [--history FILE] -o report.html",
		Short: "Write an HTML report of a model, its test results and its training curves",
		Long: `Report writes one self-contained HTML page (inline SVG figures, no network,
no JavaScript) about a model: the run (version, configuration, time taken,
data files and their SHA-256, the layers, threads); the data (class counts
of the training, validation and test splits, text lengths against the
sequence length, vocabulary coverage of the validation and test texts and
of the pretrained vectors); the training curves per epoch from --history
(loss, accuracy, learning rate, the epoch whose weights the model holds);
the results on --data (accuracy, macro and weighted F1, per-class
precision, recall and F1, the confusion matrix as counts and row
percentages, the most confused pairs, the most confident mistakes with
their two most probable labels) and a reliability diagram with the
expected calibration error.

The page's numbers are also in a <script type="application/json"
id="report-data"> block; its test.metrics is what eval --format json
prints. --plots DIR also writes every figure as PNG and SVG.

--history alone draws the curves of a history file, also while its run
is still writing it. The training and validation data are read from the
paths the model was trained with, where they still exist.`,
		Example: `  lstmctl report --model model.safetensors --data test.txt --history history.csv -o report.html
  lstmctl report --history history.csv -o curves.html
  lstmctl report --model model.safetensors --data test.csv --plots plots/`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, slices.Concat([]flagBinding{{"data-format", "data.format"}}, columnBindings, globalBindings))
			if opts.Model == "" && opts.History == "" {
				return &usageError{err: errors.New("report: give --model (with --data TEST) or --history, or both"), cmd: c.CommandPath()}
			}
			if opts.Data != "" && opts.Model == "" {
				return &usageError{err: errors.New("report: --data needs --model, the model to test"), cmd: c.CommandPath()}
			}
			if opts.Set["data.format"] == pipeline.FormatLines {
				return &usageError{err: errors.New("report: --data-format lines reads bare text, without the labels a test compares with"), cmd: c.CommandPath()}
			}
			if opts.Output == "" {
				return &usageError{err: errors.New("report: -o must name the HTML file to write (- for stdout)"), cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runReport(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Model, "model", "", "model `file` or checkpoint")
	fl.StringVar(&opts.Data, "data", "", "labelled test data `path` (- = stdin)")
	fl.StringVar(&opts.History, "history", "", "history `file` of the run (.csv, .jsonl or .json, as train --history writes)")
	fl.StringVarP(&opts.Output, "output", "o", "report.html", "HTML `file` to write (- = stdout)")
	fl.StringVar(&opts.Plots, "plots", "", "also write every figure as PNG and SVG into this `dir`")
	fl.String("data-format", "auto", "input format: auto, fasttext, csv, tsv, jsonl, dir")
	addColumnFlags(fl, "", nil, " (default: the model's)")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	return c
}

func runReport(ctx context.Context, opts *reportOptions) error {
	opts.IO = opts.IO.Interruptible(ctx)
	ios := opts.IO
	in := report.Input{Version: buildVersion()}
	title := "lstmctl report"
	if opts.History != "" {
		h, partial, err := train.ReadHistory(opts.History)
		if err != nil {
			return err
		}
		in.History, in.HistoryPath, in.HistoryPartial = h, opts.History, partial
		in.Files = append(in.Files, report.FileRef{Role: "history", Path: opts.History})
		title += ": " + filepath.Base(opts.History)
	}
	if opts.Model != "" {
		m, err := openModel(ios, opts.Model, opts.ConfigFile, opts.Set)
		if err != nil {
			return err
		}
		ro := pipeline.ReadOptions{SkipBad: opts.SkipBad, Stdin: ios.In, Skipped: warnSkipped(ios)}
		if opts.Data != "" {
			ex, err := readTest(m, opts.Data, ro)
			if err != nil {
				return err
			}
			in.Test, in.TestPath = ex, opts.Data
		}
		modelInput(ctx, ios, &in, m, opts.Model, ro)
		title = "lstmctl report: " + filepath.Base(opts.Model)
	}
	return writeReport(ctx, ios, in, title, opts.Output, opts.Plots)
}

// readTest reads labelled test data; none is an error.
func readTest(m *pipeline.Model, path string, ro pipeline.ReadOptions) ([]data.Example, error) {
	ex, err := m.ReadExamples(path, ro)
	if err != nil {
		return nil, err
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("%s: %w", path, data.ErrEmpty)
	}
	return ex, nil
}

// modelInput adds what the report shows of a model beside its test
// results: the training and validation data it was trained on (read
// again from their paths, where they still hold the same data), the
// pretrained vectors' coverage, and the data files. What cannot be had
// is noted on the page, not an error.
func modelInput(ctx context.Context, ios *IOStreams, in *report.Input, m *pipeline.Model, path string, ro pipeline.ReadOptions) {
	in.Model, in.ModelPath = m, path
	d := m.Config.Data
	if d.Train != "" && d.Train != pipeline.Stdin {
		in.Train, in.Validation, in.DataNote = trainingData(m, ro)
	} else {
		in.DataNote = "The model does not name its training data: no class counts of the training split."
	}
	var files []report.FileRef
	for _, f := range []report.FileRef{{Role: "train", Path: d.Train}, {Role: "validation", Path: d.Validation}, {Role: "test", Path: in.TestPath}} {
		if f.Path != "" {
			files = append(files, f)
		}
	}
	in.Files = append(files, in.Files...)
	v, warning, err := m.VectorsCoverage(ctx, offlineVectors{vectorsCache(ios, true)})
	switch {
	case err != nil:
		in.VectorsNote = fmt.Sprintf("The coverage of the pretrained vectors %q is not known: %v.", m.Config.Model.EmbeddingVectors, err)
	case v == nil:
		in.VectorsNote = "The model was trained without pretrained vectors."
	default:
		in.Vectors, in.VectorsWarning = v, warning
	}
}

// trainingData reads the model's training and validation examples again,
// if their files still hold the data it was trained on (the data
// fingerprint stored in the model says so).
func trainingData(m *pipeline.Model, ro pipeline.ReadOptions) (trainEx, valEx []data.Example, note string) {
	ro.Skipped = nil
	// The paths come from the model file: only regular files and class
	// directories are read (a pipe or a device could block).
	for _, p := range []string{m.Config.Data.Train, m.Config.Data.Validation} {
		if fi, err := os.Stat(p); p != "" && err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
			return nil, nil, fmt.Sprintf("The training data's path %s is not a regular file or directory: not read.", p)
		}
	}
	trainEx, valEx, err := pipeline.ReadTrainingData(m.Config, ro)
	if err != nil {
		return nil, nil, fmt.Sprintf("The training data could not be read again (%v): no class counts of the training split.", err)
	}
	if m.Training == nil {
		return trainEx, valEx, "The model records no data fingerprint: the training data shown is what its paths hold now."
	}
	trainDS, err := m.EncodeExamples(trainEx)
	var valDS *data.Dataset
	if err == nil && len(valEx) > 0 {
		valDS, err = m.EncodeExamples(valEx)
	}
	if err != nil || pipeline.DataFingerprint(m.Vocab, m.Labels, trainDS, valDS) != m.Training.DataFingerprint {
		return nil, nil, fmt.Sprintf("The files at the training data's paths (%s) no longer hold the data the model was trained on (its fingerprint differs): no class counts of the training split.", m.Config.Data.Train)
	}
	return trainEx, valEx, ""
}

// offlineVectors loads pretrained vectors without fetching any: a named
// set that is not in the cache yet is not loaded.
type offlineVectors struct{ cache *pretrained.Cache }

func (o offlineVectors) Load(ctx context.Context, value string, vocab []string) (*embed.Vectors, string, error) {
	if _, err := os.Stat(value); err != nil {
		if _, builtin := pretrained.LookupBuiltin(value); !builtin {
			if s, ok := pretrained.Lookup(value); ok {
				if cached, _ := o.cache.Cached(s); !cached {
					return nil, "", fmt.Errorf("%s is not fetched (lstmctl vectors fetch %s)", value, value)
				}
			}
		}
	}
	return o.cache.Load(ctx, value, vocab)
}

// writeReport builds the report and writes its page to path ("-" =
// stdout) and, with plots, its figures into that directory.
func writeReport(ctx context.Context, ios *IOStreams, in report.Input, title, path, plots string) error {
	r, err := report.Build(ctx, in)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return r.WriteHTML(w, title) }
	if path == pipeline.Stdin {
		err = write(ios.Out)
	} else {
		err = atomicfile.Write(path, 0o644, write)
	}
	if err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if path != pipeline.Stdin {
		fmt.Fprintf(ios.ErrOut, "report: wrote %s\n", path)
	}
	if plots == "" {
		return nil
	}
	written, err := r.WritePlots(plots)
	if err != nil {
		return err
	}
	fmt.Fprintf(ios.ErrOut, "report: wrote %d figures (PNG and SVG) into %s\n", len(written)/2, plots)
	return nil
}

// addReportFlags defines --report and --plots of train and eval.
func addReportFlags(fl *pflag.FlagSet, report, plots *string) {
	fl.StringVar(report, "report", "", "also write an HTML report (as lstmctl report) to this `file`")
	fl.StringVar(plots, "plots", "", "with --report, also write its figures as PNG and SVG into this `dir`")
}

// checkReportFlags checks train's and eval's --report and --plots.
func checkReportFlags(c *cobra.Command, report, plots string) error {
	if report == pipeline.Stdin {
		return &usageError{err: fmt.Errorf("%s: --report must name a file (stdout carries the metrics)", c.Name()), cmd: c.CommandPath()}
	}
	if plots != "" && report == "" {
		return &usageError{err: fmt.Errorf("%s: --plots writes the figures of --report: give --report FILE too", c.Name()), cmd: c.CommandPath()}
	}
	return nil
}

// trainReport writes the report of a finished training: its history, and
// its test results when it had test data.
func trainReport(ctx context.Context, ios *IOStreams, opts *trainOptions, res *pipeline.TrainResult) error {
	m := res.Model
	cfg := m.Config
	in := report.Input{Version: buildVersion(), History: res.Fit.History, HistoryPath: cfg.Output.History, Metrics: res.Test}
	ro := pipeline.ReadOptions{SkipBad: opts.SkipBad, Stdin: ios.In}
	if cfg.Data.Test != "" && cfg.Data.Test != pipeline.Stdin {
		ex, err := readTest(m, cfg.Data.Test, ro)
		if err != nil {
			return err
		}
		in.Test, in.TestPath = ex, cfg.Data.Test
	} else {
		in.Metrics = nil
	}
	if cfg.Output.History != "" {
		in.Files = append(in.Files, report.FileRef{Role: "history", Path: cfg.Output.History})
	}
	modelInput(ctx, ios, &in, m, cfg.Output.Model, ro)
	return writeReport(ctx, ios, in, "lstmctl report: "+filepath.Base(cfg.Output.Model), opts.Report, opts.Plots)
}

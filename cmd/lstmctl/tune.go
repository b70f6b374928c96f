package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/train"
	"github.com/lstmctl/lstmctl/pkg/tune"
)

type tuneOptions struct {
	IO          *IOStreams
	ConfigFile  string
	Quiet       bool
	Set         map[string]any
	Budget      time.Duration
	BudgetSteps int
	Candidates  int
	ConfigOut   string
	Format      string
	SkipBad     bool
}

var tuneBindings = append(slices.Clip(trainDataBindings), []flagBinding{
	{"model", "output.model"},
	{"epochs", "train.epochs"},
	{"seed", "train.seed"},
	{"vectors", "model.embedding_vectors"},
}...)

func newTuneCmd(f *factory, g *globalOptions, runF func(context.Context, *tuneOptions) error) *cobra.Command {
	opts := &tuneOptions{IO: f.IO}
	d, err := config.Load("", nil, config.NoEnv, nil)
	if err != nil {
		panic(err) // the embedded defaults are valid; tests check it
	}
	c := &cobra.Command{
		Use:   "tune --train PATH --validation PATH (--budget DURATION | --budget-steps N) [flags]",
		Short: "Search for a better configuration within a budget",
		Long: `Tune searches the training recipe and the model options (learning rate,
batch size, sequence length, dropout, bidirectional layers and pooling, frozen
or trained vectors) for the configuration with the best validation accuracy,
as fastText's -autotune-validation does.

It runs successive halving: up to --trials configurations (the first is the
base configuration: defaults < --config < environment < flags) train for a few
epochs each, the best third train about three times longer, and so on; the
best trial of the last round wins. Each trial trains from scratch, as
lstmctl train would with its configuration.

--budget-steps N bounds the optimizer steps of all trials together and makes
the search reproducible: the same seed, data, base and budget give the same
trials and the same model, bit for bit. --budget 10m bounds the time instead
(a first one-epoch trial measures the speed); it is not reproducible.

It writes the winner's model (--model) and its configuration as YAML
(--config-out), which lstmctl train --config accepts to train the same model
again, and prints the trials as a table (--format json: as JSON). With --test,
the winner is evaluated on the test data at the end (never used to choose).
One line per trial goes to stderr as it ends.`,
		Example: `  lstmctl tune --train train.txt --validation valid.txt --budget 10m
  lstmctl tune --train train.txt --validation valid.txt --budget-steps 50000 --config-out best.yaml --model best.safetensors
  lstmctl train --config best.yaml   # the same model again`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.ConfigFile, opts.Quiet = g.ConfigFile, g.Quiet
			opts.Set = changedSettings(c, append(tuneBindings, globalBindings...))
			if err := opts.check(); err != nil {
				return &usageError{err: err, cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runTune(c.Context(), opts)
		},
	}
	fl := c.Flags()
	addTrainDataFlags(fl, d.Data)
	fl.DurationVar(&opts.Budget, "budget", 0, "time for the whole search, e.g. 10m (not reproducible; see --budget-steps)")
	fl.IntVar(&opts.BudgetSteps, "budget-steps", 0, "optimizer steps for all trials together (reproducible)")
	fl.IntVar(&opts.Candidates, "trials", 27, "the most configurations the first round trains (fewer when the budget is small)")
	fl.String("model", "best.safetensors", "write the winner's model to this `file`")
	fl.StringVar(&opts.ConfigOut, "config-out", "best.yaml", "write the winner's configuration to this YAML `file`")
	fl.StringVar(&opts.Format, "format", "text", "output of the trials table: text or json")
	fl.Int("epochs", d.Train.Epochs, "the most epochs of any trial")
	fl.Uint64("seed", d.Train.Seed, "random seed of the trials (train.seed) and of the search")
	fl.String("vectors", d.Model.EmbeddingVectors, "pretrained word vectors, as for train (none: a random embedding)")
	fl.BoolVar(&opts.SkipBad, "skip-bad", false, "skip malformed records (counted on stderr) instead of failing")
	return c
}

func (o *tuneOptions) check() error {
	switch {
	case o.Format != "text" && o.Format != "json":
		return fmt.Errorf("tune: --format must be text or json, not %q", o.Format)
	case o.Budget != 0 && o.BudgetSteps != 0:
		return errors.New("tune: --budget and --budget-steps exclude each other")
	case o.Budget < 0 || o.BudgetSteps < 0:
		return errors.New("tune: a budget must be positive")
	case o.Budget == 0 && o.BudgetSteps == 0:
		return errors.New("tune: set a budget: --budget 10m (time) or --budget-steps N (optimizer steps, reproducible)")
	case o.Candidates < 1:
		return fmt.Errorf("tune: --trials must be at least 1, not %d", o.Candidates)
	case o.ConfigOut == "":
		return errors.New("tune: --config-out is empty; name the YAML file to write")
	}
	return nil
}

func runTune(ctx context.Context, opts *tuneOptions) error {
	ios := opts.IO
	cfg, err := loadConfig(ios, opts.ConfigFile, nil, opts.Set)
	if err != nil {
		return err
	}
	to := pipeline.TrainOptions{
		Read:            pipeline.ReadOptions{SkipBad: opts.SkipBad},
		EmbeddingDimSet: cfg.Explicit["model.embedding_dim"],
		Vectors:         vectorsCache(ios, opts.Quiet),
		Version:         buildVersion(),
	}
	if err := pipeline.Preflight(cfg.Config, to, pipeline.Output{Label: "--config-out", Path: opts.ConfigOut}); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lstmctl-tune-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	so := tune.Options{
		Seed:        cfg.Train.Seed,
		BudgetSteps: opts.BudgetSteps,
		Budget:      opts.Budget,
		Candidates:  opts.Candidates,
		Train:       to,
		Dir:         dir,
	}
	if !opts.Quiet {
		so.Progress = func(t tune.Trial) { fmt.Fprintln(ios.ErrOut, trialLine(t)) }
	}
	res, err := tune.Search(ctx, cfg.Config, so)
	if err != nil {
		if res != nil && len(res.Trials) > 0 && errors.Is(err, context.Canceled) {
			fmt.Fprintf(ios.ErrOut, "interrupted after %d trials; nothing written\n", len(res.Trials))
		}
		return err
	}
	best := res.BestTrial()
	if best == nil {
		return fmt.Errorf("tune: no trial finished within the budget (%d steps); give a larger budget", res.BudgetSteps)
	}
	if err := writeTuned(cfg, res, opts.ConfigOut); err != nil {
		return err
	}
	var test *train.Metrics
	m, err := pipeline.Open(best.Model)
	if err != nil {
		return err
	}
	if err := copyFile(best.Model, cfg.Output.Model); err != nil {
		return err
	}
	if cfg.Data.Test != "" {
		if test, err = m.EvaluateFile(cfg.Data.Test, to.Read); err != nil {
			return err
		}
	}
	if !opts.Quiet {
		fmt.Fprintf(ios.ErrOut, "best: trial %d, val_accuracy %.4f; wrote %s and %s (lstmctl train --config %s trains it again)\n",
			best.N, best.ValAccuracy, cfg.Output.Model, opts.ConfigOut, opts.ConfigOut)
	}
	if opts.Format == "json" {
		return writeTrialsJSON(ios.Out, res, test)
	}
	return writeTrialsText(ios.Out, res, test)
}

// writeTuned writes the winner's configuration as YAML: what the base set
// explicitly, what the winner changes, its epochs, and the model path.
func writeTuned(base *config.Settings, res *tune.Result, path string) error {
	explicit := map[string]bool{"train.epochs": true}
	for k := range base.Explicit {
		explicit[k] = true
	}
	for _, s := range res.Settings {
		explicit[s.Key] = true
	}
	cfg := res.Config
	cfg.Output = pipeline.OutputConfig{Model: base.Output.Model}
	raw, err := config.YAML(cfg, explicit)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# lstmctl tune: the best of %d trials (validation accuracy %.4f, %d of %d optimizer steps).\n# lstmctl train --config %s trains this model again.\n",
		len(res.Trials), res.BestTrial().ValAccuracy, res.StepsUsed, res.BudgetSteps, path)
	return atomicfile.WriteBytes(path, 0o644, append([]byte(head), raw...))
}

// trialLine is the progress line of a finished trial.
func trialLine(t tune.Trial) string {
	round := fmt.Sprintf("round %d", t.Rung+1)
	if t.Rung < 0 {
		round = "speed probe"
	}
	if t.Err != nil {
		return fmt.Sprintf("trial %d (%s, %d epochs): failed: %v; %s", t.N, round, t.Epochs, t.Err, t.Settings)
	}
	return fmt.Sprintf("trial %d (%s): val_accuracy %.4f val_loss %.4f, %d/%d epochs, %d steps, %.1fs; %s",
		t.N, round, t.ValAccuracy, t.ValLoss, t.EpochsRun, t.Epochs, t.Steps, t.Seconds, t.Settings)
}

func writeTrialsText(w io.Writer, res *tune.Result, test *train.Metrics) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "trial\tround\tepochs\tsteps\tval_accuracy\tval_loss\tseconds\tsettings")
	for i, t := range res.Trials {
		mark := ""
		if i == res.Best {
			mark = " *"
		}
		round := fmt.Sprint(t.Rung + 1)
		if t.Rung < 0 {
			round = "probe"
		}
		acc, loss := fmt.Sprintf("%.4f", t.ValAccuracy), fmt.Sprintf("%.4f", t.ValLoss)
		if t.Err != nil {
			acc, loss = "failed", "-"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%d/%d\t%d\t%s\t%s\t%.1f\t%s\n", t.N, mark, round, t.EpochsRun, t.Epochs, t.Steps, acc, loss, t.Seconds, t.Settings)
	}
	fmt.Fprintf(tw, "\nsteps: %d of a budget of %d\n", res.StepsUsed, res.BudgetSteps)
	if test != nil {
		fmt.Fprintf(tw, "test accuracy of the best (*): %.4f (n=%d)\n", test.Accuracy, test.N)
	}
	return tw.Flush()
}

type trialJSON struct {
	Trial       int            `json:"trial"`
	Round       int            `json:"round"` // 0 = the speed probe
	Candidate   int            `json:"candidate"`
	Epochs      int            `json:"epochs"`
	EpochsRun   int            `json:"epochs_run"`
	Steps       int            `json:"steps"`
	ValAccuracy *float64       `json:"val_accuracy"`
	ValLoss     *float64       `json:"val_loss"`
	Seconds     float64        `json:"seconds"`
	Settings    map[string]any `json:"settings"`
	Error       string         `json:"error,omitempty"`
}

func writeTrialsJSON(w io.Writer, res *tune.Result, test *train.Metrics) error {
	out := struct {
		Trials       []trialJSON `json:"trials"`
		Best         int         `json:"best"`
		BudgetSteps  int         `json:"budget_steps"`
		StepsUsed    int         `json:"steps_used"`
		TestAccuracy *float64    `json:"test_accuracy,omitempty"`
	}{Best: res.BestTrial().N, BudgetSteps: res.BudgetSteps, StepsUsed: res.StepsUsed}
	for _, t := range res.Trials {
		j := trialJSON{Trial: t.N, Round: t.Rung + 1, Candidate: t.Candidate, Epochs: t.Epochs, EpochsRun: t.EpochsRun,
			Steps: t.Steps, Seconds: t.Seconds, Settings: map[string]any{}}
		if t.Err != nil {
			j.Error = t.Err.Error()
		} else {
			j.ValAccuracy, j.ValLoss = &t.ValAccuracy, &t.ValLoss
		}
		for _, s := range t.Settings {
			j.Settings[s.Key] = s.Value
		}
		out.Trials = append(out.Trials, j)
	}
	if test != nil {
		out.TestAccuracy = &test.Accuracy
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// copyFile copies the file src to dst, atomically.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

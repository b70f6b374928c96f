package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// Exit codes, listed in `lstmctl --help`.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitData        = 3
	exitQuality     = 4
	exitInterrupted = 130
)

// version is set with -ldflags "-X main.version=v1.2.3"; otherwise it comes
// from the module build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "(devel)"
}

// usageError is a command-line mistake: exit code 2, with a pointer to --help.
type usageError struct {
	err error
	cmd string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// errQualityGate is returned by eval --fail-under (exit code 4).
var errQualityGate = errors.New("quality gate failed")

// factory carries what every command needs.
type factory struct {
	IO *IOStreams
}

// globalOptions are the flags every command has.
type globalOptions struct {
	ConfigFile string
	Quiet      bool
}

// Main runs lstmctl with the process's arguments and streams and returns the
// exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ios := System()
	return run(ctx, ios, os.Args[1:])
}

// run executes one command line and maps its error to an exit code.
func run(ctx context.Context, ios *IOStreams, args []string) int {
	root := newRootCmd(&factory{IO: ios})
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	printError(ios.ErrOut, err)
	if code == exitUsage {
		var ue *usageError
		name := cmd.CommandPath()
		if errors.As(err, &ue) && ue.cmd != "" {
			name = ue.cmd
		}
		_, cfgErr := errors.AsType[*config.Error](err)
		_, pipeErr := errors.AsType[*pipeline.ConfigError](err)
		if !cfgErr && !pipeErr {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", name)
		}
	}
	return code
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var pe *data.ParseError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, errQualityGate):
		return exitQuality
	case errors.As(err, new(*pipeline.StoredConfigError)):
		// A damaged file, even when its config fails a check that is a
		// usage error in the user's own (an unknown data.format).
		return exitFailure
	case errors.As(err, &pe), errors.Is(err, data.ErrEmpty), errors.Is(err, data.ErrUnknownLabel), errors.Is(err, embed.ErrMalformed),
		errors.Is(err, train.ErrHistory):
		return exitData
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return exitUsage
	}
	if errors.Is(err, data.ErrFormat) { // a format no reader has, or none the path tells
		return exitUsage
	}
	if _, ok := errors.AsType[*config.Error](err); ok {
		return exitUsage
	}
	if _, ok := errors.AsType[*pipeline.ConfigError](err); ok {
		return exitUsage
	}
	if isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// isCobraUsage recognises the argument errors cobra returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

const rootLong = `lstmctl trains LSTM text classifiers, evaluates them and predicts with them.

The default model is the Keras example's LSTM(64) -> LSTM(32) ->
Dense(softmax), its embedding starting from built-in 100-dimensional GloVe
vectors, trained with Adam on sparse categorical cross-entropy, all in Go.

  lstmctl train   --train data/train.txt            # writes model.safetensors
  lstmctl eval    --model model.safetensors --data data/test.txt
  lstmctl predict --model model.safetensors < file.txt > labels.tsv
  lstmctl inspect model.safetensors                  # layers, parameters, labels

stdout carries data only (predictions, metrics); stderr carries progress,
logs and errors.

Configuration: built-in defaults (configs/default.yaml) < a model's stored
configuration (eval, predict, train --from) < --config FILE < LSTMCTL_*
environment (LSTMCTL_TRAIN_EPOCHS=3) < flags.

Exit codes:
  0    success
  1    runtime failure
  2    usage or configuration error
  3    bad input data
  4    quality gate failed (eval --fail-under)
  130  interrupted (after saving a checkpoint)`

func newRootCmd(f *factory) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "lstmctl",
		Short:         "Train, evaluate and run LSTM text classifiers",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
		// An argument is an unknown command (with a suggestion, exit 2);
		// none prints the help.
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(newHelpCmd())
	addGlobalFlags(root, g)
	root.AddCommand(
		newTrainCmd(f, g, nil),
		newEvalCmd(f, g, nil),
		newPredictCmd(f, g, nil),
		newServeCmd(f, g, nil),
		newTuneCmd(f, g, nil),
		newReportCmd(f, g, nil),
		newVectorsCmd(f, g),
		newInspectCmd(f, nil),
		newExportCmd(f, g, nil),
		newQuantizeCmd(f, g, nil),
		newVersionCmd(f),
	)
	return root
}

// addGlobalFlags defines the flags every command has.
func addGlobalFlags(root *cobra.Command, g *globalOptions) {
	pf := root.PersistentFlags()
	pf.StringVar(&g.ConfigFile, "config", "", "YAML config `file` (see configs/default.yaml)")
	pf.Int("threads", 0, "worker threads (0 = all cores); results do not depend on it")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "no progress output")
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(f.IO.Out, "lstmctl %s\n", buildVersion())
			return err
		},
	}
}

// noArgs rejects positional arguments as a usage error; for a command with
// subcommands, as an unknown command.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 && c.HasAvailableSubCommands() {
		return unknownCommand(c, args[0])
	}
	if len(args) > 0 {
		return &usageError{err: fmt.Errorf("unexpected argument %q", args[0]), cmd: c.CommandPath()}
	}
	return nil
}

// changedSettings maps the flags the user set to their config keys.
func changedSettings(c *cobra.Command, bindings []flagBinding) map[string]any {
	set := map[string]any{}
	for _, b := range bindings {
		fl := c.Flags().Lookup(b.flag)
		if fl == nil || !fl.Changed {
			continue
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			set[b.key] = sv.GetSlice() // each value whole, commas included
			continue
		}
		set[b.key] = fl.Value.String() // decoded like an environment value
	}
	return set
}

// columnBindings are the config keys of the column flags (addColumnFlags).
var columnBindings = []flagBinding{{"label-column", "data.label_column"}, {"text-column", "data.text_columns"}}

// addColumnFlags defines the flags that name the columns (CSV, TSV) or
// fields (JSONL) of the label and the text, with their defaults and a
// note added to their help.
func addColumnFlags(fl *pflag.FlagSet, label string, text []string, note string) {
	fl.String("label-column", label, "CSV/TSV column or JSONL field of the label"+note)
	fl.StringArray("text-column", text, "CSV/TSV column or JSONL field of the text; repeat it to join several with a space"+note)
}

// flagBinding ties a command-line flag to a config key.
type flagBinding struct{ flag, key string }

// globalBindings are the config keys of the persistent flags.
var globalBindings = []flagBinding{{"threads", "train.threads"}}

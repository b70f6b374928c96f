package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// progress adapts pipeline.Reporter to the terminal: a progress bar per epoch on
// a terminal (like Keras' fit), one plain line per epoch elsewhere, nothing
// with --quiet. It writes to stderr only.
type progress struct {
	skipped func(name string, n int) // warnSkipped
	w       io.Writer
	tty     bool
	quiet   bool
	epochs  int
	bar     *progressbar.ProgressBar
}

var _ pipeline.Reporter = (*progress)(nil)

func newProgress(ios *IOStreams, quiet bool, epochs int) *progress {
	return &progress{skipped: warnSkipped(ios), w: ios.ErrOut, tty: ios.ErrTTY, quiet: quiet, epochs: epochs}
}

func (p *progress) EpochStart(epoch, steps int) {
	if p.quiet || !p.tty {
		return
	}
	p.bar = progressbar.NewOptions64(int64(steps),
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetVisibility(true),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, p.epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *progress) Step(epoch, step int, loss, acc float64) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f acc %.4f", epoch, p.epochs, loss, acc))
	_ = p.bar.Set(step) // step is 1-based; a resumed epoch starts past 1
}

func (p *progress) EpochEnd(s train.EpochStats) {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	if p.quiet {
		return
	}
	fmt.Fprintln(p.w, epochLine(s, p.epochs))
}

// epochLine is the one-line summary of an epoch.
func epochLine(s train.EpochStats, epochs int) string {
	line := fmt.Sprintf("epoch %d/%d: loss %.4f accuracy %.4f", s.Epoch, epochs, s.Loss, s.Accuracy)
	if s.HasVal {
		line += fmt.Sprintf(" val_loss %.4f val_accuracy %.4f", s.ValLoss, s.ValAccuracy)
	}
	return line + fmt.Sprintf(" lr %.3g %.1fs %.0f samples/s", s.LearningRate, s.Seconds, s.SamplesPerSec)
}

// Skipped reports records --skip-bad skipped (even with --quiet: data was
// dropped).
func (p *progress) Skipped(name string, n int) { p.skipped(name, n) }

// Warn reports a setting that will not do what it seems to.
func (p *progress) Warn(msg string) { fmt.Fprintf(p.w, "warning: %s\n", msg) }

// Vectors reports the pretrained vectors' coverage of the vocabulary.
func (p *progress) Vectors(v pipeline.VectorsReport) {
	if p.quiet {
		return
	}
	name := v.Name
	if v.From != "" { // a named set: built in, or its cached file
		name += " (" + v.From + ")"
	}
	fmt.Fprintf(p.w, "vectors: %s covers %d of %d tokens (%.1f%%; %d through the lower-cased word), %d dimensions\n",
		name, v.Found, v.Total, 100*float64(v.Found)/float64(max(v.Total, 1)), v.Lowered, v.Dim)
}

// Start reports the data and the threads of a run.
func (p *progress) Start(s pipeline.StartReport) {
	if p.quiet {
		return
	}
	fmt.Fprintf(p.w, "train: %d samples (%d validation), %d classes, vocabulary %d, %d threads\n",
		s.Train, s.Validation, s.Classes, s.Vocab, s.Threads)
	if s.MultiLabel {
		fmt.Fprintf(p.w, "train: multi-label: sigmoid outputs, binary cross-entropy (model.output_activation sigmoid); early stopping watches the loss\n")
	}
}

// Summary prints the layers of the model about to be trained, as inspect
// and Keras' model.summary() do.
func (p *progress) Summary(s model.Summary) {
	if !p.quiet {
		writeSummary(p.w, s)
	}
}

// saved reports the model file written and the weights it holds.
func (p *progress) saved(path string, res *train.Result) {
	if p.quiet {
		return
	}
	restored := ""
	if res.RestoredEpoch > 0 {
		restored = fmt.Sprintf(", weights of epoch %d: best %s %.4f", res.RestoredEpoch, res.Monitor, res.BestValue)
	}
	fmt.Fprintf(p.w, "saved %s (%s%s)\n", path, res.Status, restored)
}

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/lstmctl/lstmctl/pkg/train"
)

// progress adapts train.Recorder to the terminal: a progress bar per epoch on
// a terminal (like Keras' fit), one plain line per epoch elsewhere, nothing
// with --quiet. It writes to stderr only.
type progress struct {
	w      io.Writer
	tty    bool
	quiet  bool
	epochs int
	bar    *progressbar.ProgressBar
}

var _ train.Recorder = (*progress)(nil)

func newProgress(ios *IOStreams, quiet bool, epochs int) *progress {
	return &progress{w: ios.ErrOut, tty: ios.ErrTTY, quiet: quiet, epochs: epochs}
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

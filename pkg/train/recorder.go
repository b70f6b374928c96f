package train

// Recorder receives progress from Trainer.Fit, on the goroutine that called
// Fit. Epochs and steps are 1-based; EpochStart gives the number of steps of
// the epoch. Step reports the running means of the current epoch so far (as
// Keras' progress bar does), not the last batch alone. EpochEnd receives the
// complete EpochStats. After resuming in the middle of an epoch, EpochStart
// is followed by Step calls that begin at the resumed position (step k+1),
// so a progress display should set its position from step rather than count
// calls.
type Recorder interface {
	EpochStart(epoch, steps int)
	Step(epoch, step int, loss, acc float64)
	EpochEnd(s EpochStats)
}

// NopRecorder ignores everything.
type NopRecorder struct{}

func (NopRecorder) EpochStart(epoch, steps int)             {}
func (NopRecorder) Step(epoch, step int, loss, acc float64) {}
func (NopRecorder) EpochEnd(s EpochStats)                   {}

var _ Recorder = NopRecorder{}

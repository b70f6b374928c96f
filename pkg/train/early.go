package train

import "math"

// earlyStopper follows Keras' EarlyStopping callback (Keras 3):
//
//   - improvement: value + min_delta < best for losses (mode min), value -
//     min_delta > best for accuracies (mode max); the first epoch always
//     improves on the initial best (+Inf or -Inf);
//   - not in Keras: an accuracy equal to the best improves when its loss
//     (val_loss for val_accuracy, loss for accuracy) is lower than the best
//     epoch's. Accuracies on a validation set of n samples move in steps of
//     1/n, so ties are common on small sets, and most of all at 1.0, where
//     Keras keeps the first such epoch however much the loss still falls;
//   - every epoch increments wait, an improvement resets it to 0;
//   - training stops when wait >= patience after an epoch other than the
//     first; patience 0 disables stopping (as in the Keras example, which has no
//     EarlyStopping callback) but the best epoch is still tracked for
//     best.safetensors.
type earlyStopper struct {
	Monitor   string  `json:"monitor"`
	Patience  int     `json:"patience"`
	MinDelta  float64 `json:"min_delta"`
	Best      float64 `json:"best"`
	BestLoss  float64 `json:"best_loss"` // the loss of the best epoch (ties of an accuracy)
	HasBest   bool    `json:"has_best"`
	BestEpoch int     `json:"best_epoch"` // 1-based; 0 = none yet
	Wait      int     `json:"wait"`
}

func newEarlyStopper(c EarlyStoppingConfig, monitor string) *earlyStopper {
	return &earlyStopper{Monitor: monitor, Patience: c.Patience, MinDelta: c.MinDelta}
}

// maximize reports whether the monitored metric is an accuracy.
func (e *earlyStopper) maximize() bool { return monitorMaximizes(e.Monitor) }

// value extracts the monitored metric from s.
func (e *earlyStopper) value(s EpochStats) float64 { return monitorValue(e.Monitor, s) }

// validMonitor reports whether m names a metric EpochStats holds.
func validMonitor(m string) bool {
	switch m {
	case MonitorValLoss, MonitorValAccuracy, MonitorLoss, MonitorAccuracy:
		return true
	}
	return false
}

// monitorMaximizes reports whether a larger value of m is better (Keras'
// mode "auto": accuracies are maximised, losses minimised).
func monitorMaximizes(m string) bool { return m == MonitorAccuracy || m == MonitorValAccuracy }

// monitorValue extracts metric m from s.
func monitorValue(m string, s EpochStats) float64 {
	switch m {
	case MonitorValLoss:
		return s.ValLoss
	case MonitorValAccuracy:
		return s.ValAccuracy
	case MonitorAccuracy:
		return s.Accuracy
	default:
		return s.Loss
	}
}

// tieLoss is the loss recorded with a best value of monitor m, which breaks
// ties of an accuracy: val_loss for val_ monitors, loss for the others.
func tieLoss(m string, s EpochStats) float64 {
	if m == MonitorValAccuracy || m == MonitorValLoss {
		return s.ValLoss
	}
	return s.Loss
}

// tieImproves reports whether an accuracy v, with loss (tieLoss), improves
// on the best as a tie: v equals best and loss is lower than bestLoss, the
// loss of the best epoch. Not in Keras; early stopping and
// reduce_on_plateau both apply it to accuracy monitors, on top of their
// Keras min_delta comparisons.
func tieImproves(v, loss, best, bestLoss float64) bool {
	return v == best && loss < bestLoss
}

// update records the end of an epoch and reports whether the monitored metric
// improved and whether training should stop.
func (e *earlyStopper) update(s EpochStats) (improved, stop bool) {
	v := e.value(s)
	e.Wait++
	loss := tieLoss(e.Monitor, s)
	if !math.IsNaN(v) {
		if e.maximize() {
			improved = !e.HasBest || v-e.MinDelta > e.Best || tieImproves(v, loss, e.Best, e.BestLoss)
		} else {
			improved = !e.HasBest || v+e.MinDelta < e.Best
		}
	}
	if improved {
		e.Best, e.BestLoss, e.HasBest, e.BestEpoch, e.Wait = v, loss, true, s.Epoch, 0
		return true, false
	}
	return false, e.Patience > 0 && e.Wait >= e.Patience && s.Epoch > 1
}

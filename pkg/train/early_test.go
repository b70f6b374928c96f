package train

import "testing"

func TestEarlyStopper(t *testing.T) {
	type ep struct {
		v              float64
		improved, stop bool
	}
	cases := []struct {
		name    string
		cfg     EarlyStoppingConfig
		seq     []ep
		best    int
		bestVal float64
	}{
		{"loss patience 2", EarlyStoppingConfig{Monitor: "val_loss", Patience: 2},
			[]ep{{1.0, true, false}, {0.8, true, false}, {0.9, false, false}, {0.85, false, true}}, 2, 0.8},
		{"min_delta", EarlyStoppingConfig{Monitor: "loss", Patience: 1, MinDelta: 0.1},
			[]ep{{1.0, true, false}, {0.95, false, true}}, 1, 1.0},
		{"accuracy max", EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 1},
			[]ep{{0.5, true, false}, {0.7, true, false}, {0.7, false, true}}, 2, 0.7},
		{"disabled", EarlyStoppingConfig{Monitor: "accuracy", Patience: 0},
			[]ep{{0.5, true, false}, {0.4, false, false}, {0.3, false, false}, {0.6, true, false}}, 4, 0.6},
		{"patience 1 first epoch never stops", EarlyStoppingConfig{Monitor: "val_loss", Patience: 1},
			[]ep{{2, true, false}, {1, true, false}, {1, false, true}}, 2, 1},
	}
	for _, tc := range cases {
		e := newEarlyStopper(tc.cfg, tc.cfg.Monitor)
		for i, x := range tc.seq {
			s := EpochStats{Epoch: i + 1, Loss: x.v, Accuracy: x.v, ValLoss: x.v, ValAccuracy: x.v, HasVal: true}
			imp, stop := e.update(s)
			if imp != x.improved || stop != x.stop {
				t.Errorf("%s: epoch %d: improved=%v stop=%v, want %v %v", tc.name, i+1, imp, stop, x.improved, x.stop)
			}
		}
		if e.BestEpoch != tc.best || e.Best != tc.bestVal {
			t.Errorf("%s: best epoch %d (%v), want %d (%v)", tc.name, e.BestEpoch, e.Best, tc.best, tc.bestVal)
		}
	}
}

// An accuracy equal to the best improves when its loss is lower: the paired
// loss is val_loss for val_accuracy and loss for accuracy, and a tie with a
// loss that is not lower, or a lower accuracy with a lower loss, does not.
func TestEarlyStopperAccuracyTies(t *testing.T) {
	type ep struct {
		acc, loss      float64
		improved, stop bool
	}
	seq := []ep{
		{0.5, 0.9, true, false},
		{1.0, 0.6, true, false},
		{1.0, 0.3, true, false},  // tie, lower loss
		{1.0, 0.3, false, false}, // tie, same loss
		{0.9, 0.1, false, false}, // lower accuracy, whatever the loss
		{1.0, 0.4, false, true},  // tie, higher loss: third epoch without improvement
	}
	for _, monitor := range []string{MonitorValAccuracy, MonitorAccuracy} {
		e := newEarlyStopper(EarlyStoppingConfig{Monitor: monitor, Patience: 3}, monitor)
		for i, x := range seq {
			// The other pair of metrics disagrees, so using it would show.
			s := EpochStats{Epoch: i + 1, HasVal: true}
			if monitor == MonitorValAccuracy {
				s.ValAccuracy, s.ValLoss, s.Accuracy, s.Loss = x.acc, x.loss, 0.5, 1-x.loss
			} else {
				s.Accuracy, s.Loss, s.ValAccuracy, s.ValLoss = x.acc, x.loss, 0.5, 1-x.loss
			}
			imp, stop := e.update(s)
			if imp != x.improved || stop != x.stop {
				t.Errorf("%s: epoch %d: improved=%v stop=%v, want %v %v", monitor, i+1, imp, stop, x.improved, x.stop)
			}
		}
		if e.BestEpoch != 3 || e.Best != 1.0 || e.BestLoss != 0.3 {
			t.Errorf("%s: best epoch %d (%v, loss %v), want 3 (1, loss 0.3)", monitor, e.BestEpoch, e.Best, e.BestLoss)
		}
	}
}

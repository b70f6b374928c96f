package train

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
)

// EpochStats are the figures of one epoch. Epoch is 1-based. Loss and
// Accuracy are the means over the epoch's training batches (the weights move
// during the epoch, as in Keras' logs); Loss is the training objective, so
// with class weights it is the weighted mean and with label smoothing the
// smoothed cross-entropy. ValLoss and ValAccuracy are measured after the
// epoch, without dropout, class weights or smoothing (the plain mean
// cross-entropy of Evaluate), and are meaningful only when HasVal.
// LearningRate is the rate of the epoch's last step (a reduce_on_plateau
// reduction at its end shows in the next epoch). Seconds is the wall
// time of the whole epoch including validation; SamplesPerSec counts training
// samples over the training time only.
type EpochStats struct {
	Epoch         int
	Loss          float64
	Accuracy      float64
	ValLoss       float64
	ValAccuracy   float64
	HasVal        bool
	LearningRate  float64
	Seconds       float64
	SamplesPerSec float64
}

// historyColumns are the history file columns, in order.
var historyColumns = []string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds", "samples_per_sec"}

// historyRecord is the JSON form of one EpochStats; val_* are null without
// validation data.
type historyRecord struct {
	Epoch         int      `json:"epoch"`
	Loss          float64  `json:"loss"`
	Accuracy      float64  `json:"accuracy"`
	ValLoss       *float64 `json:"val_loss"`
	ValAccuracy   *float64 `json:"val_accuracy"`
	LearningRate  float64  `json:"learning_rate"`
	Seconds       float64  `json:"seconds"`
	SamplesPerSec float64  `json:"samples_per_sec"`
}

// WriteHistory writes the per-epoch history to path atomically (temporary
// file in the same directory, fsync, rename). The format follows the
// extension: ".json" writes a JSON array of objects, anything else CSV with a
// header row. Columns/keys: epoch, loss, accuracy, val_loss, val_accuracy,
// learning_rate, seconds, samples_per_sec; without validation data the val_*
// fields are empty (CSV) or null (JSON).
func WriteHistory(path string, h []EpochStats) error {
	var buf bytes.Buffer
	if strings.EqualFold(filepath.Ext(path), ".json") {
		recs := make([]historyRecord, len(h))
		for i, s := range h {
			if err := checkFinite(s); err != nil {
				return err
			}
			recs[i] = historyRecord{Epoch: s.Epoch, Loss: s.Loss, Accuracy: s.Accuracy,
				LearningRate: s.LearningRate, Seconds: s.Seconds, SamplesPerSec: s.SamplesPerSec}
			if s.HasVal {
				vl, va := s.ValLoss, s.ValAccuracy
				recs[i].ValLoss, recs[i].ValAccuracy = &vl, &va
			}
		}
		b, err := json.MarshalIndent(recs, "", "  ")
		if err != nil {
			return fmt.Errorf("train: history: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	} else {
		w := csv.NewWriter(&buf)
		_ = w.Write(historyColumns)
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
		for _, s := range h {
			vl, va := "", ""
			if s.HasVal {
				vl, va = f(s.ValLoss), f(s.ValAccuracy)
			}
			_ = w.Write([]string{strconv.Itoa(s.Epoch), f(s.Loss), f(s.Accuracy), vl, va,
				f(s.LearningRate), f(s.Seconds), f(s.SamplesPerSec)})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return fmt.Errorf("train: history: %w", err)
		}
	}
	if err := atomicfile.WriteBytes(path, 0o644, buf.Bytes()); err != nil {
		return fmt.Errorf("train: history: %w", err)
	}
	return nil
}

func checkFinite(s EpochStats) error {
	for _, x := range []float64{s.Loss, s.Accuracy, s.ValLoss, s.ValAccuracy, s.LearningRate, s.Seconds, s.SamplesPerSec} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("train: history: epoch %d holds a non-finite value", s.Epoch)
		}
	}
	return nil
}

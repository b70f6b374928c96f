package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// metaTraining is the metadata entry, in model files and checkpoints, that
// holds the TrainingInfo as JSON.
const metaTraining = "training"

// TrainingInfo is how a model was trained, as Train stores it in the model
// file. It holds nothing of the clock, so that the same training gives the
// same file.
type TrainingInfo struct {
	// DataFingerprint is the hex SHA-256 of the data the model was trained
	// on (DataFingerprint).
	DataFingerprint string `json:"data_fingerprint"`
	// Epochs is the number of epochs run, those of a resumed checkpoint
	// included (0 in a checkpoint, whose CheckpointInfo says where it is).
	Epochs int `json:"epochs,omitempty"`
	// Status is how the run ended: completed or early_stopped.
	Status string `json:"status,omitempty"`
	// Monitor is the metric that chose the best epoch, BestEpoch (1-based)
	// that epoch and BestValue its value; absent when there was none.
	Monitor   string   `json:"monitor,omitempty"`
	BestEpoch int      `json:"best_epoch,omitempty"`
	BestValue *float64 `json:"best_value,omitempty"`
	// WeightsEpoch is the epoch whose weights the model holds when
	// early stopping restored the best ones, 0 for the last epoch's.
	WeightsEpoch int `json:"weights_epoch,omitempty"`
	// Version is the lstmctl version that trained the model
	// (TrainOptions.Version).
	Version string `json:"lstmctl_version,omitempty"`
}

// CheckpointInfo is where in its run a checkpoint was taken.
type CheckpointInfo struct {
	EpochsDone int `json:"epochs_done"` // complete epochs
	Batch      int `json:"batch"`       // batches of the next epoch done
	Step       int `json:"step"`        // optimizer steps done
}

// DataFingerprint is the hex SHA-256 of a training run's data as the
// model sees it: the vocabulary, the label names, and every token id and
// label of the training and validation sets (valDS may be nil). The same
// data read from another format, or compressed, gives the same
// fingerprint.
func DataFingerprint(vocab *data.Vocab, labels *data.Labels, trainDS, valDS *data.Dataset) string {
	h := sha256.New()
	h.Write([]byte("lstmctl-data-fingerprint/1\n"))
	b, _ := json.Marshal(struct {
		Vocab  []string `json:"vocab"`
		Labels []string `json:"labels"`
	}{vocab.Tokens(), labels.Names()})
	h.Write(b)
	data.HashDataset(h, "train", trainDS)
	data.HashDataset(h, "val", valDS)
	return hex.EncodeToString(h.Sum(nil))
}

// finished completes the TrainingInfo of a run with its outcome.
func (t TrainingInfo) finished(res *train.Result) *TrainingInfo {
	t.Epochs, t.Status = len(res.History), res.Status.String()
	if res.BestEpoch > 0 && !math.IsNaN(res.BestValue) && !math.IsInf(res.BestValue, 0) {
		v := res.BestValue
		t.Monitor, t.BestEpoch, t.BestValue = res.Monitor, res.BestEpoch, &v
	}
	t.WeightsEpoch = res.RestoredEpoch
	return &t
}

// json returns the metadata entry of t.
func (t *TrainingInfo) json() string {
	b, _ := json.Marshal(t) // only strings and numbers, finite
	return string(b)
}

// parseTraining reads a metaTraining entry; a file without one, or with
// one this version cannot read, has no TrainingInfo (it is information,
// not needed to use the model).
func parseTraining(meta map[string]string) *TrainingInfo {
	raw, ok := meta[metaTraining]
	if !ok {
		return nil
	}
	var t TrainingInfo
	if json.Unmarshal([]byte(raw), &t) != nil {
		return nil
	}
	return &t
}

// Summary is the summary of the model's layers (model.Summarize).
func (m *Model) Summary() model.Summary { return m.Classifier.Summary() }

package train

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
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

// HistoryRecord is the JSON form of one EpochStats; val_* are null without
// validation data.
type HistoryRecord struct {
	Epoch         int      `json:"epoch"`
	Loss          float64  `json:"loss"`
	Accuracy      float64  `json:"accuracy"`
	ValLoss       *float64 `json:"val_loss"`
	ValAccuracy   *float64 `json:"val_accuracy"`
	LearningRate  float64  `json:"learning_rate"`
	Seconds       float64  `json:"seconds"`
	SamplesPerSec float64  `json:"samples_per_sec"`
}

// History file formats, by the extension of the path.
const (
	historyCSV   = iota // anything else: CSV with a header row
	historyJSON         // ".json": one JSON array of objects
	historyJSONL        // ".jsonl": one JSON object per line
)

func historyFormat(path string) int {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return historyJSON
	case ".jsonl":
		return historyJSONL
	}
	return historyCSV
}

// WriteHistory writes the per-epoch history to path atomically (temporary
// file in the same directory, fsync, rename). The format follows the
// extension: ".json" writes a JSON array of objects, ".jsonl" one JSON
// object per line, anything else CSV with a header row. Columns/keys:
// epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds,
// samples_per_sec; without validation data the val_* fields are empty (CSV)
// or null (JSON).
func WriteHistory(path string, h []EpochStats) error {
	b, err := encodeHistory(historyFormat(path), h, true)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, 0o644, b); err != nil {
		return fmt.Errorf("train: history: %w", err)
	}
	return nil
}

// encodeHistory is the content of a history file of format holding h; a CSV
// file has its header row when header is set.
func encodeHistory(format int, h []EpochStats, header bool) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case historyJSON, historyJSONL:
		recs := make([]HistoryRecord, len(h))
		for i, s := range h {
			if err := checkFinite(s); err != nil {
				return nil, err
			}
			recs[i] = NewHistoryRecord(s)
		}
		if format == historyJSONL {
			for _, r := range recs {
				b, err := json.Marshal(r)
				if err != nil {
					return nil, fmt.Errorf("train: history: %w", err)
				}
				buf.Write(b)
				buf.WriteByte('\n')
			}
			break
		}
		b, err := json.MarshalIndent(recs, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("train: history: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	default:
		w := csv.NewWriter(&buf)
		if header {
			_ = w.Write(historyColumns)
		}
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
			return nil, fmt.Errorf("train: history: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// NewHistoryRecord is the JSON form of s, as the history files hold it.
func NewHistoryRecord(s EpochStats) HistoryRecord {
	r := HistoryRecord{Epoch: s.Epoch, Loss: s.Loss, Accuracy: s.Accuracy,
		LearningRate: s.LearningRate, Seconds: s.Seconds, SamplesPerSec: s.SamplesPerSec}
	if s.HasVal {
		vl, va := s.ValLoss, s.ValAccuracy
		r.ValLoss, r.ValAccuracy = &vl, &va
	}
	return r
}

// HistoryFile writes a history file as a run goes, as Keras' CSVLogger
// does: CSV and JSONL files get one row appended, written through to the
// disk, per epoch, so that tail -f follows them; a JSON file, one array, is
// rewritten whole (atomically) per epoch.
type HistoryFile struct {
	path   string
	format int
	f      *os.File // CSV and JSONL: open for appending
	rows   []EpochStats
}

// CreateHistory starts the history file at path anew, holding the rows of
// prior (the history a resumed run's checkpoint carries; nil for a fresh
// run). Rows after them in an existing file are dropped, so that a resumed
// run continues the file without duplicates.
func CreateHistory(path string, prior []EpochStats) (*HistoryFile, error) {
	h := &HistoryFile{path: path, format: historyFormat(path), rows: append([]EpochStats(nil), prior...)}
	if err := WriteHistory(path, h.rows); err != nil {
		return nil, err
	}
	if h.format == historyJSON {
		return h, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("train: history: %w", err)
	}
	h.f = f
	return h, nil
}

// Append adds the row of an epoch and writes it through to the disk.
func (h *HistoryFile) Append(s EpochStats) error {
	h.rows = append(h.rows, s)
	if h.format == historyJSON {
		return WriteHistory(h.path, h.rows)
	}
	b, err := encodeHistory(h.format, []EpochStats{s}, false)
	if err != nil {
		return err
	}
	if _, err := h.f.Write(b); err != nil {
		return fmt.Errorf("train: history: %w", err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("train: history: %w", err)
	}
	return nil
}

// Close closes the file.
func (h *HistoryFile) Close() error {
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	if err != nil {
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

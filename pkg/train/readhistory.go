package train

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// MaxHistoryBytes bounds the history file ReadHistory reads: far more than
// the rows of any run (a row is under 200 bytes).
const MaxHistoryBytes = 64 << 20

// ErrHistory is a history file ReadHistory cannot read.
var ErrHistory = errors.New("not a history file")

// ReadHistory reads a history file as WriteHistory and HistoryFile write
// it, by its extension: ".json" a JSON array, ".jsonl" one object per
// line, anything else CSV with a header row. A CSV or JSONL file is
// appended to as a run goes, so a last line without its newline is a row
// still being written: it is left out and partial reports it. Any other
// row that does not parse is an error naming the file and line.
func ReadHistory(path string) (h []EpochStats, partial bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("train: history: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("train: history: %s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxHistoryBytes+1))
	if err != nil {
		return nil, false, fmt.Errorf("train: history: %w", err)
	}
	if len(b) > MaxHistoryBytes {
		return nil, false, fmt.Errorf("train: history: %s: %w: larger than %d MiB", path, ErrHistory, MaxHistoryBytes>>20)
	}
	format := historyFormat(path)
	if format == historyJSON {
		h, err = parseHistoryJSON(path, b)
		return h, false, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		partial = len(bytes.TrimSpace(b[i+1:])) > 0
		b = b[:i+1]
	}
	if format == historyJSONL {
		h, err = parseHistoryJSONL(path, b)
	} else {
		h, err = parseHistoryCSV(path, b)
	}
	return h, partial, err
}

func historyLineError(path string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %w: %s", path, line, ErrHistory, fmt.Sprintf(format, args...))
}

func parseHistoryJSON(path string, b []byte) ([]EpochStats, error) {
	var recs []HistoryRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w: %v (want a JSON array of epoch objects, as train --history FILE.json writes)", path, ErrHistory, err)
	}
	h := make([]EpochStats, 0, len(recs))
	for i, r := range recs {
		s, err := r.stats()
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, i+1, err)
		}
		h = append(h, s)
	}
	return h, nil
}

func parseHistoryJSONL(path string, b []byte) ([]EpochStats, error) {
	var h []EpochStats
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r HistoryRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, historyLineError(path, n+1, "%v (want one JSON object per line, as train --history FILE.jsonl writes)", err)
		}
		s, err := r.stats()
		if err != nil {
			return nil, historyLineError(path, n+1, "%v", err)
		}
		h = append(h, s)
	}
	return h, nil
}

func parseHistoryCSV(path string, b []byte) ([]EpochStats, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	var h []EpochStats
	var col map[string]int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", path, ErrHistory, err)
		}
		if col == nil {
			col = map[string]int{}
			for i, name := range rec {
				col[strings.TrimSpace(name)] = i
			}
			for _, need := range []string{"epoch", "loss", "accuracy"} {
				if _, ok := col[need]; !ok {
					return nil, historyLineError(path, line, "the header has no %q column (want %s)", need, strings.Join(historyColumns, ","))
				}
			}
			continue
		}
		s, err := csvStats(rec, col)
		if err != nil {
			return nil, historyLineError(path, line, "%v", err)
		}
		h = append(h, s)
	}
	return h, nil
}

// csvStats reads one CSV row by the header's columns; a column the header
// lacks, or an empty val_* cell, reads as absent.
func csvStats(rec []string, col map[string]int) (EpochStats, error) {
	get := func(name string) (float64, bool, error) {
		i, ok := col[name]
		if !ok || i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("%s %q is not a finite number", name, rec[i])
		}
		return v, true, nil
	}
	var s EpochStats
	var errs []error
	num := func(dst *float64, name string, required bool) bool {
		v, ok, err := get(name)
		if err == nil && required && !ok {
			err = fmt.Errorf("%s is empty", name)
		}
		if err != nil {
			errs = append(errs, err)
		}
		*dst = v
		return ok
	}
	var epoch float64
	num(&epoch, "epoch", true)
	num(&s.Loss, "loss", true)
	num(&s.Accuracy, "accuracy", true)
	vl := num(&s.ValLoss, "val_loss", false)
	va := num(&s.ValAccuracy, "val_accuracy", false)
	num(&s.LearningRate, "learning_rate", false)
	num(&s.Seconds, "seconds", false)
	num(&s.SamplesPerSec, "samples_per_sec", false)
	if len(errs) > 0 {
		return s, errs[0]
	}
	if epoch != math.Trunc(epoch) || epoch < 1 || epoch > math.MaxInt32 {
		return s, fmt.Errorf("epoch %v is not a whole number from 1", epoch)
	}
	s.Epoch, s.HasVal = int(epoch), vl && va
	return s, nil
}

// stats is the EpochStats of a JSON record.
func (r HistoryRecord) stats() (EpochStats, error) {
	s := EpochStats{Epoch: r.Epoch, Loss: r.Loss, Accuracy: r.Accuracy, LearningRate: r.LearningRate,
		Seconds: r.Seconds, SamplesPerSec: r.SamplesPerSec}
	if r.ValLoss != nil && r.ValAccuracy != nil {
		s.ValLoss, s.ValAccuracy, s.HasVal = *r.ValLoss, *r.ValAccuracy, true
	}
	if r.Epoch < 1 {
		return s, fmt.Errorf("epoch %d is not a whole number from 1", r.Epoch)
	}
	return s, checkFinite(s)
}

package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// summaryRecorder keeps the summary a run reports.
type summaryRecorder struct {
	nopReporter
	got *model.Summary
}

func (r summaryRecorder) Summary(s model.Summary) { *r.got = s }

// The parameter counts of the summary, per layer and in total, are the
// sizes of the tensors in the trained model file (read with the
// safetensors reader, not through the model), for the default network, a
// bidirectional one and one with pooling; training reports the same
// summary as the opened file gives.
func TestSummaryCountsFileTensors(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*ModelConfig)
	}{
		{"default", func(m *ModelConfig) { m.Config = model.DefaultConfig(); m.EmbeddingDim = 100 }},
		{"bidirectional", func(m *ModelConfig) { m.LSTM, m.Bidirectional = []int{6, 5}, true }},
		{"pooling", func(m *ModelConfig) {
			m.LSTM, m.Pooling, m.DenseDropout, m.EmbeddingDropout = []int{7}, model.PoolMean, 0.2, 0.1
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tinyRun(t, dir)
			cfg.Data.Test, cfg.Train.Epochs = "", 1
			tc.set(&cfg.Model)
			var reported model.Summary
			if _, err := Train(context.Background(), cfg, TrainOptions{Reporter: summaryRecorder{got: &reported}}); err != nil {
				t.Fatal(err)
			}
			m, err := Open(cfg.Output.Model)
			if err != nil {
				t.Fatal(err)
			}
			s := m.Summary()
			if !reflect.DeepEqual(s, reported) {
				t.Errorf("training reported\n%+v\nthe file gives\n%+v", reported, s)
			}
			checkCounts(t, cfg.Output.Model, s)
		})
	}
}

// checkCounts compares a summary's counts with the tensors of a file.
func checkCounts(t *testing.T, path string, s model.Summary) {
	t.Helper()
	tensors, _, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]int{}
	total := 0
	for _, ts := range tensors {
		n := 1
		for _, d := range ts.Shape {
			n *= d
		}
		size[ts.Name] = n
		total += n
	}
	if s.TotalParams != total {
		t.Errorf("total_params %d, the file's tensors hold %d values", s.TotalParams, total)
	}
	for _, l := range s.Layers {
		n := 0
		for _, name := range l.Tensors {
			n += size[name]
			delete(size, name)
		}
		if n != l.Params {
			t.Errorf("layer %s: %d parameters, its tensors %v hold %d", l.Name, l.Params, l.Tensors, n)
		}
	}
	if len(size) > 0 {
		t.Errorf("tensors of no layer: %v", size)
	}
}

// A model file records how it was trained: the data fingerprint (the
// same in its checkpoints), the epochs, the best epoch and the version;
// nothing of the clock, so that two identical trainings write identical
// files. Other data gives another fingerprint.
func TestTrainingInfo(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test, cfg.Train.Epochs = "", 2
	cfg.Output.CheckpointDir = filepath.Join(dir, "ck")
	opts := TrainOptions{Version: "v9.9.9-test"}
	if _, err := Train(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	tr := m.Training
	if tr == nil || len(tr.DataFingerprint) != 64 || tr.Epochs != 2 || tr.Status != "completed" ||
		tr.Version != "v9.9.9-test" || tr.BestEpoch < 1 || tr.BestValue == nil || tr.Monitor == "" || m.Checkpoint != nil {
		t.Fatalf("training info %+v, checkpoint %+v", tr, m.Checkpoint)
	}
	// A file without the entry (an older version's) opens without it.
	m.Training = nil
	old := filepath.Join(dir, "old.safetensors")
	if err := m.Save(old); err != nil {
		t.Fatal(err)
	}
	if o, err := Open(old); err != nil || o.Training != nil {
		t.Errorf("a file without training info: %v, %+v", err, o)
	}
	if parseTraining(map[string]string{metaTraining: "{nope"}) != nil {
		t.Error("an unreadable training entry gave information")
	}
	ck, err := Open(filepath.Join(cfg.Output.CheckpointDir, "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Checkpoint == nil || ck.Checkpoint.EpochsDone != 2 || ck.Checkpoint.Step == 0 {
		t.Errorf("checkpoint info %+v", ck.Checkpoint)
	}
	if ck.Training == nil || ck.Training.DataFingerprint != tr.DataFingerprint || ck.Training.Version != tr.Version {
		t.Errorf("checkpoint training info %+v, model's %+v", ck.Training, tr)
	}

	first, err := os.ReadFile(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("the same training wrote a different model file")
	}

	data, err := os.ReadFile(cfg.Data.Train)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Data.Train, append(data, "__label__x alpha beta w1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	if other, err := Open(cfg.Output.Model); err != nil || other.Training.DataFingerprint == tr.DataFingerprint {
		t.Errorf("one more record, same fingerprint (%v)", err)
	}
}

package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/data"
)

// resumeCase runs an uninterrupted reference and an interrupted+resumed run
// and compares their final weights and histories.
func TestResumeIsBitIdentical(t *testing.T) {
	const C = 3
	train := tinyData(11, 130, C, 8, true)
	val := tinyData(12, 30, C, 8, false)
	base := tinyConfig()
	base.Epochs = 3
	base.BatchSize = 40 // 4 steps per epoch (last batch 10)
	cases := []struct {
		name      string
		cancelAt  int // global step after which the context is cancelled
		viaFile   bool
		threads   [2]int
		early     bool
		every     int
		masked    bool
		dropFirst bool // resume a second time from the resumed run's checkpoint
		freeze    int  // FreezeEmbeddingEpochs
	}{
		{name: "mid epoch via file", cancelAt: 6, viaFile: true, threads: [2]int{1, 2}, masked: true},
		{name: "mid epoch in memory", cancelAt: 2, threads: [2]int{2, 1}, masked: true},
		{name: "epoch boundary", cancelAt: 4, viaFile: true, threads: [2]int{1, 1}, masked: false},
		{name: "early stopping state", cancelAt: 9, viaFile: true, threads: [2]int{2, 2}, early: true, every: 3, masked: true},
		{name: "inside the frozen epochs", cancelAt: 3, viaFile: true, threads: [2]int{1, 2}, masked: true, freeze: 2},
	}
	for _, tc := range cases {
		cfg := base
		cfg.FreezeEmbeddingEpochs = tc.freeze
		if tc.early {
			cfg.Epochs = 5
			cfg.EarlyStopping = EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 3, MinDelta: 0.5, RestoreBestWeights: true}
		}
		layout := data.Layout{SequenceLength: 8}
		// Reference: never interrupted.
		ref := newTinyModel(t, tc.masked, tinyVocab(C), C, 21)
		refRes, err := (&Trainer{Model: ref, Config: cfg, Layout: layout}).Fit(context.Background(), train, val)
		if err != nil {
			t.Fatal(err)
		}
		// Interrupted run.
		dir := t.TempDir()
		m1 := newTinyModel(t, tc.masked, tinyVocab(C), C, 21)
		ctx, cancel, rec := cancelAfter(tc.cancelAt)
		cfg1 := cfg
		cfg1.Threads = tc.threads[0]
		tr1 := &Trainer{Model: m1, Config: cfg1, Layout: layout, Recorder: rec, CheckpointEvery: tc.every}
		if tc.viaFile {
			tr1.CheckpointDir = dir
		}
		res1, err := tr1.Fit(ctx, train, val)
		cancel()
		if !errors.Is(err, context.Canceled) || res1 == nil || res1.Status != Interrupted || res1.Checkpoint == nil {
			t.Fatalf("%s: interrupted run: err %v result %+v", tc.name, err, res1)
		}
		if res1.Steps != tc.cancelAt || res1.Checkpoint.Iterations != tc.cancelAt {
			t.Errorf("%s: interrupted after %d steps (checkpoint %d), want %d", tc.name, res1.Steps, res1.Checkpoint.Iterations, tc.cancelAt)
		}
		if tc.viaFile && res1.CheckpointPath != filepath.Join(dir, LastCheckpoint) {
			t.Errorf("%s: checkpoint path %q", tc.name, res1.CheckpointPath)
		}
		// Resume into a differently initialised model, maybe another thread count.
		m2 := newTinyModel(t, tc.masked, tinyVocab(C), C, 999)
		cfg2 := cfg
		cfg2.Threads = tc.threads[1]
		tr2 := &Trainer{Model: m2, Config: cfg2, Layout: layout}
		if tc.viaFile {
			err = tr2.Resume(filepath.Join(dir, LastCheckpoint))
		} else {
			err = tr2.ResumeFrom(res1.Checkpoint)
		}
		if err != nil {
			t.Fatalf("%s: resume: %v", tc.name, err)
		}
		res2, err := tr2.Fit(context.Background(), train, val)
		if err != nil {
			t.Fatalf("%s: resumed run: %v", tc.name, err)
		}
		if !bytes.Equal(weightBytes(m2), weightBytes(ref)) {
			t.Errorf("%s: resumed weights differ from the uninterrupted run", tc.name)
		}
		if !sameHistory(res2.History, refRes.History) || res2.Status != refRes.Status || res2.BestEpoch != refRes.BestEpoch ||
			res2.RestoredBest != refRes.RestoredBest || res2.Steps != refRes.Steps {
			t.Errorf("%s: resumed result %+v\nwant %+v", tc.name, res2, refRes)
		}
	}
}

func TestResumeRefusesOtherDataOrConfig(t *testing.T) {
	const C = 2
	train := tinyData(13, 50, C, 5, false)
	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.Epochs = 1
	m := newTinyModel(t, true, tinyVocab(C), C, 1)
	if _, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir}).Fit(context.Background(), train, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, LastCheckpoint)
	other := tinyData(13, 50, C, 5, false)
	other.Labels[7] = 1 - other.Labels[7]
	cfgSeed := cfg
	cfgSeed.Seed = 2
	cfgLR := cfg
	cfgLR.Optimizer.LearningRate = 0.5
	for name, c := range map[string]struct {
		cfg   Config
		ds    *data.Dataset
		extra string
	}{"data": {cfg, other, ""}, "seed": {cfgSeed, train, ""}, "optimizer": {cfgLR, train, ""}, "extra": {cfg, train, "vocab2"}} {
		tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: c.cfg, FingerprintExtra: []byte(c.extra)}
		tr.Config.Epochs = 2
		if err := tr.Resume(path); err != nil {
			t.Fatal(err)
		}
		_, err := tr.Fit(context.Background(), c.ds, nil)
		if !errors.Is(err, ErrFingerprint) || !strings.Contains(err.Error(), "different data or configuration") {
			t.Errorf("%s: resume err = %v, want ErrFingerprint", name, err)
		}
	}
	// Same data and config but more epochs and other threads: accepted.
	tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}
	tr.Config.Epochs, tr.Config.Threads = 2, 2
	if err := tr.Resume(path); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Fit(context.Background(), train, nil)
	if err != nil || len(res.History) != 2 {
		t.Errorf("resume with more epochs: %v %+v", err, res)
	}
	// A model of another shape is refused by Resume itself.
	wrong := newTinyModel(t, true, tinyVocab(C)+1, C, 1)
	if err := (&Trainer{Model: wrong, Config: cfg}).Resume(path); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("resume into another shape: %v", err)
	}
}

func TestCheckpointFiles(t *testing.T) {
	const C = 2
	train := tinyData(14, 90, C, 5, false)
	val := tinyData(15, 20, C, 5, false)
	dir := filepath.Join(t.TempDir(), "new", "ck")
	cfg := tinyConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 20 // 5 steps per epoch
	var seen []string
	rec := &stepRecorder{}
	tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg, Recorder: rec,
		CheckpointDir: dir, CheckpointEvery: 2, CheckpointMeta: map[string]string{"vocab": `["","[UNK]"]`}}
	rec.after = func(epoch, step int) {
		ck, err := ReadCheckpoint(filepath.Join(dir, LastCheckpoint))
		if err != nil {
			seen = append(seen, "none")
			return
		}
		seen = append(seen, strings.Join([]string{itoa(ck.Epoch), itoa(ck.Batch), itoa(ck.Iterations)}, "/"))
	}
	res, err := tr.Fit(context.Background(), train, val)
	if err != nil {
		t.Fatal(err)
	}
	// Global steps 2, 4, 6, 8 write mid-epoch (5 and 10 end an epoch, which
	// writes after the Step callback). Format: epoch/batch/iterations.
	want := "none 0/2/2 0/2/2 0/4/4 0/4/4 1/1/6 1/1/6 1/3/8 1/3/8 1/3/8"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("last checkpoint after each step:\n got %s\nwant %s", got, want)
	}
	ck, err := ReadCheckpoint(filepath.Join(dir, LastCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 2 || ck.Batch != 0 || ck.Iterations != 10 || ck.Seed != cfg.Seed || len(ck.History) != 2 ||
		ck.Meta["vocab"] != `["","[UNK]"]` || ck.Config.BatchSize != 20 || len(ck.Optimizer) != 2*len(ck.Weights) || len(ck.Best) != 0 {
		t.Errorf("checkpoint %+v", ck)
	}
	if !sameHistory(ck.History, res.History) {
		t.Errorf("checkpoint history %+v, want %+v", ck.History, res.History)
	}
	best, err := ReadCheckpoint(filepath.Join(dir, BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if best.Epoch != res.BestEpoch {
		t.Errorf("best checkpoint at epoch %d, best epoch %d", best.Epoch, res.BestEpoch)
	}
	assertNoTemp(t, dir, 2)

	// A flipped byte and a truncated file are refused.
	raw, _ := os.ReadFile(filepath.Join(dir, LastCheckpoint))
	for name, b := range map[string][]byte{
		"flipped":   flip(raw, len(raw)-3),
		"truncated": raw[:len(raw)/2],
	} {
		p := filepath.Join(t.TempDir(), "c.safetensors")
		_ = os.WriteFile(p, b, 0o644)
		if _, err := ReadCheckpoint(p); err == nil || !strings.HasPrefix(err.Error(), "train: checkpoint") {
			t.Errorf("%s checkpoint accepted: %v", name, err)
		}
	}
}

func TestReadCheckpointRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	good := map[string]string{"format": CheckpointFormat, "format_version": "1", "epoch": "0", "batch": "0",
		"iterations": "0", "seed": "1", "fingerprint": strings.Repeat("ab", 32), "train_config": "{}",
		"train_state": `{"history":[],"early_stopping":{},"epoch_sums":{},"stopped":false}`}
	ts := []safetensors.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}
	write := func(meta map[string]string, ts []safetensors.Tensor) string {
		p := filepath.Join(dir, "x.safetensors")
		if err := safetensors.WriteFile(p, ts, meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := ReadCheckpoint(write(good, ts)); err != nil {
		t.Fatalf("minimal checkpoint refused: %v", err)
	}
	mut := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "\x00delete" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := map[string]map[string]string{
		"model file":    mut("format", "lstmctl"),
		"version":       mut("format_version", "9"),
		"epoch":         mut("epoch", "-1"),
		"batch":         mut("batch", "x"),
		"no seed":       mut("seed", "\x00delete"),
		"fingerprint":   mut("fingerprint", "zz"),
		"config":        mut("train_config", `{"bogus":1}`),
		"state":         mut("train_state", `[`),
		"history count": mut("epoch", "2"),
	}
	for name, meta := range cases {
		if _, err := ReadCheckpoint(write(meta, ts)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	nan := []safetensors.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{float32(nanF())}}}
	if _, err := ReadCheckpoint(write(good, nan)); err == nil {
		t.Errorf("NaN weights accepted")
	}
	if err := (&Checkpoint{Meta: map[string]string{"epoch": "3"}}).WriteFile(filepath.Join(dir, "y")); err == nil {
		t.Errorf("reserved metadata key accepted")
	}
}

func TestInterruptWithoutCheckpointDir(t *testing.T) {
	const C = 2
	train := tinyData(16, 40, C, 4, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := newTinyModel(t, true, tinyVocab(C), C, 1)
	before := weightBytes(m)
	res, err := (&Trainer{Model: m, Config: tinyConfig()}).Fit(ctx, train, nil)
	if !errors.Is(err, context.Canceled) || res.Status != Interrupted || res.Steps != 0 || res.CheckpointPath != "" ||
		res.Checkpoint == nil || res.Checkpoint.Epoch != 0 || res.Checkpoint.Batch != 0 {
		t.Fatalf("err %v result %+v", err, res)
	}
	if !bytes.Equal(before, weightBytes(m)) {
		t.Errorf("weights changed although no step ran")
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x10
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func nanF() float64 { z := 0.0; return z / z }

type epochEndHook struct {
	NopRecorder
	f func(EpochStats)
}

func (h epochEndHook) EpochEnd(s EpochStats) { h.f(s) }

func TestCheckpointWriteErrors(t *testing.T) {
	const C = 2
	train := tinyData(17, 30, C, 4, false)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: tinyConfig(), CheckpointDir: file}).Fit(context.Background(), train, nil)
	if err == nil || !strings.Contains(err.Error(), "checkpoint directory") {
		t.Errorf("checkpoint directory under a file: %v", err)
	}
	// The directory disappears during training: the write fails clearly.
	dir := filepath.Join(t.TempDir(), "ck")
	hook := epochEndHook{f: func(EpochStats) { _ = os.RemoveAll(dir) }}
	res, err := (&Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: tinyConfig(), CheckpointDir: dir, Recorder: hook}).Fit(context.Background(), train, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "train: checkpoint: ") || res == nil || res.Status != Failed || len(res.History) != 1 {
		t.Errorf("checkpoint write into a removed directory: %v %+v", err, res)
	}
}

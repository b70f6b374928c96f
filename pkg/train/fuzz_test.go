package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// FuzzReadCheckpoint feeds arbitrary bytes to the checkpoint reader and, when
// a file is accepted, to ResumeFrom on a small model: nothing may panic, and
// an accepted checkpoint must survive a write/read round trip unchanged.
func FuzzReadCheckpoint(f *testing.F) {
	const C = 2
	dir := f.TempDir()
	m := newTinyModel(f, true, tinyVocab(C), C, 1)
	cfg := tinyConfig()
	cfg.Epochs = 1
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: "loss", Patience: 1, RestoreBestWeights: true}
	tr := &Trainer{Model: m, Config: cfg, CheckpointDir: dir, CheckpointMeta: map[string]string{"vocab": "[]"}}
	if _, err := tr.Fit(context.Background(), tinyData(1, 30, C, 4, false), nil); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, LastCheckpoint))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(flip(good, 100))
	f.Add([]byte{})
	cfg.Epochs = 2
	ctx, cancel, rec := cancelAfter(1)
	defer cancel()
	if _, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir, Recorder: rec}).Fit(ctx, tinyData(1, 30, C, 4, false), nil); err == nil {
		f.Fatal("cancelled run did not stop")
	}
	mid, err := os.ReadFile(filepath.Join(dir, LastCheckpoint))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mid)

	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := safetensors.Decode(b)
		if err != nil {
			return
		}
		ck, err := parseCheckpoint("fuzz", ts, meta)
		if err != nil {
			return
		}
		tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: tinyConfig()}
		_ = tr.ResumeFrom(ck)
		if ck.Meta == nil {
			ck.Meta = map[string]string{}
		}
		ts2, meta2, err := ck.encode()
		if err != nil {
			t.Fatalf("accepted checkpoint cannot be encoded: %v", err)
		}
		enc, err := safetensors.Encode(ts2, meta2)
		if err != nil {
			t.Fatalf("accepted checkpoint cannot be written back: %v", err)
		}
		ts3, meta3, err := safetensors.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		ck2, err := parseCheckpoint("round trip", ts3, meta3)
		if err != nil {
			t.Fatalf("re-written checkpoint refused: %v", err)
		}
		if ck2.Epoch != ck.Epoch || ck2.Batch != ck.Batch || ck2.Iterations != ck.Iterations || ck2.Fingerprint != ck.Fingerprint ||
			len(ck2.Weights) != len(ck.Weights) || len(ck2.Best) != len(ck.Best) || len(ck2.History) != len(ck.History) {
			t.Fatalf("round trip changed the checkpoint")
		}
		for i := range ck.Weights {
			w1, w2 := ck.Weights[i], ck2.Weights[i]
			same := w1.Name == w2.Name && len(w1.Data) == len(w2.Data)
			for j := 0; same && j < len(w1.Data); j++ {
				same = math.Float32bits(w1.Data[j]) == math.Float32bits(w2.Data[j])
			}
			if !same {
				t.Fatalf("round trip changed tensor %q", w1.Name)
			}
		}
	})
}

// FuzzResumeCheckpoint gets past the checksums: it fuzzes the position and
// state entries of a real checkpoint, and when ReadCheckpoint accepts them,
// resumes a run from them. Nothing may panic.
func FuzzResumeCheckpoint(f *testing.F) {
	const C = 2
	train := tinyData(1, 30, C, 4, false)
	cfg := tinyConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 8 // 4 steps per epoch
	cfg.EarlyStopping = EarlyStoppingConfig{Monitor: "loss", Patience: 1, RestoreBestWeights: true}
	ctx, cancel, rec := cancelAfter(6)
	defer cancel()
	dir := f.TempDir()
	m := newTinyModel(f, true, tinyVocab(C), C, 1)
	if _, err := (&Trainer{Model: m, Config: cfg, CheckpointDir: dir, Recorder: rec}).Fit(ctx, train, nil); err == nil {
		f.Fatal("cancelled run did not stop")
	}
	ts, meta, err := safetensors.ReadFile(filepath.Join(dir, LastCheckpoint))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(meta["epoch"], meta["batch"], meta["iterations"], meta["train_state"])
	f.Add("0", "0", "0", `{"history":[],"early_stopping":{},"epoch_sums":{},"stopped":false}`)
	f.Add("2", "0", "8", `{"history":[{},{}],"early_stopping":{"best_epoch":2,"has_best":true},"epoch_sums":{},"stopped":true}`)
	f.Add("1", "9", "13", meta["train_state"])
	f.Fuzz(func(t *testing.T, epoch, batch, iterations, state string) {
		mm := map[string]string{}
		for k, v := range meta {
			if k != "sha256" && k != "header_sha256" {
				mm[k] = v
			}
		}
		mm["epoch"], mm["batch"], mm["iterations"], mm["train_state"] = epoch, batch, iterations, state
		ck, err := parseCheckpoint("fuzz", ts, mm)
		if err != nil {
			return
		}
		if ck.Epoch > 50 || ck.Iterations > 1e6 {
			return // valid but would make the run long
		}
		tr := &Trainer{Model: newTinyModel(t, true, tinyVocab(C), C, 1), Config: cfg}
		if err := tr.ResumeFrom(ck); err != nil {
			t.Fatalf("weights of a real checkpoint refused: %v", err)
		}
		res, err := tr.Fit(context.Background(), train, nil)
		if err == nil && (res == nil || len(res.History) < min(ck.Epoch, cfg.Epochs)) {
			t.Fatalf("resumed run lost history: %+v", res)
		}
	})
}

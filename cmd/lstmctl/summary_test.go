package main

import (
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

func TestWriteSummary(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1054854: "1,054,854"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{0: "0.00 B", 57422: "224.30 KB", 1 << 20: "4.00 MB", 1 << 29: "2.00 GB"} {
		if got := float32Size(n); got != want {
			t.Errorf("float32Size(%d) = %q, want %q", n, got, want)
		}
	}
	cfg := model.DefaultConfig()
	cfg.EmbeddingDim = 100
	var b strings.Builder
	writeSummary(&b, model.Summarize(cfg, 10000, 6))
	for _, want := range []string{
		"\n Layer (type)            Output Shape        Param #\n",
		"\n embedding (Embedding)   (None, None, 100)   1,000,000\n",
		"\n lstm_1 (LSTM)           (None, 32)          12,416\n",
		"\nTotal params: 1,054,854 (4.02 MB)\nTrainable params: 1,054,854 (4.02 MB)\nNon-trainable params: 0 (0.00 B)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// A model file of a version that did not record its training, and one
// trained through the library without a version, say so.
func TestWriteInspectionUnrecorded(t *testing.T) {
	in := inspection{Path: "old.safetensors", Kind: "model", Summary: model.Summarize(model.DefaultConfig(), 10, 2), Labels: []string{"a", "b"}, VocabSize: 10}
	var b strings.Builder
	if err := writeInspection(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\ntraining: not recorded in this file\n") {
		t.Errorf("no training info:\n%s", b.String())
	}
	in.Training = &pipeline.TrainingInfo{DataFingerprint: "ab", Epochs: 3, Status: "completed"}
	b.Reset()
	if err := writeInspection(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\ntraining: 3 epochs (completed)\ndata fingerprint: sha256:ab\nlstmctl version: not recorded\n") {
		t.Errorf("no version:\n%s", b.String())
	}
}

package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

// trainedTiny trains tinyRun's model in dir and opens it.
func trainedTiny(t *testing.T, dir string) *Model {
	t.Helper()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A model file (checksums valid) whose stored sequence length is past the
// bound is refused on opening, before any batch of that length is made.
func TestStoredSequenceLengthBounded(t *testing.T) {
	dir := t.TempDir()
	m := trainedTiny(t, dir)
	m.Config.Text.SequenceLength = 100_000_000
	bad := filepath.Join(dir, "long.safetensors")
	if err := m.Save(bad); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "text.sequence_length must be") {
		t.Fatalf("Open: error %v, want the sequence length refused", err)
	}
}

// A run whose estimate exceeds LSTMCTL_MEMORY_LIMIT is refused before
// training, with the numbers and the settings that fix it; predict and
// eval likewise.
func TestMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	cfg.Text.SequenceLength = data.MaxSequenceLength
	cfg.Model.MaskPadding = false
	t.Setenv(MemoryLimitEnv, "16MiB")
	_, err := Train(context.Background(), cfg, TrainOptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a *ConfigError", err)
	}
	for _, want := range []string{"train would need about", "batches of 8 texts × 16384 steps", "more than the limit of 16.0 MiB (LSTMCTL_MEMORY_LIMIT=16MiB)", "lower train.batch_size (--batch-size)", "model.mask_padding true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	t.Setenv(MemoryLimitEnv, "0")
	cfg.Text.SequenceLength = 0 // up to MaxSequenceLength
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	m.Config.Train.BatchSize = 4096
	t.Setenv(MemoryLimitEnv, "64MiB")
	p := m.NewPredictor()
	defer p.Close()
	if err := p.PredictLines(context.Background(), strings.NewReader("alpha\n"), "in", &sink{}); !errors.As(err, &ce) ||
		!strings.Contains(err.Error(), "predict would need") || !strings.Contains(err.Error(), "LSTMCTL_TRAIN_BATCH_SIZE") {
		t.Errorf("predict: error %v", err)
	}
	ex := []data.Example{{Text: "alpha beta", Label: "x"}}
	t.Setenv(MemoryLimitEnv, "1KiB")
	if _, err := m.Evaluate(ex); !errors.As(err, &ce) || !strings.Contains(err.Error(), "eval would need") {
		t.Errorf("eval: error %v", err)
	}
	t.Setenv(MemoryLimitEnv, "lots")
	if _, err := m.Evaluate(ex); err == nil || !strings.Contains(err.Error(), "not a size") {
		t.Errorf("a limit that is not a size: error %v", err)
	}
}

// The subword table counts: a run that fits without it is refused with
// 2 million buckets (64 MB of weights at 8 dimensions, and as much again
// for each gradient shard and Adam moment).
func TestMemoryLimitSubwords(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	t.Setenv(MemoryLimitEnv, "128MiB")
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatalf("without subwords: %v", err)
	}
	cfg.Text.Subwords = data.SubwordConfig{MinN: 3, MaxN: 6, Buckets: data.MaxSubwordBuckets}
	_, err := Train(context.Background(), cfg, TrainOptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "train would need about") || !strings.Contains(err.Error(), "weights 61.") ||
		!strings.Contains(err.Error(), "lower text.subwords.buckets") {
		t.Fatalf("with 2M subword buckets: error %v, want the memory refused", err)
	}
}

// A vocabulary the model file's header could not hold is refused before
// training, with the max_tokens that fits.
func TestVocabularyFitsTheHeader(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	cfg.Text.MaxTokens = 0
	saved := listBudget
	defer func() { listBudget = saved }()
	listBudget = 60
	_, err := Train(context.Background(), cfg, TrainOptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "set text.max_tokens (--max-tokens) to 5 or fewer") {
		t.Fatalf("error %v", err)
	}
	cfg.Text.MaxTokens = 5
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatalf("with the max_tokens the error names: %v", err)
	}
}

// Labelled data from standard input is bounded; a file is not.
func TestStdinBounded(t *testing.T) {
	saved := maxStdinBytes
	defer func() { maxStdinBytes = saved }()
	maxStdinBytes = 100
	in := strings.Repeat("__label__a some words here\n", 10)
	_, err := ReadExamples(Stdin, DefaultConfig().Data, ReadOptions{Stdin: strings.NewReader(in)})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "write it to a file") {
		t.Fatalf("error %v", err)
	}
	maxStdinBytes = 1000
	if ex, err := ReadExamples(Stdin, DefaultConfig().Data, ReadOptions{Stdin: strings.NewReader(in)}); err != nil || len(ex) != 10 {
		t.Fatalf("%d examples, %v", len(ex), err)
	}
}

// Texts cut to data.MaxTextBytes are named in warnings, the first few by
// file and line.
func TestCutTextsWarned(t *testing.T) {
	long := "__label__a " + strings.Repeat("word ", data.MaxTextBytes/4) + "\n"
	var warned []string
	_, err := ReadExamples(Stdin, DefaultConfig().Data, ReadOptions{Stdin: strings.NewReader(strings.Repeat(long, 5)), Warn: func(m string) { warned = append(warned, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 4 || !strings.HasPrefix(warned[0], "<stdin>:1: a text of") || warned[3] != "<stdin>: 2 more texts cut to 1048576 bytes" {
		t.Errorf("warnings %q", warned)
	}
}

// predict warns of the lines it cuts as training does, and still answers
// every line.
func TestPredictCutWarned(t *testing.T) {
	m := trainedTiny(t, t.TempDir())
	p := m.NewPredictor()
	defer p.Close()
	var warned []string
	p.Warn = func(msg string) { warned = append(warned, msg) }
	long := strings.Repeat("word ", data.MaxTextBytes/4) + "\n"
	out := &sink{}
	if err := p.PredictLines(context.Background(), strings.NewReader(strings.Repeat(long+"short\n", 5)), Stdin, out); err != nil {
		t.Fatal(err)
	}
	if len(out.probs) != 10 {
		t.Errorf("%d predictions, want 10", len(out.probs))
	}
	if len(warned) != 4 || !strings.HasPrefix(warned[0], "<stdin>:1: a text of 1310720 bytes") || !strings.HasPrefix(warned[2], "<stdin>:5: ") ||
		warned[3] != "<stdin>: 2 more texts cut to 1048576 bytes" {
		t.Errorf("warnings %q", warned)
	}
}

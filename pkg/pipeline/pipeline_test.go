package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// tinyRun writes a small two-class data set and returns a configuration
// that trains on it from random vectors into dir.
func tinyRun(t testing.TB, dir string) Config {
	t.Helper()
	var b strings.Builder
	for i := range 60 {
		if i%2 == 0 {
			fmt.Fprintf(&b, "__label__x alpha beta w%d\n", i%7)
		} else {
			fmt.Fprintf(&b, "__label__y gamma delta w%d\n", i%5)
		}
	}
	path := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Data.Train, cfg.Data.Test = path, path
	cfg.Model.EmbeddingVectors = ""
	cfg.Model.EmbeddingDim, cfg.Model.LSTM = 8, []int{6}
	cfg.Train.Epochs, cfg.Train.BatchSize, cfg.Train.Threads = 3, 8, 2
	cfg.Output.Model = filepath.Join(dir, "m.safetensors")
	cfg.Output.History = filepath.Join(dir, "h.csv")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// paramBytes is every parameter of m, in order.
func paramBytes(m *Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Classifier.Params() {
		out = append(out, slices.Clone(p.Data))
	}
	return out
}

func sameParams(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}

// Train writes the model file and the history, tests, and Open reads back
// the same model: the same weights, settings, vocabulary and labels, and
// the same test metrics.
func TestTrainOpenEvaluate(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	res, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test == nil || res.Test.N != 60 {
		t.Fatalf("test metrics %+v", res.Test)
	}
	if _, err := os.Stat(cfg.Output.History); err != nil {
		t.Errorf("history: %v", err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(paramBytes(m), paramBytes(res.Model)) {
		t.Error("Open: weights differ from the trained model's")
	}
	if !slices.Equal(m.Vocab.Tokens(), res.Model.Vocab.Tokens()) || !slices.Equal(m.Labels.Names(), []string{"x", "y"}) {
		t.Errorf("Open: vocabulary or labels differ: %v", m.Labels.Names())
	}
	if !bytes.Equal(m.Config.JSON(), res.Model.Config.JSON()) {
		t.Errorf("Open: config\n%s\nwant\n%s", m.Config.JSON(), res.Model.Config.JSON())
	}
	met, err := m.EvaluateFile(cfg.Data.Test, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if met.Accuracy != res.Test.Accuracy || met.Loss != res.Test.Loss {
		t.Errorf("EvaluateFile %v/%v, Train's test %v/%v", met.Accuracy, met.Loss, res.Test.Accuracy, res.Test.Loss)
	}
	// Configure keeps the text and model sections, which belong to the weights.
	other := DefaultConfig()
	other.Train.BatchSize = 3
	m.Configure(other)
	if m.Config.Train.BatchSize != 3 || m.Config.Model.EmbeddingDim != 8 || m.Config.Text != res.Model.Config.Text {
		t.Errorf("Configure: %+v", m.Config)
	}
}

// sink collects predictions.
type sink struct {
	probs   [][]float32
	flushes int
}

func (s *sink) Put(p []float32) error { s.probs = append(s.probs, slices.Clone(p)); return nil }
func (s *sink) Flush() error          { s.flushes++; return nil }

// PredictLines gives one prediction per line, an empty line included,
// equal to the train package's probabilities of the encoded texts.
func TestPredictLines(t *testing.T) {
	dir := t.TempDir()
	res, err := Train(context.Background(), tinyRun(t, dir), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	lines := []string{"alpha beta", "", "gamma delta w3", "never seen"}
	p := m.NewPredictor()
	defer p.Close()
	var s sink
	if err := p.PredictLines(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), "in", &s); err != nil {
		t.Fatal(err)
	}
	if len(s.probs) != len(lines) || s.flushes == 0 {
		t.Fatalf("%d predictions, %d flushes for %d lines", len(s.probs), s.flushes, len(lines))
	}
	var seqs [][]int32
	for _, l := range lines {
		seqs = append(seqs, m.Encoder.Encode(l))
	}
	want, err := train.PredictProba(m.Classifier, seqs, m.Config.Text.Layout(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lines {
		if !slices.Equal(s.probs[i], want[2*i:2*i+2]) {
			t.Errorf("line %d: %v, want %v", i, s.probs[i], want[2*i:2*i+2])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.PredictLines(ctx, strings.NewReader("alpha\n"), "in", &s); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// cancelAfter cancels a run at its first step of epoch 2.
type cancelAfter struct {
	nopReporter
	cancel context.CancelFunc
}

func (c cancelAfter) Step(epoch, step int, loss, acc float64) {
	if epoch == 2 {
		c.cancel()
	}
}

// An interrupted run keeps its state beside the model file, that
// checkpoint opens as a model, and resuming from it ends with the weights
// of an uninterrupted run.
func TestInterruptOpenResume(t *testing.T) {
	dir := t.TempDir()
	cfg, full := fullRun(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Output.Model = filepath.Join(dir, "again.safetensors")
	_, err := Train(ctx, cfg, TrainOptions{Reporter: cancelAfter{cancel: cancel}})
	ie, ok := errors.AsType[*InterruptedError](err)
	if !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if want := InterruptCheckpointPath(cfg.Output.Model); ie.Checkpoint != want {
		t.Fatalf("checkpoint %q, want %q", ie.Checkpoint, want)
	}
	if _, err := Open(ie.Checkpoint); err != nil {
		t.Errorf("Open(checkpoint): %v", err)
	}
	resumed, err := Train(context.Background(), cfg, TrainOptions{Resume: ie.Checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(paramBytes(resumed.Model), paramBytes(full.Model)) {
		t.Error("resumed weights differ from the uninterrupted run's")
	}
}

// From starts from a model's weights, vocabulary and labels, and its text
// and model settings replace the configuration's.
func TestTrainFrom(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	first, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Model.LSTM = []int{99}
	cfg.Train.Epochs = 1
	cfg.Output.Model = filepath.Join(dir, "tuned.safetensors")
	tuned, err := Train(context.Background(), cfg, TrainOptions{From: first.Model.Config.Output.Model})
	if err != nil {
		t.Fatal(err)
	}
	if got := tuned.Model.Config.Model.LSTM; !slices.Equal(got, []int{6}) {
		t.Errorf("--from kept lstm %v, want the model's [6]", got)
	}
	if !slices.Equal(tuned.Model.Vocab.Tokens(), first.Model.Vocab.Tokens()) {
		t.Error("--from built a new vocabulary")
	}
}

func TestParseStoredConfig(t *testing.T) {
	d := DefaultConfig()
	got, err := ParseStoredConfig(d.JSON())
	if err != nil || !bytes.Equal(got.JSON(), d.JSON()) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{`{"model":{"nope":1}}`, `{"train":{"epochs":0}}`, `[]`} {
		if _, err := ParseStoredConfig([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestSettle(t *testing.T) {
	set := func(keys ...string) func(string) bool {
		return func(k string) bool { return slices.Contains(keys, k) }
	}
	c := DefaultConfig()
	c.Train.Optimizer.Name = "AdamW"
	c.Settle(set())
	if c.Train.Optimizer.Name != "adam" || c.Train.Optimizer.WeightDecay != 0.004 {
		t.Errorf("adamw: %+v", c.Train.Optimizer)
	}
	c = DefaultConfig()
	c.Model.EmbeddingDim = 32
	c.Settle(set("model.embedding_dim"))
	if c.Model.EmbeddingVectors != "" {
		t.Errorf("embedding_dim 32 kept the built-in vectors %q", c.Model.EmbeddingVectors)
	}
	c = DefaultConfig()
	c.Model.EmbeddingVectors = "None"
	c.Settle(set("model.embedding_vectors"))
	if c.Model.EmbeddingVectors != "" {
		t.Errorf("none: %q", c.Model.EmbeddingVectors)
	}
}

// A checkpoint whose stored config (checksums intact) claims sizes its
// tensors do not have is refused with an error, before anything of the
// claimed size is allocated, by Open and by Train's resume.
func TestHostileCheckpointConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	cfg.Output.CheckpointDir = filepath.Join(dir, "ck")
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(cfg.Output.CheckpointDir, train.LastCheckpoint)
	for i, edit := range []func(c *Config){
		func(c *Config) { c.Model.EmbeddingDim = 1 << 40 },
		func(c *Config) { c.Model.LSTM = []int{200000} },
		func(c *Config) { c.Model.LSTM = []int{6, 6, 6, 6} },
	} {
		ck, err := train.ReadCheckpoint(last)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := ParseStoredConfig([]byte(ck.Meta[metaConfig]))
		if err != nil {
			t.Fatal(err)
		}
		edit(stored)
		ck.Meta[metaConfig] = string(stored.JSON())
		bad := filepath.Join(dir, fmt.Sprintf("bad%d.safetensors", i))
		if err := ck.WriteFile(bad); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(bad); err == nil {
			t.Errorf("case %d: Open accepted the checkpoint", i)
		}
		run := cfg
		run.Model.EmbeddingVectors = DefaultEmbeddingVectors // the resume path takes the dimension from the checkpoint
		run.Output.CheckpointDir = ""
		if _, err := Train(context.Background(), run, TrainOptions{Resume: bad}); err == nil {
			t.Errorf("case %d: resume accepted the checkpoint", i)
		}
	}
}

// Validation data that turns out empty (an empty file, or "-" with nothing
// on stdin) is an error, not a run without validation.
func TestEmptyValidationIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Validation = Stdin
	_, err := Train(context.Background(), cfg, TrainOptions{Read: ReadOptions{Stdin: strings.NewReader("")}})
	if !errors.Is(err, data.ErrEmpty) || !strings.Contains(err.Error(), "validation") ||
		!strings.Contains(err.Error(), "standard input had no records") {
		t.Errorf("empty validation: %v", err)
	}
}

// deadlineCtx ends with context.DeadlineExceeded when expire is called.
type deadlineCtx struct {
	context.Context
	done chan struct{}
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.done }
func (c *deadlineCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// A run that ends at a deadline keeps its state as a cancelled one does.
func TestDeadlineKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	ctx := &deadlineCtx{Context: context.Background(), done: make(chan struct{})}
	var once sync.Once
	_, err := Train(ctx, cfg, TrainOptions{Reporter: cancelAfter{cancel: func() { once.Do(func() { close(ctx.done) }) }}})
	ie, ok := errors.AsType[*InterruptedError](err)
	if !ok || !errors.Is(err, context.DeadlineExceeded) || ie.Checkpoint == "" {
		t.Fatalf("deadline: %v", err)
	}
	if _, err := os.Stat(ie.Checkpoint); err != nil {
		t.Error(err)
	}
}

// Resuming from a model file says what to do instead.
func TestResumeFromModelFile(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := Train(context.Background(), cfg, TrainOptions{Resume: cfg.Output.Model})
	if _, ok := errors.AsType[*ConfigError](err); !ok || !strings.Contains(err.Error(), "--from") {
		t.Errorf("resume from a model file: %v", err)
	}
}

// A FIFO or a directory given as a model is refused without opening it (a
// FIFO's open would block until a writer came).
func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, dir} {
		done := make(chan error, 1)
		go func() { _, err := Open(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Open blocked", p)
		}
	}
}

// TestTrainAutoBatchSize: batch_size 0 is resolved by the training data's
// size, and the model file stores the size used.
func TestTrainAutoBatchSize(t *testing.T) {
	cfg := tinyRun(t, t.TempDir())
	cfg.Train.BatchSize, cfg.Train.Epochs = 0, 1
	res, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Config.Train.BatchSize != 16 || m.Config.Train.BatchSize != 16 {
		t.Errorf("batch size %d, stored %d; want 16 for %d samples", res.Model.Config.Train.BatchSize, m.Config.Train.BatchSize, 54)
	}
	if want := (54 + 15) / 16; res.Fit.Steps != want {
		t.Errorf("%d steps, want %d", res.Fit.Steps, want)
	}
}

// PredictTexts (serve's path) gives a subword model's words out of the
// vocabulary their n-grams, as PredictLines does: the same probabilities.
func TestPredictTextsSubwords(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	cfg.Text.Subwords = data.SubwordConfig{MinN: 2, MaxN: 4, Buckets: 50}
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(cfg.Output.Model)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"alpha zzunseen", "qqnever seen words", "alpha"}
	p := m.NewPredictor()
	defer p.Close()
	lines, got := &sink{}, &sink{}
	if err := p.PredictLines(context.Background(), strings.NewReader(strings.Join(texts, "\n")), "in", lines); err != nil {
		t.Fatal(err)
	}
	if err := p.PredictTexts(context.Background(), texts, got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.probs, lines.probs) {
		t.Errorf("PredictTexts %v, PredictLines %v", got.probs, lines.probs)
	}
}

// UseInt8Compute reaches Probabilities (the report's path), Predictors and
// evaluations: their numbers move, within the int8 products' error.
func TestUseInt8Compute(t *testing.T) {
	m := trainedTiny(t, t.TempDir())
	ex := []data.Example{{Text: "alpha beta gamma", Label: "x"}, {Text: "gamma delta w3", Label: "y"}, {Text: "alpha zzunseen delta", Label: "x"}}
	ds, err := m.EncodeExamples(ex)
	if err != nil {
		t.Fatal(err)
	}
	float, err := m.Probabilities(ds)
	if err != nil {
		t.Fatal(err)
	}
	floatMet, err := m.Evaluate(ex)
	if err != nil {
		t.Fatal(err)
	}
	m.UseInt8Compute()
	q, err := m.Probabilities(ds)
	if err != nil {
		t.Fatal(err)
	}
	qMet, err := m.Evaluate(ex)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(q, float) || qMet.Loss == floatMet.Loss {
		t.Errorf("int8: probabilities %v and loss %v, the same as float32's", q, qMet.Loss)
	}
	for i := range q {
		if d := q[i] - float[i]; d > 0.02 || d < -0.02 {
			t.Errorf("probability %d: int8 %v, float32 %v", i, q[i], float[i])
		}
	}
	lines := &sink{}
	p := m.NewPredictor()
	defer p.Close()
	if err := p.PredictTexts(context.Background(), []string{ex[0].Text, ex[1].Text, ex[2].Text}, lines); err != nil {
		t.Fatal(err)
	}
	for i, row := range lines.probs {
		if !slices.Equal(row, q[i*len(row):(i+1)*len(row)]) {
			t.Errorf("text %d: Predictor %v, Probabilities %v", i, row, q[i*len(row):(i+1)*len(row)])
		}
	}
}

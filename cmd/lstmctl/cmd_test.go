package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// Level 1: flag parsing, through runF.

// parseTrain parses a train command line and returns the options it
// would run with, and its stderr.
func parseTrain(t *testing.T, args ...string) (*trainOptions, *bytes.Buffer) {
	t.Helper()
	ios, _, _, errOut := Test()
	var got *trainOptions
	root := &cobra.Command{Use: "lstmctl"}
	g := &globalOptions{}
	addGlobalFlags(root, g)
	root.AddCommand(newTrainCmd(&factory{IO: ios}, g, func(_ context.Context, o *trainOptions) error { got = o; return nil }))
	root.SetArgs(append([]string{"train"}, args...))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	return got, errOut
}

func TestTrainFlagsBecomeSettings(t *testing.T) {
	got, _ := parseTrain(t, "--train", "x.txt", "--epochs", "3", "--learning-rate", "0.01",
		"--shuffle=false", "--threads", "2", "--sequence-length", "40", "--skip-bad", "--from", "m.safetensors")
	want := map[string]any{
		"data.train": "x.txt", "train.epochs": "3", "train.optimizer.learning_rate": "0.01",
		"train.shuffle": "false", "train.threads": "2", "text.sequence_length": "40",
	}
	if !reflect.DeepEqual(got.Set, want) {
		t.Errorf("settings = %v, want %v", got.Set, want)
	}
	if !got.SkipBad || got.From != "m.safetensors" {
		t.Errorf("options = %+v", got)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--nope"},
		{"nope"},
		{"train", "extra-arg"},
		{"eval", "--model", "m", "--data", "d", "--format", "xml"},
		{"eval", "--model", "m"},
		{"eval", "--model", "m", "--data", "d", "--fail-under", "NaN"},
		{"eval", "--model", "m", "--data", "d", "--fail-under", "1.5"},
		{"predict", "--top-k", "0"},
		{"predict", "--format", "csv"},
		{"train", "--epochs", "many"},
		{"train", "--train", "x", "--from", "a", "--resume", "b"},
	} {
		ios, _, out, errOut := Test()
		if code := run(context.Background(), ios, args); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q, want nothing", args, out)
		}
		if !strings.Contains(errOut.String(), "--help") {
			t.Errorf("%v: stderr %q does not point to --help", args, errOut)
		}
	}
}

func TestHelp(t *testing.T) {
	ios, _, out, _ := Test()
	if code := run(context.Background(), ios, []string{"--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"Exit codes", "130", "quality gate", "LSTMCTL_"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("lstmctl --help lacks %q", s)
		}
	}
	ios, _, out, _ = Test()
	if code := run(context.Background(), ios, []string{"train", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, b := range trainBindings {
		if !strings.Contains(out.String(), "--"+b.flag) {
			t.Errorf("train --help lacks --%s", b.flag)
		}
	}
	// The defaults shown are the configuration's, whatever they are.
	d := pipeline.DefaultConfig()
	for _, v := range []any{d.Train.Epochs, d.Train.Optimizer.LearningRate, d.Text.SequenceLength, d.Text.MaxTokens, strconv.Quote(d.Output.Model)} {
		if s := fmt.Sprintf("(default %v)", v); !strings.Contains(out.String(), s) {
			t.Errorf("train --help lacks default %s", s)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errors.New("boom"), exitFailure},
		{fmt.Errorf("x: %w", context.Canceled), exitInterrupted},
		{fmt.Errorf("%w: accuracy", errQualityGate), exitQuality},
		{fmt.Errorf("%w: cannot tell the format", data.ErrFormat), exitUsage},
		{&data.ParseError{File: "f", Line: 3, Err: errors.New("bad")}, exitData},
		{fmt.Errorf("f: %w", data.ErrEmpty), exitData},
		{&usageError{err: errors.New("u")}, exitUsage},
		{config.Errorf("config: bad"), exitUsage},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}

// Configuration: defaults, file, environment and flags.

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown.yaml": "train:\n  epochz: 3\n",
		"badtype.yaml": "train:\n  epochs: many\n",
		"invalid.yaml": "train:\n  batch_size: -1\n",
		"syntax.yaml":  "train: [\n",
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(file, nil, config.NoEnv, nil)
		if exitCode(err) != exitUsage {
			t.Errorf("%s: err %v (exit %d), want a config error", name, err, exitCode(err))
		}
	}
	if _, err := config.Load(filepath.Join(dir, "missing.yaml"), nil, config.NoEnv, nil); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// Level 2: run functions with test IO, on a terminal and off it.

func writeTiny(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for i := range 24 {
		if i%2 == 0 {
			fmt.Fprintf(&b, "__label__x alpha beta %d\n", i)
		} else {
			fmt.Fprintf(&b, "__label__y gamma delta %d\n", i)
		}
	}
	path := filepath.Join(t.TempDir(), "tiny.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunTrainProgress(t *testing.T) {
	path := writeTiny(t)
	for _, tty := range []bool{false, true} {
		ios, _, out, errOut := Test()
		ios.ErrTTY = tty
		modelPath := filepath.Join(t.TempDir(), "m.safetensors")
		opts := &trainOptions{IO: ios, Set: map[string]any{
			"data.train": path, "train.epochs": "2", "train.batch_size": "4", "output.model": modelPath,
		}}
		if err := runTrain(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("tty=%v: stdout %q, want nothing (no --test)", tty, out)
		}
		s := errOut.String()
		if !strings.Contains(s, "epoch 1/2: loss") || !strings.Contains(s, "epoch 2/2: loss") {
			t.Errorf("tty=%v: no per-epoch lines in %q", tty, s)
		}
		if bar := strings.Contains(s, "\r"); bar != tty {
			t.Errorf("tty=%v: progress bar drawn = %v; stderr %q", tty, bar, s)
		}
		if _, err := os.Stat(modelPath); err != nil {
			t.Error(err)
		}
	}
	// (Without vectors: the built-in ones miss the numbers of the tiny
	// data, and that warning is printed under --quiet too.)
	ios, _, _, errOut := Test()
	opts := &trainOptions{IO: ios, Quiet: true, Set: map[string]any{
		"data.train": path, "train.epochs": "1", "output.model": filepath.Join(t.TempDir(), "m.safetensors"),
		"model.embedding_vectors": "none",
	}}
	if err := runTrain(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() != 0 {
		t.Errorf("--quiet: stderr %q", errOut)
	}
}

func TestClassWeightsFromConfig(t *testing.T) {
	labels, err := data.NewLabels([]string{"ABBR", "DESC", "HUM"})
	if err != nil {
		t.Fatal(err)
	}
	// class_weights, and Keras' name for the same dict, class_weight.
	for _, key := range []string{"class_weights", "class_weight"} {
		file := filepath.Join(t.TempDir(), "w.yaml")
		if err := os.WriteFile(file, []byte("train:\n  "+key+":\n    ABBR: 3\n    desc: 0.5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(file, nil, config.NoEnv, nil)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		w, err := pipeline.ClassWeights(cfg.Train.ClassWeights, labels)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(w, []float64{3, 0.5, 1}) || cfg.Train.ClassWeight != "" {
			t.Errorf("%s: weights %v, class_weight %q; want [3 0.5 1] and \"\"", key, w, cfg.Train.ClassWeight)
		}
	}
	if _, err := pipeline.ClassWeights(map[string]float64{"nope": 2}, labels); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown label: %v", err)
	}
	twins, _ := data.NewLabels([]string{"a", "A"})
	if _, err := pipeline.ClassWeights(map[string]float64{"a": 2}, twins); err == nil {
		t.Error("labels differing only in case: no error")
	}
	if w, err := pipeline.ClassWeights(nil, labels); w != nil || err != nil {
		t.Errorf("no map: %v %v", w, err)
	}
}

// Every shipped config loads, validates and builds a model.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("configs: %v %v", files, err)
	}
	for _, f := range files {
		cfg, err := config.Load(f, nil, config.NoEnv, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, err := model.New(cfg.Model.Config, 100, 3); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if cfg.Data.Train != "" || cfg.Data.Test != "" {
			t.Errorf("%s: shipped configs name no data paths", f)
		}
		if v := cfg.Model.EmbeddingVectors; v != "" {
			_, builtin := pretrained.LookupBuiltin(v)
			if _, ok := pretrained.Lookup(v); !ok && !builtin {
				t.Errorf("%s: embedding_vectors %q: shipped configs name known vectors, not files", f, v)
			}
		}
	}
}

// predict answers a line of an interactive stream before the next one comes.
func TestPredictStreams(t *testing.T) {
	modelPath := filepath.Join(t.TempDir(), "m.safetensors")
	ios, _, _, _ := Test()
	if err := runTrain(context.Background(), &trainOptions{IO: ios, Quiet: true, Set: map[string]any{
		"data.train": writeTiny(t), "train.epochs": "1", "output.model": modelPath,
	}}); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ios, _, _, _ = Test()
	ios.In, ios.Out = inR, outW
	done := make(chan error, 1)
	go func() {
		done <- runPredict(context.Background(), &predictOptions{IO: ios, Model: modelPath, Format: "tsv", TopK: 1})
		outW.Close()
	}()
	out := bufio.NewReader(outR)
	for i, line := range []string{"alpha beta\n", "gamma delta\n"} {
		if _, err := io.WriteString(inW, line); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() { s, _ := out.ReadString('\n'); got <- s }()
		select {
		case s := <-got:
			if !strings.Contains(s, "\t") {
				t.Fatalf("line %d: output %q", i+1, s)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("line %d: no prediction while the input stays open", i+1)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Ctrl-C while the input stays open: predict stops at once, with the
	// lines it answered written, and reports the interruption (exit 130).
	inR, inW = io.Pipe()
	var out2 bytes.Buffer
	ios, _, _, _ = Test()
	ios.In, ios.Out = inR, &syncWriter{w: &out2}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- runPredict(ctx, &predictOptions{IO: ios, Model: modelPath, Format: "tsv", TopK: 1})
	}()
	if _, err := io.WriteString(inW, "alpha beta\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(ios.Out.(*syncWriter).String(), "\n"); {
		if time.Now().After(deadline) {
			t.Fatal("no prediction for the first line")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if exitCode(err) != exitInterrupted {
			t.Errorf("interrupted predict: %v (exit %d)", err, exitCode(err))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("predict went on reading after the context ended")
	}
	if n := strings.Count(ios.Out.(*syncWriter).String(), "\n"); n != 1 {
		t.Errorf("%d lines written, want the 1 answered", n)
	}
	inW.Close()
}

// syncWriter is a writer safe to read while another goroutine writes.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// optimizer.name adamw is Keras' AdamW: adam with weight_decay 0.004 unless set.
func TestAdamW(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want float64
	}{
		{"train:\n  optimizer:\n    name: AdamW\n", 0.004},
		{"train:\n  optimizer:\n    name: adamw\n    weight_decay: 0.01\n", 0.01},
		{"train:\n  optimizer:\n    name: adamw\n    weight_decay: 0\n", 0},
		{"train:\n  optimizer:\n    name: adam\n", 0},
	} {
		file := filepath.Join(t.TempDir(), "o.yaml")
		if err := os.WriteFile(file, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(file, nil, config.NoEnv, nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if o := cfg.Train.Optimizer; o.Name != "adam" || o.WeightDecay != tc.want {
			t.Errorf("%q: name %q, weight_decay %v; want adam, %v", tc.yaml, o.Name, o.WeightDecay, tc.want)
		}
	}
}

// The embedding is frozen for the first epochs only when it starts from
// pretrained vectors (the built-in set by default); the stored config says
// so, and records 0 for random vectors and for --from.
func TestFreezeEmbeddingEpochsOnlyWithVectors(t *testing.T) {
	dir := t.TempDir()
	train := writeTiny(t)
	stored := func(name string, set map[string]any) int {
		t.Helper()
		path := filepath.Join(dir, name)
		set["data.train"], set["train.epochs"], set["output.model"] = train, "3", path
		ios, _, _, _ := Test()
		if err := runTrain(context.Background(), &trainOptions{IO: ios, Quiet: true, Set: set}); err != nil {
			t.Fatal(err)
		}
		_, meta, err := model.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Train struct {
				N int `json:"freeze_embedding_epochs"`
			} `json:"train"`
		}
		if err := json.Unmarshal(meta.Config, &c); err != nil {
			t.Fatal(err)
		}
		return c.Train.N
	}
	if n := stored("builtin.safetensors", map[string]any{}); n != 2 {
		t.Errorf("built-in vectors: freeze_embedding_epochs %d, want 2", n)
	}
	if n := stored("none.safetensors", map[string]any{"model.embedding_vectors": "none"}); n != 0 {
		t.Errorf("no vectors: freeze_embedding_epochs %d, want 0", n)
	}
	ios, _, _, _ := Test()
	if err := runTrain(context.Background(), &trainOptions{IO: ios, Quiet: true, From: filepath.Join(dir, "builtin.safetensors"), Set: map[string]any{
		"data.train": train, "train.epochs": "1", "output.model": filepath.Join(dir, "ft.safetensors")}}); err != nil {
		t.Fatal(err)
	}
	_, meta, err := model.Load(filepath.Join(dir, "ft.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(meta.Config), "freeze_embedding_epochs") {
		t.Errorf("--from: stored config %s records frozen epochs", meta.Config)
	}
}

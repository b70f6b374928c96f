package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

// writeLines writes lines to dir/name and returns its path.
func writeLines(t *testing.T, dir, name string, lines []string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// labelCounts counts the examples of each class.
func labelCounts(ex []data.Example) map[string]int {
	c := map[string]int{}
	for _, e := range ex {
		c[e.Label]++
	}
	return c
}

// The validation split keeps each class's share, for every seed, and a
// class of one example stays in training: the run does not fail or pass
// by the seed.
func TestValidationSplitIsStratified(t *testing.T) {
	var lines []string
	for i := range 90 {
		lines = append(lines, fmt.Sprintf("__label__big text %d", i))
	}
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("__label__small text %d", i))
	}
	lines = append(lines, "__label__pair text a", "__label__pair text b", "__label__once text c")
	cfg := DefaultConfig()
	cfg.Data.Train = writeLines(t, t.TempDir(), "train.txt", lines)
	cfg.Data.ValidationSplit = 0.5
	for seed := uint64(1); seed <= 20; seed++ {
		cfg.Train.Seed = seed
		trainEx, valEx, err := readSplit(&cfg, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// round(0.5 * 113) = 57 held out: half of each class, the one
		// "once" cannot give goes to another class.
		tc, vc := labelCounts(trainEx), labelCounts(valEx)
		if len(valEx) != 57 || tc["once"] != 1 || tc["pair"] != 1 || vc["pair"] != 1 ||
			vc["big"] < 45 || vc["big"] > 46 || vc["small"] < 10 || vc["small"] > 11 {
			t.Fatalf("seed %d: training classes %v, validation classes %v", seed, tc, vc)
		}
		if err := data.CheckTrainedClasses(trainEx, valEx, cfg.Data.Train); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// A class only the validation file has is an error naming the class, the
// validation file's line and the training file, before any training.
func TestValidationClassWithoutTrainingExamples(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Data.Validation = writeLines(t, dir, "valid.txt", []string{"__label__x alpha beta", "__label__z never trained"})
	_, err := Train(context.Background(), cfg, TrainOptions{})
	pe, ok := errors.AsType[*data.ParseError](err)
	if !ok || !errors.Is(err, data.ErrUntrainedClass) || pe.File != cfg.Data.Validation || pe.Line != 2 {
		t.Fatalf("Train: %v", err)
	}
	for _, want := range []string{`"z"`, cfg.Data.Train, "add examples"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, statErr := os.Stat(cfg.Output.Model); statErr == nil {
		t.Error("a model was written")
	}
	// data.labels listing the class does not make it trained.
	cfg.Data.Labels = []string{"x", "y", "z"}
	if _, err := Train(context.Background(), cfg, TrainOptions{}); !errors.Is(err, data.ErrUntrainedClass) {
		t.Errorf("with data.labels: %v", err)
	}
}

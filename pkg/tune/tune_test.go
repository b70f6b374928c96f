package tune

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// topics writes a small two-class data set and returns its path.
func topics(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	words := map[string][]string{
		"sport":   {"match", "goal", "team", "score", "coach", "league", "win"},
		"science": {"atom", "cell", "energy", "theory", "lab", "gene", "orbit"},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 120 {
		label := []string{"sport", "science"}[i%2]
		ws := words[label]
		fmt.Fprintf(&b, "__label__%s", label)
		for range 3 + rng.IntN(4) {
			fmt.Fprintf(&b, " %s", ws[rng.IntN(len(ws))])
		}
		b.WriteString(" the a of\n")
	}
	path := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func baseConfig(train string) pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.Data.Train = train
	cfg.Data.ValidationSplit = 0.25
	cfg.Model.EmbeddingVectors = ""
	cfg.Model.Config.EmbeddingDim = 8
	cfg.Model.Config.LSTM = []int{8}
	cfg.Train.Epochs = 6
	return cfg
}

// TestSearchReproducible: a budget in steps gives the same trials and the
// same winning model twice; the budget holds; the winner is the best of
// the last round; the base configuration is the first candidate.
func TestSearchReproducible(t *testing.T) {
	dir := t.TempDir()
	base := baseConfig(topics(t, dir))
	run := func(name string) (*Result, []byte) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := Search(context.Background(), base, Options{Seed: 3, BudgetSteps: 400, Candidates: 9, Dir: d})
		if err != nil {
			t.Fatal(err)
		}
		b := res.BestTrial()
		if b == nil {
			t.Fatal("no best trial")
		}
		raw, err := os.ReadFile(b.Model)
		if err != nil {
			t.Fatal(err)
		}
		return res, raw
	}
	r1, m1 := run("a")
	r2, m2 := run("b")
	if !bytes.Equal(m1, m2) {
		t.Error("the same search wrote two different models")
	}
	if len(r1.Trials) != len(r2.Trials) {
		t.Fatalf("%d trials, then %d", len(r1.Trials), len(r2.Trials))
	}
	for i := range r1.Trials {
		a, b := r1.Trials[i], r2.Trials[i]
		if a.ValAccuracy != b.ValAccuracy || a.ValLoss != b.ValLoss || a.Steps != b.Steps || a.Settings.String() != b.Settings.String() {
			t.Errorf("trial %d differs: %+v vs %+v", i+1, a, b)
		}
	}
	if r1.StepsUsed > 400 || r1.StepsUsed == 0 {
		t.Errorf("steps used %d, budget 400", r1.StepsUsed)
	}
	if r1.Trials[0].Candidate != 0 || r1.Trials[0].Settings != nil {
		t.Errorf("first trial %+v, want the base configuration", r1.Trials[0])
	}
	if r1.Rungs < 2 {
		t.Errorf("%d rounds planned for 400 steps of 9 candidates, want at least 2", r1.Rungs)
	}
	best := r1.BestTrial()
	for _, tr := range r1.Trials {
		if tr.Rung > best.Rung {
			t.Errorf("trial %d ran in round %d, after the winner's round %d", tr.N, tr.Rung, best.Rung)
		}
		if tr.Rung == best.Rung && tr.Err == nil && tr.ValAccuracy > best.ValAccuracy {
			t.Errorf("trial %d (%.4f) beats the winner (%.4f) in its round", tr.N, tr.ValAccuracy, best.ValAccuracy)
		}
	}
	// The winner's model holds what its trial reports.
	m, err := pipeline.Open(best.Model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Train.Epochs != best.Epochs || r1.Config.Train.Epochs != best.Epochs {
		t.Errorf("epochs: model %d, result %d, trial %d", m.Config.Train.Epochs, r1.Config.Train.Epochs, best.Epochs)
	}
}

// TestPlan: the candidates and rounds follow the budget.
func TestPlan(t *testing.T) {
	s := &search{base: pipeline.DefaultConfig(), opts: Options{Eta: 3, Candidates: 27}, nTrain: 320}
	cands := DefaultSpace().candidates(27, rand.New(rand.NewPCG(1, 2)))
	for _, tc := range []struct {
		budget, rungs, n int
	}{
		{10, 1, 1},       // not an epoch for 3 candidates in 2 rounds
		{1000000, 4, 27}, // plenty
	} {
		r, n := s.plan(cands, tc.budget)
		if r != tc.rungs || n != tc.n {
			t.Errorf("budget %d: %d rounds of %d candidates, want %d of %d", tc.budget, r, n, tc.rungs, tc.n)
		}
	}
	// In between: every first-round candidate gets an epoch.
	r, n := s.plan(cands, 600)
	if r < 2 {
		t.Fatalf("budget 600: %d rounds", r)
	}
	for _, c := range cands[:n] {
		if 600/r/n < s.stepsPerEpoch(s.batchSize(c)) {
			t.Errorf("budget 600, %d rounds, %d candidates: %s gets no epoch", r, n, c)
		}
	}
}

// TestCandidates: distinct, reproducible, the base first, values from the
// space.
func TestCandidates(t *testing.T) {
	sp := DefaultSpace()
	a := sp.candidates(27, rand.New(rand.NewPCG(5, 0)))
	b := sp.candidates(27, rand.New(rand.NewPCG(5, 0)))
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed drew different candidates")
	}
	if len(a) != 27 || a[0] != nil {
		t.Fatalf("%d candidates, first %v", len(a), a[0])
	}
	seen := map[string]bool{}
	for _, c := range a {
		if seen[c.String()] {
			t.Errorf("%s drawn twice", c)
		}
		seen[c.String()] = true
	}
	small := Space{single("train.batch_size", 16, 32)}
	if got := small.candidates(27, rand.New(rand.NewPCG(5, 0))); len(got) != 3 {
		t.Errorf("a space of 2 choices gave %d candidates, want 3 (the base and both)", len(got))
	}
}

// TestSpaceCheck: unknown keys and invalid values are refused.
func TestSpaceCheck(t *testing.T) {
	base := pipeline.DefaultConfig()
	if err := DefaultSpace().Check(base); err != nil {
		t.Fatalf("default space: %v", err)
	}
	for _, sp := range []Space{
		{single("train.batch_sise", 16)},
		{single("train.batch_size", -1)},
		{single("model.pooling", "median")},
		{{Keys: []string{"a", "b"}, Values: [][]any{{1}}}},
	} {
		if err := sp.Check(base); err == nil {
			t.Errorf("%v accepted", sp[0].Keys)
		}
	}
}

// TestSearchRefuses: what a search cannot work with is an error before
// any training.
func TestSearchRefuses(t *testing.T) {
	dir := t.TempDir()
	base := baseConfig(topics(t, dir))
	noVal := base
	noVal.Data.ValidationSplit = 0
	stdin := base
	stdin.Data.Train = pipeline.Stdin
	for name, tc := range map[string]struct {
		cfg  pipeline.Config
		opts Options
		want string
	}{
		"no budget":     {base, Options{Dir: dir}, "budget"},
		"no validation": {noVal, Options{Dir: dir, BudgetSteps: 10}, "validation"},
		"stdin":         {stdin, Options{Dir: dir, BudgetSteps: 10}, "standard input"},
	} {
		_, err := Search(context.Background(), tc.cfg, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, tc.want)
		}
	}
}

// TestSearchCancelled: Ctrl-C ends a search with the context's error.
func TestSearchCancelled(t *testing.T) {
	dir := t.TempDir()
	base := baseConfig(topics(t, dir))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Search(ctx, base, Options{BudgetSteps: 400, Candidates: 9, Dir: dir, Progress: func(Trial) {
		if n++; n == 2 {
			cancel()
		}
	}})
	if err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

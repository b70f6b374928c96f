package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/tune"
)

// tuneTable compares `lstmctl tune --budget B` with `fasttext supervised
// -autotune-validation -autotune-duration B` on every split of s: 10% of
// each training file (seeded) is held out as the validation data both
// tools tune on, both train their final model on the other 90%, and the
// test file scores it. It prints one Markdown row.
func tuneTable(s set, work string, budget time.Duration, cache pipeline.VectorSource) {
	start := time.Now()
	var lst, ft []float64
	for i, sp := range s.splits {
		ex := readAll(sp.train)
		perm := rand.New(rand.NewPCG(1, 6)).Perm(len(ex))
		var tr, va []data.Example
		for k, j := range perm {
			if k%10 == 0 {
				va = append(va, ex[j])
			} else {
				tr = append(tr, ex[j])
			}
		}
		trPath := toFastText(work, fmt.Sprintf("%s-%d-tune-train", s.name, i), tr)
		vaPath := toFastText(work, fmt.Sprintf("%s-%d-tune-valid", s.name, i), va)
		lst = append(lst, lstmctlTune(work, trPath, vaPath, sp.test, budget, cache))
		ft = append(ft, fastTextTune(work, split{trPath, sp.test}, vaPath, budget, s.ftLower))
		fmt.Fprintf(os.Stderr, "%s split %d: lstmctl tune %.4f, fastText autotune %.4f\n", s.name, i, lst[i], ft[i])
	}
	fmt.Printf("| %s | %s | %s | %s | %.0f |\n", s.name, budget, pct(mean(lst)), pct(mean(ft)), time.Since(start).Seconds())
}

// lstmctlTune runs `lstmctl tune --train tr --validation va --budget b`
// in this process and returns the test accuracy of its model.
func lstmctlTune(work, tr, va, test string, budget time.Duration, cache pipeline.VectorSource) float64 {
	cfg, err := config.Load("", nil, os.LookupEnv, map[string]any{"data.train": tr, "data.validation": va})
	check(err)
	dir, err := os.MkdirTemp(work, "tune-")
	check(err)
	defer os.RemoveAll(dir)
	res, err := tune.Search(context.Background(), cfg.Config, tune.Options{
		Seed: cfg.Train.Seed, Budget: budget, Dir: dir,
		Train: pipeline.TrainOptions{EmbeddingDimSet: cfg.Explicit["model.embedding_dim"], Vectors: cache},
		Progress: func(t tune.Trial) {
			fmt.Fprintf(os.Stderr, "  trial %d round %d: %.4f %s\n", t.N, t.Rung+1, t.ValAccuracy, t.Settings)
		},
	})
	check(err)
	m, err := pipeline.Open(res.BestTrial().Model)
	check(err)
	met, err := m.EvaluateFile(test, pipeline.ReadOptions{})
	check(err)
	return met.Accuracy
}

// fastTextTune runs fastText's autotune for budget on the validation file
// and returns the test accuracy of the model it keeps, on the files as
// fastText() prepares them (shuffled; lower-cased when lower is set).
func fastTextTune(work string, sp split, va string, budget time.Duration, lower bool) float64 {
	return fastTextRun(work, sp, lower, func(tr string) []string {
		return []string{"supervised", "-input", tr, "-output", filepath.Join(work, "ft"),
			"-autotune-validation", prepFastText(work, va, "ft-valid.txt", lower),
			"-autotune-duration", strconv.Itoa(int(budget.Seconds())), "-thread", "2", "-verbose", "0"}
	})
}

// Command multilabel builds a multi-label task from the 20 Newsgroups
// training half, trains lstmctl on it and, when fastText is installed,
// fastText with -loss ova on the same files, and prints the metrics of
// both on the same held-out part. It is a development tool, not part of
// lstmctl; it writes only into -out (a temporary directory by default).
//
//	go run ./scripts/multilabel -data DIR [-out DIR] [-fasttext]
//
// The task. Each post loses its header (the lines up to the first blank
// one); its labels are its newsgroup and the other of the 20 newsgroups
// its Newsgroups: header names (a cross-post). The shared copy of the
// by-date set has dropped that header (the script prints how many posts
// gave a cross-post: none), so cross-posts are also made the way a
// cross-poster writes them: with -pair P (0.4) a
// post is joined, with probability P, by the next post of another
// newsgroup in a seeded order, the first -words W (60) words of each,
// labelled with both newsgroups; a post on its own keeps its first 2W
// words. 20% of the records, stratified on each record's rarest label,
// are held out as the test set. Texts are lower-cased, white space
// collapsed; both tools read the same fastText files.
//
// lstmctl runs as a process (the binary built from this tree, or -lstmctl)
// with its defaults; fastText 0.9.2 as `supervised -loss ova -epoch 50 -lr
// 0.5 -wordNgrams 2 -thread 1 -seed 1`, its probabilities (predict-prob,
// every label) scored by the same code as lstmctl eval at the threshold
// 0.5 (train.MultiLabelMetricsOf).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/internal/shareddata"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/train"
)

type post struct {
	group  string
	labels []string // the group first, then cross-posted groups
	words  []string
}

func main() {
	dataDir := flag.String("data", "", "the shared data directory (default: found as the tests find it)")
	out := flag.String("out", "", "output directory (default: a new temporary directory)")
	pair := flag.Float64("pair", 0.4, "probability that a post is joined by another newsgroup's post")
	words := flag.Int("words", 60, "words of each post in a joined record (twice as many for a post on its own)")
	seed := flag.Uint64("seed", 1, "seed of the pairing and the split (and lstmctl's train.seed)")
	lstmctl := flag.String("lstmctl", "", "lstmctl binary (default: built from this tree)")
	withFastText := flag.Bool("fasttext", false, "also train fastText -loss ova")
	threads := flag.Int("threads", 2, "training threads")
	flag.Parse()
	if err := run(*dataDir, *out, *pair, *words, *seed, *lstmctl, *withFastText, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "multilabel:", err)
		os.Exit(1)
	}
}

func run(dataDir, out string, pair float64, words int, seed uint64, bin string, withFastText bool, threads int) error {
	if dataDir == "" {
		d, err := shareddata.Locate()
		if err != nil {
			return err
		}
		dataDir = d
	}
	if out == "" {
		d, err := os.MkdirTemp("", "lstmctl-multilabel-")
		if err != nil {
			return err
		}
		out = d
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	posts, crossPosts, err := readPosts(filepath.Join(dataDir, "20news-bydate-train"))
	if err != nil {
		return err
	}
	fmt.Printf("%d posts; %d cross-posted to another of the 20 newsgroups by their Newsgroups: header\n", len(posts), crossPosts)
	ex := records(posts, pair, words, seed)
	multi := 0
	for _, e := range ex {
		if len(e.Labels) > 1 {
			multi++
		}
	}
	tr, te := data.StratifiedSplit(data.RarestLabelKeys(ex), 0.2, seed)
	trainFile, testFile := filepath.Join(out, "train.txt"), filepath.Join(out, "test.txt")
	if err := writeFastText(trainFile, ex, tr); err != nil {
		return err
	}
	if err := writeFastText(testFile, ex, te); err != nil {
		return err
	}
	fmt.Printf("%d records (%d with several labels): %d train, %d test, in %s\n", len(ex), multi, len(tr), len(te), out)
	if bin == "" {
		bin = filepath.Join(out, "lstmctl")
		if b, err := exec.Command("go", "build", "-o", bin, "./cmd/lstmctl").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, b)
		}
	}
	model := filepath.Join(out, "model.safetensors")
	cmd := exec.Command(bin, "train", "--train", trainFile, "--model", model, "--quiet", "--threads", strconv.Itoa(threads), "--seed", strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lstmctl train: %w", err)
	}
	js, err := exec.Command(bin, "eval", "--model", model, "--data", testFile, "--format", "json", "--threads", strconv.Itoa(threads)).Output()
	if err != nil {
		return fmt.Errorf("lstmctl eval: %w", err)
	}
	var got map[string]any
	if err := json.Unmarshal(js, &got); err != nil {
		return err
	}
	rows := [][]string{row("lstmctl (defaults)", got)}
	if withFastText {
		m, err := fastText(out, trainFile, testFile, ex, te)
		if err != nil {
			return err
		}
		rows = append(rows, row("fastText -loss ova", m))
	}
	fmt.Println("\n| model | micro-F1 | micro-P | micro-R | macro-F1 | subset acc. | Hamming loss | P@1 | R@3 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println("| " + strings.Join(r, " | ") + " |")
	}
	return nil
}

// row formats the metrics of eval --format json.
func row(name string, m map[string]any) []string {
	r := []string{name}
	for _, k := range []string{"micro_f1", "micro_precision", "micro_recall", "macro_f1", "subset_accuracy", "hamming_loss", "precision_at_1", "recall_at_3"} {
		v, _ := m[k].(float64)
		f := "%.1f"
		if k == "hamming_loss" {
			r = append(r, fmt.Sprintf("%.4f", v))
			continue
		}
		r = append(r, fmt.Sprintf(f, 100*v))
	}
	return r
}

// readPosts reads every post of the class folders, without its header.
func readPosts(dir string) (posts []post, crossPosts int, err error) {
	groups, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	known := map[string]bool{}
	for _, g := range groups {
		known[g.Name()] = g.IsDir()
	}
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, g.Name()))
		if err != nil {
			return nil, 0, err
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(dir, g.Name(), f.Name()))
			if err != nil {
				return nil, 0, err
			}
			p := post{group: g.Name(), labels: []string{g.Name()}}
			header, body, _ := bytes.Cut(b, []byte("\n\n"))
			for _, line := range strings.Split(string(header), "\n") {
				if v, ok := strings.CutPrefix(line, "Newsgroups:"); ok {
					for _, ng := range strings.Split(v, ",") {
						if ng = strings.TrimSpace(ng); known[ng] && !slices.Contains(p.labels, ng) {
							p.labels = append(p.labels, ng)
						}
					}
				}
			}
			if len(p.labels) > 1 {
				crossPosts++
			}
			p.words = strings.Fields(strings.ToLower(strings.ToValidUTF8(string(body), "\uFFFD")))
			posts = append(posts, p)
		}
	}
	return posts, crossPosts, nil
}

// records makes the examples: in a seeded order each post is joined, with
// probability pair, by the next post of another newsgroup.
func records(posts []post, pair float64, words int, seed uint64) []data.Example {
	rng := rand.New(rand.NewPCG(seed, 20))
	order := rng.Perm(len(posts))
	var ex []data.Example
	for i := 0; i < len(order); i++ {
		a := posts[order[i]]
		if i+1 < len(order) && rng.Float64() < pair && posts[order[i+1]].group != a.group {
			b := posts[order[i+1]]
			i++
			labels := slices.Clone(a.labels)
			for _, l := range b.labels {
				if !slices.Contains(labels, l) {
					labels = append(labels, l)
				}
			}
			text := strings.Join(append(slices.Clone(head(a.words, words)), head(b.words, words)...), " ")
			ex = append(ex, example(text, labels))
			continue
		}
		ex = append(ex, example(strings.Join(head(a.words, 2*words), " "), a.labels))
	}
	return ex
}

func head(w []string, n int) []string { return w[:min(n, len(w))] }

func example(text string, labels []string) data.Example {
	e := data.Example{Text: text, Label: labels[0]}
	if len(labels) > 1 {
		e.Labels = labels
	}
	return e
}

// writeFastText writes the records idx of ex as fastText lines.
func writeFastText(path string, ex []data.Example, idx []int) error {
	var b strings.Builder
	for _, i := range idx {
		for _, l := range ex[i].AllLabels() {
			b.WriteString("__label__" + l + " ")
		}
		b.WriteString(strings.ReplaceAll(ex[i].Text, "__label__", "label") + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// fastText trains fastText -loss ova and scores its probabilities with
// lstmctl's multi-label metrics at the threshold 0.5.
func fastText(out, trainFile, testFile string, ex []data.Example, te []int) (map[string]any, error) {
	model := filepath.Join(out, "fasttext")
	cmd := exec.Command("fasttext", "supervised", "-input", trainFile, "-output", model, "-loss", "ova",
		"-epoch", "50", "-lr", "0.5", "-wordNgrams", "2", "-thread", "1", "-seed", "1", "-verbose", "0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("fasttext supervised: %w", err)
	}
	pred, err := exec.Command("fasttext", "predict-prob", model+".bin", testFile, "-1", "0").Output()
	if err != nil {
		return nil, fmt.Errorf("fasttext predict-prob: %w", err)
	}
	var names []string
	for _, e := range ex {
		for _, l := range e.AllLabels() {
			if !slices.Contains(names, l) {
				names = append(names, l)
			}
		}
	}
	slices.Sort(names)
	labels, err := data.NewLabels(names)
	if err != nil {
		return nil, err
	}
	C := labels.Len()
	probs := make([]float32, len(te)*C)
	sets := make([][]int32, len(te))
	sc := bufio.NewScanner(bytes.NewReader(pred))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := range te {
		if !sc.Scan() {
			return nil, fmt.Errorf("fasttext predict-prob: %d lines for %d texts", i, len(te))
		}
		f := strings.Fields(sc.Text())
		for k := 0; k+1 < len(f); k += 2 {
			c, ok := labels.Index(strings.TrimPrefix(f[k], "__label__"))
			p, err := strconv.ParseFloat(f[k+1], 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("fasttext predict-prob: line %d: %q", i+1, sc.Text())
			}
			probs[i*C+int(c)] = float32(p)
		}
		for _, l := range ex[te[i]].AllLabels() {
			c, _ := labels.Index(l)
			sets[i] = append(sets[i], c)
		}
		slices.Sort(sets[i])
	}
	m := train.MultiLabelMetricsOf(probs, sets, C, 0.5)
	ml := m.MultiLabel
	res := map[string]any{"micro_f1": ml.MicroF1, "micro_precision": ml.MicroPrecision, "micro_recall": ml.MicroRecall,
		"macro_f1": m.MacroF1, "subset_accuracy": ml.SubsetAccuracy, "hamming_loss": ml.HammingLoss}
	for _, a := range ml.AtK {
		res[fmt.Sprintf("precision_at_%d", a.K)] = a.Precision
		res[fmt.Sprintf("recall_at_%d", a.K)] = a.Recall
	}
	return res, nil
}

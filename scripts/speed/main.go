// Command speed measures lstmctl's training and prediction speed beside the
// PyTorch peer (peers/torch_lstm.py beside the data folder) on the same data, sequence
// length, batch size and epochs, in one run, and prints a Markdown table.
// It is a development tool (make speed), not part of lstmctl.
//
//	go run ./scripts/speed -sets trec,20news -epochs 3 -peer
//
// Training is timed as a whole process (start-up, reading, vocabulary,
// training, writing the model) and also per epoch from the history; samples/s
// is training samples × epochs / seconds. lstmctl runs with
// configs/keras.yaml, the peer's recipe (batch 128, Adam 1e-3). Peak RSS comes from the kernel's
// rusage of the child process.
//
// Prediction is timed on the TREC model (keras recipe, 3 epochs) over the
// TREC test questions repeated to 100 000 lines, in float32 and with
// --int8-compute, the runs interleaved (-rounds of them); -baseline BIN
// times another lstmctl binary (say, main's) on the same model and input
// in the same rounds, so that the ratios hold on a shared machine.
//
//	go run ./scripts/speed -sets trec -threads 2 -rounds 5 -baseline /tmp/lstmctl-main
//
// lstmctl's training and prediction run as processes of the built binary,
// since the wall time and peak RSS of the command are what is measured.
// What the script computes itself, the real tokens of a training set and
// the texts to predict, it reads and encodes through pkg/pipeline with the
// trained model, as lstmctl did.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lstmctl/lstmctl/internal/shareddata"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

type workload struct {
	name, train string
	maxlen      int
	n           int // training samples
}

func main() {
	defaultData, _ := shareddata.Locate()
	dataDir := flag.String("data", defaultData, "shared data directory (default: "+shareddata.EnvVar+", or shared/data beside the repository)")
	sets := flag.String("sets", "trec,20news", "data sets")
	epochs := flag.Int("epochs", 3, "epochs per run")
	peer := flag.Bool("peer", false, "also run the PyTorch peer (python3-torch), padded and packed, 1 and 2 threads")
	threads := flag.String("threads", "1,2", "lstmctl thread counts")
	rounds := flag.Int("rounds", 1, "prediction: rounds of interleaved runs")
	baseline := flag.String("baseline", "", "prediction: another lstmctl binary to time beside this one (float32 only)")
	flag.Parse()

	work, err := os.MkdirTemp("", "lstmctl-speed-")
	check(err)
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "lstmctl")
	mustRun(exec.Command("go", "build", "-o", bin, "./cmd/lstmctl"))

	fmt.Printf("| data | tool | threads | wall s | train samples/s (epochs) | tokens/s | peak RSS MB |\n|---|---|---|---|---|---|---|\n")
	for _, name := range strings.Split(*sets, ",") {
		w := prepare(name, *dataDir, work)
		for _, th := range strings.Split(*threads, ",") {
			hist := filepath.Join(work, "h.csv")
			model := filepath.Join(work, "m.safetensors")
			// configs/keras.yaml: the peer's recipe (Adam 1e-3, batch 128, no
			// clipping, schedule or early stopping).
			wall, rss := timed(exec.Command(bin, "train", "--quiet", "--config", "configs/keras.yaml", "--train", w.train, "--sequence-length", strconv.Itoa(w.maxlen),
				"--epochs", strconv.Itoa(*epochs), "--validation-split", "0", "--threads", th, "--history", hist, "--model", model))
			sps, tps := historySpeed(hist, w, model)
			fmt.Printf("| %s | lstmctl | %s | %.1f | %.0f | %.0f | %.0f |\n", name, th, wall, sps, tps, rss)
		}
		if name == "trec" {
			predictSpeed(bin, *baseline, work, filepath.Join(work, "m.safetensors"), filepath.Join(*dataDir, "trec", "test.txt"), strings.Split(*threads, ","), *rounds)
		}
		if *peer {
			for _, packed := range []bool{false, true} {
				for _, th := range []string{"1", "2"} {
					args := []string{filepath.Join(filepath.Dir(*dataDir), "peers", "torch_lstm.py"), "--train", w.train, "--test", w.train, "--maxlen", strconv.Itoa(w.maxlen),
						"--epochs", strconv.Itoa(*epochs), "--threads", th}
					if packed {
						args = append(args, "--packed")
					}
					cmd := exec.Command("/usr/bin/python3", args...)
					cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+th)
					var out strings.Builder
					cmd.Stdout = &out
					wall, rss := timed(cmd)
					lines := strings.Split(strings.TrimSpace(out.String()), "\n")
					var sum struct {
						Mean float64 `json:"mean_samples_per_s"`
						Tok  float64 `json:"real_tokens_per_epoch"`
						N    float64 `json:"n_train"`
					}
					check(json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
					label := "pytorch padded"
					if packed {
						label = "pytorch packed"
					}
					fmt.Printf("| %s | %s | %s | %.1f | %.0f | %.0f | %.0f |\n", name, label, th, wall, sum.Mean, sum.Mean*sum.Tok/sum.N, rss)
				}
			}
		}
	}
}

func prepare(name, dataDir, work string) workload {
	switch name {
	case "trec":
		return workload{name: name, train: filepath.Join(dataDir, "trec", "train.txt"), maxlen: 40}
	case "20news":
		// The peer reads class folders too; use the shared folder directly.
		return workload{name: name, train: filepath.Join(dataDir, "20news-bydate-train"), maxlen: 200}
	}
	fmt.Fprintf(os.Stderr, "unknown set %q\n", name)
	os.Exit(2)
	return workload{}
}

// historySpeed reads the training-loop speed from a history file and counts
// the real tokens of the data set: the token ids, up to the sequence
// length, that the trained model's encoder gives its texts.
func historySpeed(path string, w workload, model string) (samplesPerSec, tokensPerSec float64) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	check(err)
	var secs float64
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		s, err := strconv.ParseFloat(r[col["seconds"]], 64)
		check(err)
		secs += s
	}
	m, err := pipeline.Open(model)
	check(err)
	ex, err := m.ReadExamples(w.train, pipeline.ReadOptions{})
	check(err)
	var tokens int
	for _, e := range ex {
		tokens += len(m.Encoder.Encode(e.Text)) // truncated to text.sequence_length
	}
	n := float64(len(ex) * (len(rows) - 1))
	return n / secs, float64(tokens*(len(rows)-1)) / secs
}

// predictSpeed times predict over the TREC test questions repeated to 100k
// lines: float32 and --int8-compute (and baseline's float32, when given)
// take turns, for each thread count, rounds times.
func predictSpeed(bin, baseline, work, model, test string, threads []string, rounds int) {
	m, err := pipeline.Open(model)
	check(err)
	ex, err := m.ReadExamples(test, pipeline.ReadOptions{})
	check(err)
	var lines []string
	for _, e := range ex {
		lines = append(lines, strings.Join(strings.Fields(e.Text), " ")) // one line each
	}
	in := filepath.Join(work, "predict.txt")
	var b strings.Builder
	const n = 100000
	for i := 0; i < n; i++ {
		b.WriteString(lines[i%len(lines)])
		b.WriteByte('\n')
	}
	check(os.WriteFile(in, []byte(b.String()), 0o644))
	type variant struct {
		name, bin string
		args      []string
	}
	variants := []variant{{"lstmctl predict", bin, nil}, {"lstmctl predict --int8-compute", bin, []string{"--int8-compute"}}}
	if baseline != "" {
		variants = append(variants, variant{"baseline predict", baseline, nil})
	}
	for r := 0; r < rounds; r++ {
		for _, th := range threads {
			for _, v := range variants {
				f, err := os.Open(in)
				check(err)
				cmd := exec.Command(v.bin, append([]string{"predict", "--model", model, "--threads", th}, v.args...)...)
				cmd.Stdin = f
				wall, rss := timed(cmd)
				f.Close()
				fmt.Printf("| trec | %s (%d lines) | %s | %.2f | %.0f lines/s | | %.0f |\n", v.name, n, th, wall, n/wall, rss)
			}
		}
	}
	// start-up with model load: one line
	cmd := exec.Command(bin, "predict", "--model", model)
	cmd.Stdin = strings.NewReader("what is a test ?\n")
	wall, _ := timed(cmd)
	fmt.Printf("| trec | lstmctl predict, 1 line (start-up + model load) | | %.3f | | | |\n", wall)
}

func timed(cmd *exec.Cmd) (seconds, peakRSSMB float64) {
	start := time.Now()
	mustRun(cmd)
	seconds = time.Since(start).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakRSSMB = float64(ru.Maxrss) / 1024
	}
	return seconds, peakRSSMB
}

func mustRun(cmd *exec.Cmd) {
	cmd.Stderr = os.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout = nil // discard
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", strings.Join(cmd.Args, " "), err)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

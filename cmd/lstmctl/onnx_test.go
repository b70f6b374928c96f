package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/shareddata"
)

// onnxScript is the ONNX Runtime check script, seen from this directory;
// its node_modules come from `npm ci --ignore-scripts` there (.ci/run).
const onnxScript = "../../scripts/onnx/check.mjs"

// onnxTolerance is the agreement required between ONNX Runtime and lstmctl
// predict, on every probability.
const onnxTolerance = 1e-5

// TestONNXExport trains small models through the CLI, exports them, runs
// the exported graph in ONNX Runtime (the npm package onnxruntime-node,
// tokenizing from the tokenizer file alone) and checks that its
// probabilities are lstmctl predict's, on TREC and SST-2 and on the
// shipped example with every read-out, bidirectional layers, pre and post
// padding, masked and unmasked. Debian's python3-onnx checks each file
// with onnx.checker.
func TestONNXExport(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFailInCI(t, "node is not installed; the ONNX export is not run in ONNX Runtime")
	}
	script, err := filepath.Abs(onnxScript)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "onnxruntime-node")); err != nil {
		skipOrFailInCI(t, "onnxruntime-node is missing; run npm ci --ignore-scripts in scripts/onnx")
	}
	checker := onnxChecker(t)

	examples, err := os.ReadFile("../../examples/topics/train.txt")
	if err != nil {
		t.Fatal(err)
	}
	topics := filepath.Join(t.TempDir(), "topics.txt")
	if err := os.WriteFile(topics, examples, 0o644); err != nil {
		t.Fatal(err)
	}
	trec := shareddata.Path(t, "trec")
	sst2 := shareddata.Path(t, "sst2")
	trecTrain := []string{"--train", filepath.Join(trec, "train.txt")}
	sstTrain := []string{"--train", filepath.Join(sst2, "train.tsv")}
	small := "model: {embedding_dim: 16, lstm: [16, 8]}\n"

	unlabelled, err := os.ReadFile("../../examples/topics/unlabelled.txt")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		train  []string
		config string
		input  string // bare text lines, numpyInput after them
	}{
		{"trec-masked", trecTrain, small + "text: {sequence_length: 24}\n", fastTextLines(t, filepath.Join(trec, "test.txt"))},
		{"trec-unmasked", trecTrain, "model: {embedding_dim: 16, lstm: [16, 8], mask_padding: false}\ntext: {sequence_length: 24}\n",
			fastTextLines(t, filepath.Join(trec, "test.txt"))},
		{"sst2-masked", sstTrain, small + "text: {sequence_length: 40}\n", tsvTexts(t, filepath.Join(sst2, "dev.tsv"))},
		{"sst2-unmasked-pre", sstTrain, "model: {embedding_dim: 16, lstm: [16, 8], mask_padding: false}\ntext: {sequence_length: 40, pad: pre}\n",
			tsvTexts(t, filepath.Join(sst2, "dev.tsv"))},
		{"masked-bidirectional-last-pre", []string{"--train", topics}, `
text: {standardize: strip_punctuation, sequence_length: 9, truncate: pre, pad: pre}
model: {embedding_dim: 8, lstm: [6, 5], bidirectional: true}
`, string(unlabelled)},
		{"masked-bidirectional-mean", []string{"--train", topics}, `
text: {standardize: none, sequence_length: 0}
model: {embedding_dim: 8, lstm: [6, 4], bidirectional: true, pooling: mean}
`, string(unlabelled)},
		{"masked-max-pre", []string{"--train", topics}, `
text: {standardize: lower, sequence_length: 7, pad: pre}
model: {embedding_dim: 8, lstm: [6], pooling: max}
`, string(unlabelled)},
		{"unmasked-bidirectional-max-pre", []string{"--train", topics}, `
text: {sequence_length: 6, truncate: pre, pad: pre}
model: {embedding_dim: 8, lstm: [6], mask_padding: false, bidirectional: true, pooling: max}
`, string(unlabelled)},
		{"unmasked-bidirectional-mean", []string{"--train", topics}, `
text: {sequence_length: 12}
model: {embedding_dim: 8, lstm: [5, 4], mask_padding: false, bidirectional: true, pooling: mean}
`, string(unlabelled)},
		{"unmasked-bidirectional-last", []string{"--train", topics}, `
text: {standardize: lower, sequence_length: 12, pad: post}
model: {embedding_dim: 8, lstm: [5], mask_padding: false, bidirectional: true}
`, string(unlabelled)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			// A high learning rate, so that one epoch of the shared sets and a
			// few of the small example move the probabilities far from
			// uniform, where a mistake in the graph shows.
			config := tc.config + "train: {optimizer: {learning_rate: 0.02}}\n"
			if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			modelPath := filepath.Join(dir, "model.safetensors")
			epochs := "1"
			if tc.train[1] == topics {
				epochs = "8"
			}
			args := append([]string{"train", "--quiet", "--model", modelPath, "--epochs", epochs, "--vectors", "none",
				"--config", cfg, "--text-column", "text"}, tc.train...)
			runCLI(t, args...)
			onnxPath := filepath.Join(dir, "model.onnx")
			runCLI(t, "export", "--quiet", modelPath, "-o", onnxPath)
			if checker != nil {
				checker(t, onnxPath)
			}

			input := filepath.Join(dir, "input.txt")
			if err := os.WriteFile(input, []byte(tc.input+numpyInput), 0o644); err != nil {
				t.Fatal(err)
			}
			want := parsePredictions(t, runCLI(t, "predict", "--model", modelPath, "--data-format", "lines",
				"--format", "jsonl", "--top-k", "100", input))
			got := runPeer(t, exec.Command(node, script, onnxPath, input))
			worst, top := comparePredictions(t, "ONNX Runtime", got, want, onnxTolerance)
			t.Logf("%d texts, mean top probability %.3f, max abs difference %.3g", len(want), top, worst)
		})
	}
}

// onnxChecker returns a function that runs onnx.checker.check_model with
// shape inference (full_check) on a file, or nil when Debian's python3-onnx
// is missing outside CI.
func onnxChecker(t *testing.T) func(*testing.T, string) {
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import onnx").CombinedOutput(); err != nil {
		skipOrFailInCI(t, "python3-onnx is missing ("+strings.TrimSpace(string(out))+"); install it with apt-get install python3-onnx")
		return nil
	}
	return func(t *testing.T, path string) {
		t.Helper()
		cmd := exec.Command(python, "-c", "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("onnx.checker: %v\n%s", err, out)
		}
	}
}

// fastTextLines returns the texts of a fastText file, one per line, its
// labels removed.
func fastTextLines(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		for len(fields) > 0 && strings.HasPrefix(fields[0], "__label__") {
			fields = fields[1:]
		}
		sb.WriteString(strings.Join(fields, " ") + "\n")
	}
	return sb.String()
}

// tsvTexts returns the text column of a label<TAB>text file with a header.
func tsvTexts(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if _, text, ok := strings.Cut(line, "\t"); ok && i > 0 {
			sb.WriteString(text + "\n")
		}
	}
	return sb.String()
}

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
	multi := filepath.Join(t.TempDir(), "multi.txt")
	if err := os.WriteFile(multi, []byte(pairedLines(t, filepath.Join(trec, "train.txt"), 2500)), 0o644); err != nil {
		t.Fatal(err)
	}
	languages := filepath.Join(t.TempDir(), "languages.txt")
	if err := os.WriteFile(languages, []byte(languagesTrain), 0o644); err != nil {
		t.Fatal(err)
	}
	subwords := "subwords: {min_n: 2, max_n: 4, buckets: 300}"
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
		{"masked-last-all-tokens", []string{"--train", topics}, `
text: {sequence_length: 0}
model: {embedding_dim: 8, lstm: [6]}
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
		// The tokenizer's options: ids and subword rows from the tokenizer
		// file, a sigmoid output.
		{"trec-ngrams", trecTrain, small + "text: {sequence_length: 30, ngrams: 2}\n", fastTextLines(t, filepath.Join(trec, "test.txt"))},
		{"trec-subwords", trecTrain, small + "text: {sequence_length: 24, subwords: {min_n: 3, max_n: 5, buckets: 5000}}\n",
			fastTextLines(t, filepath.Join(trec, "test.txt"))},
		{"trec-multilabel-sigmoid", []string{"--train", multi}, small + "text: {sequence_length: 40}\n", fastTextLines(t, filepath.Join(trec, "test.txt"))},
		{"masked-ngrams-subwords-pre", []string{"--train", topics}, `
text: {sequence_length: 9, truncate: pre, pad: pre, ngrams: 3, ` + subwords + `}
model: {embedding_dim: 8, lstm: [6, 5], bidirectional: true}
`, string(unlabelled)},
		{"unmasked-subwords-pre-mean", []string{"--train", topics}, `
text: {sequence_length: 8, pad: pre, ` + subwords + `}
model: {embedding_dim: 8, lstm: [6], mask_padding: false, pooling: mean}
`, string(unlabelled)},
		{"character-split", []string{"--train", topics}, `
text: {split: character, sequence_length: 40, ngrams: 2}
model: {embedding_dim: 8, lstm: [6]}
`, string(unlabelled)},
		// fastText's hash over the bytes of non-ASCII n-grams.
		{"languages-whitespace-subwords", []string{"--train", languages}, `
text: {sequence_length: 30, ` + subwords + `}
model: {embedding_dim: 8, lstm: [6], pooling: max}
`, languagesTrain + languagesInput},
		{"languages-character-subwords", []string{"--train", languages}, `
text: {split: character, sequence_length: 60, truncate: pre, ` + subwords + `}
model: {embedding_dim: 8, lstm: [6]}
`, languagesTrain + languagesInput},
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
			epochs := map[string]string{topics: "8", languages: "60"}[tc.train[1]]
			if epochs == "" {
				epochs = "1"
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
			if err := os.WriteFile(input, []byte(tc.input+numpyInput+"\n"+onnxLongInput), 0o644); err != nil {
				t.Fatal(err)
			}
			// --threshold 0: a multi-label model gives every label.
			want := parsePredictions(t, runCLI(t, "predict", "--model", modelPath, "--data-format", "lines",
				"--format", "jsonl", "--top-k", "100", "--threshold", "0", input))
			got := runPeer(t, exec.Command(node, script, "--threshold", "0", onnxPath, input))
			worst, top := comparePredictions(t, "ONNX Runtime", got, want, onnxTolerance)
			t.Logf("%d texts, mean top probability %.3f, max abs difference %.3g", len(want), top, worst)
		})
	}
}

// onnxLongInput holds a line past the 16384 tokens that sequence_length 0
// keeps; two lines past the 1 MiB a text is cut to, one cut inside "é",
// one after the invalid pair E0 80 (kept, as U+FFFD); and capital letters
// that Unicode 15 (Go's unicode.ToLower) does not know and later versions
// lower-case (U+1C89, U+A7CB).
var onnxLongInput = strings.Repeat("the match ", 8300) + "tomorrow rain and fog, pizza and pasta\n" +
	strings.Repeat("rain ", 209715) + "éé the striker scored\n" +
	strings.Repeat("rain ", 209714) + "abcd\xe0\x80 the striker scored\n" +
	"\u1c89 \ua7cb weather \u1c89\ua7cbx\n"

// pairedLines returns a multi-label fastText file of n records: each joins
// two records of a fastText file, texts and labels (one label when both
// have it).
func pairedLines(t *testing.T, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2*n {
		t.Fatalf("%s has %d lines, want %d", path, len(lines), 2*n)
	}
	var sb strings.Builder
	for i := range n {
		a, b := strings.Fields(lines[2*i]), strings.Fields(lines[2*i+1])
		labels := map[string]bool{a[0]: true, b[0]: true}
		for l := range labels {
			sb.WriteString(l + " ")
		}
		sb.WriteString(strings.Join(append(a[1:], b[1:]...), " ") + "\n")
	}
	return sb.String()
}

// languagesTrain is a small set in several scripts, labelled by language:
// text written without spaces, mixed scripts, punctuation inside words,
// digits, emoji.
const languagesTrain = `__label__zh 我喜欢在公园里散步。
__label__zh 今天的天气很好，我们去看电影吧！
__label__zh 这个软件的版本是3.2，请更新。
__label__zh 他在北京大学学习计算机科学。
__label__ja 東京の天気は晴れです。
__label__ja カタカナとひらがなを勉強しています。
__label__ja このソフトウェアのバージョンは2.0です！
__label__ja 明日は雨が降るでしょう。
__label__th ฉันชอบกินข้าวผัดมาก
__label__th วันนี้อากาศดีมาก ไปเที่ยวกันไหม
__label__th โปรแกรมนี้รุ่น 4.1 แล้ว
__label__th เขาเรียนที่มหาวิทยาลัยในกรุงเทพ
__label__en I can't believe it's already 3.5 o'clock!
__label__en The e-mail from co-workers arrived at 9:30.
__label__en Don't forget: U.S.A. and U.K. rules differ 🙂
__label__en Software version 1,000.50 costs $20
__label__ru Привет, как дела? Всё хорошо.
__label__ru Версия программы 2.1 уже вышла!
__label__ru Я люблю гулять в парке по вечерам.
__label__ru Москва — столица России.
`

// languagesInput holds lines the set has not seen, mixing scripts.
const languagesInput = `English中文日本語ไทย mixed
ภาษาไทย123abc 東京2024年
Ελληνικά κείμενο και עברית טקסט
العربية نص 👍🏽 family: 👨‍👩‍👧
o'clock isn't can't ain't
3.14159 1,000,000 a.b.c
カタカナーテスト ｶﾀｶﾅ ＡＢＣ
`

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

package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

func TestCoverageWarning(t *testing.T) {
	text := data.DefaultTextConfig()
	for _, tt := range []struct {
		name, vectors string
		tokens        []string
		standardize   string
		ngrams        int
		want          string // "" = no warning
	}{
		{name: "n-grams aside: no warning", vectors: "the 1\ncat 1\n", tokens: []string{"the", "cat", "sat", "the cat", "cat sat"}, ngrams: 2},
		{name: "n-grams aside: words uncovered", vectors: "the 1\n", tokens: []string{"the", "der", "die", "the der", "der die"}, ngrams: 2,
			want: `covers only 33.3% of the vocabulary's words (n-grams aside) (1 of 3 tokens); likely cause, language: are the vectors for the text's language?; most frequent tokens without a vector: "der", "die"`},
		{name: "half covered: no warning", vectors: "the 1\ncat 1\n", tokens: []string{"the", "cat", "sat", "mat"}},
		{name: "language", vectors: "the 1\ncat 1\n", tokens: []string{"der", "die", "und", "the"},
			want: `vectors: v.vec covers only 25.0% of the vocabulary (1 of 4 tokens); likely cause, language: are the vectors for the text's language?; most frequent tokens without a vector: "der", "die", "und"`},
		{name: "punctuation kept", vectors: "the 1\ncat 1\n", tokens: []string{"the", "cat.", "(sat", "mat,"}, standardize: data.StandardizeLower,
			want: "likely cause, tokenization: 3 of the 3 tokens without a vector hold punctuation, which the vectors' words do not (text.standardize lower_and_strip_punctuation removes it)"},
		{name: "no spaces between words", vectors: "the 1\n", tokens: []string{"这是一个很长的句子没有任何空格分隔的词语在这里", "the", "また別の長い文章で単語の間に空白がありませんでした"},
			want: "likely cause, tokenization: 2 of the 2 tokens without a vector are longer than 20 characters"},
		{name: "numbers", vectors: "the 1\n", tokens: []string{"the", "1", "20", "300"},
			want: "likely cause, numbers: 3 of the 3 tokens without a vector are numbers"},
		{name: "cased vectors, lower-cased text", vectors: "the 1\nParis 1\nRome 1\n", tokens: []string{"the", "paris", "rome", "bonn"},
			want: `likely cause, case: 2 tokens have a vector only in another case (as "Paris" for "paris"): the vectors keep case and the text is lower-cased (text.standardize strip_punctuation keeps case)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vocab, err := data.NewVocab(append([]string{data.PadToken, data.OOVToken}, tt.tokens...))
			if err != nil {
				t.Fatal(err)
			}
			v, err := embed.ReadVectors(strings.NewReader(tt.vectors), "v.vec", vocab.Tokens(), 0)
			if err != nil {
				t.Fatal(err)
			}
			tc := text
			if tt.standardize != "" {
				tc.Standardize = tt.standardize
			}
			tc.Ngrams = tt.ngrams
			got := coverageWarning("v.vec", v, vocab, tc)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// warnings collects a run's warnings.
type warnings struct {
	nopReporter
	msgs []string
}

func (w *warnings) Warn(msg string) { w.msgs = append(w.msgs, msg) }

// Training reports low coverage through Reporter.Warn.
func TestTrainWarnsOfLowCoverage(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	vec := filepath.Join(dir, "v.vec")
	if err := os.WriteFile(vec, []byte("alpha 1 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Model.EmbeddingVectors = vec
	cfg.Model.EmbeddingDim = 2
	rep := &warnings{}
	if _, err := Train(context.Background(), cfg, TrainOptions{Vectors: &pretrained.Cache{Dir: dir}, Reporter: rep, EmbeddingDimSet: true}); err != nil {
		t.Fatal(err)
	}
	if len(rep.msgs) != 1 || !strings.Contains(rep.msgs[0], "covers only") {
		t.Errorf("warnings %q, want one about coverage", rep.msgs)
	}
}

// A gzip-compressed copy of the training data trains to the same tensors
// as the plain file.
func TestTrainGzipSameTensors(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	plain, err := os.ReadFile(cfg.Data.Train)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	gz := cfg.Data.Train + ".gz"
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.Train, cfg.Data.Test = gz, gz
	cfg.Output.Model = filepath.Join(dir, "gz.safetensors")
	got, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(paramBytes(got.Model), paramBytes(want.Model)) {
		t.Error("the gzip copy trained to other tensors")
	}
}

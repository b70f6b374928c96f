package data

import (
	"testing"
	"time"

	"github.com/lstmctl/lstmctl/internal/shareddata"
)

// BenchmarkRead20NG reads the 20 Newsgroups folder and tokenizes every
// document (the vocabulary pass), reporting records/s and tokens/s.
func BenchmarkRead20NG(b *testing.B) {
	p := shareddata.Path(b, "20news-bydate-train")
	tok := mustTokenizer(b, StandardizeLowerStrip)
	b.ReportAllocs()
	var records, tokens int
	start := time.Now()
	for b.Loop() {
		exs, _, err := ReadAll(p, defaultReadOptions(FormatAuto))
		if err != nil {
			b.Fatal(err)
		}
		vb := NewVocabBuilder()
		for i := range exs {
			vb.AddText(tok, exs[i].Text)
			tokens += tok.Count(exs[i].Text)
		}
		records += len(exs)
	}
	sec := time.Since(start).Seconds()
	b.ReportMetric(float64(records)/sec, "records/s")
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
}

// BenchmarkTokenize20NG is the tokenizing part alone (documents in memory).
func BenchmarkTokenize20NG(b *testing.B) {
	exs := read20NG(b)
	tok := mustTokenizer(b, StandardizeLowerStrip)
	bytes := 0
	for i := range exs {
		bytes += len(exs[i].Text)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	tokens := 0
	start := time.Now()
	for b.Loop() {
		for i := range exs {
			tokens += tok.Count(exs[i].Text)
		}
	}
	b.ReportMetric(float64(tokens)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkVocab20NG counts the tokens of 20NG into a vocabulary.
func BenchmarkVocab20NG(b *testing.B) {
	exs := read20NG(b)
	c := DefaultTextConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildVocab(exs, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode20NG encodes 20NG with sequence_length 200.
func BenchmarkEncode20NG(b *testing.B) {
	exs := read20NG(b)
	c := DefaultTextConfig()
	v, _ := BuildVocab(exs, c)
	enc, _ := NewEncoder(c, v)
	labels, _ := LabelsFromExamples(exs, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeExamples(exs, enc, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(exs)*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkFillBatch(b *testing.B) {
	d := randomDataset(4096, 200, 1)
	opt := BatchOptions{BatchSize: 128, Shuffle: true, Bucket: true, Masked: true, Layout: Layout{SequenceLength: 200}}
	batches := EpochBatches(d, opt, 0)
	var batch Batch
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		d.FillBatch(&batch, batches[k%len(batches)], opt)
		k++
	}
}

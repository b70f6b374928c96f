package data

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lstmctl/lstmctl/internal/shareddata"
)

// readReal reads a file of the shared data sets (see internal/shareddata)
// with the default options, refusing skipped records.
func readReal(t *testing.T, parts ...string) []Example {
	t.Helper()
	p := shareddata.Path(t, parts...)
	exs, skipped, err := ReadAll(p, defaultReadOptions(FormatAuto))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if skipped != 0 {
		t.Fatalf("%s: %d skipped without SkipBad", p, skipped)
	}
	return exs
}

func labelCounts(exs []Example) map[string]int {
	m := map[string]int{}
	for _, e := range exs {
		m[e.Label]++
	}
	return m
}

func TestRealTREC(t *testing.T) {
	train := readReal(t, "trec", "train.txt")
	test := readReal(t, "trec", "test.txt")
	if len(train) != 5452 || len(test) != 500 {
		t.Fatalf("TREC %d/%d records, want 5452/500", len(train), len(test))
	}
	labels, err := LabelsFromExamples(train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}; !slices.Equal(labels.Names(), want) {
		t.Errorf("TREC labels %q, want %q", labels.Names(), want)
	}
	if c := labelCounts(train); c["ABBR"] != 86 || c["ENTY"] != 1250 {
		t.Errorf("TREC class counts %v (want ABBR 86, ENTY 1250)", c)
	}
	// The Latin-1 bytes are repaired, not fatal.
	repaired := 0
	for _, e := range train {
		if strings.ContainsRune(e.Text, '\uFFFD') {
			repaired++
		}
	}
	if repaired == 0 {
		t.Error("no U+FFFD in TREC train: the Latin-1 bytes were not seen")
	}
	if e := train[0]; e.Label != "DESC" || e.Text != "How did serfdom develop in and then leave Russia ?" || e.Line != 1 {
		t.Errorf("first TREC example %+v", e)
	}
	// Test labels are all known to a model trained on train.
	if _, err := EncodeExamples(test, mustEncoder(t, train), labels); err != nil {
		t.Error(err)
	}
}

func mustEncoder(t *testing.T, exs []Example) *Encoder {
	t.Helper()
	c := DefaultTextConfig()
	v, err := BuildVocab(exs, c)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoder(c, v)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestRealSST2(t *testing.T) {
	for _, tt := range []struct {
		file string
		n    int
	}{{"train.tsv", 6920}, {"dev.tsv", 872}, {"test.tsv", 1821}} {
		exs := readReal(t, "sst2", tt.file)
		if len(exs) != tt.n {
			t.Errorf("SST-2 %s: %d records, want %d", tt.file, len(exs), tt.n)
		}
		if c := labelCounts(exs); len(c) != 2 || c["negative"] == 0 || c["positive"] == 0 {
			t.Errorf("SST-2 %s labels %v", tt.file, c)
		}
	}
}

func TestRealMR(t *testing.T) {
	exs := readReal(t, "mr", "mr.csv")
	if len(exs) != 10662 {
		t.Fatalf("MR: %d records, want 10662", len(exs))
	}
	if c := labelCounts(exs); c["neg"] != 5331 || c["pos"] != 5331 {
		t.Errorf("MR labels %v", c)
	}
	// Sorted by label: the stratified split validates on both classes,
	// equally.
	_, val := StratifiedSplit(RarestLabelKeys(exs), 0.1, 1)
	vc := map[string]int{}
	for _, i := range val {
		vc[exs[i].Label]++
	}
	if vc["neg"] != 533 || vc["pos"] != 533 {
		t.Errorf("validation split classes %v", vc)
	}
	if exs[0].Line != 2 || exs[len(exs)-1].Line != 10663 {
		t.Errorf("MR record lines %d..%d, want 2..10663", exs[0].Line, exs[len(exs)-1].Line)
	}
}

var (
	ngOnce sync.Once
	ngEx   []Example
	ngErr  error
)

// read20NG reads the 20 Newsgroups folder once per test binary.
func read20NG(tb testing.TB) []Example {
	p := shareddata.Path(tb, "20news-bydate-train")
	ngOnce.Do(func() { ngEx, _, ngErr = ReadAll(p, defaultReadOptions(FormatAuto)) })
	if ngErr != nil {
		tb.Fatal(ngErr)
	}
	return ngEx
}

func TestReal20NG(t *testing.T) {
	start := time.Now()
	exs := read20NG(t)
	t.Logf("read %d documents in %v", len(exs), time.Since(start))
	if len(exs) != 11314 {
		t.Fatalf("20NG: %d documents, want 11314", len(exs))
	}
	labels, err := LabelsFromExamples(exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := labels.Names()
	if len(names) != 20 || names[0] != "alt.atheism" || names[19] != "talk.religion.misc" {
		t.Errorf("20NG classes %q", names)
	}
	start = time.Now()
	enc := mustEncoder(t, exs)
	d, err := EncodeExamples(exs, enc, labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vocabulary and encoding in %v", time.Since(start))
	if n := DefaultTextConfig().MaxTokens; enc.Vocab().Len() != n { // 20NG has far more distinct tokens
		t.Errorf("vocabulary of %d tokens, want %d", enc.Vocab().Len(), n)
	}
	if head := enc.Vocab().Tokens()[:4]; !slices.Equal(head, []string{"", "[UNK]", "the", "to"}) {
		t.Errorf("vocabulary head %q", head)
	}
	long, limit := 0, DefaultTextConfig().SequenceLength
	for _, s := range d.Seqs {
		if len(s) == limit {
			long++
		}
		if len(s) > limit {
			t.Fatal("sequence longer than sequence_length")
		}
	}
	if long < 2000 {
		t.Errorf("only %d documents reach %d tokens", long, limit)
	}
}

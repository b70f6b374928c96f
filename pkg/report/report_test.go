package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/train"
)

func TestCalibrate(t *testing.T) {
	// Four texts of class 0 (probabilities exact in float32):
	// confidences 0.875 (right), 0.875 (wrong), 0.625 (right), 0.5625
	// (wrong).
	probs := []float32{0.875, 0.125, 0.125, 0.875, 0.625, 0.375, 0.4375, 0.5625}
	truth := []int32{0, 0, 0, 0}
	cal := calibrate(probs, truth, 2, 10)
	want := map[int]CalibrationBin{
		8: {Lo: 0.8, Hi: 0.9, Count: 2, Confidence: 0.875, Accuracy: 0.5},
		6: {Lo: 0.6, Hi: 0.7, Count: 1, Confidence: 0.625, Accuracy: 1},
		5: {Lo: 0.5, Hi: 0.6, Count: 1, Confidence: 0.5625, Accuracy: 0},
	}
	for i, b := range cal.Bins {
		w := want[i]
		w.Lo, w.Hi = float64(i)/10, float64(i+1)/10
		if b != w {
			t.Errorf("bin %d = %+v, want %+v", i, b, w)
		}
	}
	// ECE = 2/4*0.375 + 1/4*0.375 + 1/4*0.5625.
	if want := 0.421875; math.Abs(cal.ECE-want) > 1e-12 {
		t.Errorf("ECE = %v, want %v", cal.ECE, want)
	}
	if want := 0.5625; cal.MCE != want {
		t.Errorf("MCE = %v, want %v", cal.MCE, want)
	}
}

func TestTop2(t *testing.T) {
	for _, c := range []struct {
		p    []float32
		a, b int
	}{
		{[]float32{0.1, 0.7, 0.2}, 1, 2},
		{[]float32{0.5, 0.3, 0.2}, 0, 1},
		{[]float32{0.2, 0.3, 0.5}, 2, 1},
		{[]float32{1}, 0, -1},
	} {
		if a, b := top2(c.p); a != c.a || b != c.b {
			t.Errorf("top2(%v) = %d, %d, want %d, %d", c.p, a, b, c.a, c.b)
		}
	}
}

func TestMostConfused(t *testing.T) {
	conf := [][]int{{5, 1, 3}, {0, 4, 0}, {2, 3, 1}}
	got := mostConfused(conf, []string{"a", "b", "c"}, 3)
	want := []Pair{{"a", "c", 3, 3.0 / 9}, {"c", "b", 3, 3.0 / 6}, {"c", "a", 2, 2.0 / 6}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pair %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLengths(t *testing.T) {
	tok, err := data.NewTokenizer(data.TextConfig{Standardize: "lower_and_strip_punctuation", Split: "whitespace", MaxTokens: 10, SequenceLength: 4, Truncate: "post", Pad: "post"})
	if err != nil {
		t.Fatal(err)
	}
	ex := []data.Example{{Text: "a b"}, {Text: "a b c d e f"}, {Text: ""}, {Text: "a b c d e"}}
	l := lengths("test", ex, tok, 4)
	if l.Truncated != 2 || l.TokensLost != 3 || l.Tokens != 13 || l.Empty != 1 || l.Max != 6 {
		t.Errorf("lengths = %+v, want 2 truncated, 3 tokens lost of 13, 1 empty, max 6", l)
	}
	n := 0
	for _, b := range l.Hist {
		n += b.Count
	}
	if n != len(ex) {
		t.Errorf("the histogram holds %d texts, want %d", n, len(ex))
	}
}

// sample is a report with every part, whose texts and labels need
// escaping.
func sample() *Report {
	labels := []string{"a<b", "c&d", "plain"}
	m := &train.Metrics{N: 10, Accuracy: 0.6, Loss: 0.9, MacroF1: 0.5, WeightedF1: 0.55,
		Confusion: [][]int{{3, 1, 0}, {1, 2, 1}, {0, 1, 1}},
		PerClass:  []train.ClassMetrics{{Precision: 0.75, Recall: 0.75, F1: 0.75, Support: 4}, {Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 4}, {Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2}}}
	vl, va := 0.8, 0.7
	return &Report{
		Version: "test",
		History: []Epoch{{Epoch: 1, Loss: 1, Accuracy: 0.5, ValLoss: &vl, ValAccuracy: &va, LearningRate: 0.001, Seconds: 1.5},
			{Epoch: 2, Loss: 0.7, Accuracy: 0.6, LearningRate: 0.0005, Seconds: 1.5}},
		KeptEpoch: 2,
		Data: &DataInfo{
			ClassCounts: []SplitCounts{{Split: "test", N: 10, Labels: labels, Counts: []int{4, 4, 2}}},
			Lengths:     []Lengths{{Split: "test", N: 10, SequenceLength: 5, Max: 7, Hist: []Bin{{0, 2, 3}, {2, 4, 5}, {4, 6, 2}}}},
		},
		Test: &Test{Path: "t.txt", Metrics: NewEvalMetrics(m, labels), MostConfused: mostConfused(m.Confusion, labels, 10),
			Misclassified: []Misclassified{{File: "t.txt", Line: 3, Text: `<script>alert("x")</script> & more`, True: "a<b", First: "c&d", PFirst: 0.7, Second: "a<b", PSecond: 0.2}},
			Errors:        4,
			Calibration:   calibrate([]float32{0.7, 0.2, 0.1, 0.3, 0.3, 0.4}, []int32{0, 2}, 3, 10)},
	}
}

var jsonBlock = regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`)

func TestWriteHTML(t *testing.T) {
	r := sample()
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, "a <title>"); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, id := range Sections {
		if !strings.Contains(page, `<section id="`+id+`">`) {
			t.Errorf("no section %q", id)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "a<b") || strings.Contains(page, "a <title>") {
		t.Error("a text, label or title is not escaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more") {
		t.Error("the misclassified text is missing, escaped")
	}
	if !strings.Contains(page, "a&lt;b") || !strings.Contains(page, "c&amp;d") {
		t.Error("the labels are missing, escaped")
	}
	figs, err := r.Figures()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page, "<svg "); n != len(figs) || n != 9 {
		t.Errorf("%d inline SVGs, want one per figure (%d, 9)", n, len(figs))
	}
	if strings.Contains(page, "<?xml") || strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("an SVG kept its XML declaration, or the page links out")
	}
	if strings.Contains(page, "<script src") || strings.Contains(page, "<link") {
		t.Error("the page loads something")
	}
	m := jsonBlock.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no report-data block")
	}
	var got Report
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatalf("report-data: %v", err)
	}
	if got.Test.Misclassified[0].Text != r.Test.Misclassified[0].Text {
		t.Errorf("report-data text = %q", got.Test.Misclassified[0].Text)
	}
	if len(got.History) != 2 || got.History[1].ValLoss != nil || *got.History[0].ValLoss != 0.8 {
		t.Errorf("report-data history = %+v", got.History)
	}
	if got.Test.Metrics.Confusion[2][1] != 1 || got.Test.Metrics.PerClass["c&d"].Support != 4 {
		t.Errorf("report-data metrics = %+v", got.Test.Metrics)
	}
	// Every number of the metrics is in a table of the page too.
	for _, s := range []string{"0.6000", "0.5000", "0.5500", "0.7500"} {
		if !strings.Contains(page, ">"+s+"<") {
			t.Errorf("%s is not in a table cell", s)
		}
	}
}

func TestHistoryOnly(t *testing.T) {
	r := &Report{Version: "test", History: sample().History}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, "curves"); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d figures, want 3 (loss, accuracy, learning rate)", n)
	}
	for _, id := range Sections {
		if !strings.Contains(page, `<section id="`+id+`">`) {
			t.Errorf("no section %q", id)
		}
	}
}

func TestWritePlots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	paths, err := sample().WritePlots(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 18 {
		t.Errorf("%d files, want 18 (9 figures, PNG and SVG)", len(paths))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".png":
			c, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || c.Width < 300 || c.Height < 200 {
				t.Errorf("%s: %v, %dx%d", p, err, c.Width, c.Height)
			}
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		case ".svg":
			var doc struct {
				XMLName xml.Name
				Texts   []string `xml:"g>text"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil || doc.XMLName.Local != "svg" {
				t.Errorf("%s: not an SVG document: %v", p, err)
			}
		default:
			t.Errorf("unexpected file %s", p)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "confusion_counts.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("a&lt;b")) {
		t.Error("the confusion matrix does not name the class a<b, escaped")
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := fingerprint(FileRef{"test", p}); f.Bytes != 3 || f.SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("fingerprint = %+v", f)
	}
	if f := fingerprint(FileRef{"train", dir}); f.SHA256 != "" || f.Error != "a class directory" {
		t.Errorf("directory: %+v", f)
	}
	if f := fingerprint(FileRef{"test", filepath.Join(dir, "missing")}); f.Error == "" {
		t.Errorf("missing file: %+v", f)
	}
}

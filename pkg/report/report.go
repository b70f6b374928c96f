package report

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// Input is what a report is made of; every part but Version is optional.
type Input struct {
	Version string // of the lstmctl that makes the report

	Model     *pipeline.Model // nil: no model sections
	ModelPath string

	History        []train.EpochStats
	HistoryPath    string
	HistoryPartial bool // the history file's last row was still being written

	// Train and Validation are the examples the model was trained and
	// validated on, where known; DataNote says why they are not.
	Train, Validation []data.Example
	DataNote          string

	// Test are the examples the model is tested on (TestPath); Metrics,
	// when set, are the model's metrics on them already computed.
	Test     []data.Example
	TestPath string
	Metrics  *train.Metrics

	// Vectors is the pretrained vectors' coverage of the vocabulary,
	// VectorsWarning training's warning about it, VectorsNote why it is
	// not known.
	Vectors        *pipeline.VectorsReport
	VectorsWarning string
	VectorsNote    string

	// Files are the data files (role: train, validation, test, history),
	// fingerprinted by Build.
	Files []FileRef

	// Misclassified is how many misclassified texts to show (0 = 20).
	Misclassified int
}

// FileRef names a file of the run and its role.
type FileRef struct{ Role, Path string }

// Report is what the page shows, and (as JSON) what its report-data
// block holds.
type Report struct {
	Version string     `json:"lstmctl_version"`
	Model   *ModelInfo `json:"model,omitempty"`
	// Config is the effective configuration (the model's stored one
	// overlaid with the run's settings).
	Config  *pipeline.Config `json:"config,omitempty"`
	Threads int              `json:"threads,omitempty"`
	Files   []File           `json:"files,omitempty"`

	// Seconds is the training time the history records.
	Seconds        float64 `json:"seconds"`
	History        []Epoch `json:"history"`
	HistoryPath    string  `json:"history_path,omitempty"`
	HistoryPartial bool    `json:"history_partial,omitempty"`
	// KeptEpoch is the epoch whose weights the model holds (0: unknown).
	KeptEpoch int `json:"kept_epoch,omitempty"`

	Data *DataInfo `json:"data,omitempty"`
	Test *Test     `json:"test,omitempty"`
	// TestNote says why there are no test results despite test data.
	TestNote string `json:"test_note,omitempty"`
}

// ModelInfo is what inspect shows of a model.
type ModelInfo struct {
	Path string `json:"path"`
	model.Summary
	Labels    []string               `json:"labels"`
	VocabSize int                    `json:"vocab_size"`
	Training  *pipeline.TrainingInfo `json:"training"`
}

// File is a data file with its size and SHA-256, or the error reading it.
type File struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Epoch is one row of the history, with the keys of the history files.
type Epoch = train.HistoryRecord

// DataInfo describes the data sets.
type DataInfo struct {
	Note string `json:"note,omitempty"`
	// ClassCounts are the examples per label (the model's order, then
	// labels it does not know), per split.
	ClassCounts []SplitCounts `json:"class_counts"`
	Lengths     []Lengths     `json:"lengths"`
	Coverage    []Coverage    `json:"coverage"`

	Vectors        *pipeline.VectorsReport `json:"vectors,omitempty"`
	VectorsWarning string                  `json:"vectors_warning,omitempty"`
	VectorsNote    string                  `json:"vectors_note,omitempty"`
}

// SplitCounts are the class counts of one split.
type SplitCounts struct {
	Split  string   `json:"split"`
	N      int      `json:"n"`
	Labels []string `json:"labels"`
	Counts []int    `json:"counts"`
}

// Lengths are the text lengths of one split, in tokens before truncation.
type Lengths struct {
	Split          string  `json:"split"`
	N              int     `json:"n"`
	SequenceLength int     `json:"sequence_length"` // 0: no truncation
	Median         int     `json:"median"`
	P95            int     `json:"p95"`
	Max            int     `json:"max"`
	Truncated      int     `json:"truncated"`   // texts longer than the sequence length
	Tokens         int64   `json:"tokens"`      // all tokens
	TokensLost     int64   `json:"tokens_lost"` // tokens truncation drops
	Empty          int     `json:"empty"`       // texts without a token
	Hist           []Bin   `json:"histogram"`
	LostFraction   float64 `json:"tokens_lost_fraction"`
}

// Bin is one histogram bin: [Lo, Hi) tokens; the last bin also holds
// everything longer.
type Bin struct {
	Lo    int `json:"lo"`
	Hi    int `json:"hi"`
	Count int `json:"count"`
}

// Coverage is how much of a split's text the vocabulary knows.
type Coverage struct {
	Split         string  `json:"split"`
	Tokens        int64   `json:"tokens"`
	Unknown       int64   `json:"unknown"` // tokens that encode as [UNK]
	Types         int     `json:"types"`
	UnknownTypes  int     `json:"unknown_types"`
	TokenCoverage float64 `json:"token_coverage"`
	TypeCoverage  float64 `json:"type_coverage"`
}

// Test holds the results on the test set.
type Test struct {
	Path          string          `json:"path"`
	Metrics       EvalMetrics     `json:"metrics"`
	MostConfused  []Pair          `json:"most_confused"`
	Misclassified []Misclassified `json:"misclassified"`
	Errors        int             `json:"errors"` // misclassified texts, of which Misclassified shows some
	Calibration   Calibration     `json:"calibration"`
}

// Pair is a cell of the confusion matrix off its diagonal.
type Pair struct {
	True      string  `json:"true"`
	Predicted string  `json:"predicted"`
	Count     int     `json:"count"`
	Share     float64 `json:"share"` // of the true class's samples
}

// Misclassified is a test text the model got wrong, with its two most
// probable labels.
type Misclassified struct {
	File      string  `json:"file"`
	Line      int     `json:"line,omitempty"`
	Text      string  `json:"text"` // cut to MaxTextRunes
	True      string  `json:"true"`
	PTrue     float64 `json:"p_true"`
	First     string  `json:"first"`
	PFirst    float64 `json:"p_first"`
	Second    string  `json:"second"`
	PSecond   float64 `json:"p_second"`
	Truncated bool    `json:"truncated,omitempty"` // Text was cut
}

// MaxTextRunes is how much of a misclassified text the report shows.
const MaxTextRunes = 300

// Build gathers the report of in. ctx is checked between the steps that
// run the model.
func Build(ctx context.Context, in Input) (*Report, error) {
	r := &Report{Version: in.Version, History: epochs(in.History), HistoryPath: in.HistoryPath, HistoryPartial: in.HistoryPartial}
	for _, s := range in.History {
		r.Seconds += s.Seconds
	}
	for _, f := range in.Files {
		r.Files = append(r.Files, fingerprint(f))
	}
	m := in.Model
	if m == nil {
		return r, nil
	}
	cfg := m.Config
	r.Config, r.Threads = &cfg, m.Config.Threads()
	r.Model = &ModelInfo{Path: in.ModelPath, Summary: m.Summary(), Labels: m.Labels.Names(), VocabSize: m.Vocab.Len(), Training: m.Training}
	if t := m.Training; t != nil {
		r.KeptEpoch = t.WeightsEpoch
		if r.KeptEpoch == 0 {
			r.KeptEpoch = t.Epochs
		}
	}
	r.Data = dataInfo(m, in)
	if len(in.Test) == 0 {
		return r, nil
	}
	if m.MultiLabel() {
		r.TestNote = "This is a multi-label model: the test figures here (per-class scores of one label per text, the confusion matrix, calibration) are for single-label models; lstmctl eval prints its multi-label metrics."
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	met := in.Metrics
	if met == nil {
		var err error
		if met, err = m.Evaluate(in.Test); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds, err := m.EncodeExamples(in.Test)
	if err != nil {
		return nil, err
	}
	probs, err := m.Probabilities(ds) // with the subword bags, and the int8 setting
	if err != nil {
		return nil, err
	}
	labels := m.Labels.Names()
	t := &Test{Path: in.TestPath, Metrics: NewEvalMetrics(met, labels), MostConfused: mostConfused(met.Confusion, labels, 10)}
	t.Misclassified, t.Errors = misclassified(in.Test, ds.Labels, probs, labels, cmp.Or(in.Misclassified, 20))
	t.Calibration = calibrate(probs, ds.Labels, len(labels), 10)
	r.Test = t
	return r, nil
}

func epochs(h []train.EpochStats) []Epoch {
	out := make([]Epoch, len(h))
	for i, s := range h {
		out[i] = train.NewHistoryRecord(s)
	}
	return out
}

// fingerprint hashes a regular file; a directory, a pipe or "-" is named,
// not read (a pipe would block, or lose what it holds to the hash).
func fingerprint(f FileRef) File {
	out := File{Role: f.Role, Path: f.Path}
	if f.Path == pipeline.Stdin {
		out.Error = "standard input"
		return out
	}
	fi, err := os.Stat(f.Path)
	switch {
	case err != nil:
		out.Error = err.Error()
		return out
	case fi.IsDir():
		out.Error = "a class directory"
		return out
	case !fi.Mode().IsRegular():
		out.Error = "not a regular file"
		return out
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Bytes, out.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return out
}

// dataInfo counts classes, lengths and coverage of the splits known.
func dataInfo(m *pipeline.Model, in Input) *DataInfo {
	d := &DataInfo{Note: in.DataNote, Vectors: in.Vectors, VectorsWarning: in.VectorsWarning, VectorsNote: in.VectorsNote}
	for _, s := range []struct {
		name string
		ex   []data.Example
	}{{"train", in.Train}, {"validation", in.Validation}, {"test", in.Test}} {
		if len(s.ex) == 0 {
			continue
		}
		d.ClassCounts = append(d.ClassCounts, classCounts(s.name, s.ex, m.Labels))
		d.Lengths = append(d.Lengths, lengths(s.name, s.ex, m.Encoder.Tokenizer(), m.Config.Text.SequenceLength))
		if s.name != "train" {
			d.Coverage = append(d.Coverage, coverage(s.name, s.ex, m.Encoder))
		}
	}
	return d
}

func classCounts(split string, ex []data.Example, labels *data.Labels) SplitCounts {
	sc := SplitCounts{Split: split, N: len(ex), Labels: labels.Names()}
	sc.Counts = make([]int, len(sc.Labels))
	extra := map[string]int{}
	for _, e := range ex {
		for _, l := range e.AllLabels() {
			if i, ok := labels.Index(l); ok {
				sc.Counts[i]++
			} else {
				extra[l]++
			}
		}
	}
	names := make([]string, 0, len(extra))
	for k := range extra {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		sc.Labels = append(sc.Labels, k)
		sc.Counts = append(sc.Counts, extra[k])
	}
	return sc
}

// lengths measures a split's texts in tokens against the sequence length.
func lengths(split string, ex []data.Example, tok *data.Tokenizer, seqLen int) Lengths {
	l := Lengths{Split: split, N: len(ex), SequenceLength: seqLen}
	n := make([]int, len(ex))
	for i, e := range ex {
		n[i] = tok.Count(e.Text)
		l.Tokens += int64(n[i])
		if n[i] == 0 {
			l.Empty++
		}
		if seqLen > 0 && n[i] > seqLen {
			l.Truncated++
			l.TokensLost += int64(n[i] - seqLen)
		}
	}
	if l.Tokens > 0 {
		l.LostFraction = float64(l.TokensLost) / float64(l.Tokens)
	}
	s := slices.Clone(n)
	slices.Sort(s)
	l.Median, l.P95, l.Max = s[len(s)/2], s[min(len(s)-1, len(s)*95/100)], s[len(s)-1]
	// Up to about 40 bins of a whole width, over the lengths up to the
	// 99th percentile, or up to 1.25 sequence lengths when that is
	// shorter and not past the longest text; the last bin holds the rest.
	top := s[min(len(s)-1, len(s)*99/100)]
	if seqLen > 0 && seqLen <= top {
		top = max(top, min(seqLen+seqLen/4, l.Max))
	}
	top = max(top, 1)
	width := max(1, (top+39)/40)
	bins := top/width + 1
	l.Hist = make([]Bin, bins)
	for i := range l.Hist {
		l.Hist[i] = Bin{Lo: i * width, Hi: (i + 1) * width}
	}
	for _, v := range n {
		l.Hist[min(v/width, bins-1)].Count++
	}
	return l
}

// coverage counts the tokens of a split the vocabulary does not know.
func coverage(split string, ex []data.Example, enc *data.Encoder) Coverage {
	c := Coverage{Split: split}
	tok, vocab := enc.Tokenizer(), enc.Vocab()
	seen := map[string]bool{}
	var buf []string
	for _, e := range ex {
		buf = tok.AppendTokens(buf[:0], e.Text)
		for _, t := range buf {
			c.Tokens++
			unk := vocab.ID(t) == unknownID
			if unk {
				c.Unknown++
			}
			if !seen[t] {
				seen[t] = true
				c.Types++
				if unk {
					c.UnknownTypes++
				}
			}
		}
	}
	if c.Tokens > 0 {
		c.TokenCoverage = 1 - float64(c.Unknown)/float64(c.Tokens)
	}
	if c.Types > 0 {
		c.TypeCoverage = 1 - float64(c.UnknownTypes)/float64(c.Types)
	}
	return c
}

// mostConfused returns the k largest cells off the diagonal, largest
// first (ties by true then predicted label order).
func mostConfused(conf [][]int, labels []string, k int) []Pair {
	var out []Pair
	for i, row := range conf {
		sup := 0
		for _, n := range row {
			sup += n
		}
		for j, n := range row {
			if i != j && n > 0 {
				out = append(out, Pair{True: labels[i], Predicted: labels[j], Count: n, Share: float64(n) / float64(sup)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Pair) int { return cmp.Compare(b.Count, a.Count) })
	return out[:min(k, len(out))]
}

// misclassified returns up to k of the texts whose most probable label is
// not their own, the most confidently wrong first, and how many there are.
func misclassified(ex []data.Example, truth []int32, probs []float32, labels []string, k int) ([]Misclassified, int) {
	C := len(labels)
	var out []Misclassified
	for i, e := range ex {
		p := probs[i*C : (i+1)*C]
		a, b := top2(p)
		if int32(a) == truth[i] {
			continue
		}
		text, cut := e.Text, false
		if utf8.RuneCountInString(text) > MaxTextRunes {
			text, cut = string([]rune(text)[:MaxTextRunes]), true
		}
		mc := Misclassified{File: e.File, Line: e.Line, Text: text, Truncated: cut,
			True: labels[truth[i]], PTrue: float64(p[truth[i]]),
			First: labels[a], PFirst: float64(p[a])}
		if b >= 0 {
			mc.Second, mc.PSecond = labels[b], float64(p[b])
		}
		out = append(out, mc)
	}
	n := len(out)
	slices.SortStableFunc(out, func(a, b Misclassified) int { return cmp.Compare(b.PFirst, a.PFirst) })
	return out[:min(k, n)], n
}

// top2 returns the indices of the largest and second largest values (the
// first index on ties; b is -1 for one value).
func top2(p []float32) (a, b int) {
	a, b = 0, -1
	for i := 1; i < len(p); i++ {
		switch {
		case p[i] > p[a]:
			a, b = i, a
		case b < 0 || p[i] > p[b]:
			b = i
		}
	}
	return a, b
}

// JSON returns the report as the page's report-data block holds it.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b, nil
}

// unknownID is the id of "[UNK]" in every vocabulary (data.Vocab).
const unknownID = 1

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

package pipeline

import (
	"encoding/json"
	"sort"

	"github.com/lstmctl/lstmctl/pkg/train"
)

// Prediction is a single-label model's answer for one text as predict
// --format jsonl writes it and the HTTP API returns it: the most probable
// label and the top-k labels, most probable first.
type Prediction struct {
	ID          *string     `json:"id,omitempty"`
	Label       string      `json:"label"`
	Probability float32     `json:"probability"`
	Top         []LabelProb `json:"top"`
}

// LabelProb is one label and its probability.
type LabelProb struct {
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
}

// MultiLabelPrediction is a multi-label model's answer for one text: the
// labels given, most probable first, and their probabilities.
type MultiLabelPrediction struct {
	ID            *string            `json:"id,omitempty"`
	Labels        []string           `json:"labels"`
	Probabilities map[string]float32 `json:"probabilities"`
}

// Ranker turns the probabilities of one text into the labels given: the
// top k, most probable first, those below a threshold dropped but the
// first. It reuses a buffer and is not safe for concurrent use.
type Ranker struct {
	labels    []string
	k         int
	threshold float64 // -1: none dropped
	multi     bool
	order     []int
}

// NewRanker returns the Ranker of predict's --top-k and --threshold for
// the model: topK 0 (not given) is 1, or every label for a multi-label
// model; a nil threshold (not given) is train.DefaultThreshold for a
// multi-label model and none for a single-label one. k is capped at the
// number of labels.
func (m *Model) NewRanker(topK int, threshold *float64) *Ranker {
	r := &Ranker{labels: m.Labels.Names(), k: topK, threshold: -1, multi: m.MultiLabel()}
	if r.k <= 0 {
		r.k = 1
		if r.multi {
			r.k = len(r.labels)
		}
	}
	r.k = min(r.k, len(r.labels))
	switch {
	case threshold != nil:
		r.threshold = *threshold
	case r.multi:
		r.threshold = train.DefaultThreshold
	}
	return r
}

// Labels returns the label names, indexed by class.
func (r *Ranker) Labels() []string { return r.labels }

// Top returns the classes given, most probable first, ties by class index
// so that output is deterministic. The slice is reused by the next call.
func (r *Ranker) Top(probs []float32) []int {
	if cap(r.order) < len(probs) {
		r.order = make([]int, len(probs))
	}
	order := r.order[:len(probs)]
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	top := order[:min(r.k, len(order))]
	if r.threshold >= 0 {
		n := 1
		for n < len(top) && float64(probs[top[n]]) >= r.threshold {
			n++
		}
		top = top[:n]
	}
	return top
}

// Record returns the JSON record of one text's probabilities, a
// *Prediction or a *MultiLabelPrediction; id is copied when not nil.
func (r *Ranker) Record(id *string, probs []float32) any {
	top := r.Top(probs)
	if r.multi {
		p := &MultiLabelPrediction{ID: id, Labels: make([]string, len(top)), Probabilities: make(map[string]float32, len(top))}
		for i, c := range top {
			p.Labels[i] = r.labels[c]
			p.Probabilities[r.labels[c]] = probs[c]
		}
		return p
	}
	p := &Prediction{ID: id, Label: r.labels[top[0]], Probability: probs[top[0]], Top: make([]LabelProb, len(top))}
	for i, c := range top {
		p.Top[i] = LabelProb{Label: r.labels[c], Probability: probs[c]}
	}
	return p
}

// AppendJSON appends the JSON line of one text's probabilities (Record's,
// and a newline) to dst.
func (r *Ranker) AppendJSON(dst []byte, id *string, probs []float32) ([]byte, error) {
	b, err := json.Marshal(r.Record(id, probs))
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

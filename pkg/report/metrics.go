package report

import "github.com/lstmctl/lstmctl/pkg/train"

// ClassMetrics are the one-vs-rest metrics of one class in EvalMetrics.
type ClassMetrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// EvalMetrics is the JSON form of a model's metrics on labelled data, as
// lstmctl eval --format json prints it: Confusion[i][j] counts the
// samples of Labels[i] predicted as Labels[j].
type EvalMetrics struct {
	N          int                     `json:"n"`
	Accuracy   float64                 `json:"accuracy"`
	Loss       float64                 `json:"loss"`
	MacroF1    float64                 `json:"macro_f1"`
	WeightedF1 float64                 `json:"weighted_f1"`
	Labels     []string                `json:"labels"`
	PerClass   map[string]ClassMetrics `json:"per_class"`
	Confusion  [][]int                 `json:"confusion"`
}

// NewEvalMetrics is the JSON form of m, whose classes are labels.
func NewEvalMetrics(m *train.Metrics, labels []string) EvalMetrics {
	out := EvalMetrics{
		N: m.N, Accuracy: m.Accuracy, Loss: m.Loss, MacroF1: m.MacroF1, WeightedF1: m.WeightedF1,
		Labels: labels, PerClass: map[string]ClassMetrics{}, Confusion: m.Confusion,
	}
	for i, name := range labels {
		pc := m.PerClass[i]
		out.PerClass[name] = ClassMetrics{Precision: pc.Precision, Recall: pc.Recall, F1: pc.F1, Support: pc.Support}
	}
	return out
}

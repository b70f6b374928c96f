package train

import (
	"cmp"
	"slices"
)

// MultiLabelMetrics are the metrics of a multi-label (sigmoid) model beyond
// those Metrics has for every model. A label is predicted for a text when
// its probability is at least Threshold.
type MultiLabelMetrics struct {
	Threshold float64
	// SubsetAccuracy is the share of texts whose predicted label set is
	// exactly their set (scikit-learn's accuracy_score); Metrics.Accuracy
	// holds it too.
	SubsetAccuracy float64
	// HammingLoss is the share of wrong yes/no decisions, over N·C (lower
	// is better).
	HammingLoss float64
	// Micro-averaged: from the true positives, false positives and false
	// negatives summed over all labels.
	MicroPrecision, MicroRecall, MicroF1 float64
	// Macro-averaged precision and recall (Metrics.MacroF1 is the F1), over
	// the labels present in the data or the predictions.
	MacroPrecision, MacroRecall float64
	// AtK holds precision@k and recall@k for k = 1, 3 and 5 (those <= C).
	AtK []AtK
}

// AtK is precision and recall of each text's k most probable labels, as
// fastText's test computes them with its threshold at 0: Precision is the
// hits over N·k, Recall the hits over the number of true labels.
type AtK struct {
	K                 int
	Precision, Recall float64
}

// atKs are the k of MultiLabelMetrics.AtK.
var atKs = []int{1, 3, 5}

// MultiLabelMetricsOf computes the metrics of probabilities probs [N*C]
// (row i for text i) against the label sets sets (class indices of each
// text) at threshold. Metrics.Accuracy is the subset accuracy,
// PerClass the one-vs-rest precision, recall and F1 of each label (0 where
// undefined, as scikit-learn's zero_division=0), MacroF1 their mean over
// the labels present in the data or the predictions, WeightedF1 their mean
// weighted by support; Confusion is nil and Loss is left to the caller.
func MultiLabelMetricsOf(probs []float32, sets [][]int32, C int, threshold float64) *Metrics {
	N := len(sets)
	m := &Metrics{N: N, PerClass: make([]ClassMetrics, C)}
	ml := &MultiLabelMetrics{Threshold: threshold}
	m.MultiLabel = ml
	if N == 0 || C == 0 {
		return m
	}
	tp, fp, fn := make([]int, C), make([]int, C), make([]int, C)
	exact, wrong, trueLabels := 0, 0, 0
	hits := make([]int, len(atKs))
	truth := make([]bool, C)
	order := make([]int, C)
	for i, set := range sets {
		row := probs[i*C : (i+1)*C]
		clear(truth)
		for _, c := range set {
			truth[c] = true
		}
		trueLabels += len(set)
		same := true
		for j, p := range row {
			pred := float64(p) >= threshold
			switch {
			case pred && truth[j]:
				tp[j]++
			case pred:
				fp[j]++
			case truth[j]:
				fn[j]++
			}
			if pred != truth[j] {
				same = false
				wrong++
			}
		}
		if same {
			exact++
		}
		for j := range order {
			order[j] = j
		}
		// Most probable first; ties by class index.
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
		for ki, k := range atKs {
			for _, c := range order[:min(k, C)] {
				if truth[c] {
					hits[ki]++
				}
			}
		}
	}
	ml.SubsetAccuracy = float64(exact) / float64(N)
	m.Accuracy = ml.SubsetAccuracy
	ml.HammingLoss = float64(wrong) / float64(N*C)
	for ki, k := range atKs {
		if k > C {
			break
		}
		a := AtK{K: k, Precision: float64(hits[ki]) / float64(N*k)}
		if trueLabels > 0 {
			a.Recall = float64(hits[ki]) / float64(trueLabels)
		}
		ml.AtK = append(ml.AtK, a)
	}
	var sTP, sFP, sFN, present, support int
	for j := range m.PerClass {
		pc := &m.PerClass[j]
		pc.Support = tp[j] + fn[j]
		pc.Precision, pc.Recall, pc.F1 = prf(tp[j], fp[j], fn[j])
		sTP, sFP, sFN = sTP+tp[j], sFP+fp[j], sFN+fn[j]
		if pc.Support > 0 || tp[j]+fp[j] > 0 {
			present++
			ml.MacroPrecision += pc.Precision
			ml.MacroRecall += pc.Recall
			m.MacroF1 += pc.F1
		}
		m.WeightedF1 += pc.F1 * float64(pc.Support)
		support += pc.Support
	}
	if present > 0 {
		ml.MacroPrecision /= float64(present)
		ml.MacroRecall /= float64(present)
		m.MacroF1 /= float64(present)
	}
	if support > 0 {
		m.WeightedF1 /= float64(support)
	}
	ml.MicroPrecision, ml.MicroRecall, ml.MicroF1 = prf(sTP, sFP, sFN)
	return m
}

// prf returns precision, recall and F1 of counts, 0 where undefined.
func prf(tp, fp, fn int) (p, r, f1 float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return p, r, f1
}

package train

// Metrics are classification metrics over a data set.
//
// Confusion[i][j] counts samples of true class i predicted as class j; rows
// and columns follow the class indices (the labels' order). PerClass[i] is
// class i. Precision, recall and F1 of a class with no predicted (resp. no
// true) samples are 0, as scikit-learn's zero_division=0. MacroF1 is the
// unweighted mean of F1 over the classes that occur in the data or in the
// predictions (scikit-learn's default label set); WeightedF1 weighs each
// class's F1 by its support.
//
// For a multi-label (sigmoid) model, Loss is the mean binary cross-entropy,
// Accuracy the subset accuracy, PerClass each label's one-vs-rest metrics,
// Confusion nil, and MultiLabel holds the rest (MultiLabelMetricsOf).
type Metrics struct {
	N          int
	Loss       float64 // mean cross-entropy
	Accuracy   float64
	MacroF1    float64
	WeightedF1 float64
	Confusion  [][]int
	PerClass   []ClassMetrics
	MultiLabel *MultiLabelMetrics // multi-label models only
}

// ClassMetrics are the one-vs-rest metrics of one class.
type ClassMetrics struct {
	Precision, Recall, F1 float64
	Support               int // number of true samples of the class
}

// metricsFromConfusion fills everything but Loss from a C×C confusion matrix.
func metricsFromConfusion(conf [][]int) *Metrics {
	C := len(conf)
	m := &Metrics{Confusion: conf, PerClass: make([]ClassMetrics, C)}
	predicted := make([]int, C)
	correct := 0
	for i := range conf {
		for j, n := range conf[i] {
			m.N += n
			predicted[j] += n
			m.PerClass[i].Support += n
			if i == j {
				correct += n
			}
		}
	}
	if m.N == 0 {
		return m
	}
	m.Accuracy = float64(correct) / float64(m.N)
	present := 0
	for i := range m.PerClass {
		pc := &m.PerClass[i]
		tp := conf[i][i]
		if predicted[i] > 0 {
			pc.Precision = float64(tp) / float64(predicted[i])
		}
		if pc.Support > 0 {
			pc.Recall = float64(tp) / float64(pc.Support)
		}
		if pc.Precision+pc.Recall > 0 {
			pc.F1 = 2 * pc.Precision * pc.Recall / (pc.Precision + pc.Recall)
		}
		if pc.Support > 0 || predicted[i] > 0 {
			present++
			m.MacroF1 += pc.F1
		}
		m.WeightedF1 += pc.F1 * float64(pc.Support)
	}
	m.MacroF1 /= float64(present)
	m.WeightedF1 /= float64(m.N)
	return m
}

func newConfusion(C int) [][]int {
	conf := make([][]int, C)
	cells := make([]int, C*C)
	for i := range conf {
		conf[i] = cells[i*C : (i+1)*C : (i+1)*C]
	}
	return conf
}

package train

import (
	"math"
	"testing"
)

func confusionFrom(C int, yTrue, yPred []int) [][]int {
	conf := newConfusion(C)
	for i := range yTrue {
		conf[yTrue[i]][yPred[i]]++
	}
	return conf
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestMetricsFromConfusionSklearnExample(t *testing.T) {
	// scikit-learn's f1_score doc example:
	// y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]
	// macro 0.2666..., weighted 0.2666..., accuracy 1/3.
	m := metricsFromConfusion(confusionFrom(3, []int{0, 1, 2, 0, 1, 2}, []int{0, 2, 1, 0, 0, 1}))
	if m.N != 6 || !near(m.Accuracy, 1.0/3) || !near(m.MacroF1, 0.8/3) || !near(m.WeightedF1, 0.8/3) {
		t.Errorf("metrics %+v", m)
	}
	want := []ClassMetrics{{2.0 / 3, 1, 0.8, 2}, {0, 0, 0, 2}, {0, 0, 0, 2}}
	for i, w := range want {
		g := m.PerClass[i]
		if !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) || g.Support != w.Support {
			t.Errorf("class %d: %+v, want %+v", i, g, w)
		}
	}
	if m.Confusion[1][0] != 1 || m.Confusion[1][2] != 1 || m.Confusion[2][1] != 2 {
		t.Errorf("confusion %v", m.Confusion)
	}
}

func TestMetricsAbsentClassAndWeighted(t *testing.T) {
	// Class 2 never occurs nor is predicted: excluded from the macro mean.
	// Class 0: P=2/3 R=1 F1=0.8, support 2. Class 1: P=1 R=1/2 F1=2/3, support 2.
	// Class 3: P=1 R=1 F1=1, support 1.
	m := metricsFromConfusion(confusionFrom(4, []int{0, 0, 1, 1, 3}, []int{0, 0, 1, 0, 3}))
	if !near(m.MacroF1, (0.8+2.0/3+1)/3) {
		t.Errorf("macro F1 %v", m.MacroF1)
	}
	if !near(m.WeightedF1, (0.8*2+2.0/3*2+1)/5) {
		t.Errorf("weighted F1 %v", m.WeightedF1)
	}
	if !near(m.Accuracy, 0.8) || m.PerClass[2] != (ClassMetrics{}) {
		t.Errorf("metrics %+v", m)
	}
	empty := metricsFromConfusion(newConfusion(2))
	if empty.N != 0 || empty.Accuracy != 0 || math.IsNaN(empty.MacroF1) {
		t.Errorf("empty metrics %+v", empty)
	}
}

package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refCE is a direct float64 cross-entropy (no max trick; inputs kept small).
func refCE(row []float32, y int) float64 {
	var s float64
	for _, z := range row {
		s += math.Exp(float64(z))
	}
	return math.Log(s) - float64(row[y])
}

func TestSoftmaxCrossEntropyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][2]int{{1, 2}, {3, 5}, {7, 1}, {16, 10}} {
		B, C := sh[0], sh[1]
		logits := make([]float32, B*C)
		labels := make([]int32, B)
		for i := range logits {
			logits[i] = float32(rng.NormFloat64() * 3)
		}
		for i := range labels {
			labels[i] = int32(rng.IntN(C))
		}
		d := make([]float32, B*C)
		sum, correct := SoftmaxCrossEntropy(logits, labels, B, C, d)
		var want float64
		wantCorrect := 0
		for i := 0; i < B; i++ {
			row := logits[i*C : (i+1)*C]
			want += refCE(row, int(labels[i]))
			best := 0
			for j := range row {
				if row[j] > row[best] {
					best = j
				}
			}
			if best == int(labels[i]) {
				wantCorrect++
			}
			// gradient of the mean loss: (softmax - onehot)/B
			var s float64
			for _, z := range row {
				s += math.Exp(float64(z))
			}
			for j, z := range row {
				g := math.Exp(float64(z)) / s
				if j == int(labels[i]) {
					g--
				}
				g /= float64(B)
				if math.Abs(float64(d[i*C+j])-g) > 1e-7 {
					t.Fatalf("B=%d C=%d dlogits[%d,%d] = %v, want %v", B, C, i, j, d[i*C+j], g)
				}
			}
		}
		if math.Abs(sum-want) > 1e-9*math.Max(1, want) {
			t.Errorf("B=%d C=%d sum loss %v, want %v", B, C, sum, want)
		}
		if correct != wantCorrect {
			t.Errorf("B=%d C=%d correct %d, want %d", B, C, correct, wantCorrect)
		}
		// nil dlogits gives the same loss.
		sum2, correct2 := SoftmaxCrossEntropy(logits, labels, B, C, nil)
		if sum2 != sum || correct2 != correct {
			t.Errorf("nil dlogits changed the result")
		}
	}
}

func TestSoftmaxCrossEntropyGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const B, C = 4, 3
	logits := make([]float32, B*C)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64())
	}
	labels := []int32{0, 2, 1, 2}
	d := make([]float32, B*C)
	SoftmaxCrossEntropy(logits, labels, B, C, d)
	const h = 1e-2
	for i := range logits {
		orig := logits[i]
		logits[i] = orig + h
		lp, _ := SoftmaxCrossEntropy(logits, labels, B, C, nil)
		logits[i] = orig - h
		lm, _ := SoftmaxCrossEntropy(logits, labels, B, C, nil)
		logits[i] = orig
		fd := (lp - lm) / (2 * h) / B
		if math.Abs(fd-float64(d[i])) > 1e-4 {
			t.Errorf("dlogits[%d] = %v, finite difference %v", i, d[i], fd)
		}
	}
}

func TestSoftmaxCrossEntropyStable(t *testing.T) {
	logits := []float32{1000, -1000, 0, 3e38, -3e38, 3e38}
	labels := []int32{1, 2}
	d := make([]float32, 6)
	sum, correct := SoftmaxCrossEntropy(logits, labels, 2, 3, d)
	// Row 0: loss = 2000 (label 1). Row 1: two tied maxima, label 2 is one
	// of them: loss = log 2; argmax is the first maximum (0), so not correct.
	want := 2000 + math.Log(2)
	if math.IsNaN(sum) || math.IsInf(sum, 0) || math.Abs(sum-want) > 1e-9*want {
		t.Fatalf("sum loss %v, want %v", sum, want)
	}
	if correct != 0 {
		t.Errorf("correct = %d, want 0 (ties go to the first maximum)", correct)
	}
	for i, x := range d {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("dlogits[%d] = %v", i, x)
		}
	}
	if d[1] != -0.5 || d[0] != 0.5 {
		t.Errorf("row 0 gradient %v, want [0.5 -0.5 0]", d[:3])
	}
}

func TestSoftmaxCrossEntropyNaN(t *testing.T) {
	nan := float32(math.NaN())
	sum, _ := SoftmaxCrossEntropy([]float32{nan, 1}, []int32{1}, 1, 2, nil)
	if !math.IsNaN(sum) {
		t.Errorf("NaN logits gave loss %v, want NaN", sum)
	}
	sum, _ = SoftmaxCrossEntropy([]float32{1, nan}, []int32{0}, 1, 2, nil)
	if !math.IsNaN(sum) {
		t.Errorf("NaN logits gave loss %v, want NaN", sum)
	}
}

func TestSoftmaxTo(t *testing.T) {
	row := []float32{1, 2, 3, 1000}
	p := make([]float32, 4)
	softmaxTo(p, row)
	var s float64
	for _, x := range p {
		s += float64(x)
	}
	if math.Abs(s-1) > 1e-6 || p[3] != 1 {
		t.Errorf("softmax %v", p)
	}
	softmaxTo(p, []float32{0, 0, 0, 0})
	for _, x := range p {
		if x != 0.25 {
			t.Errorf("uniform softmax %v", p)
		}
	}
}

// refWeightedCE is Σ w_i·CE_i / Σ w_i with smoothed targets, in float64.
func refWeightedCE(logits []float32, labels []int32, B, C int, cw []float64, eps float64) float64 {
	var num, den float64
	for i := 0; i < B; i++ {
		row := logits[i*C : (i+1)*C]
		var s float64
		for _, z := range row {
			s += math.Exp(float64(z))
		}
		var ce float64
		for j, z := range row {
			q := eps / float64(C)
			if j == int(labels[i]) {
				q += 1 - eps
			}
			ce -= q * (float64(z) - math.Log(s))
		}
		w := cw[labels[i]]
		num += w * ce
		den += w
	}
	return num / den
}

func TestWeightedSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const B, C = 6, 4
	logits := make([]float32, B*C)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64())
	}
	labels := []int32{0, 3, 1, 3, 2, 3}
	cw := []float64{2.5, 0.5, 1, 0.2}
	for _, eps := range []float64{0, 0.1} {
		opt := LossOptions{ClassWeights: cw, LabelSmoothing: eps}
		d := make([]float32, B*C)
		sum, sw, _ := WeightedSoftmaxCrossEntropy(logits, labels, B, C, opt, d)
		if want := 2.5 + 0.5 + 1 + 3*0.2; math.Abs(sw-want) > 1e-12 {
			t.Errorf("eps %v: sum of weights %v, want %v", eps, sw, want)
		}
		if ref := refWeightedCE(logits, labels, B, C, cw, eps); math.Abs(sum/sw-ref) > 1e-12 {
			t.Errorf("eps %v: weighted mean loss %v, reference %v", eps, sum/sw, ref)
		}
		// Central differences of the weighted mean loss.
		const h = 1e-2
		for i := range logits {
			orig := logits[i]
			logits[i] = orig + h
			lp := refWeightedCE(logits, labels, B, C, cw, eps)
			logits[i] = orig - h
			lm := refWeightedCE(logits, labels, B, C, cw, eps)
			logits[i] = orig
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-float64(d[i])) > 1e-4 {
				t.Errorf("eps %v: dlogits[%d] = %v, finite difference %v", eps, i, d[i], fd)
			}
		}
		// The smoothed gradient of a row sums to 0 (softmax and target both sum to 1).
		for i := 0; i < B; i++ {
			var s float64
			for _, x := range d[i*C : (i+1)*C] {
				s += float64(x)
			}
			if math.Abs(s) > 1e-7 {
				t.Errorf("eps %v: row %d gradient sums to %v", eps, i, s)
			}
		}
	}
	// Without options it is SoftmaxCrossEntropy bit for bit.
	d1, d2 := make([]float32, B*C), make([]float32, B*C)
	s1, c1 := SoftmaxCrossEntropy(logits, labels, B, C, d1)
	s2, w2, c2 := WeightedSoftmaxCrossEntropy(logits, labels, B, C, LossOptions{}, d2)
	if s1 != s2 || c1 != c2 || w2 != B || !slices.Equal(d1, d2) {
		t.Errorf("no options: (%v %v %v) vs SoftmaxCrossEntropy (%v %v)", s2, w2, c2, s1, c1)
	}
	// Unit weights: the same numbers as no weights.
	s3, w3, _ := WeightedSoftmaxCrossEntropy(logits, labels, B, C, LossOptions{ClassWeights: []float64{1, 1, 1, 1}}, d2)
	if s3 != s1 || w3 != B || !slices.Equal(d1, d2) {
		t.Errorf("unit weights differ from no weights")
	}
	for name, f := range map[string]func(){
		"label":   func() { WeightedSoftmaxCrossEntropy(logits[:C], []int32{4}, 1, C, LossOptions{ClassWeights: cw}, nil) },
		"weights": func() { WeightedSoftmaxCrossEntropy(logits, labels, B, C, LossOptions{ClassWeights: cw[:3]}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestBalancedClassWeights(t *testing.T) {
	// 6 samples, 3 classes present of 4: w_c = 6/(4·count_c), absent -> 1.
	w := BalancedClassWeights([]int32{0, 0, 0, 1, 3, 3}, 4)
	want := []float64{6.0 / 12, 6.0 / 4, 1, 6.0 / 8}
	if !slices.Equal(w, want) {
		t.Errorf("balanced weights %v, want %v", w, want)
	}
	// Balanced weights make every present class weigh the same in total.
	if 3*w[0] != 1*w[1] || 1*w[1] != 2*w[3] {
		t.Errorf("class totals differ: %v", w)
	}
}

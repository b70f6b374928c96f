package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// refBCE is binary cross-entropy written out from probabilities (inputs
// kept moderate so that the naive form is accurate).
func refBCE(z float64, y float64) float64 {
	p := 1 / (1 + math.Exp(-z))
	return -(y*math.Log(p) + (1-y)*math.Log(1-p))
}

func TestSigmoidBinaryCrossEntropyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][2]int{{1, 1}, {3, 5}, {8, 4}} {
		B, C := sh[0], sh[1]
		logits := make([]float32, B*C)
		for i := range logits {
			logits[i] = float32(rng.NormFloat64() * 3)
		}
		sets := make([][]int32, B)
		for i := range sets {
			for c := 0; c < C; c++ {
				if rng.IntN(2) == 0 {
					sets[i] = append(sets[i], int32(c))
				}
			}
		}
		d := make([]float32, B*C)
		sum, exact := SigmoidBinaryCrossEntropy(logits, sets, B, C, 0, d)
		var want float64
		wantExact := 0
		for i := 0; i < B; i++ {
			y := make([]float64, C)
			for _, c := range sets[i] {
				y[c] = 1
			}
			var l float64
			same := true
			for j := 0; j < C; j++ {
				z := float64(logits[i*C+j])
				l += refBCE(z, y[j])
				if (z >= 0) != (y[j] == 1) {
					same = false
				}
				g := (1/(1+math.Exp(-z)) - y[j]) / float64(B*C)
				if math.Abs(float64(d[i*C+j])-g) > 1e-7 {
					t.Fatalf("B=%d C=%d dlogits[%d,%d] = %v, want %v", B, C, i, j, d[i*C+j], g)
				}
			}
			want += l / float64(C)
			if same {
				wantExact++
			}
		}
		if math.Abs(sum-want) > 1e-9*math.Max(1, want) {
			t.Errorf("B=%d C=%d sum loss %v, want %v", B, C, sum, want)
		}
		if exact != wantExact {
			t.Errorf("B=%d C=%d exact %d, want %d", B, C, exact, wantExact)
		}
		if s2, e2 := SigmoidBinaryCrossEntropy(logits, sets, B, C, 0, nil); s2 != sum || e2 != exact {
			t.Error("nil dlogits changed the result")
		}
	}
}

// The gradient is that of the mean loss, label smoothing included.
func TestSigmoidBinaryCrossEntropyGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const B, C = 4, 3
	logits := make([]float32, B*C)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64())
	}
	sets := [][]int32{{0, 2}, {1}, {}, {0, 1, 2}}
	for _, eps := range []float64{0, 0.2} {
		d := make([]float32, B*C)
		SigmoidBinaryCrossEntropy(logits, sets, B, C, eps, d)
		const h = 1e-2
		for i := range logits {
			orig := logits[i]
			logits[i] = orig + h
			lp, _ := SigmoidBinaryCrossEntropy(logits, sets, B, C, eps, nil)
			logits[i] = orig - h
			lm, _ := SigmoidBinaryCrossEntropy(logits, sets, B, C, eps, nil)
			logits[i] = orig
			fd := (lp - lm) / (2 * h) / B
			if math.Abs(fd-float64(d[i])) > 1e-5 {
				t.Errorf("eps %v: dlogits[%d] = %v, finite difference %v", eps, i, d[i], fd)
			}
		}
	}
}

// Large logits stay finite: the stable form never takes exp of a large
// positive number.
func TestSigmoidBinaryCrossEntropyStable(t *testing.T) {
	logits := []float32{1000, -1000, 3e38, -3e38}
	d := make([]float32, 4)
	sum, exact := SigmoidBinaryCrossEntropy(logits, [][]int32{{0}, {1}}, 2, 2, 0, d)
	// Row 0: right on both (loss 0); row 1: wrong on both (z=3e38 with y=0,
	// z=-3e38 with y=1): loss (3e38+3e38)/2.
	if want := 3e38; math.IsNaN(sum) || math.Abs(sum-want) > 1e-6*want {
		t.Fatalf("sum %v, want %v", sum, want)
	}
	if exact != 1 {
		t.Errorf("exact %d, want 1", exact)
	}
	if want := []float32{0, 0, 0.25, -0.25}; d[0] != want[0] || d[1] != want[1] || d[2] != want[2] || d[3] != want[3] {
		t.Errorf("dlogits %v, want %v", d, want)
	}
}

// Metrics against values computed by hand (see the comments).
func TestMultiLabelMetricsByHand(t *testing.T) {
	// 3 texts, 4 labels; label 3 is never true nor predicted.
	probs := []float32{
		0.9, 0.2, 0.6, 0.01, // true {0}: predicts {0, 2}: tp 0, fp 2
		0.1, 0.7, 0.4, 0.01, // true {1, 2}: predicts {1}: tp 1, fn 2
		0.3, 0.5, 0.55, 0.01, // true {1, 2}: predicts {1, 2} (0.5 reaches the threshold): exact
	}
	sets := [][]int32{{0}, {1, 2}, {1, 2}}
	m := MultiLabelMetricsOf(probs, sets, 4, 0.5)
	ml := m.MultiLabel
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	// per label: 0: tp 1 -> P 1 R 1; 1: tp 2 -> P 1 R 1; 2: tp 1 fp 1 fn 1 -> 1/2, 1/2.
	want := []ClassMetrics{{1, 1, 1, 1}, {1, 1, 1, 2}, {0.5, 0.5, 0.5, 2}, {0, 0, 0, 0}}
	for c, w := range want {
		got := m.PerClass[c]
		near("precision", got.Precision, w.Precision)
		near("recall", got.Recall, w.Recall)
		near("f1", got.F1, w.F1)
		if got.Support != w.Support {
			t.Errorf("label %d support %d, want %d", c, got.Support, w.Support)
		}
	}
	// micro: tp 4, fp 1, fn 1.
	near("micro precision", ml.MicroPrecision, 0.8)
	near("micro recall", ml.MicroRecall, 0.8)
	near("micro f1", ml.MicroF1, 0.8)
	// macro over labels 0..2 (3 is absent from data and predictions).
	near("macro precision", ml.MacroPrecision, 2.5/3)
	near("macro recall", ml.MacroRecall, 2.5/3)
	near("macro f1", m.MacroF1, 2.5/3)
	near("weighted f1", m.WeightedF1, (1*1+2*1+2*0.5)/5.0)
	near("subset accuracy", ml.SubsetAccuracy, 1.0/3)
	near("accuracy", m.Accuracy, 1.0/3)
	near("hamming loss", ml.HammingLoss, 2.0/12)
	// top 1: 0 (hit), 1 (hit), 2 (hit): P 3/3, R 3/5. top 3: 0,2,1 (1 hit);
	// 1,2,0 (2); 2,1,0 (2): P 5/9, R 5/5. k = 5 > C is left out.
	if len(ml.AtK) != 2 || ml.AtK[0].K != 1 || ml.AtK[1].K != 3 {
		t.Fatalf("AtK %+v, want k = 1 and 3", ml.AtK)
	}
	near("precision@1", ml.AtK[0].Precision, 1)
	near("recall@1", ml.AtK[0].Recall, 3.0/5)
	near("precision@3", ml.AtK[1].Precision, 5.0/9)
	near("recall@3", ml.AtK[1].Recall, 1)
	if m.Confusion != nil || m.N != 3 {
		t.Errorf("N %d confusion %v", m.N, m.Confusion)
	}

	// Nothing reaches 0.95: precision is 0 by zero division, every true
	// label is a miss.
	m = MultiLabelMetricsOf(probs, sets, 4, 0.95)
	near("micro precision at 0.95", m.MultiLabel.MicroPrecision, 0)
	near("micro recall at 0.95", m.MultiLabel.MicroRecall, 0)
	near("hamming loss at 0.95", m.MultiLabel.HammingLoss, 5.0/12)
}

// tinyMultiData is tinyData with a second label on every third sample.
func tinyMultiData(seed uint64, n, classes, maxLen int) *data.Dataset {
	ds := tinyData(seed, n, classes, maxLen, true)
	ds.LabelSets = make([][]int32, n)
	for i, c := range ds.Labels {
		set := []int32{c}
		if i%3 == 0 {
			o := (c + 1) % int32(classes)
			set = []int32{min(c, o), max(c, o)}
		}
		ds.LabelSets[i] = set
	}
	ds.Labels = nil
	return ds
}

// A multi-label model learns, validates on the loss and is bit-identical
// for any thread count.
func TestFitMultiLabel(t *testing.T) {
	const C = 3
	train := tinyMultiData(1, 150, C, 6)
	val := tinyMultiData(2, 40, C, 6)
	var ref []byte
	for _, threads := range []int{1, 2} {
		m, err := model.New(model.Config{EmbeddingDim: 6, LSTM: []int{5, 4}, MaskPadding: true, OutputActivation: model.OutputSigmoid}, tinyVocab(C), C)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(3, 1)))
		cfg := tinyConfig()
		cfg.Epochs = 4
		cfg.EarlyStopping.Monitor = MonitorValAccuracy
		cfg.BatchSize = 80
		cfg.Threads = threads
		tr := &Trainer{Model: m, Config: cfg, Layout: data.Layout{SequenceLength: 6}}
		res, err := tr.Fit(context.Background(), train, val)
		if err != nil {
			t.Fatal(err)
		}
		if res.Monitor != MonitorValLoss {
			t.Errorf("monitor %q, want val_loss for a multi-label model", res.Monitor)
		}
		if first, last := res.History[0], res.History[len(res.History)-1]; !(last.Loss < first.Loss) || !(last.ValLoss < first.ValLoss) {
			t.Errorf("loss did not fall: %+v -> %+v", first, last)
		}
		met, err := Evaluate(m, val, tr.Layout, 0, threads)
		if err != nil {
			t.Fatal(err)
		}
		if last := res.History[len(res.History)-1]; met.Loss != last.ValLoss || met.MultiLabel == nil {
			t.Errorf("Evaluate loss %v, the last epoch's val_loss %v", met.Loss, last.ValLoss)
		}
		w := weightBytes(m)
		if ref == nil {
			ref = w
		} else if !bytes.Equal(w, ref) {
			t.Errorf("weights with %d threads differ from 1 thread", threads)
		}
	}
	m := newTinyModel(t, true, tinyVocab(C), C, 1)
	if _, err := Evaluate(m, train, data.Layout{SequenceLength: 6}, 0, 1); err == nil {
		t.Error("a softmax model evaluated a multi-label data set")
	}
}

package train

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

func TestEvaluateMatchesPredictAndIsThreadIndependent(t *testing.T) {
	const C = 3
	ds := tinyData(20, 170, C, 9, true)
	for _, masked := range []bool{true, false} {
		m := newTinyModel(t, masked, tinyVocab(C), C, 8)
		layout := data.Layout{SequenceLength: 9}
		m1, err := Evaluate(m, ds, layout, 70, 1)
		if err != nil {
			t.Fatal(err)
		}
		m3, err := Evaluate(m, ds, layout, 70, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m1, m3) {
			t.Errorf("masked=%v: metrics differ between 1 and 3 threads", masked)
		}
		probs, err := PredictProba(m, ds.Seqs, layout, 70, 2)
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		correct := 0
		conf := newConfusion(C)
		for i := range ds.Seqs {
			row := probs[i*C : (i+1)*C]
			var s float64
			best := 0
			for j, p := range row {
				s += float64(p)
				if p > row[best] {
					best = j
				}
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("probabilities of sample %d sum to %v", i, s)
			}
			loss -= math.Log(float64(row[ds.Labels[i]]))
			if best == int(ds.Labels[i]) {
				correct++
			}
			conf[ds.Labels[i]][best]++
		}
		loss /= float64(len(ds.Seqs))
		if m1.N != len(ds.Seqs) || math.Abs(m1.Loss-loss) > 1e-5 || m1.Accuracy != float64(correct)/float64(m1.N) {
			t.Errorf("masked=%v: Evaluate N=%d loss=%v acc=%v; from probabilities loss=%v acc=%v", masked, m1.N, m1.Loss, m1.Accuracy, loss, float64(correct)/float64(m1.N))
		}
		if !reflect.DeepEqual(conf, m1.Confusion) {
			t.Errorf("masked=%v: confusion %v, want %v", masked, m1.Confusion, conf)
		}
	}
}

func TestPredictorOrderAndReuse(t *testing.T) {
	const C = 3
	ds := tinyData(21, 50, C, 7, true)
	m := newTinyModel(t, true, tinyVocab(C), C, 9)
	p := NewPredictor(m, data.Layout{}, 16, 2)
	defer p.Close()
	if p.Classes() != C {
		t.Fatalf("Classes() = %d", p.Classes())
	}
	all, err := p.Predict(ds.Seqs)
	if err != nil {
		t.Fatal(err)
	}
	all = append([]float32(nil), all...)
	for i, s := range ds.Seqs {
		one, err := p.Predict([][]int32{s})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < C; j++ {
			if d := math.Abs(float64(one[j] - all[i*C+j])); d > 1e-6 {
				t.Fatalf("sample %d alone %v, in a batch %v", i, one, all[i*C:(i+1)*C])
			}
		}
	}
	if out, err := p.Predict(nil); err != nil || len(out) != 0 {
		t.Errorf("empty input: %v %v", out, err)
	}
	if _, err := p.Predict([][]int32{{1}, {int32(tinyVocab(C))}}); err == nil || !strings.Contains(err.Error(), "token id") {
		t.Errorf("out-of-vocabulary id accepted: %v", err)
	}
}

func TestEvaluateErrors(t *testing.T) {
	m := newTinyModel(t, true, tinyVocab(2), 2, 1)
	if _, err := Evaluate(m, &data.Dataset{}, data.Layout{}, 0, 1); err == nil {
		t.Errorf("empty data set accepted")
	}
	if _, err := Evaluate(m, &data.Dataset{Seqs: [][]int32{{1}}, Labels: []int32{5}}, data.Layout{}, 0, 1); err == nil {
		t.Errorf("label out of range accepted")
	}
	if _, err := Evaluate(m, &data.Dataset{Seqs: [][]int32{{1}}}, data.Layout{}, 0, 1); err == nil {
		t.Errorf("missing labels accepted")
	}
}

// Predict reuses its buffers: no allocation once warm, at any thread count.
func TestPredictDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const C = 3
	m := newTinyModel(t, true, tinyVocab(C), C, 1)
	ds := tinyData(5, 100, C, 6, true)
	for _, threads := range []int{1, 2} {
		p := NewPredictor(m, data.Layout{}, 16, threads)
		if _, err := p.Predict(ds.Seqs); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(10, func() {
			if _, err := p.Predict(ds.Seqs); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("threads=%d: Predict allocates %v times per call", threads, n)
		}
		p.Close()
	}
}

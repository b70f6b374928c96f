package train

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// withAdamVariant runs f with the Adam and moving-average kernels forced to
// variant (one of kernels.Available("adam")).
func withAdamVariant(tb testing.TB, variant string, f func()) {
	tb.Helper()
	restore, err := kernels.Force("adam", variant)
	if err != nil {
		tb.Fatal(err)
	}
	defer restore()
	f()
}

func randTensors(rng *rand.Rand, scale float64, shapes map[string][]int, order []string) []*model.Tensor {
	var out []*model.Tensor
	for _, name := range order {
		sh := shapes[name]
		n := 1
		for _, d := range sh {
			n *= d
		}
		t := &model.Tensor{Name: name, Shape: sh, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * scale)
		}
		out = append(out, t)
	}
	return out
}

var testShapes = map[string][]int{"a.kernel": {3, 4}, "a.bias": {4}, "b": {5}}
var testOrder = []string{"a.kernel", "a.bias", "b"}

func cloneTensors(ts []*model.Tensor) []*model.Tensor {
	out := make([]*model.Tensor, len(ts))
	for i, t := range ts {
		out[i] = &model.Tensor{Name: t.Name, Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	return out
}

// refAdam is Keras Adam in float64.
type refAdam struct {
	lr, b1, b2, eps float64
	m, v            [][]float64
	t               int
}

func (r *refAdam) step(w [][]float64, g [][]float64) {
	if r.m == nil {
		for _, x := range w {
			r.m = append(r.m, make([]float64, len(x)))
			r.v = append(r.v, make([]float64, len(x)))
		}
	}
	r.t++
	alpha := r.lr * math.Sqrt(1-math.Pow(r.b2, float64(r.t))) / (1 - math.Pow(r.b1, float64(r.t)))
	for i := range w {
		for j := range w[i] {
			r.m[i][j] += (g[i][j] - r.m[i][j]) * (1 - r.b1)
			r.v[i][j] += (g[i][j]*g[i][j] - r.v[i][j]) * (1 - r.b2)
			w[i][j] -= alpha * r.m[i][j] / (math.Sqrt(r.v[i][j]) + r.eps)
		}
	}
}

func to64(ts []*model.Tensor) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		for _, x := range t.Data {
			out[i] = append(out[i], float64(x))
		}
	}
	return out
}

func TestAdamMatchesKerasFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	params := randTensors(rng, 1, testShapes, testOrder)
	cfg := KerasConfig().Optimizer
	cfg.LearningRate = 0.01
	a, err := NewAdam(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	ref := &refAdam{lr: cfg.LearningRate, b1: cfg.Beta1, b2: cfg.Beta2, eps: cfg.Epsilon}
	w := to64(params)
	for step := 1; step <= 5; step++ {
		grads := randTensors(rng, 0.5, testShapes, testOrder)
		if step == 3 {
			for i := range grads[2].Data {
				grads[2].Data[i] = 0 // dense update: "b" still moves
			}
		}
		g := to64(grads)
		before := append([]float32(nil), params[2].Data...)
		a.Step(params, grads)
		ref.step(w, g)
		if a.Iterations() != step {
			t.Fatalf("Iterations = %d, want %d", a.Iterations(), step)
		}
		for i := range w {
			for j := range w[i] {
				if d := math.Abs(float64(params[i].Data[j]) - w[i][j]); d > 1e-6 {
					t.Fatalf("step %d %s[%d] = %v, want %v", step, params[i].Name, j, params[i].Data[j], w[i][j])
				}
			}
		}
		if step == 3 {
			moved := false
			for j := range before {
				moved = moved || before[j] != params[2].Data[j]
			}
			if !moved {
				t.Errorf("zero-gradient tensor did not move: the update must be dense")
			}
		}
	}
}

func TestAdamFirstStepIsLearningRate(t *testing.T) {
	// With zero moments the first Keras step is lr·g/(|g| + eps/sqrt(1-b2)·...) ≈ lr·sign(g).
	p := []*model.Tensor{{Name: "w", Shape: []int{3}, Data: []float32{1, 1, 1}}}
	g := []*model.Tensor{{Name: "w", Shape: []int{3}, Data: []float32{2, -0.5, 0}}}
	a, err := NewAdam(KerasConfig().Optimizer, p)
	if err != nil {
		t.Fatal(err)
	}
	a.Step(p, g)
	want := []float64{1 - 0.001, 1 + 0.001, 1}
	for i := range want {
		if math.Abs(float64(p[0].Data[i])-want[i]) > 1e-6 {
			t.Errorf("w[%d] = %v, want %v", i, p[0].Data[i], want[i])
		}
	}
}

func norm(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func TestAdamClipNorm(t *testing.T) {
	p := []*model.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{0, 0}}, {Name: "b", Shape: []int{2}, Data: []float32{0, 0}}}
	g := []*model.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{3, 4}}, {Name: "b", Shape: []int{2}, Data: []float32{0.3, 0.4}}}
	cfg := KerasConfig().Optimizer
	cfg.ClipNorm = 1
	a, _ := NewAdam(cfg, p)
	a.Step(p, g)
	if n := norm(g[0].Data); math.Abs(n-1) > 1e-6 {
		t.Errorf("clipped norm of a = %v, want 1", n)
	}
	if math.Abs(float64(g[0].Data[0])-0.6) > 1e-6 || math.Abs(float64(g[0].Data[1])-0.8) > 1e-6 {
		t.Errorf("clipped a = %v, want [0.6 0.8]", g[0].Data)
	}
	if g[1].Data[0] != 0.3 || g[1].Data[1] != 0.4 {
		t.Errorf("b under the clip changed: %v", g[1].Data)
	}
	// The update used the clipped gradient: first moment = 0.1·g.
	if m := a.StateTensors()[0].Data; math.Abs(float64(m[0])-0.06) > 1e-7 {
		t.Errorf("m[a][0] = %v, want 0.06", m[0])
	}
}

func TestAdamGlobalClipNorm(t *testing.T) {
	p := []*model.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{0, 0}}, {Name: "b", Shape: []int{1}, Data: []float32{0}}}
	g := []*model.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{3, 4}}, {Name: "b", Shape: []int{1}, Data: []float32{12}}}
	cfg := KerasConfig().Optimizer
	cfg.GlobalClipNorm = 1.3 // joint norm 13 -> scale 0.1
	a, _ := NewAdam(cfg, p)
	a.Step(p, g)
	want := []float32{0.3, 0.4, 1.2}
	got := []float32{g[0].Data[0], g[0].Data[1], g[1].Data[0]}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("globally clipped grads %v, want %v", got, want)
			break
		}
	}
	// Under the limit nothing changes.
	g2 := []*model.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{0.03, 0.04}}, {Name: "b", Shape: []int{1}, Data: []float32{0.12}}}
	a.Step(p, g2)
	if g2[0].Data[0] != 0.03 || g2[1].Data[0] != 0.12 {
		t.Errorf("grads under global_clipnorm changed: %v %v", g2[0].Data, g2[1].Data)
	}
}

func TestAdamStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p1 := randTensors(rng, 1, testShapes, testOrder)
	p2 := cloneTensors(p1)
	cfg := KerasConfig().Optimizer
	a1, _ := NewAdam(cfg, p1)
	a2, _ := NewAdam(cfg, p2)
	grads := [][]*model.Tensor{}
	for i := 0; i < 4; i++ {
		grads = append(grads, randTensors(rng, 1, testShapes, testOrder))
	}
	a1.Step(p1, cloneTensors(grads[0]))
	a1.Step(p1, cloneTensors(grads[1]))
	// Move a1's state into a2 (with p2 = p1) and continue both.
	st := cloneTensors(a1.StateTensors())
	for i, j := 0, len(st)-1; i < j; i, j = i+1, j-1 {
		st[i], st[j] = st[j], st[i] // order does not matter
	}
	if err := a2.LoadState(a1.Iterations(), st); err != nil {
		t.Fatal(err)
	}
	for i := range p1 {
		copy(p2[i].Data, p1[i].Data)
	}
	for _, g := range grads[2:] {
		a1.Step(p1, cloneTensors(g))
		a2.Step(p2, cloneTensors(g))
	}
	for i := range p1 {
		for j := range p1[i].Data {
			if p1[i].Data[j] != p2[i].Data[j] {
				t.Fatalf("restored optimizer diverged at %s[%d]", p1[i].Name, j)
			}
		}
	}
	for _, n := range []string{"optimizer.m.a.kernel", "optimizer.v.b"} {
		found := false
		for _, st := range a1.StateTensors() {
			found = found || st.Name == n
		}
		if !found {
			t.Errorf("state tensor %q missing", n)
		}
	}
}

func TestAdamLoadStateErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := randTensors(rng, 1, testShapes, testOrder)
	a, _ := NewAdam(KerasConfig().Optimizer, p)
	good := cloneTensors(a.StateTensors())
	cases := map[string]func([]*model.Tensor) ([]*model.Tensor, int){
		"missing": func(s []*model.Tensor) ([]*model.Tensor, int) { return s[1:], 1 },
		"shape":   func(s []*model.Tensor) ([]*model.Tensor, int) { s[0].Shape = []int{4, 3}; return s, 1 },
		"size":    func(s []*model.Tensor) ([]*model.Tensor, int) { s[1].Data = s[1].Data[:2]; return s, 1 },
		"non-finite": func(s []*model.Tensor) ([]*model.Tensor, int) {
			s[2].Data[0] = float32(math.Inf(1))
			return s, 1
		},
		"negative": func(s []*model.Tensor) ([]*model.Tensor, int) { return s, -1 },
		"extra": func(s []*model.Tensor) ([]*model.Tensor, int) {
			return append(s, &model.Tensor{Name: "optimizer.m.zzz"}), 1
		},
	}
	for name, mutate := range cases {
		st, it := mutate(cloneTensors(good))
		if err := a.LoadState(it, st); err == nil || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("%s: LoadState error = %v", name, err)
		}
	}
	if err := a.LoadState(3, good); err != nil || a.Iterations() != 3 {
		t.Errorf("good state refused: %v", err)
	}
}

func TestAdamStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	p := randTensors(rng, 1, testShapes, testOrder)
	g := randTensors(rng, 1, testShapes, testOrder)
	cfg := KerasConfig().Optimizer
	cfg.GlobalClipNorm = 0.5
	a, _ := NewAdam(cfg, p)
	if n := testing.AllocsPerRun(10, func() { a.Step(p, g) }); n != 0 {
		t.Errorf("Adam.Step allocates %v times", n)
	}
}

// Decoupled weight decay (Keras AdamW): w -= (w·wd)·lr before the Adam step,
// with the current learning rate, on every tensor but biases.
func TestAdamWeightDecay(t *testing.T) {
	p := []*model.Tensor{
		{Name: "lstm.0.kernel", Shape: []int{3}, Data: []float32{0.5, -2, 0}},
		{Name: "lstm.0.bias", Shape: []int{2}, Data: []float32{0.5, -2}},
	}
	g := []*model.Tensor{
		{Name: "lstm.0.kernel", Shape: []int{3}, Data: []float32{0.1, 0, -0.3}},
		{Name: "lstm.0.bias", Shape: []int{2}, Data: []float32{0.1, 0}},
	}
	cfg := KerasConfig().Optimizer
	cfg.LearningRate = 0.01
	cfg.WeightDecay = 0.25
	a, err := NewAdam(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	// Hand computation, float32 by float32, of two steps at lr 0.01 then 0.004.
	type st struct{ w, m, v float32 }
	want := [][]st{{{0.5, 0, 0}, {-2, 0, 0}, {0, 0, 0}}, {{0.5, 0, 0}, {-2, 0, 0}}}
	for step, lr := range []float64{0.01, 0.004} {
		a.SetLearningRate(lr)
		if a.LearningRate() != lr {
			t.Fatalf("LearningRate() = %v after SetLearningRate(%v)", a.LearningRate(), lr)
		}
		tt := float64(step + 1)
		alpha := float32(lr * math.Sqrt(1-math.Pow(0.999, tt)) / (1 - math.Pow(0.9, tt)))
		for i := range want {
			for j := range want[i] {
				s := &want[i][j]
				gj := g[i].Data[j]
				s.m += float32((gj - s.m) * float32(0.1))
				s.v += float32((float32(gj*gj) - s.v) * float32(1-0.999))
				if i == 0 { // not the bias
					s.w -= float32(float32(s.w*0.25) * float32(lr))
				}
				s.w -= float32(s.m*alpha) / (float32(math.Sqrt(float64(s.v))) + float32(1e-7))
			}
		}
		a.Step(p, g)
		for i := range want {
			for j, s := range want[i] {
				if p[i].Data[j] != s.w {
					t.Errorf("step %d: %s[%d] = %v, want %v", step+1, p[i].Name, j, p[i].Data[j], s.w)
				}
			}
		}
	}
	// A weight with a zero gradient and zero moments still decays towards 0.
	if !(p[0].Data[1] > -2) || p[1].Data[1] != -2 {
		t.Errorf("decay of a zero-gradient weight: kernel %v, bias (not decayed) %v", p[0].Data[1], p[1].Data[1])
	}
}

// The engine's fused clipping (scale inside the update, grads untouched)
// gives the bits of Step's in-place clipping, for every kernel.
func TestAdamFusedClippingMatchesStep(t *testing.T) {
	for _, clip := range []OptimizerConfig{{ClipNorm: 0.3}, {GlobalClipNorm: 0.4}, {}} {
		for _, k := range kernels.Available("adam") {
			withAdamVariant(t, k, func() {
				rng := rand.New(rand.NewPCG(41, 42))
				shapes := map[string][]int{"a.kernel": {37, 5}, "a.bias": {5}, "b": {300}}
				order := []string{"a.kernel", "a.bias", "b"}
				p1 := randTensors(rng, 1, shapes, order)
				p2 := cloneTensors(p1)
				cfg := KerasConfig().Optimizer
				cfg.ClipNorm, cfg.GlobalClipNorm, cfg.WeightDecay = clip.ClipNorm, clip.GlobalClipNorm, 0.01
				a1, _ := NewAdam(cfg, p1)
				a2, _ := NewAdam(cfg, p2)
				sumsq := make([]float64, len(p1))
				for range 3 {
					g := randTensors(rng, 0.5, shapes, order)
					g2 := cloneTensors(g)
					a1.Step(p1, g)
					sumSquaresTo(sumsq, g2)
					base := a2.begin(p2, g2, sumsq)
					for i := range p2 {
						// Uneven ranges, as the engine's chunks may be.
						for lo := 0; lo < len(p2[i].Data); lo += 13 {
							a2.updateRange(&base, p2, g2, i, lo, min(lo+13, len(p2[i].Data)))
						}
					}
				}
				if !bytes.Equal(tensorBytes(p1), tensorBytes(p2)) {
					t.Errorf("%s %+v: fused clipping differs from Step", k, clip)
				}
			})
		}
	}
}

func tensorBytes(ts []*model.Tensor) []byte {
	var b []byte
	for _, t := range ts {
		for _, x := range t.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return b
}

// use_ema: after step 1 the average is the weights, then
// ema = ema·momentum + w·(1-momentum) (checked in float64); the averages
// are optimizer state (saved and restored with the moments).
func TestAdamEMA(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := randTensors(rng, 1, testShapes, testOrder)
	cfg := KerasConfig().Optimizer
	cfg.UseEMA, cfg.EMAMomentum = true, 0.9
	a, err := NewAdam(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	var ref [][]float64
	for k := 1; k <= 6; k++ {
		a.Step(p, randTensors(rng, 1, testShapes, testOrder))
		w := to64(p)
		if k == 1 {
			ref = w
			continue
		}
		const mu = 0.9
		for i := range ref {
			for j := range ref[i] {
				ref[i][j] = ref[i][j]*mu + w[i][j]*(1-mu)
			}
		}
	}
	ema := a.EMATensors()
	if len(ema) != len(p) {
		t.Fatalf("%d averages for %d tensors", len(ema), len(p))
	}
	for i, e := range ema {
		if e.Name != EMAPrefix+p[i].Name {
			t.Errorf("average %d named %q", i, e.Name)
		}
		for j, x := range e.Data {
			if d := math.Abs(float64(x) - ref[i][j]); d > 1e-6*(1+math.Abs(ref[i][j])) {
				t.Fatalf("%s[%d] = %v, want %v", e.Name, j, x, ref[i][j])
			}
			if x == p[i].Data[j] {
				t.Fatalf("%s[%d] equals the weight", e.Name, j)
			}
		}
	}
	if n := len(a.StateTensors()); n != 3*len(p) {
		t.Errorf("%d state tensors with use_ema, want %d", n, 3*len(p))
	}
	// Restored state continues identically.
	p2 := cloneTensors(p)
	b, _ := NewAdam(cfg, p2)
	if err := b.LoadState(a.Iterations(), cloneTensors(a.StateTensors())); err != nil {
		t.Fatal(err)
	}
	g := randTensors(rng, 1, testShapes, testOrder)
	a.Step(p, cloneTensors(g))
	b.Step(p2, cloneTensors(g))
	for i := range ema {
		if !bytes.Equal(floatBytes(ema[i].Data), floatBytes(b.EMATensors()[i].Data)) {
			t.Errorf("%s: restored average diverged", ema[i].Name)
		}
	}
	// Without use_ema there are none.
	c, _ := NewAdam(KerasConfig().Optimizer, cloneTensors(p))
	if c.EMATensors() != nil || len(c.StateTensors()) != 2*len(p) {
		t.Error("averages kept without use_ema")
	}
}

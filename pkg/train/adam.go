package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// Names of the optimizer state tensors in a checkpoint: the prefix followed
// by the parameter name, e.g. "optimizer.m.dense.kernel".
const (
	adamMPrefix = "optimizer.m."
	adamVPrefix = "optimizer.v."
	// EMAPrefix names the moving averages of the weights kept with
	// optimizer.use_ema, e.g. "optimizer.ema.dense.kernel".
	EMAPrefix = "optimizer.ema."
)

// Adam is the Adam optimizer in the Keras form. With t the 1-based step and
// lr the current learning rate (SetLearningRate; initially
// cfg.LearningRate),
//
//	alpha = lr·sqrt(1-beta2^t)/(1-beta1^t)        (float64, then float32)
//	m += (g - m)·(1-beta1)
//	v += (g² - v)·(1-beta2)
//	w -= (w·weight_decay)·lr                      (decoupled decay, not biases)
//	w -= alpha·m / (sqrt(v) + epsilon)
//
// element-wise in float32 over EVERY parameter (a dense update: embedding rows
// a batch did not touch still move while their moments are non-zero, as in
// Keras). Before the update, gradients are clipped as Keras does: clipnorm
// rescales each tensor whose L2 norm exceeds it to that norm; global_clipnorm
// rescales all tensors together when their joint L2 norm exceeds it. Norms are
// accumulated in float64. Weight decay is Keras' (AdamW's) decoupled form,
// applied before the Adam step with the same learning rate, to every tensor
// except biases (names ending in ".bias"), as Keras' exclude_from_weight_decay
// is commonly set.
//
// With use_ema (Keras' optimizer use_ema), each update is followed by
//
//	ema = ema·momentum + w·(1-momentum)    (ema = w after the first step)
//
// element-wise in float32 over every parameter; EMATensors returns the
// averages, which Fit evaluates, keeps as best weights and returns.
type Adam struct {
	cfg    OptimizerConfig
	names  []string
	decays []bool // weight decay applies to the tensor
	m, v   []*model.Tensor
	ema    []*model.Tensor // moving averages of the weights (use_ema only)
	emaMom float32         // momentum of the current step's average (0 on the first step)
	step   int
	lr     float64
	sumsq  []float64 // per-tensor sum of squares of the gradient, reused
	gscale []float32 // per-tensor gradient scale of the current step
	frozen []bool    // per tensor: not updated at all (Keras trainable=False)
}

// NewAdam returns an optimizer for params with zero moments and step 0.
func NewAdam(cfg OptimizerConfig, params []*model.Tensor) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newAdam(cfg, params), nil
}

// newAdam is NewAdam for a configuration already validated (Fit validates
// the whole train section once).
func newAdam(cfg OptimizerConfig, params []*model.Tensor) *Adam {
	a := &Adam{cfg: cfg, lr: cfg.LearningRate, sumsq: make([]float64, len(params)), gscale: make([]float32, len(params)), frozen: make([]bool, len(params))}
	for _, p := range params {
		a.names = append(a.names, p.Name)
		a.decays = append(a.decays, cfg.WeightDecay > 0 && !strings.HasSuffix(p.Name, ".bias"))
		a.m = append(a.m, &model.Tensor{Name: adamMPrefix + p.Name, Shape: append([]int(nil), p.Shape...), Data: make([]float32, len(p.Data))})
		a.v = append(a.v, &model.Tensor{Name: adamVPrefix + p.Name, Shape: append([]int(nil), p.Shape...), Data: make([]float32, len(p.Data))})
		if cfg.UseEMA {
			a.ema = append(a.ema, &model.Tensor{Name: EMAPrefix + p.Name, Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Data...)})
		}
	}
	return a
}

// SetFrozen excludes params[i] from the updates that follow (frozen) or
// includes it again: a frozen tensor gets no moment, weight decay or
// moving-average change (Keras trainable=False), so its moments stay as
// they were (zero if it was never trained) and its average equals its
// weights.
func (a *Adam) SetFrozen(i int, frozen bool) { a.frozen[i] = frozen }

// Iterations returns the number of updates applied so far (Keras'
// optimizer.iterations).
func (a *Adam) Iterations() int { return a.step }

// LearningRate returns the learning rate of the next step.
func (a *Adam) LearningRate() float64 { return a.lr }

// SetLearningRate sets the learning rate of the following steps (a
// schedule calls it before every step). lr must be finite and >= 0.
func (a *Adam) SetLearningRate(lr float64) {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		panic(fmt.Sprintf("train: adam: learning rate %v", lr))
	}
	a.lr = lr
}

// StateTensors returns the live first and second moment tensors, all m
// tensors then all v tensors, named "optimizer.m.<param>" and
// "optimizer.v.<param>", then with use_ema the averages
// "optimizer.ema.<param>". They alias the optimizer's state: do not modify.
func (a *Adam) StateTensors() []*model.Tensor {
	out := make([]*model.Tensor, 0, 2*len(a.m)+len(a.ema))
	out = append(out, a.m...)
	out = append(out, a.v...)
	return append(out, a.ema...)
}

// EMATensors returns the live moving averages of the parameters, in
// parameter order and named "optimizer.ema.<param>", or nil without
// use_ema. They alias the optimizer's state: do not modify.
func (a *Adam) EMATensors() []*model.Tensor { return a.ema }

// LoadState replaces the optimizer state with a copy of tensors (as returned
// by StateTensors, matched by name, any order) and the step count.
func (a *Adam) LoadState(iterations int, tensors []*model.Tensor) error {
	if iterations < 0 {
		return fmt.Errorf("train: adam: negative step count %d", iterations)
	}
	byName := make(map[string]*model.Tensor, len(tensors))
	for _, t := range tensors {
		byName[t.Name] = t
	}
	want := a.StateTensors()
	for _, w := range want {
		t, ok := byName[w.Name]
		if !ok {
			return fmt.Errorf("train: adam: state tensor %q missing", w.Name)
		}
		if !sameShape(t.Shape, w.Shape) || len(t.Data) != len(w.Data) {
			return fmt.Errorf("train: adam: state tensor %q has shape %v, want %v", w.Name, t.Shape, w.Shape)
		}
		for _, x := range t.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("train: adam: state tensor %q holds a non-finite value", w.Name)
			}
		}
	}
	if len(byName) != len(want) {
		return fmt.Errorf("train: adam: %d state tensors given, want %d", len(byName), len(want))
	}
	for _, w := range want {
		copy(w.Data, byName[w.Name].Data)
	}
	a.step = iterations
	return nil
}

// Step clips grads in place (when clipnorm or global_clipnorm is set) and
// applies one Adam update to params. params and grads must be the tensors the
// optimizer was built for, in the same order; a mismatch panics.
func (a *Adam) Step(params, grads []*model.Tensor) {
	sumSquaresTo(a.sumsq, grads)
	base := a.begin(params, grads, a.sumsq)
	for i, g := range grads {
		if s := a.gscale[i]; s != 1 {
			scaleTo(g.Data, s)
			a.gscale[i] = 1
		}
	}
	for i := range params {
		a.updateRange(&base, params, grads, i, 0, len(params[i].Data))
	}
}

// sumSquaresTo writes the float64 sum of squares of every tensor into dst.
// The result is finite exactly when every element is finite.
func sumSquaresTo(dst []float64, ts []*model.Tensor) {
	for i, t := range ts {
		dst[i] = sumSquares(t.Data)
	}
}

// sumSquares returns the float64 sum of x[i]² (each square is exact in
// float64, so fusion cannot change it).
func sumSquares(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// begin checks the tensors, sets the per-tensor gradient scales of the
// clipping (without touching grads) and advances the step; it returns the
// step's scalars. The update itself is done by updateRange over any
// partition of the elements (it is element-wise, so the partition does not
// change the result).
func (a *Adam) begin(params, grads []*model.Tensor, sumsq []float64) kernels.AdamArgs {
	if len(params) != len(a.m) || len(grads) != len(a.m) {
		panic("train: adam: parameter count mismatch")
	}
	for i := range params {
		if len(params[i].Data) != len(a.m[i].Data) || len(grads[i].Data) != len(a.m[i].Data) {
			panic("train: adam: tensor size mismatch for " + a.names[i])
		}
	}
	for i := range a.gscale {
		a.gscale[i] = 1
	}
	switch {
	case a.cfg.ClipNorm > 0:
		for i := range grads {
			if n := math.Sqrt(sumsq[i]); n > a.cfg.ClipNorm {
				a.gscale[i] = float32(a.cfg.ClipNorm / n)
			}
		}
	case a.cfg.GlobalClipNorm > 0:
		var s float64
		for _, x := range sumsq {
			s += x
		}
		if n := math.Sqrt(s); n > a.cfg.GlobalClipNorm {
			f := float32(a.cfg.GlobalClipNorm / n)
			for i := range a.gscale {
				a.gscale[i] = f
			}
		}
	}
	a.step++
	a.emaMom = float32(a.cfg.EMAMomentum)
	if a.step == 1 {
		a.emaMom = 0 // the first average is the weights, as in Keras
	}
	t := float64(a.step)
	return kernels.AdamArgs{
		Alpha:       float32(a.lr * math.Sqrt(1-math.Pow(a.cfg.Beta2, t)) / (1 - math.Pow(a.cfg.Beta1, t))),
		OneMinusB1:  float32(1 - a.cfg.Beta1),
		OneMinusB2:  float32(1 - a.cfg.Beta2),
		Eps:         float32(a.cfg.Epsilon),
		WeightDecay: float32(a.cfg.WeightDecay),
		LR:          float32(a.lr),
	}
}

// updateRange applies the update to elements [lo, hi) of tensor i, with
// base the step's scalars from begin.
func (a *Adam) updateRange(base *kernels.AdamArgs, params, grads []*model.Tensor, i, lo, hi int) {
	if a.frozen[i] {
		return
	}
	k := *base
	k.GScale = a.gscale[i]
	if !a.decays[i] {
		k.WeightDecay = 0
	}
	kernels.AdamUpdate(params[i].Data[lo:hi], grads[i].Data[lo:hi], a.m[i].Data[lo:hi], a.v[i].Data[lo:hi], &k)
	if a.ema != nil {
		kernels.EMAUpdate(a.ema[i].Data[lo:hi], params[i].Data[lo:hi], a.emaMom)
	}
}

// scaleTo multiplies x by f in place.
func scaleTo(x []float32, f float32) {
	for i := range x {
		x[i] *= f
	}
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package train

import (
	"fmt"
	"math"

	"github.com/lstmctl/lstmctl/pkg/model"
)

// Names of the optimizer state tensors in a checkpoint: the prefix followed
// by the parameter name, e.g. "optimizer.m.dense.kernel".
const (
	adamMPrefix = "optimizer.m."
	adamVPrefix = "optimizer.v."
)

// Adam is the Adam optimizer in the Keras form. With t the 1-based step,
//
//	alpha = lr·sqrt(1-beta2^t)/(1-beta1^t)        (float64, then float32)
//	m += (g - m)·(1-beta1)
//	v += (g² - v)·(1-beta2)
//	w -= alpha·m / (sqrt(v) + epsilon)
//
// element-wise in float32 over EVERY parameter (a dense update: embedding rows
// a batch did not touch still move while their moments are non-zero, as in
// Keras). Before the update, gradients are clipped as Keras does: clipnorm
// rescales each tensor whose L2 norm exceeds it to that norm; global_clipnorm
// rescales all tensors together when their joint L2 norm exceeds it. Norms are
// accumulated in float64.
type Adam struct {
	cfg   OptimizerConfig
	names []string
	m, v  []*model.Tensor
	step  int
	sumsq []float64 // per-tensor sum of squares of the gradient, reused
}

// NewAdam returns an optimizer for params with zero moments and step 0.
func NewAdam(cfg OptimizerConfig, params []*model.Tensor) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam{cfg: cfg, sumsq: make([]float64, len(params))}
	for _, p := range params {
		a.names = append(a.names, p.Name)
		a.m = append(a.m, &model.Tensor{Name: adamMPrefix + p.Name, Shape: append([]int(nil), p.Shape...), Data: make([]float32, len(p.Data))})
		a.v = append(a.v, &model.Tensor{Name: adamVPrefix + p.Name, Shape: append([]int(nil), p.Shape...), Data: make([]float32, len(p.Data))})
	}
	return a, nil
}

// Iterations returns the number of updates applied so far (Keras'
// optimizer.iterations).
func (a *Adam) Iterations() int { return a.step }

// LearningRate returns the (constant) learning rate.
func (a *Adam) LearningRate() float64 { return a.cfg.LearningRate }

// StateTensors returns the live first and second moment tensors, all m
// tensors then all v tensors, named "optimizer.m.<param>" and
// "optimizer.v.<param>". They alias the optimizer's state: do not modify.
func (a *Adam) StateTensors() []*model.Tensor {
	out := make([]*model.Tensor, 0, 2*len(a.m))
	out = append(out, a.m...)
	return append(out, a.v...)
}

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
	a.apply(params, grads, a.sumsq)
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

// adamCoef are the float32 scalars of one Adam step.
type adamCoef struct{ alpha, omb1, omb2, eps float32 }

// apply clips (given the per-tensor sums of squares) and updates.
func (a *Adam) apply(params, grads []*model.Tensor, sumsq []float64) {
	c := a.begin(params, grads, sumsq)
	for i := range params {
		a.updateRange(c, params, grads, i, 0, len(params[i].Data))
	}
}

// begin checks the tensors, clips grads in place and advances the step;
// the update itself is done by updateRange over any partition of the
// elements (it is element-wise, so the partition does not change the result).
func (a *Adam) begin(params, grads []*model.Tensor, sumsq []float64) adamCoef {
	if len(params) != len(a.m) || len(grads) != len(a.m) {
		panic("train: adam: parameter count mismatch")
	}
	for i := range params {
		if len(params[i].Data) != len(a.m[i].Data) || len(grads[i].Data) != len(a.m[i].Data) {
			panic("train: adam: tensor size mismatch for " + a.names[i])
		}
	}
	switch {
	case a.cfg.ClipNorm > 0:
		for i, g := range grads {
			if n := math.Sqrt(sumsq[i]); n > a.cfg.ClipNorm {
				scaleTo(g.Data, float32(a.cfg.ClipNorm/n))
			}
		}
	case a.cfg.GlobalClipNorm > 0:
		var s float64
		for _, x := range sumsq {
			s += x
		}
		if n := math.Sqrt(s); n > a.cfg.GlobalClipNorm {
			f := float32(a.cfg.GlobalClipNorm / n)
			for _, g := range grads {
				scaleTo(g.Data, f)
			}
		}
	}
	a.step++
	t := float64(a.step)
	return adamCoef{
		alpha: float32(a.cfg.LearningRate * math.Sqrt(1-math.Pow(a.cfg.Beta2, t)) / (1 - math.Pow(a.cfg.Beta1, t))),
		omb1:  float32(1 - a.cfg.Beta1),
		omb2:  float32(1 - a.cfg.Beta2),
		eps:   float32(a.cfg.Epsilon),
	}
}

// updateRange applies the update to elements [lo, hi) of tensor i.
func (a *Adam) updateRange(c adamCoef, params, grads []*model.Tensor, i, lo, hi int) {
	adamUpdateTo(params[i].Data[lo:hi], grads[i].Data[lo:hi], a.m[i].Data[lo:hi], a.v[i].Data[lo:hi], c.alpha, c.omb1, c.omb2, c.eps)
}

// adamUpdateTo is the element-wise Keras Adam update.
func adamUpdateTo(w, g, m, v []float32, alpha, omb1, omb2, eps float32) {
	g = g[:len(w)]
	m = m[:len(w)]
	v = v[:len(w)]
	for j := range w {
		gj := g[j]
		// The float32 conversions forbid FMA fusion (Go spec), so every
		// architecture rounds each operation the same way.
		mj := m[j] + float32((gj-m[j])*omb1)
		vj := v[j] + float32((float32(gj*gj)-v[j])*omb2)
		m[j] = mj
		v[j] = vj
		w[j] -= float32(mj*alpha) / (float32(math.Sqrt(float64(vj))) + eps)
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

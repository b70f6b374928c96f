package train

import "math"

// adamArgs are the float32 scalars of the update of one tensor (range). The
// layout is shared with the assembly kernels: do not reorder.
type adamArgs struct {
	gscale float32 // gradient scale (clipping; 1 = none)
	omb1   float32 // 1 - beta_1
	omb2   float32 // 1 - beta_2
	alpha  float32 // lr·sqrt(1-beta_2^t)/(1-beta_1^t)
	eps    float32
	wd     float32 // weight decay (0 = none)
	lr     float32 // learning rate of the weight decay
}

// adamKernel names a vector version of adamScalarTo (run by adamVecTo) for
// n a multiple of width.
type adamKernel struct {
	name  string
	width int
	kind  int // adamKind*
}

// Vector kernel kinds (adamVecTo dispatches on them with direct calls, so
// that the arguments stay on the stack).
const (
	adamKindNone = iota
	adamKindAVX
)

// adamVec is the kernel adamUpdateTo uses (the zero value: none).
var adamVec = func() adamKernel {
	if ks := adamKernels(); len(ks) > 0 {
		return ks[0]
	}
	return adamKernel{}
}()

// adamUpdateTo applies the update to w, m and v (all of len(w)) from g,
// with the vector kernel on the largest multiple of its width and the Go
// loop on the rest; both round identically.
func adamUpdateTo(w, g, m, v []float32, k *adamArgs) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	j := 0
	if adamVec.kind != adamKindNone && n >= adamVec.width {
		j = n - n%adamVec.width
		adamVecTo(adamVec.kind, &w[0], &g[0], &m[0], &v[0], j, k)
	}
	adamScalarTo(w[j:], g[j:], m[j:], v[j:], k)
}

// adamScalarTo is the element-wise Keras Adam update with optional gradient
// scaling and decoupled weight decay:
//
//	g' = g·gscale
//	m  = m + (g'-m)·(1-beta_1)
//	v  = v + (g'²-v)·(1-beta_2)
//	w  = w - (w·wd)·lr            (Keras' _apply_weight_decay; skipped when wd is 0)
//	w  = w - (m·alpha)/(sqrt(v)+eps)
//
// each operation rounded to float32. The float32 conversions forbid FMA
// fusion (Go spec), so every architecture, and the vector kernels, round
// each operation the same way.
func adamScalarTo(w, g, m, v []float32, k *adamArgs) {
	gs, omb1, omb2, alpha, eps, wd, lr := k.gscale, k.omb1, k.omb2, k.alpha, k.eps, k.wd, k.lr
	g = g[:len(w)]
	m = m[:len(w)]
	v = v[:len(w)]
	for j := range w {
		gj := float32(g[j] * gs)
		mj := m[j] + float32((gj-m[j])*omb1)
		vj := v[j] + float32((float32(gj*gj)-v[j])*omb2)
		m[j] = mj
		v[j] = vj
		wj := w[j]
		if wd != 0 {
			wj -= float32(float32(wj*wd) * lr)
		}
		w[j] = wj - float32(mj*alpha)/(float32(math.Sqrt(float64(vj)))+eps)
	}
}

// emaUpdateTo sets avg = avg·mom + w·(1-mom) (len(w) >= len(avg)), with the
// vector kernel of adamUpdateTo's instruction set on the largest multiple of
// its width and the Go loop on the rest; both round identically.
func emaUpdateTo(avg, w []float32, mom float32) {
	n := len(avg)
	w = w[:n]
	omm := 1 - mom
	j := 0
	if adamVec.kind != adamKindNone && n >= adamVec.width {
		j = n - n%adamVec.width
		emaVecTo(adamVec.kind, &avg[0], &w[0], j, mom, omm)
	}
	emaScalarTo(avg[j:], w[j:], mom, omm)
}

// emaScalarTo is the Go loop of emaUpdateTo: avg·mom and w·omm each rounded
// to float32, then their float32 sum (the conversions forbid FMA fusion, so
// every architecture and the vector kernel agree).
func emaScalarTo(avg, w []float32, mom, omm float32) {
	w = w[:len(avg)]
	for j := range avg {
		avg[j] = float32(avg[j]*mom) + float32(w[j]*omm)
	}
}

package kernels

import "math"

// AdamArgs are the float32 scalars of the Adam update of one tensor (or a
// range of it). The layout is shared with the assembly kernels: do not
// reorder.
type AdamArgs struct {
	GScale      float32 // gradient scale (clipping; 1 = none)
	OneMinusB1  float32 // 1 - beta_1
	OneMinusB2  float32 // 1 - beta_2
	Alpha       float32 // lr·sqrt(1-beta_2^t)/(1-beta_1^t)
	Eps         float32
	WeightDecay float32 // 0 = none
	LR          float32 // learning rate of the weight decay
}

// adamWidth is the number of floats the vector Adam and moving-average
// kernels take at a time; they run on the largest multiple of it and the
// Go loop on the rest.
const adamWidth = 8

// AdamUpdate applies the element-wise Keras Adam update with optional
// gradient scaling and decoupled weight decay to w, m and v (all of len(w))
// from the gradient g:
//
//	g' = g·GScale
//	m  = m + (g'-m)·(1-beta_1)
//	v  = v + (g'²-v)·(1-beta_2)
//	w  = w - (w·WeightDecay)·LR   (skipped when WeightDecay is 0)
//	w  = w - (m·Alpha)/(sqrt(v)+Eps)
//
// each operation rounded to float32. Every variant gives the same bits (no
// FMA; square root and division are correctly rounded), and so does any
// partition of the elements into calls.
func AdamUpdate(w, g, m, v []float32, k *AdamArgs) {
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	j := 0
	if l := active[famAdam]; l != generic && n >= adamWidth {
		j = n - n%adamWidth
		adamVec(l, &w[0], &g[0], &m[0], &v[0], j, k)
	}
	adamGeneric(w[j:], g[j:], m[j:], v[j:], k)
}

// adamGeneric is the Go loop of AdamUpdate. The float32 conversions forbid
// FMA fusion (Go spec), so every architecture, and the vector kernels,
// round each operation the same way.
func adamGeneric(w, g, m, v []float32, k *AdamArgs) {
	gs, omb1, omb2, alpha, eps, wd, lr := k.GScale, k.OneMinusB1, k.OneMinusB2, k.Alpha, k.Eps, k.WeightDecay, k.LR
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

// EMAUpdate sets avg = avg·mom + w·(1-mom) (len(w) >= len(avg)): avg·mom
// and w·(1-mom) each rounded to float32, then their float32 sum. Every
// variant gives the same bits.
func EMAUpdate(avg, w []float32, mom float32) {
	n := len(avg)
	w = w[:n]
	omm := 1 - mom
	j := 0
	if l := active[famAdam]; l != generic && n >= adamWidth {
		j = n - n%adamWidth
		emaVec(l, &avg[0], &w[0], j, mom, omm)
	}
	emaGeneric(avg[j:], w[j:], mom, omm)
}

// emaGeneric is the Go loop of EMAUpdate (the conversions forbid FMA
// fusion, so every architecture and the vector kernel agree).
func emaGeneric(avg, w []float32, mom, omm float32) {
	w = w[:len(avg)]
	for j := range avg {
		avg[j] = float32(avg[j]*mom) + float32(w[j]*omm)
	}
}

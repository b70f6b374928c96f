package model

import "github.com/lstmctl/lstmctl/internal/kernels"

// lstmState holds one LSTM layer's activations for a batch, in the packed
// layout (see packing): N rows in all, row off[t]+b for sample b at step t.
type lstmState struct {
	z  []float32 // [N, 4H] x·W + h·U, then the gate activations i, f, g, o, then (in Backward) dL/dz
	hs []float32 // [N, H] h_t: the layer output
	hp []float32 // [N, H] h_{t-1} of the same row; the rows of step 0 are never used
	cs []float32 // [N, H] c_t
	tc []float32 // [N, H] tanh(c_t)
	dh []float32 // [B, H] dL/dh of each sample's current state (Backward)
	dc []float32 // [B, H] dL/dc of each sample's current state (Backward)
	dx []float32 // [N, In] dL/dx (Backward)
	ut []float32 // [4H, H] Uᵀ, refreshed by each backward (the per-step dh = dz·Uᵀ reads it in place)

	// Dropout (training only). imask [B, In] and rmask [B, H] hold one row
	// per sample, 0 or 1/(1-rate), shared by all its steps; nil when off.
	// With imask the layer reads xd = x⊙imask (row off_t+b times row b)
	// instead of x; with rmask, the h_{t-1} in hp is h_{t-1}⊙rmask.
	imask, rmask []float32
	xd           []float32 // [N, In] the dropped input
	imBuf, rmBuf []float32 // storage of imask and rmask

	// Int8 products (prediction, State.UseInt8): the quantized rows and
	// their scales.
	qa []uint8
	qs []float32
}

// reserve sizes the buffers for a batch of B samples and N packed rows, with
// input dropout (inDrop) and recurrent dropout (recDrop) on or off; the
// caller fills imask and rmask when they are on.
func (s *lstmState) reserve(l *LSTM, B, N int, inDrop, recDrop bool) {
	h := l.Units
	s.z = grow(s.z, N*4*h)
	s.hs = grow(s.hs, N*h)
	s.hp = grow(s.hp, N*h)
	s.cs = grow(s.cs, N*h)
	s.tc = grow(s.tc, N*h)
	s.dh = grow(s.dh, B*h)
	s.dc = grow(s.dc, B*h)
	s.dx = grow(s.dx, N*l.In)
	s.imask, s.rmask = nil, nil
	if inDrop {
		s.imBuf = grow(s.imBuf, B*l.In)
		s.imask = s.imBuf
		s.xd = grow(s.xd, N*l.In)
	}
	if recDrop {
		s.rmBuf = grow(s.rmBuf, B*h)
		s.rmask = s.rmBuf
	}
}

// forward runs the layer over the packed input x [N, In] of layout p and
// leaves h_t of every row in s.hs. For each step t, on the n_t active rows,
// with the gate blocks i, f, c, o of z side by side:
//
//	z   = x_t·W + h_{t-1}·U + b
//	i   = σ(z_i)   f = σ(z_f)   g = tanh(z_c)   o = σ(z_o)
//	c_t = f⊙c_{t-1} + i⊙g
//	h_t = o⊙tanh(c_t)
//
// with h_{-1} = c_{-1} = 0. Rows n_t..B-1 (samples whose sequence has ended)
// have no row at step t: their h and c are carried unchanged. The input
// projection x·W is one GEMM over all N rows; per step only h_{t-1}·U and the
// fused gate math run, on the active prefix.
//
// With dropout masks in s (training), x is replaced by x⊙imask and every
// h_{t-1} entering h_{t-1}·U by h_{t-1}⊙rmask (Keras LSTM dropout and
// recurrent_dropout); the layer output h_t itself is not dropped.
func (l *LSTM) forward(s *lstmState, p *packing, x []float32) {
	g := 4 * l.Units
	if s.imask != nil {
		maskRows(s.xd, x, s.imask, p, l.In)
		x = s.xd
	}
	kernels.Sgemm(false, false, p.N, g, l.In, 1, x, l.In, l.Kernel.Data, g, 0, s.z, g)
	l.steps(s, p, nil)
}

// forwardInt8 is forward without dropout with int8 products (see
// Int8Compute): x·W with w, or in float32 when w is nil, then the steps
// with h_{t-1}·U in u.
func (l *LSTM) forwardInt8(s *lstmState, p *packing, x []float32, w, u *kernels.QMatrix) {
	g := 4 * l.Units
	if w == nil {
		kernels.Sgemm(false, false, p.N, g, l.In, 1, x, l.In, l.Kernel.Data, g, 0, s.z, g)
	} else {
		s.qproduct(s.z, false, x, l.In, p.N, w)
	}
	l.steps(s, p, u)
}

// steps runs every step of forward once s.z holds x·W for all N rows, with
// h_{t-1}·U in float32 (u nil) or in int8 with u.
func (l *LSTM) steps(s *lstmState, p *packing, u *kernels.QMatrix) {
	for t := 0; t < p.T; t++ {
		l.step(s, p, t, u)
	}
}

// step runs step t of forward on its n_t active rows, once s.z holds x·W for
// them:
//
//	z   += h_{t-1}·U            (skipped at t = 0, where h_{-1} = 0)
//	i, f, g, o = σ(z_i + b_i), σ(z_f + b_f), tanh(z_c + b_c), σ(z_o + b_o)
//	c_t = f⊙c_{t-1} + i⊙g
//	h_t = o⊙tanh(c_t)
//
// and copies h_t of the samples still active at t+1 to their h_prev rows
// (times rmask under recurrent dropout). With u, h_{t-1}·U is the int8
// product (Int8Compute).
func (l *LSTM) step(s *lstmState, p *packing, t int, u *kernels.QMatrix) {
	h, g := l.Units, 4*l.Units
	n, o := p.n[t], p.off[t]
	z := s.z[o*g : (o+n)*g]
	var cPrev []float32
	if t > 0 {
		if u != nil {
			s.qproduct(z, true, s.hp[o*h:], h, n, u)
		} else {
			kernels.Sgemm(false, false, n, g, h, 1, s.hp[o*h:], h, l.Recurrent.Data, g, 1, z, g)
		}
		po := p.off[t-1]
		cPrev = s.cs[po*h : (po+n)*h]
	}
	ht := s.hs[o*h : (o+n)*h]
	kernels.LSTMGates(ht, s.cs[o*h:(o+n)*h], s.tc[o*h:(o+n)*h], z, cPrev, l.Bias.Data, n, h)
	if t+1 < p.T {
		nn, no := p.n[t+1], p.off[t+1]
		if s.rmask != nil {
			mulInto(s.hp[no*h:(no+nn)*h], ht[:nn*h], s.rmask[:nn*h])
		} else {
			copy(s.hp[no*h:(no+nn)*h], ht[:nn*h])
		}
	}
}

// backward is backpropagation through time for the activations forward left
// in s. Exactly one of dy and dFinal is set: dy [N, H] is dL/dh_t for every
// packed row (ReturnSequences), dFinal [B, H] is dL/dh of each sample's final
// state (the state at its last real step). The weight gradients are ADDED to
// dW, dU, db; dL/dx [N, In] is written to s.dx when needDX. The gate
// activations in s.z are overwritten by dL/dz.
//
// Per step t, from the last to the first, on the active prefix n_t:
// LSTMGatesBackward turns (dh, dc) of the current state into dL/dz_t and
// dL/dc_{t-1}, then dh = dz_t·Uᵀ is dL/dh_{t-1}. Rows of samples that are
// already finished at step t keep their dh and dc: they belong to the carried
// state. Afterwards, over all rows at once: dW += xᵀ·dz, dU += h_prevᵀ·dz,
// db += Σ dz, dx = dz·Wᵀ.
//
// Under dropout (the masks of the last forward in s) the products use the
// dropped input xd and dropped h_prev that forward used, dL/dh_{t-1} is
// multiplied by rmask and dx by imask, so dx is the gradient with respect
// to the undropped x.
func (l *LSTM) backward(s *lstmState, p *packing, x, dy, dFinal []float32, dW, dU, db []float32, needDX bool) {
	h, g := l.Units, 4*l.Units
	B := p.B
	w, u := l.Kernel.Data, l.Recurrent.Data
	if p.T > 1 {
		// One transpose per backward instead of one per step: the per-step
		// product reads Uᵀ in place (bit for bit the NT product on U).
		s.ut = grow(s.ut, g*h)
		kernels.Transpose(s.ut, u, h, g)
	}
	clear(s.dc[:B*h])
	if dFinal != nil {
		copy(s.dh[:B*h], dFinal)
	} else {
		clear(s.dh[:B*h])
	}
	for t := p.T - 1; t >= 0; t-- {
		n, o := p.n[t], p.off[t]
		gates := s.z[o*g : (o+n)*g]
		var cPrev, dyt []float32
		if t > 0 {
			po := p.off[t-1]
			cPrev = s.cs[po*h : (po+n)*h]
		}
		if dy != nil {
			dyt = dy[o*h : (o+n)*h]
		}
		kernels.LSTMGatesBackward(gates, s.dc[:n*h], s.dh[:n*h], dyt, gates, s.tc[o*h:(o+n)*h], cPrev, n, h)
		if t > 0 {
			kernels.SgemmNTWithBT(n, h, g, 1, gates, g, u, g, s.ut, h, 0, s.dh, h)
			if s.rmask != nil {
				mulInto(s.dh[:n*h], s.dh[:n*h], s.rmask[:n*h])
			}
		}
	}
	N := p.N
	if s.imask != nil {
		x = s.xd
	}
	kernels.Sgemm(true, false, l.In, g, N, 1, x, l.In, s.z, g, 1, dW, g)
	if p.T > 1 {
		r0 := p.off[1] // rows of step 0 have h_{-1} = 0
		kernels.Sgemm(true, false, h, g, N-r0, 1, s.hp[r0*h:], h, s.z[r0*g:], g, 1, dU, g)
	}
	kernels.AddColumnSums(db, s.z, N, g)
	if needDX {
		kernels.Sgemm(false, true, N, l.In, g, 1, s.z, g, w, g, 0, s.dx, l.In)
		if s.imask != nil {
			maskRows(s.dx, s.dx, s.imask, p, l.In)
		}
	}
}

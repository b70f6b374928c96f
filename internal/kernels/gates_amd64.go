//go:build !noasm

package kernels

// Assembly LSTM gate kernels (gates_amd64.s), one row per call. The AVX-512
// rows handle any hid; the AVX2 rows handle the first hid8 = hid &^ 7
// columns and the rest is done here in Go with the generic formulas.

// lstmGatesRowAVX512 is LSTMGates on one row (cPrev may be nil), in Go:
//
//	for j := 0; j < hid; j++ {
//		gateForwardScalar(h, c, tc, z, cPrev, bias, 0, j, hid)
//	}
//
// with the activations evaluated 16 lanes at a time by the same
// polynomials as Sigmoid and Tanh (FMA, so the bits may differ from Go's).
//
//go:noescape
func lstmGatesRowAVX512(h, c, tc, z, cPrev, bias *float32, hid int)

// lstmGatesBackwardRowAVX512 is LSTMGatesBackward on one row (dy and cPrev
// may be nil), in Go:
//
//	for j := 0; j < hid; j++ {
//		gateBackwardScalar(dz, dc, dh, dy, gates, tc, cPrev, 0, j, hid)
//	}
//
//go:noescape
func lstmGatesBackwardRowAVX512(dz, dc, dh, dy, gates, tc, cPrev *float32, hid int)

// lstmGatesRowAVX2 is lstmGatesRowAVX512 with 8 lanes, on columns
// j < hid8 (a multiple of 8) of a row of hidden size hid.
//
//go:noescape
func lstmGatesRowAVX2(h, c, tc, z, cPrev, bias *float32, hid, hid8 int)

// lstmGatesBackwardRowAVX2 is lstmGatesBackwardRowAVX512 with 8 lanes, on
// columns j < hid8 (a multiple of 8) of a row of hidden size hid.
//
//go:noescape
func lstmGatesBackwardRowAVX2(dz, dc, dh, dy, gates, tc, cPrev *float32, hid, hid8 int)

// rowPtr returns &s[off], or nil for a nil slice (the "absent" operand).
func rowPtr(s []float32, off int) *float32 {
	if s == nil {
		return nil
	}
	return &s[off]
}

// checkGates reslices every operand to its full extent, so that a short
// slice panics here instead of being overrun by the assembly.
func checkGates(h, c, tc, z, cPrev, bias []float32, n, hid int) {
	_, _, _, _ = h[:n*hid], c[:n*hid], tc[:n*hid], z[:n*4*hid]
	_ = bias[:4*hid]
	if cPrev != nil {
		_ = cPrev[:n*hid]
	}
}

func checkGatesBackward(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int) {
	_, _, _, _, _ = dz[:n*4*hid], dc[:n*hid], dh[:n*hid], gates[:n*4*hid], tc[:n*hid]
	if dy != nil {
		_ = dy[:n*hid]
	}
	if cPrev != nil {
		_ = cPrev[:n*hid]
	}
}

func lstmGatesAVX512(h, c, tc, z, cPrev, bias []float32, n, hid int) {
	if n <= 0 || hid <= 0 {
		return
	}
	checkGates(h, c, tc, z, cPrev, bias, n, hid)
	for r := 0; r < n; r++ {
		lstmGatesRowAVX512(&h[r*hid], &c[r*hid], &tc[r*hid], &z[r*4*hid], rowPtr(cPrev, r*hid), &bias[0], hid)
	}
}

func lstmGatesBackwardAVX512(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int) {
	if n <= 0 || hid <= 0 {
		return
	}
	checkGatesBackward(dz, dc, dh, dy, gates, tc, cPrev, n, hid)
	for r := 0; r < n; r++ {
		lstmGatesBackwardRowAVX512(&dz[r*4*hid], &dc[r*hid], &dh[r*hid], rowPtr(dy, r*hid),
			&gates[r*4*hid], &tc[r*hid], rowPtr(cPrev, r*hid), hid)
	}
}

func lstmGatesAVX2(h, c, tc, z, cPrev, bias []float32, n, hid int) {
	if n <= 0 || hid <= 0 {
		return
	}
	checkGates(h, c, tc, z, cPrev, bias, n, hid)
	hid8 := hid &^ 7
	for r := 0; r < n; r++ {
		if hid8 > 0 {
			lstmGatesRowAVX2(&h[r*hid], &c[r*hid], &tc[r*hid], &z[r*4*hid], rowPtr(cPrev, r*hid), &bias[0], hid, hid8)
		}
		for j := hid8; j < hid; j++ {
			gateForwardScalar(h, c, tc, z, cPrev, bias, r, j, hid)
		}
	}
}

func lstmGatesBackwardAVX2(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int) {
	if n <= 0 || hid <= 0 {
		return
	}
	checkGatesBackward(dz, dc, dh, dy, gates, tc, cPrev, n, hid)
	hid8 := hid &^ 7
	for r := 0; r < n; r++ {
		if hid8 > 0 {
			lstmGatesBackwardRowAVX2(&dz[r*4*hid], &dc[r*hid], &dh[r*hid], rowPtr(dy, r*hid),
				&gates[r*4*hid], &tc[r*hid], rowPtr(cPrev, r*hid), hid, hid8)
		}
		for j := hid8; j < hid; j++ {
			gateBackwardScalar(dz, dc, dh, dy, gates, tc, cPrev, r, j, hid)
		}
	}
}

// gateForwardScalar is LSTMGates for the single element (row r, column j).
func gateForwardScalar(h, c, tc, z, cPrev, bias []float32, r, j, hid int) {
	zr := z[r*4*hid:]
	i := Sigmoid(zr[j] + bias[j])
	f := Sigmoid(zr[hid+j] + bias[hid+j])
	g := Tanh(zr[2*hid+j] + bias[2*hid+j])
	o := Sigmoid(zr[3*hid+j] + bias[3*hid+j])
	cv := i * g
	if cPrev != nil {
		cv += f * cPrev[r*hid+j]
	}
	t := Tanh(cv)
	zr[j], zr[hid+j], zr[2*hid+j], zr[3*hid+j] = i, f, g, o
	c[r*hid+j], tc[r*hid+j], h[r*hid+j] = cv, t, o*t
}

// gateBackwardScalar is LSTMGatesBackward for the single element (row r,
// column j).
func gateBackwardScalar(dz, dc, dh, dy, gates, tc, cPrev []float32, r, j, hid int) {
	gr := gates[r*4*hid:]
	i, f, g, o := gr[j], gr[hid+j], gr[2*hid+j], gr[3*hid+j]
	t := tc[r*hid+j]
	dhv := dh[r*hid+j]
	if dy != nil {
		dhv += dy[r*hid+j]
	}
	dcv := dc[r*hid+j] + dhv*o*(1-t*t)
	var cpv float32
	if cPrev != nil {
		cpv = cPrev[r*hid+j]
	}
	zr := dz[r*4*hid:]
	zr[j] = dcv * g * i * (1 - i)
	zr[hid+j] = dcv * cpv * f * (1 - f)
	zr[2*hid+j] = dcv * i * (1 - g*g)
	zr[3*hid+j] = dhv * t * o * (1 - o)
	dc[r*hid+j] = dcv * f
}

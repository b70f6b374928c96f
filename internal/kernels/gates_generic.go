package kernels

import "math"

// lstmGatesGeneric is the pure-Go LSTMGates.
func lstmGatesGeneric(h, c, tc, z, cPrev, bias []float32, n, hid int) {
	bi := bias[0*hid : 1*hid]
	bf := bias[1*hid : 2*hid]
	bg := bias[2*hid : 3*hid]
	bo := bias[3*hid : 4*hid]
	for r := 0; r < n; r++ {
		zr := z[r*4*hid:][:4*hid]
		zi := zr[0*hid : 1*hid]
		zf := zr[1*hid : 2*hid]
		zg := zr[2*hid : 3*hid]
		zo := zr[3*hid : 4*hid]
		hr := h[r*hid:][:hid]
		cr := c[r*hid:][:hid]
		tr := tc[r*hid:][:hid]
		var cp []float32
		if cPrev != nil {
			cp = cPrev[r*hid:][:hid]
		}
		for j := range hr {
			i := Sigmoid(zi[j] + bi[j])
			f := Sigmoid(zf[j] + bf[j])
			g := Tanh(zg[j] + bg[j])
			o := Sigmoid(zo[j] + bo[j])
			cv := i * g
			if cp != nil {
				cv += f * cp[j]
			}
			t := Tanh(cv)
			zi[j], zf[j], zg[j], zo[j] = i, f, g, o
			cr[j] = cv
			tr[j] = t
			hr[j] = o * t
		}
	}
}

// lstmGatesBackwardGeneric is the pure-Go LSTMGatesBackward.
func lstmGatesBackwardGeneric(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int) {
	for r := 0; r < n; r++ {
		gr := gates[r*4*hid:][:4*hid]
		gi := gr[0*hid : 1*hid]
		gf := gr[1*hid : 2*hid]
		gg := gr[2*hid : 3*hid]
		gol := gr[3*hid : 4*hid]
		zr := dz[r*4*hid:][:4*hid]
		zi := zr[0*hid : 1*hid]
		zf := zr[1*hid : 2*hid]
		zg := zr[2*hid : 3*hid]
		zo := zr[3*hid : 4*hid]
		tr := tc[r*hid:][:hid]
		dhr := dh[r*hid:][:hid]
		dcr := dc[r*hid:][:hid]
		var cp, dyr []float32
		if cPrev != nil {
			cp = cPrev[r*hid:][:hid]
		}
		if dy != nil {
			dyr = dy[r*hid:][:hid]
		}
		for j := range tr {
			i, f, g, o := gi[j], gf[j], gg[j], gol[j]
			t := tr[j]
			dhv := dhr[j]
			if dyr != nil {
				dhv += dyr[j]
			}
			dcv := dcr[j] + dhv*o*(1-t*t)
			var cpv float32
			if cp != nil {
				cpv = cp[j]
			}
			zi[j] = dcv * g * i * (1 - i)
			zf[j] = dcv * cpv * f * (1 - f)
			zg[j] = dcv * i * (1 - g*g)
			zo[j] = dhv * t * o * (1 - o)
			dcr[j] = dcv * f
		}
	}
}

// Sigmoid returns 1/(1+e^-x) in float32 (within a few ulp).
func Sigmoid(x float32) float32 {
	return 1 / (1 + Exp(-x))
}

// Tanh returns tanh(x) in float32 (within a few ulp): an odd minimax
// polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2/(e^{2|x|}+1) above.
func Tanh(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.625 {
		z := x * x
		p := ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z - 3.33332819422e-1) * z
		return x + x*p
	}
	if !(ax <= 44) { // tanh rounds to ±1 in float32 long before; also NaN
		if ax != ax {
			return x
		}
		ax = 44
	}
	t := 1 - 2/(Exp(2*ax)+1)
	if x < 0 {
		return -t
	}
	return t
}

// Exp returns e^x in float32 (Cephes expf: x = n·ln2 + r, |r| <= ln2/2, degree-6
// polynomial, scaled by 2^n). Inputs below -87.3 are clamped to -87.3, so tiny
// results come out as ~1.2e-38 (the smallest normal float32) instead of
// underflowing; inputs above 88.72 give +Inf. NaN gives NaN.
func Exp(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	if x != x {
		return x
	}
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -87.3 {
		x = -87.3
	}
	// fz = round(x·log2(e)) by the 1.5·2^23 trick: branch-free, no call.
	const magic = 12582912
	fz := (log2e*x + magic) - magic
	n := int32(fz)
	x -= fz * c1
	x -= fz * c2
	z := x * x
	p := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	p = p*z + x + 1
	// n is in [-126, 128]: scale by 2^(n/2) twice so that both factors are
	// normal floats, without a data-dependent branch.
	n1 := n >> 1
	n2 := n - n1
	return p * math.Float32frombits(uint32(n1+127)<<23) * math.Float32frombits(uint32(n2+127)<<23)
}

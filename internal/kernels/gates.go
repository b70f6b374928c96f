package kernels

// LSTMGates runs the element-wise part of one LSTM step (Keras gate order
// i, f, c, o) on n rows of hidden size hid:
//
//	i = σ(z_i + b_i)   f = σ(z_f + b_f)   g = tanh(z_c + b_c)   o = σ(z_o + b_o)
//	c = f⊙cPrev + i⊙g   h = o⊙tanh(c)
//
// z is [n, 4·hid] and holds x·W + hPrev·U (no bias); on return it holds the
// activations i, f, g, o in the same places. bias is [4·hid]. cPrev is
// [n, hid], or nil for the zero initial state. h, c and tc (= tanh(c)) are
// [n, hid] outputs. The output slices must not overlap the inputs.
func LSTMGates(h, c, tc, z, cPrev, bias []float32, n, hid int) {
	fwd, _ := gatesAt(active[famGates])
	fwd(h, c, tc, z, cPrev, bias, n, hid)
}

// LSTMGatesBackward is the backward pass of LSTMGates on n rows of hidden size
// hid. gates [n, 4·hid] are the activations i, f, g, o that LSTMGates left in
// z; tc [n, hid] is tanh(c); cPrev [n, hid] is the previous cell state or nil
// for the zero state. dh [n, hid] is dL/dh_t through the recurrence and dy
// [n, hid] (or nil) the gradient reaching h_t from the layer output; dc [n, hid]
// holds dL/dc_t on entry and dL/dc_{t-1} on return. dz [n, 4·hid] receives
// dL/dz, the gradient of the gate pre-activations; dz may be the same slice as
// gates (the update is done in place), no other slices may overlap.
//
//	dh' = dh + dy            dc' = dc + dh'⊙o⊙(1-tanh²c)
//	dz_i = dc'⊙g⊙i⊙(1-i)     dz_f = dc'⊙cPrev⊙f⊙(1-f)
//	dz_c = dc'⊙i⊙(1-g²)      dz_o = dh'⊙tanh(c)⊙o⊙(1-o)
//	dc_{t-1} = dc'⊙f
func LSTMGatesBackward(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int) {
	_, bwd := gatesAt(active[famGates])
	bwd(dz, dc, dh, dy, gates, tc, cPrev, n, hid)
}

// The signatures of the LSTMGates and LSTMGatesBackward variants.
type (
	gatesFunc         func(h, c, tc, z, cPrev, bias []float32, n, hid int)
	gatesBackwardFunc func(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int)
)

// FillRows writes row (length n) into each of the m rows of the row-major
// matrix dst (row stride n).
func FillRows(dst, row []float32, m, n int) {
	row = row[:n]
	for i := 0; i < m; i++ {
		copy(dst[i*n:][:n], row)
	}
}

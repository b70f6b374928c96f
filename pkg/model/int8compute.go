package model

import (
	"github.com/lstmctl/lstmctl/internal/kernels"
)

// Int8Compute holds the LSTM kernels quantized for int8 products in
// prediction (State.UseInt8): every recurrent kernel U, and the input
// kernel W of every layer but the first, as int8 with one float32 scale
// per output column (kernels.QuantizeColumns). The first layer's input
// projection stays float32 (the folded table, or x·W when the classifier
// does not fold), as do the biases, the gate math and the dense layer.
//
// The scales are per column of the [In, 4H] kernels, the output axis: a
// product element z_j = Σ_k x_k·W[k, j] then scales back as one
// float32(Σ_k x8_k·q[k, j])·(s_x·s_j). The scales of an int8 model file
// (QuantInt8) are per row, the input axis, which cannot leave the sum, so
// the columns are quantized again from the weights as loaded (for an int8
// file: its dequantized values). The activations (h_{t-1} at every step,
// the first layer's outputs for the second layer's x·W) are quantized per
// row as they come (kernels.QuantizeRows: symmetric, the row's largest
// magnitude maps to 127, held as u8 with an offset of 128 for VPDPBUSD).
//
// A row's numbers depend on that row only, so a text gets the same
// probabilities whatever batch it is in, and the int8 products give the
// same bits with and without assembly (the gate math may differ in the
// last places between kernel variants, as in float32). Int8Compute is a
// copy of the weights when it was made: it is stale once they change.
type Int8Compute struct {
	owner *Classifier
	w, u  [][2]*kernels.QMatrix // [layer][direction]; w[0] is nil
}

// QuantizeCompute returns c's kernels quantized for int8 products (see
// Int8Compute).
func (c *Classifier) QuantizeCompute() *Int8Compute {
	q := &Int8Compute{owner: c, w: make([][2]*kernels.QMatrix, len(c.LSTMs)), u: make([][2]*kernels.QMatrix, len(c.LSTMs))}
	for k := range c.LSTMs {
		for d := 0; d < c.Config.directions(); d++ {
			l := c.lstm(k, d)
			g := 4 * l.Units
			// A product wider than kernels.MaxQK stays float32 (nil).
			if l.Units <= kernels.MaxQK {
				q.u[k][d] = kernels.QuantizeColumns(l.Recurrent.Data, l.Units, g)
			}
			if k > 0 && l.In <= kernels.MaxQK {
				q.w[k][d] = kernels.QuantizeColumns(l.Kernel.Data, l.In, g)
			}
		}
	}
	return q
}

// UseInt8 makes Forward on s, when the input has no dropout (Input.Train
// false), compute the products of q in int8 (nil: float32). q must come
// from the Classifier that made s. A Forward that used it cannot be
// followed by Backward.
func (s *State) UseInt8(q *Int8Compute) {
	if q != nil && q.owner != s.owner {
		panic("model: UseInt8: the int8 kernels were quantized from another Classifier")
	}
	s.int8 = q
}

// qproduct writes (add false) or adds (add true) into z [n, 4H] (row
// stride 4H) the int8 product of the n rows of x (In wide, row stride ldx)
// by m, quantizing the rows into s's buffers.
func (s *lstmState) qproduct(z []float32, add bool, x []float32, ldx, n int, m *kernels.QMatrix) {
	s.qa = grow(s.qa, n*m.KP)
	s.qs = grow(s.qs, n)
	kernels.QuantizeRows(s.qa, s.qs, x, ldx, n, m.K, m.KP)
	kernels.QGemm(z, m.N, add, s.qa, s.qs, n, m)
}

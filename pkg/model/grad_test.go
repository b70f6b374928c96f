package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLSTMLayerGradients checks every gradient of one LSTM layer (W, U, b and
// the input) by central differences, masked and unmasked, with and without
// return_sequences, with lengths that include 0 and the full length.
func TestLSTMLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	for _, tc := range []struct {
		in, H, T int
		lengths  []int
		masked   bool
	}{
		{3, 4, 5, []int{5, 4, 4, 2, 0}, true},
		{2, 3, 4, []int{4, 4, 1}, true},
		{4, 2, 3, []int{3, 0}, true},
		{3, 4, 1, []int{1, 1, 0}, true},
		{3, 4, 5, []int{5, 4, 2, 0}, false}, // lengths ignored
		{5, 3, 2, []int{2, 2}, false},
	} {
		for _, retSeq := range []bool{false, true} {
			name := fmt.Sprintf("in%d_H%d_T%d_%v_masked%v_seq%v", tc.in, tc.H, tc.T, tc.lengths, tc.masked, retSeq)
			t.Run(name, func(t *testing.T) {
				B := len(tc.lengths)
				l := NewLSTM(0, tc.in, tc.H, retSeq)
				l.Init(rng)
				for _, p := range l.Params() {
					for i := range p.Data {
						p.Data[i] += float32(0.5 * (2*rng.Float64() - 1))
					}
				}
				var p packing
				p.build(B, tc.T, tc.lengths, tc.masked)
				x := randVec(rng, p.N*tc.in, 1)
				var wOut []float32
				if retSeq {
					wOut = randVec(rng, p.N*tc.H, 1)
				} else {
					wOut = randVec(rng, B*tc.H, 1)
				}
				var s lstmState
				s.reserve(l, B, p.N, false, false)
				final := make([]float32, B*tc.H)
				loss := func() float64 {
					l.forward(&s, &p, x)
					if retSeq {
						return dot64(wOut, s.hs[:p.N*tc.H])
					}
					gatherFinal(final, s.hs, &p, tc.H)
					return dot64(wOut, final)
				}
				loss()
				dW := make([]float32, len(l.Kernel.Data))
				dU := make([]float32, len(l.Recurrent.Data))
				db := make([]float32, len(l.Bias.Data))
				if retSeq {
					l.backward(&s, &p, x, wOut, nil, dW, dU, db, true)
				} else {
					l.backward(&s, &p, x, nil, wOut, dW, dU, db, true)
				}
				dx := append([]float32(nil), s.dx[:p.N*tc.in]...)
				fdCheck(t, "kernel", l.Kernel.Data, dW, nil, loss)
				fdCheck(t, "recurrent_kernel", l.Recurrent.Data, dU, nil, loss)
				fdCheck(t, "bias", l.Bias.Data, db, nil, loss)
				fdCheck(t, "x", x, dx, nil, loss)
			})
		}
	}
}

// gatherFinal copies the final h of every sample (zeros when empty).
func gatherFinal(dst, hs []float32, p *packing, H int) {
	for b := 0; b < p.B; b++ {
		if r := p.last[b]; r >= 0 {
			copy(dst[b*H:(b+1)*H], hs[r*H:(r+1)*H])
		} else {
			clear(dst[b*H : (b+1)*H])
		}
	}
}

func TestDenseGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	for _, sh := range [][3]int{{1, 1, 1}, {4, 3, 5}, {7, 6, 2}} {
		B, in, out := sh[0], sh[1], sh[2]
		d := NewDense(in, out)
		d.Init(rng)
		copy(d.Bias.Data, randVec(rng, out, 1))
		x := randVec(rng, B*in, 1)
		w := randVec(rng, B*out, 1)
		logits := make([]float32, B*out)
		loss := func() float64 {
			d.forward(logits, x, B)
			return dot64(w, logits)
		}
		loss()
		dW, db, dx := make([]float32, in*out), make([]float32, out), make([]float32, B*in)
		d.backward(dx, w, x, B, dW, db)
		name := fmt.Sprint(sh)
		fdCheck(t, name+" kernel", d.Kernel.Data, dW, nil, loss)
		fdCheck(t, name+" bias", d.Bias.Data, db, nil, loss)
		fdCheck(t, name+" x", x, dx, nil, loss)
	}
}

// TestClassifierGradients checks the gradient of a softmax cross-entropy
// with respect to every parameter of whole classifiers (1 to 3 LSTM layers,
// masked and unmasked) by central differences, and that Backward adds.
func TestClassifierGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for _, lstm := range [][]int{{5}, {4, 3}, {3, 4, 2}} {
		for _, masked := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v_masked%v", lstm, masked), func(t *testing.T) {
				const V, E, C, B, T = 7, 3, 3, 5, 4
				c := mustNew(t, Config{EmbeddingDim: E, LSTM: lstm, MaskPadding: masked}, V, C)
				c.Init(rng)
				perturbModel(c, rng)
				lengths := []int{T, 3, 3, 1, 0}
				in := randomBatch(rng, V, T, lengths, masked)
				if !masked {
					in.Tokens[3*B+2] = 0 // some padding inside the unmasked batch
				}
				labels := make([]int, B)
				for i := range labels {
					labels[i] = rng.IntN(C)
				}
				s := c.NewState()
				loss := func() float64 {
					l, _ := softmaxCE(c.Forward(s, in), labels, C)
					return l
				}
				_, dlogits := softmaxCE(c.Forward(s, in), labels, C)
				grads := c.NewGrads()
				c.Backward(s, dlogits, grads)
				n := 0
				for i, p := range c.Params() {
					n += fdCheck(t, p.Name, p.Data, grads[i].Data, nil, loss)
				}
				if n < 100 {
					t.Fatalf("only %d coordinates checked", n)
				}
				// Backward adds: a second pass doubles the gradient.
				_, dlogits = softmaxCE(c.Forward(s, in), labels, C)
				once := make([][]float32, len(grads))
				for i, g := range grads {
					once[i] = append([]float32(nil), g.Data...)
				}
				c.Backward(s, dlogits, grads)
				for i, g := range grads {
					var scale float64
					for _, v := range g.Data {
						scale = math.Max(scale, math.Abs(float64(v)))
					}
					for j, v := range g.Data {
						if math.Abs(float64(v)-2*float64(once[i][j])) > 1e-6*scale {
							t.Fatalf("%s[%d]: %g after two passes, %g after one", g.Name, j, v, once[i][j])
						}
					}
				}
				// Embedding rows of ids that never enter get no gradient;
				// with masking that includes the garbage past each length.
				used := make([]bool, V)
				for b, l := range in.Lengths {
					steps := in.T
					if masked {
						steps = l
					}
					for t := 0; t < steps; t++ {
						used[in.Tokens[t*B+b]] = true
					}
				}
				for v := 0; v < V; v++ {
					if used[v] {
						continue
					}
					for _, g := range grads[0].Data[v*E : (v+1)*E] {
						if g != 0 {
							t.Fatalf("embedding row %d is not in the batch but has gradient %g", v, g)
						}
					}
				}
			})
		}
	}
}

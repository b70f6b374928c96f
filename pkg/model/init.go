package model

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// glorotUniform fills dst (a [fanIn, fanOut] kernel) from
// U(-limit, limit), limit = sqrt(6/(fanIn+fanOut)) (Keras GlorotUniform),
// one rng.Float64 per weight in row-major order.
func glorotUniform(dst []float32, fanIn, fanOut int, rng *rand.Rand) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range dst {
		dst[i] = float32((2*rng.Float64() - 1) * limit)
	}
}

// orthogonal fills dst, a row-major rows×cols matrix, like Keras
// Orthogonal(gain=1): a (max, min)-shaped matrix of standard normal draws
// (rng.NormFloat64, row-major) is QR-factorised in float64, the columns of Q
// are multiplied by the signs of diag(R) (which makes the distribution
// uniform), and Q — transposed when rows < cols — is the result. Rows are
// orthonormal when rows <= cols, columns otherwise.
func orthogonal(dst []float32, rows, cols int, rng *rand.Rand) {
	r, c := max(rows, cols), min(rows, cols)
	a := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, rr mat.Dense
	qr.QTo(&q) // r×r; the first c columns are the reduced Q
	qr.RTo(&rr)
	sign := make([]float64, c)
	for j := range sign {
		sign[j] = 1
		if rr.At(j, j) < 0 {
			sign[j] = -1
		}
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var v float64
			if rows < cols {
				v = q.At(j, i) * sign[i] // transpose of the r×c reduced Q
			} else {
				v = q.At(i, j) * sign[j]
			}
			dst[i*cols+j] = float32(v)
		}
	}
}

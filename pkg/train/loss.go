package train

import "math"

// SoftmaxCrossEntropy computes sparse categorical cross-entropy from logits,
// stably (log-sum-exp with the row maximum subtracted, in float64).
//
// logits is [B*C] row-major, labels has B class indices in [0, C). It returns
// the SUM of the B per-sample losses (divide by B for the Keras mean) and the
// number of rows whose argmax (first maximum on ties) equals the label. When
// dlogits is non-nil (len >= B*C) it receives the gradient of the MEAN loss:
// dlogits = (softmax(logits) - onehot(labels)) / B.
//
// A label outside [0, C) is a programmer error and panics.
func SoftmaxCrossEntropy(logits []float32, labels []int32, B, C int, dlogits []float32) (sumLoss float64, correct int) {
	if B == 0 {
		return 0, 0
	}
	return crossEntropyTo(dlogits, logits, labels, B, C, 1/float64(B))
}

// crossEntropyTo is SoftmaxCrossEntropy over n rows with the gradient scaled
// by scale instead of 1/n (a shard of a larger batch uses 1/batchSize).
func crossEntropyTo(dlogits, logits []float32, labels []int32, n, C int, scale float64) (sumLoss float64, correct int) {
	_ = logits[n*C-1]
	for i := 0; i < n; i++ {
		row := logits[i*C : (i+1)*C]
		y := int(labels[i])
		if y < 0 || y >= C {
			panic("train: label out of range")
		}
		mx, arg := maxArg(row)
		var s float64
		for _, z := range row {
			s += math.Exp(float64(z) - mx)
		}
		sumLoss += math.Log(s) - (float64(row[y]) - mx)
		if arg == y {
			correct++
		}
		if dlogits != nil {
			d := dlogits[i*C : (i+1)*C]
			inv := scale / s
			for j, z := range row {
				p := math.Exp(float64(z)-mx) * inv
				if j == y {
					p -= scale
				}
				d[j] = float32(p)
			}
		}
	}
	return sumLoss, correct
}

// sampleLoss returns the cross-entropy of one row of logits and its argmax.
func sampleLoss(row []float32, y int) (loss float64, arg int) {
	mx, arg := maxArg(row)
	var s float64
	for _, z := range row {
		s += math.Exp(float64(z) - mx)
	}
	return math.Log(s) - (float64(row[y]) - mx), arg
}

// softmaxTo writes softmax(row) into dst (computed in float64).
func softmaxTo(dst, row []float32) {
	mx, _ := maxArg(row)
	var s float64
	for _, z := range row {
		s += math.Exp(float64(z) - mx)
	}
	for j, z := range row {
		dst[j] = float32(math.Exp(float64(z)-mx) / s)
	}
}

// maxArg returns the maximum of row (as float64) and the index of its first
// occurrence. NaNs never win, so a NaN row yields a NaN loss, not a panic.
func maxArg(row []float32) (float64, int) {
	mx, arg := row[0], 0
	for j := 1; j < len(row); j++ {
		if row[j] > mx {
			mx, arg = row[j], j
		}
	}
	return float64(mx), arg
}

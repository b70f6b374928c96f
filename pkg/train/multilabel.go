package train

import "math"

// SigmoidBinaryCrossEntropy computes binary cross-entropy from logits for
// multi-label targets, as Keras' BinaryCrossentropy(from_logits=True): per
// logit z with target y in {0, 1}, in the stable form
//
//	l(z, y) = max(z, 0) - z·y + log(1 + exp(-|z|))
//
// (in float64), averaged over the C labels of a sample, then over the
// batch. logits is [B*C] row-major; sets[i] holds the class indices of
// sample i (ascending, distinct, in [0, C)), the ones whose target is 1.
// smoothing ε makes the targets y·(1-ε) + ε/2 (Keras' label_smoothing).
//
// It returns the SUM of the B per-sample losses (each the mean over its C
// labels; divide by B for the Keras mean) and the number of samples whose
// predicted set, the labels with z >= 0 (probability >= 0.5), is exactly
// their set. When dlogits is non-nil (len >= B*C) it receives the gradient
// of the MEAN loss: (σ(z) - y)/(B·C).
//
// A class index outside [0, C) or out of order is a programmer error and
// panics.
func SigmoidBinaryCrossEntropy(logits []float32, sets [][]int32, B, C int, smoothing float64, dlogits []float32) (sumLoss float64, exact int) {
	if B == 0 {
		return 0, 0
	}
	return bceTo(dlogits, logits, sets, B, C, 1/float64(B), smoothing)
}

// bceTo is the binary cross-entropy over n rows with the gradient of each
// sample scaled by scale (a shard of a larger batch passes 1/B of the
// whole batch).
func bceTo(dlogits, logits []float32, sets [][]int32, n, C int, scale, eps float64) (sumLoss float64, exact int) {
	_ = logits[n*C-1]
	invC := 1 / float64(C)
	for i := 0; i < n; i++ {
		row := logits[i*C : (i+1)*C]
		set := sets[i]
		k := 0 // next entry of set
		var loss float64
		match := true
		for j, z32 := range row {
			y := 0.0
			if k < len(set) && int(set[k]) == j {
				y = 1
				k++
			}
			if (z32 >= 0) != (y == 1) {
				match = false
			}
			if eps != 0 {
				y = y*(1-eps) + eps/2
			}
			z := float64(z32)
			loss += math.Max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
			if dlogits != nil {
				dlogits[i*C+j] = float32((sigmoid(z) - y) * scale * invC)
			}
		}
		if k != len(set) {
			panic("train: label set out of range or out of order")
		}
		sumLoss += loss * invC
		if match {
			exact++
		}
	}
	return sumLoss, exact
}

// sigmoid is 1/(1+exp(-z)), computed without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// sigmoidTo writes σ(row) into dst (computed in float64).
func sigmoidTo(dst, row []float32) {
	for j, z := range row {
		dst[j] = float32(sigmoid(float64(z)))
	}
}

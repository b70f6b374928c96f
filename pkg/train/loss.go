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
	return crossEntropyTo(dlogits, logits, labels, B, C, 1/float64(B), LossOptions{})
}

// LossOptions are the training loss' class weights and label smoothing.
type LossOptions struct {
	// ClassWeights holds the weight of each class index (len C); nil means
	// every weight is 1.
	ClassWeights []float64
	// LabelSmoothing ε replaces the one-hot target by (1-ε)·onehot + ε/C
	// (Keras' CategoricalCrossentropy(label_smoothing=ε)).
	LabelSmoothing float64
}

// WeightedSoftmaxCrossEntropy is SoftmaxCrossEntropy with class weights and
// label smoothing. With w_i the weight of sample i's class and CE_i its
// (smoothed) cross-entropy, it returns sumLoss = Σ w_i·CE_i, sumWeight =
// Σ w_i and the number of correct argmaxes; dlogits (if non-nil) receives
// the gradient of the weighted MEAN Σ w_i·CE_i / Σ w_i, that is
// w_i·(softmax - target_i)/Σ w. This is PyTorch's CrossEntropyLoss(weight,
// reduction="mean"); Keras' class_weight divides by B instead of Σ w, which
// only rescales each batch's gradient. Without options it equals
// SoftmaxCrossEntropy bit for bit (sumWeight = B).
//
// A label outside [0, C) or ClassWeights of another length than C panics.
func WeightedSoftmaxCrossEntropy(logits []float32, labels []int32, B, C int, opt LossOptions, dlogits []float32) (sumLoss, sumWeight float64, correct int) {
	if B == 0 {
		return 0, 0, 0
	}
	if opt.ClassWeights != nil && len(opt.ClassWeights) != C {
		panic("train: class weights for another number of classes")
	}
	for _, y := range labels[:B] {
		if y < 0 || int(y) >= C {
			panic("train: label out of range")
		}
	}
	sumWeight = float64(B)
	if opt.ClassWeights != nil {
		sumWeight = batchWeight(labels[:B], opt.ClassWeights)
	}
	sumLoss, correct = crossEntropyTo(dlogits, logits, labels, B, C, 1/sumWeight, opt)
	return sumLoss, sumWeight, correct
}

// crossEntropyTo is the loss over n rows with the gradient of sample i
// scaled by scale·w_i (a shard of a larger batch passes 1/B or 1/Σw of the
// whole batch). Without class weights and smoothing it performs exactly
// the operations of the plain loss.
func crossEntropyTo(dlogits, logits []float32, labels []int32, n, C int, scale float64, opt LossOptions) (sumLoss float64, correct int) {
	_ = logits[n*C-1]
	eps := opt.LabelSmoothing
	epsC := eps / float64(C)
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
		loss := math.Log(s) - (float64(row[y]) - mx)
		if eps != 0 {
			// -Σ_j q_j·log p_j with q = (1-ε)·onehot + ε/C.
			var sz float64
			for _, z := range row {
				sz += float64(z) - mx
			}
			loss = math.Log(s) - (1-eps)*(float64(row[y])-mx) - epsC*sz
		}
		sw := scale
		if opt.ClassWeights != nil {
			w := opt.ClassWeights[y]
			loss *= w
			sw = scale * w
		}
		sumLoss += loss
		if arg == y {
			correct++
		}
		if dlogits != nil {
			d := dlogits[i*C : (i+1)*C]
			inv := sw / s
			for j, z := range row {
				p := math.Exp(float64(z)-mx) * inv
				switch {
				case eps != 0 && j == y:
					p -= sw * (1 - eps + epsC)
				case eps != 0:
					p -= sw * epsC
				case j == y:
					p -= sw
				}
				d[j] = float32(p)
			}
		}
	}
	return sumLoss, correct
}

// BalancedClassWeights returns scikit-learn's (and Keras') "balanced" class
// weights for labels in [0, C): w_c = N/(C·count_c). A class without samples
// gets weight 1 (it never enters the loss).
func BalancedClassWeights(labels []int32, C int) []float64 {
	count := make([]int, C)
	for _, y := range labels {
		count[y]++
	}
	w := make([]float64, C)
	for c, k := range count {
		w[c] = 1
		if k > 0 {
			w[c] = float64(len(labels)) / (float64(C) * float64(k))
		}
	}
	return w
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

package report

import "math"

// Calibration is a reliability diagram: the test texts binned by the
// probability of their predicted label (the confidence), with the
// accuracy in each bin. ECE, the expected calibration error, is the mean
// over the texts of |accuracy - confidence| of their bin; 0 is perfectly
// calibrated.
type Calibration struct {
	Bins []CalibrationBin `json:"bins"`
	ECE  float64          `json:"ece"`
	// MCE is the largest |accuracy - confidence| of a non-empty bin.
	MCE float64 `json:"mce"`
}

// CalibrationBin is the texts whose confidence is in [Lo, Hi) ([Lo, 1]
// for the last bin).
type CalibrationBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"` // mean confidence; 0 when empty
	Accuracy   float64 `json:"accuracy"`   // share predicted right; 0 when empty
}

// calibrate bins the N = len(truth) rows of probs (C per row) into n
// equal bins of confidence.
func calibrate(probs []float32, truth []int32, C, n int) Calibration {
	cal := Calibration{Bins: make([]CalibrationBin, n)}
	for i := range cal.Bins {
		cal.Bins[i].Lo, cal.Bins[i].Hi = float64(i)/float64(n), float64(i+1)/float64(n)
	}
	for i, t := range truth {
		a, _ := top2(probs[i*C : (i+1)*C])
		conf := float64(probs[i*C+a])
		b := &cal.Bins[min(int(conf*float64(n)), n-1)]
		b.Count++
		b.Confidence += conf
		if int32(a) == t {
			b.Accuracy++
		}
	}
	N := float64(len(truth))
	for i := range cal.Bins {
		b := &cal.Bins[i]
		if b.Count == 0 {
			continue
		}
		b.Confidence /= float64(b.Count)
		b.Accuracy /= float64(b.Count)
		gap := math.Abs(b.Accuracy - b.Confidence)
		cal.ECE += float64(b.Count) / N * gap
		cal.MCE = max(cal.MCE, gap)
	}
	return cal
}

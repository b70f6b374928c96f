package model

import "math"

// refOptLogits is an independent float64 implementation of the classifier
// with every option (bidirectional, pooling, dropout) for one sample given as
// a padded token row. With mask, the zero ids are skipped (Keras mask_zero:
// whatever the padding side, only the real tokens enter, and the backward
// direction reads them in reverse); without, every id of the row is a step.
// With train, the sample's dropout masks are drawn for noise by fillMasks
// (B = 1) and applied where Keras applies them: SpatialDropout1D on the
// embedding, the LSTM inputs, h_{t-1} before ·U, the dense input.
func refOptLogits(c *Classifier, row []int32, mask, train bool, noise uint64) []float64 {
	cfg := c.Config
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	getMask := func(layer, dir, kind, w int, rate float64) []float64 {
		m := make([]float64, w)
		f := make([]float32, w)
		if train && rate > 0 {
			fillMasks(f, []uint64{noise}, maskStream(layer, dir, kind), w, rate)
		} else {
			for j := range f {
				f[j] = 1
			}
		}
		for j := range m {
			m[j] = float64(f[j])
		}
		return m
	}
	var seq []int32
	for _, tok := range row {
		if mask && tok == 0 {
			continue
		}
		seq = append(seq, tok)
	}
	n := len(seq)
	E := c.Embedding.E
	em := getMask(0, 0, maskEmbedding, E, cfg.EmbeddingDropout)
	xs := make([][]float64, n)
	for t, tok := range seq {
		xs[t] = make([]float64, E)
		for j := range xs[t] {
			xs[t][j] = float64(c.Embedding.Weights.Data[int(tok)*E+j]) * em[j]
		}
	}
	dirs := cfg.directions()
	for k := range c.LSTMs {
		H := c.LSTMs[k].Units
		outs := make([][]float64, n)
		for t := range outs {
			outs[t] = make([]float64, dirs*H)
		}
		for d := 0; d < dirs; d++ {
			l := c.lstm(k, d)
			im := getMask(k, d, maskInput, l.In, cfg.Dropout)
			rm := getMask(k, d, maskRecurrent, H, cfg.RecurrentDropout)
			h, cs := make([]float64, H), make([]float64, H)
			for s := 0; s < n; s++ {
				t := s
				if d == 1 {
					t = n - 1 - s
				}
				z := make([]float64, 4*H)
				for j := range z {
					z[j] = float64(l.Bias.Data[j])
					for p := 0; p < l.In; p++ {
						z[j] += xs[t][p] * im[p] * float64(l.Kernel.Data[p*4*H+j])
					}
					for p := 0; p < H; p++ {
						z[j] += h[p] * rm[p] * float64(l.Recurrent.Data[p*4*H+j])
					}
				}
				for j := 0; j < H; j++ {
					i, f := sig(z[j]), sig(z[H+j])
					g, o := math.Tanh(z[2*H+j]), sig(z[3*H+j])
					cs[j] = f*cs[j] + i*g
					h[j] = o * math.Tanh(cs[j])
				}
				copy(outs[t][d*H:], h)
			}
		}
		xs = outs
	}
	H := c.LSTMs[len(c.LSTMs)-1].Units
	D := dirs * H
	feat := make([]float64, D)
	if n > 0 {
		switch cfg.pooling() {
		case PoolLast:
			copy(feat[:H], xs[n-1][:H])
			if dirs == 2 {
				copy(feat[H:], xs[0][H:]) // the backward LSTM ends at the first token
			}
		case PoolMean:
			for _, x := range xs {
				for j := range feat {
					feat[j] += x[j] / float64(n)
				}
			}
		case PoolMax:
			copy(feat, xs[0])
			for _, x := range xs[1:] {
				for j := range feat {
					feat[j] = math.Max(feat[j], x[j])
				}
			}
		}
	}
	dm := getMask(0, 0, maskDense, D, cfg.DenseDropout)
	dn := c.Dense
	out := make([]float64, dn.Out)
	for j := range out {
		out[j] = float64(dn.Bias.Data[j])
		for p := 0; p < dn.In; p++ {
			out[j] += feat[p] * dm[p] * float64(dn.Kernel.Data[p*dn.Out+j])
		}
	}
	return out
}

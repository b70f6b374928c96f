package model

import "math/rand/v2"

// Which mask of a sample: the kinds of dropout.
const (
	maskInput     = 1 // an LSTM layer's input (Config.Dropout)
	maskRecurrent = 2 // an LSTM layer's h_{t-1} (Config.RecurrentDropout)
	maskEmbedding = 3 // embedding channels (Config.EmbeddingDropout)
	maskDense     = 4 // the dense layer's input (Config.DenseDropout)
	maskToken     = 5 // tokens replaced by [UNK] (Config.TokenDropout)
)

// UnknownID is the vocabulary id of "[UNK]" (pkg/data: 0 is padding, 1
// "[UNK]"), which token dropout substitutes: its embedding row gets a
// gradient even when no input token is [UNK].
const UnknownID = 1

// maskStream returns the PCG stream of one mask: a fixed mix of the layer,
// the direction (0 forward, 1 backward) and the kind.
func maskStream(layer, dir, kind int) uint64 {
	return splitmix64(uint64(kind)<<48 | uint64(dir)<<40 | uint64(layer))
}

// splitmix64 is the output function of SplitMix64: a bijective mix of x.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// fillMasks writes one inverted-dropout mask of width w per sample into dst
// [len(noise), w]: row b is drawn from a PCG seeded with (noise[b], stream),
// one Uint64 per entry; an entry is 0 with probability rate (the top 53 bits,
// as a fraction, below rate) and 1/(1-rate) otherwise. Row b is thus a pure
// function of (noise[b], stream, w, rate): it does not depend on the other
// samples of the batch, its length or its place in the batch.
func fillMasks(dst []float32, noise []uint64, stream uint64, w int, rate float64) {
	keep := float32(1 / (1 - rate))
	thr := uint64(rate * (1 << 53))
	var src rand.PCG
	for b, key := range noise {
		src.Seed(key, stream)
		row := dst[b*w : (b+1)*w]
		for j := range row {
			if src.Uint64()>>11 < thr {
				row[j] = 0
			} else {
				row[j] = keep
			}
		}
	}
}

// dropTokens replaces, for each sample b, the id of its step t (packed row
// off[t]+b, t < lens[b]) by UnknownID when the t-th draw of the PCG seeded with
// (noise[b], stream) falls below rate, unless the id is padding or [UNK].
// Like fillMasks, sample b's choices depend only on (noise[b], stream, t,
// rate), not on the rest of the batch.
func dropTokens(ids []int32, noise []uint64, p *packing, stream uint64, rate float64) {
	thr := uint64(rate * (1 << 53))
	var src rand.PCG
	for b, key := range noise {
		src.Seed(key, stream)
		for t := 0; t < p.lens[b]; t++ {
			if src.Uint64()>>11 < thr {
				if r := p.off[t] + b; ids[r] > UnknownID {
					ids[r] = UnknownID
				}
			}
		}
	}
}

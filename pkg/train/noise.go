package train

// noiseDomain separates the dropout keys from other uses of the seed.
const noiseDomain = 0x6472_6f70_6f75_7421 // "dropout!"

// DropoutKey is the key of the dropout masks (model.Input.Noise) of the
// sample with dataset index index in 0-based step step of 0-based epoch
// epoch of a run with seed seed: a splitmix64 chain over the four values.
// It depends on nothing else (not on batch composition, sharding or thread
// count), so masks are reproducible on resume; each sample occurs once per
// epoch, so every draw has its own key.
func DropoutKey(seed uint64, epoch, step, index int) uint64 {
	return sampleKey(stepKey(seed, epoch, step), index)
}

// stepKey is the part of DropoutKey shared by a step's samples.
func stepKey(seed uint64, epoch, step int) uint64 {
	h := mix64(seed ^ noiseDomain)
	h = mix64(h ^ uint64(epoch))
	return mix64(h ^ uint64(step))
}

// sampleKey finishes DropoutKey for one sample.
func sampleKey(step uint64, index int) uint64 { return mix64(step ^ uint64(index)) }

// mix64 is one splitmix64 output: add the golden-ratio increment, then the
// finaliser (Steele, Lea and Flood 2014).
func mix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

//go:build !noasm

package kernels

// sgemmVariants lists every Sgemm implementation this CPU can run, the
// generic one first, so that tests and benchmarks cover them all.
func sgemmVariants() []sgemmVariant {
	v := []sgemmVariant{{"generic", sgemmGeneric}}
	if hasAVX2() {
		v = append(v, sgemmVariant{"avx2", sgemmAVX2})
	}
	if hasAVX512() {
		v = append(v, sgemmVariant{"avx512", sgemmAVX512})
	}
	return v
}

// gatesVariants lists every LSTM gate implementation this CPU can run, the
// generic one first.
func gatesVariants() []gatesVariant {
	v := []gatesVariant{{"generic", lstmGatesGeneric, lstmGatesBackwardGeneric}}
	if hasAVX2() {
		v = append(v, gatesVariant{"avx2", lstmGatesAVX2, lstmGatesBackwardAVX2})
	}
	if hasAVX512() {
		v = append(v, gatesVariant{"avx512", lstmGatesAVX512, lstmGatesBackwardAVX512})
	}
	return v
}

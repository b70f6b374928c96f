//go:build !amd64 || noasm

package kernels

// sgemmVariants lists the Sgemm implementations of this build: only the
// generic one without assembly.
func sgemmVariants() []sgemmVariant {
	return []sgemmVariant{{"generic", sgemmGeneric}}
}

// gatesVariants lists the LSTM gate implementations of this build: only the
// generic one without assembly.
func gatesVariants() []gatesVariant {
	return []gatesVariant{{"generic", lstmGatesGeneric, lstmGatesBackwardGeneric}}
}

// colSumsVariants lists the AddColumnSums implementations of this build:
// only the generic one without assembly.
func colSumsVariants() []colSumsVariant {
	return []colSumsVariant{{"generic", addColumnSumsGeneric}}
}

// transposeVariants lists the Transpose implementations of this build.
func transposeVariants() []transposeVariant {
	return []transposeVariant{{"generic", transposeGeneric}}
}

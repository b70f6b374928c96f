// Package kernels holds the float32 inner loops of the model: GEMM and the
// element-wise gate math. Kernels are unexported-style slice functions,
// destination first, with no argument checks: the exported layer methods in
// package model check shapes once and call them.
//
// Sgemm dispatches at run time to the fastest implementation the CPU supports
// (sgemmImpl); the pure-Go generic version is always available, is the one
// used under -tags noasm, and is the reference the others are tested against.
// The same holds for LSTMGates/LSTMGatesBackward, AddColumnSums and
// Transpose. An assembly variant need not give the generic version's bits
// (Sgemm and the gates use FMA), but every variant is deterministic: the
// same inputs give the same bits on every call, and AddColumnSums gives
// the generic bits exactly (each column is summed in row order).
//
// SgemmNTWithBT is the NT product A·Bᵀ for a caller that also keeps Bᵀ: the
// assembly Sgemm packs op(B) into panels, so A·Bᵀ read as NN from a stored
// Bᵀ is the same computation, value for value, as the NT product, without
// transposing B on every call (BPTT multiplies by the same Uᵀ at every
// step); the pure-Go version keeps its NT (dot) form. Both give Sgemm's NT
// bits.
package kernels

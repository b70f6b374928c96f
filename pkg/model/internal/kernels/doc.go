// Package kernels holds the float32 inner loops of the model: GEMM and the
// element-wise gate math. Kernels are unexported-style slice functions,
// destination first, with no argument checks: the exported layer methods in
// package model check shapes once and call them.
//
// Sgemm dispatches at run time to the fastest implementation the CPU supports
// (sgemmImpl); the pure-Go generic version is always available, is the one
// used under -tags noasm, and is the reference the others are tested against.
package kernels

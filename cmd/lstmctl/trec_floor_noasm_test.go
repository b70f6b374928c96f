//go:build !amd64 || noasm

package main

// trecKernels names the kernels this build trains with: pure Go (-tags
// noasm, or a CPU other than amd64).
const trecKernels = "pure-Go"

// trecFloor is TestTRECDefaults' floor on the mean TREC test accuracy of
// seeds 1-3 with the pure-Go kernels, which round differently from the
// assembly and so train other models. Measured with -tags noasm on 2 cores
// (AVX-512 machine): 0.910, 0.902, 0.912, mean 0.908. Elsewhere than amd64
// the compiler may fuse multiply-adds that it does not fuse here:
// unmeasured.
const trecFloor = 0.900

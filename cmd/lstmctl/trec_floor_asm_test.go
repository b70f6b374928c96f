//go:build amd64 && !noasm

package main

// trecKernels names the kernels this build trains with: the assembly
// (AVX-512, or AVX2 where the CPU lacks it or GODEBUG=cpu.avx512f=off).
const trecKernels = "assembly"

// trecFloor is TestTRECDefaults' floor on the mean TREC test accuracy of
// seeds 1-3 with the assembly kernels. Measured on 2 cores with AVX-512:
// 0.924, 0.900, 0.912, mean 0.912; with GODEBUG=cpu.avx512f=off (AVX2) the
// same three figures.
const trecFloor = 0.900

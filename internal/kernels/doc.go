// Package kernels holds every float32 inner loop of lstmctl that has an
// assembly variant, and its pure-Go twin:
//
//   - Sgemm, SgemmNTWithBT and the BLAS adapter (matrix products),
//   - LSTMGates and LSTMGatesBackward (the element-wise LSTM step),
//   - AddColumnSums (bias gradients) and Transpose,
//   - AdamUpdate and EMAUpdate (the optimizer step and the weight average),
//   - GatherRows and AddRows (embedding lookup and its gradient),
//   - QGemm with QuantizeColumns and QuantizeRows (the int8 products of
//     prediction with --int8-compute: u8 activations × s8 weights, summed
//     exactly in int32, scaled back to float32).
//
// Kernels are slice functions, destination first, with no argument checks
// beyond reslicing: the exported methods of the model, the optimizer and
// the embedding table check shapes and ids once and call them. Each
// assembly function is documented by the Go loop it computes.
//
// # Dispatch
//
// The kernels form families that switch variant together: "sgemm",
// "gates", "colsum", "transpose", "adam" (Adam and the moving average),
// "rows" and "qgemm". A variant is named after the instruction set it needs:
// "avx512vnni" (avx512 and AVX512_VNNI, whose VPDPBUSD Go's assembler
// knows), "avx512" (AVX-512F with AVX2 and FMA), "avx2" (AVX2 and FMA), "avx" or "generic"
// (pure Go). The CPU features are read once, at start-up, in one place
// (dispatch_amd64.go), and one table holds the variant of every family: the
// best one this build has and the CPU runs. Variants reports the table;
// Available lists the variants of a family that can run here and Force
// switches a family to one of them, so that tests and benchmarks cover
// every variant against the generic one.
//
// # Build tag noasm
//
// Building with -tags noasm (or for another architecture) leaves out all
// assembly: every family is "generic". The test suite runs once with and
// once without the tag, so both are always built and tested.
//
// # Tests
//
// The tests of this package run every variant the CPU supports against the
// generic one and log the variants that ran; the tests of the packages that
// use the kernels print the table (go test -v) through RunTests. A variant
// that the build has but the CPU cannot run is left out of the tests,
// unless the environment variable LSTMCTL_REQUIRE_AVX512 is 1: then the
// tests fail, so that a machine meant to test the AVX-512 code cannot pass
// without running it; that includes "qgemm" of "avx512vnni", so an AVX-512
// CPU without VNNI fails with it set. Builds without assembly are not
// affected.
//
// # Determinism
//
// Every variant is deterministic: the same inputs give the same bits on
// every call. Beyond that:
//
//   - QGemm and QuantizeRows give the generic bits exactly in every
//     variant: the sums are integers, exact in int32, and the float32
//     steps (the scale, the conversions, rounding half to even) are the
//     same single operations in the same order.
//   - AddColumnSums, Transpose, AdamUpdate, EMAUpdate, GatherRows and
//     AddRows give the generic bits exactly in every variant: each value is
//     moved, or computed by the same float32 operations in the same order
//     (column sums in row order, repeated ids added in order, no FMA in
//     the optimizer, whose square root and division are correctly rounded);
//     AdamUpdate and EMAUpdate give the same bits for any partition of the
//     elements into calls.
//   - Sgemm and the gate math of the assembly variants use FMA, so their
//     bits may differ from the generic ones (and from each other) in the
//     last places; a given variant always gives the same bits.
//   - SgemmNTWithBT gives Sgemm's NT bits: the assembly Sgemm packs op(B)
//     into panels, so A·Bᵀ read as NN from a stored Bᵀ is the same
//     computation, value for value, as the NT product without transposing
//     B on every call; the generic variant keeps its NT (dot) form.
package kernels

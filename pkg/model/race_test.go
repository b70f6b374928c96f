//go:build race

package model

// raceEnabled reports a -race build: sync.Pool (used by the assembly GEMM for
// its scratch) drops items at random there, so allocation counts mean nothing.
const raceEnabled = true

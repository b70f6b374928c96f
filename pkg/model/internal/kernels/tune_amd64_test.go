//go:build !noasm

package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func threadCPU() float64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// cpuRate runs f repeatedly for ~budget CPU seconds and returns the best of
// 5 rounds of ops per CPU second.
func cpuRate(f func(), budget float64) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	best := 0.0
	for r := 0; r < 5; r++ {
		t0 := threadCPU()
		n := 0
		for threadCPU()-t0 < budget {
			for i := 0; i < 4; i++ {
				f()
			}
			n += 4
		}
		if rate := float64(n) / (threadCPU() - t0); rate > best {
			best = rate
		}
	}
	return best
}

func TestTuneCPU(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip("TUNE not set")
	}
	shapes := benchShapes
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		tc := newGemmCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1, 0)
		c := make([]float32, len(tc.c))
		line := fmt.Sprintf("%-16s", s.name)
		variants := []struct {
			name string
			g    gemmArch
		}{{"avx512", *gemmAVX512}, {"avx2", *gemmAVX2}}
		for _, v := range variants {
			g := v.g
			r := cpuRate(func() {
				g.sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, tc.ldc)
			}, 0.05)
			line += fmt.Sprintf(" %s %6.1f", v.name, r*2*float64(s.m*s.n*s.k)/1e9)
		}
		r := cpuRate(func() {
			gonumSgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, tc.ldc)
		}, 0.05)
		line += fmt.Sprintf(" gonum %6.1f", r*2*float64(s.m*s.n*s.k)/1e9)
		t.Log(line)
	}
	{
		const n, k = 64, 256
		src := make([]float32, n*k)
		dst := make([]float32, 32*k*2)
		r := cpuRate(func() { packB(dst, true, src, k, 0, k, 0, 0, n, 32) }, 0.05)
		t.Logf("packB trans 64x256: %.2f us", 1e6/r)
		r = cpuRate(func() { packB(dst, false, src, n, 0, k, 0, 0, n, 32) }, 0.05)
		t.Logf("packB notrans 256x64: %.2f us", 1e6/r)
	}
	{
		const n, hid = 128, 64
		rng := rand.New(rand.NewPCG(1, 1))
		z0 := randGateData(rng, n*4*hid, 2)
		bias := randGateData(rng, 4*hid, 0.3)
		cPrev := randGateData(rng, n*hid, 1)
		h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
		z := append([]float32(nil), z0...)
		for _, v := range gatesVariants() {
			r := cpuRate(func() { copy(z, z0); v.fwd(h, c, tc, z, cPrev, bias, n, hid) }, 0.05)
			r2 := cpuRate(func() { v.bwd(z, c, h, nil, z, tc, cPrev, n, hid) }, 0.05)
			t.Logf("gates %s 128x64: forward %.2f us, backward %.2f us", v.name, 1e6/r, 1e6/r2)
		}
		r := cpuRate(func() { copy(z, z0) }, 0.05)
		t.Logf("copy z: %.2f us", 1e6/r)
	}
}

package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

func reportElemRate(b *testing.B, elems int, cpu float64) {
	total := float64(elems) * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds()/1e6, "Melem/s")
	if cpu > 0 {
		b.ReportMetric(total/cpu/1e6, "cpu-Melem/s")
	}
}

// BenchmarkLSTMGates times one step of gate math for a batch of 128 with
// hidden size 64 (forward and backward separately), per variant; the
// element rate is reported as Melem/s (elements of h), by wall clock and,
// on Linux, by thread CPU time (cpu-Melem/s). The forward loop includes a
// copy of z (about 2.5 µs here).
func BenchmarkLSTMGates(b *testing.B) {
	const n, hid = 128, 64
	rng := rand.New(rand.NewPCG(1, 1))
	z0 := randGateData(rng, n*4*hid, 2)
	bias := randGateData(rng, 4*hid, 0.3)
	cPrev := randGateData(rng, n*hid, 1)
	h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
	dh, dy, dc := randGateData(rng, n*hid, 1), randGateData(rng, n*hid, 1), randGateData(rng, n*hid, 1)
	dz := make([]float32, n*4*hid)
	for _, v := range gatesVariants(b) {
		z := append([]float32(nil), z0...)
		b.Run(fmt.Sprintf("forward/%s", v.name), func(b *testing.B) {
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPUSeconds()
			for b.Loop() {
				copy(z, z0) // z is overwritten with the activations
				v.fwd(h, c, tc, z, cPrev, bias, n, hid)
			}
			reportElemRate(b, n*hid, threadCPUSeconds()-cpu0)
		})
		b.Run(fmt.Sprintf("backward/%s", v.name), func(b *testing.B) {
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPUSeconds()
			for b.Loop() {
				v.bwd(dz, dc, dh, dy, z, tc, cPrev, n, hid)
			}
			reportElemRate(b, n*hid, threadCPUSeconds()-cpu0)
		})
	}
}

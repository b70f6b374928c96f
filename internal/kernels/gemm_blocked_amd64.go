//go:build !noasm

package kernels

import (
	"sync"
	"unsafe"
)

// microKernel computes one mr×nr tile of C from kc steps of A and B; see
// gemm_amd64.s for the operand layouts.
type microKernel func(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

// gemmArch is a blocked Sgemm around one pair of microkernels of tile
// mr×nr: kernK reads A k-major (a packed panel, or Aᵀ in place), kernR reads
// row-major A in place.
//
// Loop order (Goto/BLIS with the two inner loops swapped): for each block of
// nc columns and kc steps, B is packed into nr-wide panels (≤ kc·nc floats,
// L2-resident; full panels of non-transposed B are read in place instead,
// which measured faster for every shape and stride tried, up to ldb = 16384);
// for each mr-row strip of A (read in place when
// possible, else packed into an L1-resident panel) the microkernel sweeps
// all panels of B. alpha is applied in the microkernel, beta on the first k
// block only. Edge strips of A are zero-padded when packed; edge columns are
// masked in the microkernel.
type gemmArch struct {
	name           string
	mr, nr, kc, nc int
	kernK, kernR   microKernel
}

// gemmScratch holds the pack buffers of one call. A free list hands them
// out so that concurrent calls never share them; unlike a sync.Pool it is
// not emptied by the garbage collector, so the steady state never allocates.
// It holds at most as many buffers as calls ever ran at once (each ≤ ~0.5 MB).
type gemmScratch struct {
	a, b []float32
}

var gemmFree struct {
	sync.Mutex
	list []*gemmScratch
}

func getScratch() *gemmScratch {
	gemmFree.Lock()
	defer gemmFree.Unlock()
	if n := len(gemmFree.list); n > 0 {
		s := gemmFree.list[n-1]
		gemmFree.list = gemmFree.list[:n-1]
		return s
	}
	return new(gemmScratch)
}

func putScratch(s *gemmScratch) {
	gemmFree.Lock()
	gemmFree.list = append(gemmFree.list, s)
	gemmFree.Unlock()
}

// grow64 returns a slice of length n whose first element is 64-byte aligned,
// reusing buf when it is large enough.
func grow64(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	raw := make([]float32, n+16)
	off := int((64-uintptr(unsafe.Pointer(&raw[0]))%64)%64) / 4
	return raw[off : off+n : off+n]
}

func (g *gemmArch) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := g.mr, g.nr
	kcMax := min(g.kc, k)
	ncMax := min(g.nc, (n+nr-1)/nr*nr)
	s := getScratch()
	s.a = grow64(s.a, kcMax*mr)
	s.b = grow64(s.b, kcMax*ncMax)
	directB := !transB

	for jc := 0; jc < n; jc += g.nc {
		nb := min(g.nc, n-jc)
		for pc := 0; pc < k; pc += g.kc {
			kb := min(g.kc, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			first := 0
			if directB {
				first = nb / nr * nr // only the edge panel is packed
			}
			packB(s.b, transB, b, ldb, pc, kb, jc, first, nb, nr)
			for i := 0; i < m; i += mr {
				mb := min(mr, m-i)
				kern := g.kernK
				var ap *float32
				as := mr
				if !transA && mb == mr {
					kern, ap, as = g.kernR, &a[i*lda+pc], lda
				} else if transA && mb == mr {
					ap, as = &a[pc*lda+i], lda // Aᵀ is k-major already
				} else {
					packA(s.a, transA, a, lda, i, mb, pc, kb, mr)
					ap = &s.a[0]
				}
				crow := c[i*ldc+jc:]
				for j := 0; j < nb; j += nr {
					w := min(nr, nb-j)
					if j < first {
						kern(kb, ap, as, &b[pc*ldb+jc+j], ldb, &crow[j], ldc, alpha, bt, mb, w)
					} else {
						kern(kb, ap, as, &s.b[j*kb], nr, &crow[j], ldc, alpha, bt, mb, w)
					}
				}
			}
		}
	}
	putScratch(s)
}

// packA packs rows i0..i0+mb-1, steps pc..pc+kb-1 of op(A) k-major into
// dst: dst[p*mr + r] = op(A)[i0+r, pc+p], rows mb..mr-1 zero.
func packA(dst []float32, transA bool, a []float32, lda, i0, mb, pc, kb, mr int) {
	dst = dst[:kb*mr]
	if transA {
		for p := 0; p < kb; p++ {
			d := dst[p*mr : p*mr+mr]
			copy(d, a[(pc+p)*lda+i0:][:mb])
			clear(d[mb:])
		}
		return
	}
	if mb < mr {
		clear(dst)
	}
	for r := 0; r < mb; r++ {
		src := a[(i0+r)*lda+pc:][:kb]
		d := dst[r:]
		for p, v := range src {
			d[p*mr] = v
		}
	}
}

// packB packs columns jc+j0..jc+j1-1 (j0 a multiple of nr), steps pc..pc+kb-1
// of op(B) into nr-wide panels: panel q (columns jc+q*nr...) starts at
// dst[q*nr*kb] and holds dst[q*nr*kb + p*nr + jj] = op(B)[pc+p, jc+q*nr+jj],
// zero past column j1.
func packB(dst []float32, transB bool, b []float32, ldb, pc, kb, jc, j0, j1, nr int) {
	if j0 >= j1 {
		return
	}
	for q := j0; q < j1; q += nr {
		w := min(nr, j1-q)
		d := dst[q*kb : (q+nr)*kb]
		if w < nr {
			clear(d)
		}
		if !transB {
			src := b[pc*ldb+jc+q:]
			for p := 0; p < kb; p++ {
				copy(d[p*nr:p*nr+w], src[p*ldb:p*ldb+w])
			}
			continue
		}
		// Groups of 8 columns by AVX 8x8 transposes of 8 steps each; the
		// steps past a multiple of 8 and the last w%8 columns in Go.
		kb8, w8 := kb&^7, w&^7
		if kb8 > 0 && w8 > 0 {
			transposePanel(&d[0], nr, &b[(jc+q)*ldb+pc], ldb, kb8/8, w8/8)
		}
		if kb8 < kb {
			for jj := 0; jj < w8; jj++ {
				row := b[(jc+q+jj)*ldb+pc:][:kb]
				for p := kb8; p < kb; p++ {
					d[p*nr+jj] = row[p]
				}
			}
		}
		jj := w8
		for ; jj < w; jj++ {
			src := b[(jc+q+jj)*ldb+pc:][:kb]
			for p, v := range src {
				d[p*nr+jj] = v
			}
		}
	}
}

// scaleC sets C = beta*C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkSgemm panics unless the arguments describe matrices that lie within
// the slices: the assembly kernels do no bounds checks of their own.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: negative dimension")
	}
	rowsA, colsA, rowsB, colsB := operandShapes(transA, transB, m, n, k)
	switch {
	case lda < max(1, colsA):
		panic("kernels: bad lda")
	case ldb < max(1, colsB):
		panic("kernels: bad ldb")
	case ldc < max(1, n):
		panic("kernels: bad ldc")
	}
	if m == 0 || n == 0 {
		return
	}
	if len(c) < (m-1)*ldc+n {
		panic("kernels: short C")
	}
	if k == 0 {
		return
	}
	if len(a) < (rowsA-1)*lda+colsA {
		panic("kernels: short A")
	}
	if len(b) < (rowsB-1)*ldb+colsB {
		panic("kernels: short B")
	}
}

//go:build !noasm

package kernels

// The assembly column sums (colsum_amd64.s). Each adds the column sums of
// the first W columns of the m×W block at a (row stride lda) to dst[:W],
// rows in order, which is addColumnSumsStrided in Go:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < W; j++ {
//			dst[j] += a[i*lda+j]
//		}
//	}
//
// with W = 256, 128, 64 (colSums512x16, x8, x4), w ≤ 16 (colSums512Mask),
// 64, 32, 8 (colSums256x8, x4, x1).

//go:noescape
func colSums512x16(dst, a *float32, m, lda int)

//go:noescape
func colSums512x8(dst, a *float32, m, lda int)

//go:noescape
func colSums512x4(dst, a *float32, m, lda int)

//go:noescape
func colSums512Mask(dst, a *float32, m, lda, w int)

//go:noescape
func colSums256x8(dst, a *float32, m, lda int)

//go:noescape
func colSums256x4(dst, a *float32, m, lda int)

//go:noescape
func colSums256x1(dst, a *float32, m, lda int)

// addColumnSumsAVX512 walks the columns in blocks of 256, 128, 64, then 16
// (the last one masked); each block is one pass over the m rows. The caller
// (AddColumnSums) has checked m >= 1, len(dst) >= n and len(a) >= m*n.
func addColumnSumsAVX512(dst, a []float32, m, n int) {
	j := 0
	for ; n-j >= 256; j += 256 {
		colSums512x16(&dst[j], &a[j], m, n)
	}
	if n-j >= 128 {
		colSums512x8(&dst[j], &a[j], m, n)
		j += 128
	}
	if n-j >= 64 {
		colSums512x4(&dst[j], &a[j], m, n)
		j += 64
	}
	for ; j < n; j += 16 {
		colSums512Mask(&dst[j], &a[j], m, n, min(16, n-j))
	}
}

// addColumnSumsAVX2 is addColumnSumsAVX512 with blocks of 64, 32 and 8
// columns; the last n%8 columns are summed in Go (same order).
func addColumnSumsAVX2(dst, a []float32, m, n int) {
	j := 0
	for ; n-j >= 64; j += 64 {
		colSums256x8(&dst[j], &a[j], m, n)
	}
	if n-j >= 32 {
		colSums256x4(&dst[j], &a[j], m, n)
		j += 32
	}
	for ; n-j >= 8; j += 8 {
		colSums256x1(&dst[j], &a[j], m, n)
	}
	if j < n {
		addColumnSumsStrided(dst[j:], a[j:], m, n-j, n)
	}
}

//go:build !noasm

package kernels

// transposeAVX transposes the 8-multiple part of src by 8×8 AVX blocks
// (transposePanel) and the edges in Go.
func transposeAVX(dst, src []float32, rows, cols int) {
	r8, c8 := rows&^7, cols&^7
	if r8 > 0 && c8 > 0 {
		// dst[p*rows + r] = src[r*cols + p] for r < r8, p < c8.
		transposePanel(&dst[0], rows, &src[0], cols, c8/8, r8/8)
	}
	if c8 < cols {
		transposeBlock(dst, src, rows, cols, 0, rows, c8, cols)
	}
	if r8 < rows {
		transposeBlock(dst, src, rows, cols, r8, rows, 0, c8)
	}
}

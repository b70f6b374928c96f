package kernels

// AddColumnSums adds the column sums of the row-major m×n matrix a (row stride
// n) to dst[:n]: dst[j] += a[0][j], then += a[1][j], ... in row order, one
// float32 addition at a time. Every implementation keeps exactly this order
// per column (the vector versions hold a block of columns in registers and
// walk the rows), so all give the same bits.
func AddColumnSums(dst, a []float32, m, n int) {
	dst = dst[:n]
	if m <= 0 || n <= 0 {
		return
	}
	_ = a[:m*n] // a short a panics here, before any assembly runs
	colSumsAt(active[famColSum])(dst, a, m, n)
}

// colSumsFunc is the signature of the AddColumnSums variants, which take
// arguments checked by AddColumnSums.
type colSumsFunc func(dst, a []float32, m, n int)

// addColumnSumsGeneric is the pure-Go AddColumnSums.
func addColumnSumsGeneric(dst, a []float32, m, n int) {
	addColumnSumsStrided(dst, a, m, n, n)
}

// addColumnSumsStrided adds the column sums of the m×n matrix a with row
// stride lda to dst[:n], rows in order.
func addColumnSumsStrided(dst, a []float32, m, n, lda int) {
	dst = dst[:n]
	for i := 0; i < m; i++ {
		row := a[i*lda:][:n]
		for j, v := range row {
			dst[j] += v
		}
	}
}

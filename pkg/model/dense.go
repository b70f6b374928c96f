package model

import "github.com/lstmctl/lstmctl/internal/kernels"

// forward writes logits [B, Out] = x·Kernel + Bias for x [B, In].
func (l *Dense) forward(logits, x []float32, B int) {
	kernels.FillRows(logits, l.Bias.Data, B, l.Out)
	kernels.Sgemm(false, false, B, l.Out, l.In, 1, x, l.In, l.Kernel.Data, l.Out, 1, logits, l.Out)
}

// backward adds xᵀ·dlogits to dW and the column sums of dlogits to db, and
// writes dx [B, In] = dlogits·Kernelᵀ.
func (l *Dense) backward(dx, dlogits, x []float32, B int, dW, db []float32) {
	kernels.Sgemm(true, false, l.In, l.Out, B, 1, x, l.In, dlogits, l.Out, 1, dW, l.Out)
	kernels.AddColumnSums(db, dlogits, B, l.Out)
	kernels.Sgemm(false, true, B, l.In, l.Out, 1, dlogits, l.Out, l.Kernel.Data, l.Out, 0, dx, l.In)
}

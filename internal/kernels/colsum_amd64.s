//go:build !noasm

#include "textflag.h"

// Column sums (AddColumnSums): a block of columns of dst is held in
// registers while the rows of a are added to it one after the other, so each
// column sees exactly the additions of the generic loop, in row order.
// Arguments: dst *float32, a *float32 (first column of the block in row 0),
// m rows (>= 1), lda row stride in floats; the masked variants take w, the
// number of columns (1..16).

// ---------------------------------------------------------------------------
// AVX-512: 16, 8 or 4 registers of 16 columns, or one masked register.

// func colSums512x16(dst, a *float32, m, lda int)
TEXT ·colSums512x16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	VMOVUPS 384(DI), Z6
	VMOVUPS 448(DI), Z7
	VMOVUPS 512(DI), Z8
	VMOVUPS 576(DI), Z9
	VMOVUPS 640(DI), Z10
	VMOVUPS 704(DI), Z11
	VMOVUPS 768(DI), Z12
	VMOVUPS 832(DI), Z13
	VMOVUPS 896(DI), Z14
	VMOVUPS 960(DI), Z15

loop:
	VADDPS 0(SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	VADDPS 256(SI), Z4, Z4
	VADDPS 320(SI), Z5, Z5
	VADDPS 384(SI), Z6, Z6
	VADDPS 448(SI), Z7, Z7
	VADDPS 512(SI), Z8, Z8
	VADDPS 576(SI), Z9, Z9
	VADDPS 640(SI), Z10, Z10
	VADDPS 704(SI), Z11, Z11
	VADDPS 768(SI), Z12, Z12
	VADDPS 832(SI), Z13, Z13
	VADDPS 896(SI), Z14, Z14
	VADDPS 960(SI), Z15, Z15
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	VMOVUPS Z8, 512(DI)
	VMOVUPS Z9, 576(DI)
	VMOVUPS Z10, 640(DI)
	VMOVUPS Z11, 704(DI)
	VMOVUPS Z12, 768(DI)
	VMOVUPS Z13, 832(DI)
	VMOVUPS Z14, 896(DI)
	VMOVUPS Z15, 960(DI)
	VZEROUPPER
	RET

// func colSums512x8(dst, a *float32, m, lda int)
TEXT ·colSums512x8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	VMOVUPS 384(DI), Z6
	VMOVUPS 448(DI), Z7

loop:
	VADDPS 0(SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	VADDPS 256(SI), Z4, Z4
	VADDPS 320(SI), Z5, Z5
	VADDPS 384(SI), Z6, Z6
	VADDPS 448(SI), Z7, Z7
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	VZEROUPPER
	RET

// func colSums512x4(dst, a *float32, m, lda int)
TEXT ·colSums512x4(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3

loop:
	VADDPS 0(SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VZEROUPPER
	RET

// func colSums512Mask(dst, a *float32, m, lda, w int)
TEXT ·colSums512Mask(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	MOVQ w+32(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	MOVQ m+16(FP), CX
	KMOVW AX, K1
	VMOVUPS.Z (DI), K1, Z0

mloop:
	VMOVUPS.Z (SI), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ DX, SI
	DECQ CX
	JNZ  mloop
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2: 8, 4 or 1 registers of 8 columns (the last w%8 columns are left to Go).

// func colSums256x8(dst, a *float32, m, lda int)
TEXT ·colSums256x8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7

loop:
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET

// func colSums256x4(dst, a *float32, m, lda int)
TEXT ·colSums256x4(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3

loop:
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

// func colSums256x1(dst, a *float32, m, lda int)
TEXT ·colSums256x1(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ lda+24(FP), DX
	SHLQ $2, DX
	VMOVUPS 0(DI), Y0

loop:
	VADDPS 0(SI), Y0, Y0
	ADDQ DX, SI
	DECQ CX
	JNZ  loop
	VMOVUPS Y0, 0(DI)
	VZEROUPPER
	RET

//go:build !noasm

#include "textflag.h"

// QGemm (qgemm.go) with AVX-512 VNNI. VPDPBUSD (in Go's operand order
// VPDPBUSD b, a, acc) adds to every 32-bit lane of acc the four products
// of the unsigned bytes of a and the signed bytes of b in that lane; a is
// the row's 4 activation bytes broadcast, b 16 columns × 4 rows of the
// packed matrix. After the loop over KP/4, each lane holds the exact sum
// Σ_k a[r, k]·q[k, j]; the epilogue turns it into
// float32(sum − comp[j]) · (sa[r]·sb[j]) and stores or adds it into z:
// the same float32 operations in the same order as the Go loop.
//
// Arguments (all routines): z *float32 (row 0, first column of the block),
// ldz (row stride of z in floats), a *uint8 (row 0), lda (row stride of a in
// bytes, KP), sa *float32 (row scales), b *int8 (first column of the block
// in the packed matrix), bstride (bytes from one group of 4 rows of b to
// the next, 4·NP), kb (KP/4), comp *int32, sb *float32 (the block's
// columns), add (0 store, else add).

#define ZERO4(a, b, c, d) \
	VPXORD a, a, a \
	VPXORD b, b, b \
	VPXORD c, c, c \
	VPXORD d, d, d

// EPI finishes one register of 16 sums: acc -= comp; acc = float(acc);
// acc *= scale (sa·sb); then acc += z when adding; store to z.
#define EPI(acc, compr, scaler, addr) \
	VPSUBD compr, acc, acc \
	VCVTDQ2PS acc, acc \
	VMULPS scaler, acc, acc \
	TESTQ R12, R12 \
	JZ 2(PC) \
	VADDPS addr, acc, acc \
	VMOVUPS acc, addr

// func qgemm4x64(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)
TEXT ·qgemm4x64(SB), NOSPLIT, $0-88
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R8
	MOVQ b+40(FP), DX
	MOVQ bstride+48(FP), R9
	MOVQ kb+56(FP), CX
	LEAQ (SI)(R8*2), R11
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)
	ZERO4(Z8, Z9, Z10, Z11)
	ZERO4(Z12, Z13, Z14, Z15)

loop4x64:
	VMOVDQU32 0(DX), Z20
	VMOVDQU32 64(DX), Z21
	VMOVDQU32 128(DX), Z22
	VMOVDQU32 192(DX), Z23
	VPBROADCASTD 0(SI), Z16
	VPBROADCASTD 0(SI)(R8*1), Z17
	VPBROADCASTD 0(R11), Z18
	VPBROADCASTD 0(R11)(R8*1), Z19
	VPDPBUSD Z20, Z16, Z0
	VPDPBUSD Z21, Z16, Z1
	VPDPBUSD Z22, Z16, Z2
	VPDPBUSD Z23, Z16, Z3
	VPDPBUSD Z20, Z17, Z4
	VPDPBUSD Z21, Z17, Z5
	VPDPBUSD Z22, Z17, Z6
	VPDPBUSD Z23, Z17, Z7
	VPDPBUSD Z20, Z18, Z8
	VPDPBUSD Z21, Z18, Z9
	VPDPBUSD Z22, Z18, Z10
	VPDPBUSD Z23, Z18, Z11
	VPDPBUSD Z20, Z19, Z12
	VPDPBUSD Z21, Z19, Z13
	VPDPBUSD Z22, Z19, Z14
	VPDPBUSD Z23, Z19, Z15
	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ R9, DX
	DECQ CX
	JNZ  loop4x64

	MOVQ z+0(FP), DI
	MOVQ ldz+8(FP), R10
	SHLQ $2, R10
	MOVQ sa+32(FP), BX
	MOVQ comp+64(FP), AX
	MOVQ sb+72(FP), DX
	MOVQ add+80(FP), R12
	VMOVDQU32 0(AX), Z24
	VMOVDQU32 64(AX), Z25
	VMOVDQU32 128(AX), Z26
	VMOVDQU32 192(AX), Z27
	VMOVUPS 0(DX), Z28
	VMOVUPS 64(DX), Z29
	VMOVUPS 128(DX), Z30
	VMOVUPS 192(DX), Z31

	// row 0
	VBROADCASTSS 0(BX), Z16
	VMULPS Z28, Z16, Z20
	VMULPS Z29, Z16, Z21
	VMULPS Z30, Z16, Z22
	VMULPS Z31, Z16, Z23
	EPI(Z0, Z24, Z20, 0(DI))
	EPI(Z1, Z25, Z21, 64(DI))
	EPI(Z2, Z26, Z22, 128(DI))
	EPI(Z3, Z27, Z23, 192(DI))
	ADDQ R10, DI

	// row 1
	VBROADCASTSS 4(BX), Z16
	VMULPS Z28, Z16, Z20
	VMULPS Z29, Z16, Z21
	VMULPS Z30, Z16, Z22
	VMULPS Z31, Z16, Z23
	EPI(Z4, Z24, Z20, 0(DI))
	EPI(Z5, Z25, Z21, 64(DI))
	EPI(Z6, Z26, Z22, 128(DI))
	EPI(Z7, Z27, Z23, 192(DI))
	ADDQ R10, DI

	// row 2
	VBROADCASTSS 8(BX), Z16
	VMULPS Z28, Z16, Z20
	VMULPS Z29, Z16, Z21
	VMULPS Z30, Z16, Z22
	VMULPS Z31, Z16, Z23
	EPI(Z8, Z24, Z20, 0(DI))
	EPI(Z9, Z25, Z21, 64(DI))
	EPI(Z10, Z26, Z22, 128(DI))
	EPI(Z11, Z27, Z23, 192(DI))
	ADDQ R10, DI

	// row 3
	VBROADCASTSS 12(BX), Z16
	VMULPS Z28, Z16, Z20
	VMULPS Z29, Z16, Z21
	VMULPS Z30, Z16, Z22
	VMULPS Z31, Z16, Z23
	EPI(Z12, Z24, Z20, 0(DI))
	EPI(Z13, Z25, Z21, 64(DI))
	EPI(Z14, Z26, Z22, 128(DI))
	EPI(Z15, Z27, Z23, 192(DI))
	VZEROUPPER
	RET

// func qgemm1x64(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)
TEXT ·qgemm1x64(SB), NOSPLIT, $0-88
	MOVQ a+16(FP), SI
	MOVQ b+40(FP), DX
	MOVQ bstride+48(FP), R9
	MOVQ kb+56(FP), CX
	ZERO4(Z0, Z1, Z2, Z3)

loop1x64:
	VPBROADCASTD 0(SI), Z16
	VPDPBUSD 0(DX), Z16, Z0
	VPDPBUSD 64(DX), Z16, Z1
	VPDPBUSD 128(DX), Z16, Z2
	VPDPBUSD 192(DX), Z16, Z3
	ADDQ $4, SI
	ADDQ R9, DX
	DECQ CX
	JNZ  loop1x64

	MOVQ z+0(FP), DI
	MOVQ sa+32(FP), BX
	MOVQ comp+64(FP), AX
	MOVQ sb+72(FP), DX
	MOVQ add+80(FP), R12
	VMOVDQU32 0(AX), Z24
	VMOVDQU32 64(AX), Z25
	VMOVDQU32 128(AX), Z26
	VMOVDQU32 192(AX), Z27
	VBROADCASTSS 0(BX), Z16
	VMULPS 0(DX), Z16, Z20
	VMULPS 64(DX), Z16, Z21
	VMULPS 128(DX), Z16, Z22
	VMULPS 192(DX), Z16, Z23
	EPI(Z0, Z24, Z20, 0(DI))
	EPI(Z1, Z25, Z21, 64(DI))
	EPI(Z2, Z26, Z22, 128(DI))
	EPI(Z3, Z27, Z23, 192(DI))
	VZEROUPPER
	RET

// func qgemm1x16(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)
TEXT ·qgemm1x16(SB), NOSPLIT, $0-88
	MOVQ a+16(FP), SI
	MOVQ b+40(FP), DX
	MOVQ bstride+48(FP), R9
	MOVQ kb+56(FP), CX
	VPXORD Z0, Z0, Z0

loop1x16:
	VPBROADCASTD 0(SI), Z16
	VPDPBUSD 0(DX), Z16, Z0
	ADDQ $4, SI
	ADDQ R9, DX
	DECQ CX
	JNZ  loop1x16

	MOVQ z+0(FP), DI
	MOVQ sa+32(FP), BX
	MOVQ comp+64(FP), AX
	MOVQ sb+72(FP), DX
	MOVQ add+80(FP), R12
	VMOVDQU32 0(AX), Z24
	VBROADCASTSS 0(BX), Z16
	VMULPS 0(DX), Z16, Z20
	EPI(Z0, Z24, Z20, 0(DI))
	VZEROUPPER
	RET

// The activations' quantization (QuantizeRows), 16 floats at a time.

DATA absmask<>+0(SB)/4, $0x7fffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $4
DATA qlimits<>+0(SB)/4, $-127
DATA qlimits<>+4(SB)/4, $127
DATA qlimits<>+8(SB)/4, $128
GLOBL qlimits<>(SB), RODATA|NOPTR, $12

// func maxAbs16(x *float32, n int) float32
// n is a positive multiple of 16. The largest |x[i]| (a maximum: the
// order of the comparisons does not change it).
TEXT ·maxAbs16(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	VBROADCASTSS absmask<>(SB), Z1
	VPXORD Z0, Z0, Z0

loopmax:
	VANDPS 0(SI), Z1, Z2
	VMAXPS Z2, Z0, Z0
	ADDQ $64, SI
	DECQ CX
	JNZ  loopmax
	VEXTRACTF32X8 $1, Z0, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X2
	VMAXPS X2, X0, X0
	VMOVHLPS X0, X2, X2
	VMAXPS X2, X0, X0
	VPSHUFD $1, X0, X2
	VMAXSS X2, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func quant16(dst *uint8, x *float32, n int, inv float32)
// n is a positive multiple of 16. dst[i] = 128 + clamp(round(x[i]·inv),
// -127, 127), round half to even (VCVTPS2DQ in the default rounding mode,
// as math.RoundToEven).
TEXT ·quant16(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	VBROADCASTSS inv+24(FP), Z1
	VPBROADCASTD qlimits<>+0(SB), Z2
	VPBROADCASTD qlimits<>+4(SB), Z3
	VPBROADCASTD qlimits<>+8(SB), Z4

loopq:
	VMULPS 0(SI), Z1, Z0
	VCVTPS2DQ Z0, Z0
	VPMAXSD Z2, Z0, Z0
	VPMINSD Z3, Z0, Z0
	VPADDD Z4, Z0, Z0
	VPMOVDB Z0, 0(DI)
	ADDQ $64, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  loopq
	VZEROUPPER
	RET

DATA q127<>+0(SB)/4, $127.0
GLOBL q127<>(SB), RODATA|NOPTR, $4

// func quantRows16(dst *uint8, scale *float32, x *float32, ldx, m, k int)
// QuantizeRows of m rows of k floats (k a positive multiple of 16, so KP =
// k: no padding) in one call: per row, the largest magnitude mx as in
// maxAbs16, scale = mx/127, inv = 127/mx (0 for a row of zeros, whose
// bytes are then all 128, as in Go), and the bytes as in quant16.
TEXT ·quantRows16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ scale+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R8
	SHLQ $2, R8
	MOVQ m+32(FP), R9
	MOVQ k+40(FP), R10
	SHRQ $4, R10
	VBROADCASTSS absmask<>(SB), Z1
	VPBROADCASTD qlimits<>+0(SB), Z2
	VPBROADCASTD qlimits<>+4(SB), Z3
	VPBROADCASTD qlimits<>+8(SB), Z4
	VMOVSS q127<>(SB), X7
	VXORPS X8, X8, X8

row:
	MOVQ SI, AX
	MOVQ R10, CX
	VPXORD Z0, Z0, Z0

rowmax:
	VANDPS 0(AX), Z1, Z5
	VMAXPS Z5, Z0, Z0
	ADDQ $64, AX
	DECQ CX
	JNZ  rowmax
	VEXTRACTF32X8 $1, Z0, Y5
	VMAXPS Y5, Y0, Y0
	VEXTRACTF128 $1, Y0, X5
	VMAXPS X5, X0, X0
	VMOVHLPS X0, X5, X5
	VMAXPS X5, X0, X0
	VPSHUFD $1, X0, X5
	VMAXSS X5, X0, X0
	VDIVSS X7, X0, X5 // scale = mx/127
	VMOVSS X5, 0(BX)
	VDIVSS X0, X7, X6 // inv = 127/mx
	VUCOMISS X8, X0
	JNE  nonzero
	VXORPS X6, X6, X6

nonzero:
	VBROADCASTSS X6, Z6
	MOVQ SI, AX
	MOVQ R10, CX

rowq:
	VMULPS 0(AX), Z6, Z5
	VCVTPS2DQ Z5, Z5
	VPMAXSD Z2, Z5, Z5
	VPMINSD Z3, Z5, Z5
	VPADDD Z4, Z5, Z5
	VPMOVDB Z5, 0(DI)
	ADDQ $64, AX
	ADDQ $16, DI
	DECQ CX
	JNZ  rowq
	ADDQ R8, SI
	ADDQ $4, BX
	DECQ R9
	JNZ  row
	VZEROUPPER
	RET

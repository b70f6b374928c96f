//go:build !noasm

#include "textflag.h"

// Row gather and scatter-add of the embedding table (AVX2). Row r of the
// packed buffer belongs to token ids[r]; the table row of ids[r+PF] is
// prefetched while row r is processed (the rows of a batch are scattered
// over a table larger than the L2 cache). Every float is moved or added
// on its own lane, so the results are those of the Go loops bit for bit.
// The caller checks the ids and the sizes; e >= 1.

#define PF 4

// func addRowsAVX2(grad *float32, ids *int32, n int, dy *float32, e int)
//
// grad[ids[r]*e + j] += dy[r*e + j] for r = 0..n-1 in order, j < e.
TEXT ·addRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ grad+0(FP), BX
	MOVQ ids+8(FP), SI
	MOVQ n+16(FP), R10
	MOVQ dy+24(FP), DX
	MOVQ e+32(FP), R8
	SHLQ $2, R8                // row bytes
	XORQ R11, R11              // r
	TESTQ R10, R10
	JLE  adone

arow:
	LEAQ    PF(R11), R9
	CMPQ    R9, R10
	JGE     anopf
	MOVLQSX (SI)(R9*4), AX
	IMULQ   R8, AX
	PREFETCHT0 (BX)(AX*1)
	PREFETCHT0 64(BX)(AX*1)
	PREFETCHT0 128(BX)(AX*1)
	PREFETCHT0 192(BX)(AX*1)

anopf:
	MOVLQSX (SI)(R11*4), AX
	IMULQ   R8, AX
	LEAQ    (BX)(AX*1), DI     // table row
	MOVQ    e+32(FP), CX

a32:
	CMPQ    CX, $32
	JLT     a8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VADDPS  64(DX), Y2, Y2
	VADDPS  96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     a32

a8:
	CMPQ    CX, $8
	JLT     a1
	VMOVUPS (DI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     a8

a1:
	TESTQ   CX, CX
	JZ      anext
	VMOVSS  (DI), X0
	VADDSS  (DX), X0, X0
	VMOVSS  X0, (DI)
	ADDQ    $4, DI
	ADDQ    $4, DX
	DECQ    CX
	JMP     a1

anext:
	INCQ R11
	CMPQ R11, R10
	JLT  arow

adone:
	VZEROUPPER
	RET

// func gatherRowsAVX2(dst *float32, w *float32, ids *int32, n int, e int)
//
// dst[r*e + j] = w[ids[r]*e + j] for r < n, j < e.
TEXT ·gatherRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), BX
	MOVQ ids+16(FP), SI
	MOVQ n+24(FP), R10
	MOVQ e+32(FP), R8
	SHLQ $2, R8
	XORQ R11, R11
	TESTQ R10, R10
	JLE  gdone

grow:
	LEAQ    PF(R11), R9
	CMPQ    R9, R10
	JGE     gnopf
	MOVLQSX (SI)(R9*4), AX
	IMULQ   R8, AX
	PREFETCHT0 (BX)(AX*1)
	PREFETCHT0 64(BX)(AX*1)
	PREFETCHT0 128(BX)(AX*1)
	PREFETCHT0 192(BX)(AX*1)

gnopf:
	MOVLQSX (SI)(R11*4), AX
	IMULQ   R8, AX
	LEAQ    (BX)(AX*1), DI     // table row
	MOVQ    e+32(FP), CX

g32:
	CMPQ    CX, $32
	JLT     g8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     g32

g8:
	CMPQ    CX, $8
	JLT     g1
	VMOVUPS (DI), Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     g8

g1:
	TESTQ   CX, CX
	JZ      gnext
	MOVL    (DI), AX
	MOVL    AX, (DX)
	ADDQ    $4, DI
	ADDQ    $4, DX
	DECQ    CX
	JMP     g1

gnext:
	INCQ R11
	CMPQ R11, R10
	JLT  grow

gdone:
	VZEROUPPER
	RET

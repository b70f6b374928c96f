//go:build !noasm

#include "textflag.h"

// Element-wise Keras Adam update, 8 floats at a time with AVX (adamGeneric
// in adam.go is the Go version it must match bit for bit). Every
// operation is a single IEEE float32 operation rounded to nearest (no FMA;
// VSQRTPS and VDIVPS are correctly rounded like the scalar code's sqrt and
// division), so the result is the scalar one exactly. n is a multiple of 8.
// The update streams ~28 bytes per parameter and is memory-bound: an
// AVX-512 version measured no faster (AMD EPYC), so there is none.
//
// k points to AdamArgs: gscale+0 omb1+4 omb2+8 alpha+12 eps+16 wd+20 lr+24.
// Per element:
//
//	g' = g·gscale
//	m  = m + (g'-m)·omb1
//	v  = v + (g'·g'-v)·omb2
//	w  = w - (w·wd)·lr          (only when wd != 0)
//	w  = w - (m·alpha)/(sqrt(v)+eps)

// func adamAVX(w, grad, m, v *float32, n int, k *AdamArgs)
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS 20(AX), Y15
	VBROADCASTSS 24(AX), Y9
	MOVL 20(AX), BX
	ANDL $0x7fffffff, BX
	XORQ R10, R10
	TESTL BX, BX
	JNZ  decay256

plain256:
	CMPQ R10, CX
	JGE  done256
	VMOVUPS (SI)(R10*4), Y0
	VMULPS  Y10, Y0, Y0
	VMOVUPS (R8)(R10*4), Y1
	VSUBPS  Y1, Y0, Y2
	VMULPS  Y11, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (R8)(R10*4)
	VMOVUPS (R9)(R10*4), Y3
	VMULPS  Y0, Y0, Y4
	VSUBPS  Y3, Y4, Y4
	VMULPS  Y12, Y4, Y4
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R9)(R10*4)
	VSQRTPS Y3, Y3
	VADDPS  Y14, Y3, Y3
	VMULPS  Y13, Y1, Y1
	VDIVPS  Y3, Y1, Y1
	VMOVUPS (DI)(R10*4), Y5
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)(R10*4)
	ADDQ    $8, R10
	JMP     plain256

decay256:
	CMPQ R10, CX
	JGE  done256
	VMOVUPS (SI)(R10*4), Y0
	VMULPS  Y10, Y0, Y0
	VMOVUPS (R8)(R10*4), Y1
	VSUBPS  Y1, Y0, Y2
	VMULPS  Y11, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (R8)(R10*4)
	VMOVUPS (R9)(R10*4), Y3
	VMULPS  Y0, Y0, Y4
	VSUBPS  Y3, Y4, Y4
	VMULPS  Y12, Y4, Y4
	VADDPS  Y4, Y3, Y3
	VMOVUPS Y3, (R9)(R10*4)
	VSQRTPS Y3, Y3
	VADDPS  Y14, Y3, Y3
	VMULPS  Y13, Y1, Y1
	VDIVPS  Y3, Y1, Y1
	VMOVUPS (DI)(R10*4), Y5
	VMULPS  Y15, Y5, Y6
	VMULPS  Y9, Y6, Y6
	VSUBPS  Y6, Y5, Y5
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (DI)(R10*4)
	ADDQ    $8, R10
	JMP     decay256

done256:
	VZEROUPPER
	RET

// Moving average of the weights (use_ema), 8 floats at a time:
// avg = avg·mom + w·omm, each product and the sum one rounded float32
// operation as in emaGeneric (adam.go). n is a multiple of 8.

// func emaAVX(avg, w *float32, n int, mom, omm float32)
TEXT ·emaAVX(SB), NOSPLIT, $0-32
	MOVQ avg+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS mom+24(FP), Y10
	VBROADCASTSS omm+28(FP), Y11
	XORQ R10, R10

ema256:
	CMPQ R10, CX
	JGE  emadone
	VMOVUPS (DI)(R10*4), Y0
	VMULPS  Y10, Y0, Y0
	VMOVUPS (SI)(R10*4), Y1
	VMULPS  Y11, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)(R10*4)
	ADDQ    $8, R10
	JMP     ema256

emadone:
	VZEROUPPER
	RET

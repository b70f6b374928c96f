//go:build !noasm

#include "textflag.h"

// Sgemm microkernels. Each computes one register tile
//
//	C[0:mr, 0:nr] = alpha * Σ_p A[r, p] B[p, j] + beta * C[0:mr, 0:nr]
//
// over kc steps p, with beta == 0 (or -0) meaning "C is not read". B row p
// (MR=8 x NR=32 for AVX-512, 6x16 for AVX2) starts at b + p*bStride floats and
// holds NR contiguous values: a packed panel (bStride = NR) or B itself
// (bStride = ldb). A comes in one of two layouts:
//
//	...K kernels: A[r, p] = a[p*aStride + r]  (a packed panel, aStride = MR, or Aᵀ itself)
//	...R kernels: A[r, p] = a[r*lda + p]      (A itself, row-major)
//
// Rows r >= mr and columns j >= nr of C are neither read nor written; the
// kernel still reads all MR rows of A and NR columns of B, so the caller pads
// the packed panels of edge tiles. mr >= 1, 1 <= nr <= NR, kc >= 0.

// ---------------------------------------------------------------------------
// AVX-512: 8x32 tile, accumulators Z0..Z15 (row r in Z(2r), Z(2r+1)),
// B row in Z16/Z17, broadcasts of A in Z18..Z25.

#define FMA512(zr, acc0, acc1) \
	VFMADD231PS Z16, zr, acc0; \
	VFMADD231PS Z17, zr, acc1

// STEP512 is one k step: B row at b0/b1, the 8 A values at a0..a7.
#define STEP512(b0, b1, a0, a1, a2, a3, a4, a5, a6, a7) \
	VMOVUPS      b0, Z16;       \
	VMOVUPS      b1, Z17;       \
	VBROADCASTSS a0, Z18;       \
	VBROADCASTSS a1, Z19;       \
	VBROADCASTSS a2, Z20;       \
	VBROADCASTSS a3, Z21;       \
	FMA512(Z18, Z0, Z1);        \
	FMA512(Z19, Z2, Z3);        \
	VBROADCASTSS a4, Z22;       \
	VBROADCASTSS a5, Z23;       \
	FMA512(Z20, Z4, Z5);        \
	FMA512(Z21, Z6, Z7);        \
	VBROADCASTSS a6, Z24;       \
	VBROADCASTSS a7, Z25;       \
	FMA512(Z22, Z8, Z9);        \
	FMA512(Z23, Z10, Z11);      \
	FMA512(Z24, Z12, Z13);      \
	FMA512(Z25, Z14, Z15)

#define ZERO512 \
	VPXORD Z0, Z0, Z0;    \
	VPXORD Z1, Z1, Z1;    \
	VPXORD Z2, Z2, Z2;    \
	VPXORD Z3, Z3, Z3;    \
	VPXORD Z4, Z4, Z4;    \
	VPXORD Z5, Z5, Z5;    \
	VPXORD Z6, Z6, Z6;    \
	VPXORD Z7, Z7, Z7;    \
	VPXORD Z8, Z8, Z8;    \
	VPXORD Z9, Z9, Z9;    \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

// Row stores. K1/K2 mask the two column halves, Z31 holds beta, DI points
// at the C row, DX = ldc in bytes, R10 counts the rows left.
#define STORE512(acc0, acc1) \
	VMOVUPS acc0, K1, (DI);   \
	VMOVUPS acc1, K2, 64(DI)

#define UPDATE512(acc0, acc1) \
	VMOVUPS.Z   (DI), K1, Z26;   \
	VMOVUPS.Z   64(DI), K2, Z27; \
	VFMADD231PS Z31, Z26, acc0;  \
	VFMADD231PS Z31, Z27, acc1;  \
	VMOVUPS     acc0, K1, (DI);  \
	VMOVUPS     acc1, K2, 64(DI)

#define NEXTROW \
	DECQ R10;   \
	JZ   done;  \
	ADDQ DX, DI

// EPILOGUE512 scales by alpha (unless it is 1) and writes the tile.
// Expects CX free.
#define EPILOGUE512(alphaArg, betaArg, mrArg, nrArg, cArg, ldcArg) \
	CMPL         alphaArg, $0x3f800000; \
	JEQ          alphadone;     \
	VBROADCASTSS alphaArg, Z30; \
	VMULPS       Z30, Z0, Z0;   \
	VMULPS       Z30, Z1, Z1;   \
	VMULPS       Z30, Z2, Z2;   \
	VMULPS       Z30, Z3, Z3;   \
	VMULPS       Z30, Z4, Z4;   \
	VMULPS       Z30, Z5, Z5;   \
	VMULPS       Z30, Z6, Z6;   \
	VMULPS       Z30, Z7, Z7;   \
	VMULPS       Z30, Z8, Z8;   \
	VMULPS       Z30, Z9, Z9;   \
	VMULPS       Z30, Z10, Z10; \
	VMULPS       Z30, Z11, Z11; \
	VMULPS       Z30, Z12, Z12; \
	VMULPS       Z30, Z13, Z13; \
	VMULPS       Z30, Z14, Z14; \
	VMULPS       Z30, Z15, Z15; \
alphadone:                      \
	MOVQ         nrArg, CX;     \
	MOVL         $1, R14;       \
	SHLQ         CX, R14;       \
	DECQ         R14;           \
	KMOVW        R14, K1;       \
	SHRQ         $16, R14;      \
	KMOVW        R14, K2;       \
	MOVQ         mrArg, R10;    \
	MOVQ         cArg, DI;      \
	MOVQ         ldcArg, DX;    \
	SHLQ         $2, DX;        \
	MOVL         betaArg, R14;  \
	ANDL         $0x7fffffff, R14; \
	JZ           storeonly;     \
	VBROADCASTSS betaArg, Z31;  \
	UPDATE512(Z0, Z1);          \
	NEXTROW;                    \
	UPDATE512(Z2, Z3);          \
	NEXTROW;                    \
	UPDATE512(Z4, Z5);          \
	NEXTROW;                    \
	UPDATE512(Z6, Z7);          \
	NEXTROW;                    \
	UPDATE512(Z8, Z9);          \
	NEXTROW;                    \
	UPDATE512(Z10, Z11);        \
	NEXTROW;                    \
	UPDATE512(Z12, Z13);        \
	NEXTROW;                    \
	UPDATE512(Z14, Z15);        \
	JMP          done;          \
storeonly:                      \
	STORE512(Z0, Z1);           \
	NEXTROW;                    \
	STORE512(Z2, Z3);           \
	NEXTROW;                    \
	STORE512(Z4, Z5);           \
	NEXTROW;                    \
	STORE512(Z6, Z7);           \
	NEXTROW;                    \
	STORE512(Z8, Z9);           \
	NEXTROW;                    \
	STORE512(Z10, Z11);         \
	NEXTROW;                    \
	STORE512(Z12, Z13);         \
	NEXTROW;                    \
	STORE512(Z14, Z15);         \
done:                           \
	VZEROUPPER

// func sgemmK8x32AVX512(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)
TEXT ·sgemmK8x32AVX512(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ aStride+16(FP), R8
	MOVQ b+24(FP), BX
	MOVQ bStride+32(FP), R11
	SHLQ $2, R8                // aStride in bytes
	LEAQ (R8)(R8*2), R9        // 3*aStride
	LEAQ (R8*4), R10           // 4*aStride
	SHLQ $2, R11               // bStride in bytes
	LEAQ (R11)(R11*2), R12     // 3*bStride
	LEAQ (R11*4), R13          // 4*bStride
	ZERO512

	CMPQ CX, $4
	JLT  ktail

kloop4:
	STEP512((BX), 64(BX), (AX), 4(AX), 8(AX), 12(AX), 16(AX), 20(AX), 24(AX), 28(AX))
	STEP512((BX)(R11*1), 64(BX)(R11*1), (AX)(R8*1), 4(AX)(R8*1), 8(AX)(R8*1), 12(AX)(R8*1), 16(AX)(R8*1), 20(AX)(R8*1), 24(AX)(R8*1), 28(AX)(R8*1))
	STEP512((BX)(R11*2), 64(BX)(R11*2), (AX)(R8*2), 4(AX)(R8*2), 8(AX)(R8*2), 12(AX)(R8*2), 16(AX)(R8*2), 20(AX)(R8*2), 24(AX)(R8*2), 28(AX)(R8*2))
	STEP512((BX)(R12*1), 64(BX)(R12*1), (AX)(R9*1), 4(AX)(R9*1), 8(AX)(R9*1), 12(AX)(R9*1), 16(AX)(R9*1), 20(AX)(R9*1), 24(AX)(R9*1), 28(AX)(R9*1))
	ADDQ R10, AX
	ADDQ R13, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  kloop4

ktail:
	TESTQ CX, CX
	JZ    kdone

kloop1:
	STEP512((BX), 64(BX), (AX), 4(AX), 8(AX), 12(AX), 16(AX), 20(AX), 24(AX), 28(AX))
	ADDQ R8, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  kloop1

kdone:
	EPILOGUE512(alpha+56(FP), beta+60(FP), mr+64(FP), nr+72(FP), c+40(FP), ldc+48(FP))
	RET

// func sgemmR8x32AVX512(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)
TEXT ·sgemmR8x32AVX512(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), BX
	MOVQ bStride+32(FP), R11
	SHLQ $2, R8                // lda in bytes
	LEAQ (R8)(R8*2), R9        // 3*lda
	LEAQ (AX)(R8*4), SI        // row 4
	SHLQ $2, R11               // bStride in bytes
	LEAQ (R11)(R11*2), R12     // 3*bStride
	LEAQ (R11*4), R13          // 4*bStride
	ZERO512

	CMPQ CX, $4
	JLT  rtail

rloop4:
	STEP512((BX), 64(BX), (AX), (AX)(R8*1), (AX)(R8*2), (AX)(R9*1), (SI), (SI)(R8*1), (SI)(R8*2), (SI)(R9*1))
	STEP512((BX)(R11*1), 64(BX)(R11*1), 4(AX), 4(AX)(R8*1), 4(AX)(R8*2), 4(AX)(R9*1), 4(SI), 4(SI)(R8*1), 4(SI)(R8*2), 4(SI)(R9*1))
	STEP512((BX)(R11*2), 64(BX)(R11*2), 8(AX), 8(AX)(R8*1), 8(AX)(R8*2), 8(AX)(R9*1), 8(SI), 8(SI)(R8*1), 8(SI)(R8*2), 8(SI)(R9*1))
	STEP512((BX)(R12*1), 64(BX)(R12*1), 12(AX), 12(AX)(R8*1), 12(AX)(R8*2), 12(AX)(R9*1), 12(SI), 12(SI)(R8*1), 12(SI)(R8*2), 12(SI)(R9*1))
	ADDQ $16, AX
	ADDQ $16, SI
	ADDQ R13, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  rloop4

rtail:
	TESTQ CX, CX
	JZ    rdone

rloop1:
	STEP512((BX), 64(BX), (AX), (AX)(R8*1), (AX)(R8*2), (AX)(R9*1), (SI), (SI)(R8*1), (SI)(R8*2), (SI)(R9*1))
	ADDQ $4, AX
	ADDQ $4, SI
	ADDQ R11, BX
	DECQ CX
	JNZ  rloop1

rdone:
	EPILOGUE512(alpha+56(FP), beta+60(FP), mr+64(FP), nr+72(FP), c+40(FP), ldc+48(FP))
	RET

// ---------------------------------------------------------------------------
// AVX2 + FMA: 6x16 tile, accumulators Y0..Y11 (row r in Y(2r), Y(2r+1)),
// B row in Y12/Y13, broadcasts of A in Y14/Y15.

#define FMA256(yr, acc0, acc1) \
	VFMADD231PS Y12, yr, acc0; \
	VFMADD231PS Y13, yr, acc1

#define STEP256(b0, b1, a0, a1, a2, a3, a4, a5) \
	VMOVUPS      b0, Y12;  \
	VMOVUPS      b1, Y13;  \
	VBROADCASTSS a0, Y14;  \
	VBROADCASTSS a1, Y15;  \
	FMA256(Y14, Y0, Y1);   \
	FMA256(Y15, Y2, Y3);   \
	VBROADCASTSS a2, Y14;  \
	VBROADCASTSS a3, Y15;  \
	FMA256(Y14, Y4, Y5);   \
	FMA256(Y15, Y6, Y7);   \
	VBROADCASTSS a4, Y14;  \
	VBROADCASTSS a5, Y15;  \
	FMA256(Y14, Y8, Y9);   \
	FMA256(Y15, Y10, Y11)

#define ZERO256 \
	VXORPS Y0, Y0, Y0;    \
	VXORPS Y1, Y1, Y1;    \
	VXORPS Y2, Y2, Y2;    \
	VXORPS Y3, Y3, Y3;    \
	VXORPS Y4, Y4, Y4;    \
	VXORPS Y5, Y5, Y5;    \
	VXORPS Y6, Y6, Y6;    \
	VXORPS Y7, Y7, Y7;    \
	VXORPS Y8, Y8, Y8;    \
	VXORPS Y9, Y9, Y9;    \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// Full-width row stores (nr == 16); Y14 holds beta, Y15 is scratch.
#define STORE256(acc0, acc1) \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 32(DI)

#define UPDATE256(acc0, acc1) \
	VMOVUPS     (DI), Y15;       \
	VFMADD231PS Y14, Y15, acc0;  \
	VMOVUPS     32(DI), Y15;     \
	VFMADD231PS Y14, Y15, acc1;  \
	VMOVUPS     acc0, (DI);      \
	VMOVUPS     acc1, 32(DI)

// Masked row stores (nr < 16); Y12/Y13 hold the column masks.
#define MSTORE256(acc0, acc1) \
	VMASKMOVPS acc0, Y12, (DI); \
	VMASKMOVPS acc1, Y13, 32(DI)

#define MUPDATE256(acc0, acc1) \
	VMASKMOVPS  (DI), Y12, Y15;   \
	VFMADD231PS Y14, Y15, acc0;   \
	VMASKMOVPS  32(DI), Y13, Y15; \
	VFMADD231PS Y14, Y15, acc1;   \
	VMASKMOVPS  acc0, Y12, (DI);  \
	VMASKMOVPS  acc1, Y13, 32(DI)

#define ROWS256(OP, next) \
	OP(Y0, Y1);   \
	next;         \
	OP(Y2, Y3);   \
	next;         \
	OP(Y4, Y5);   \
	next;         \
	OP(Y6, Y7);   \
	next;         \
	OP(Y8, Y9);   \
	next;         \
	OP(Y10, Y11)

// maskTab256: 8 all-ones words then 8 zero words; the 8 words at
// maskTab256 + 4*(8-c) select the first c lanes.
DATA maskTab256<>+0(SB)/8, $0xffffffffffffffff
DATA maskTab256<>+8(SB)/8, $0xffffffffffffffff
DATA maskTab256<>+16(SB)/8, $0xffffffffffffffff
DATA maskTab256<>+24(SB)/8, $0xffffffffffffffff
DATA maskTab256<>+32(SB)/8, $0
DATA maskTab256<>+40(SB)/8, $0
DATA maskTab256<>+48(SB)/8, $0
DATA maskTab256<>+56(SB)/8, $0
GLOBL maskTab256<>(SB), RODATA|NOPTR, $64

#define EPILOGUE256(alphaArg, betaArg, mrArg, nrArg, cArg, ldcArg) \
	CMPL         alphaArg, $0x3f800000; \
	JEQ          alphadone;        \
	VBROADCASTSS alphaArg, Y15;    \
	VMULPS       Y15, Y0, Y0;      \
	VMULPS       Y15, Y1, Y1;      \
	VMULPS       Y15, Y2, Y2;      \
	VMULPS       Y15, Y3, Y3;      \
	VMULPS       Y15, Y4, Y4;      \
	VMULPS       Y15, Y5, Y5;      \
	VMULPS       Y15, Y6, Y6;      \
	VMULPS       Y15, Y7, Y7;      \
	VMULPS       Y15, Y8, Y8;      \
	VMULPS       Y15, Y9, Y9;      \
	VMULPS       Y15, Y10, Y10;    \
	VMULPS       Y15, Y11, Y11;    \
alphadone:                         \
	VBROADCASTSS betaArg, Y14;     \
	MOVQ         mrArg, R10;       \
	MOVQ         cArg, DI;         \
	MOVQ         ldcArg, DX;       \
	SHLQ         $2, DX;           \
	MOVL         betaArg, R14;     \
	ANDL         $0x7fffffff, R14; \
	MOVQ         nrArg, CX;        \
	CMPQ         CX, $16;          \
	JNE          masked;           \
	TESTL        R14, R14;         \
	JZ           storeonly;        \
	ROWS256(UPDATE256, NEXTROW);   \
	JMP          done;             \
storeonly:                         \
	ROWS256(STORE256, NEXTROW);    \
	JMP          done;             \
masked:                            \
	LEAQ         maskTab256<>(SB), SI; \
	MOVQ         $8, R9;           \
	CMPQ         CX, R9;           \
	CMOVQLT      CX, R9;           \
	NEGQ         R9;               \
	VMOVUPS      32(SI)(R9*4), Y12; \
	SUBQ         $8, CX;           \
	MOVQ         $0, R9;           \
	CMPQ         CX, R9;           \
	CMOVQGT      CX, R9;           \
	NEGQ         R9;               \
	VMOVUPS      32(SI)(R9*4), Y13; \
	TESTL        R14, R14;         \
	JZ           mstoreonly;       \
	ROWS256(MUPDATE256, NEXTROW);  \
	JMP          done;             \
mstoreonly:                        \
	ROWS256(MSTORE256, NEXTROW);   \
done:                              \
	VZEROUPPER

// func sgemmK6x16AVX2(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)
TEXT ·sgemmK6x16AVX2(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ aStride+16(FP), R8
	MOVQ b+24(FP), BX
	MOVQ bStride+32(FP), R11
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (R8*4), R10
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	LEAQ (R11*4), R13
	ZERO256

	CMPQ CX, $4
	JLT  ktail

kloop4:
	STEP256((BX), 32(BX), (AX), 4(AX), 8(AX), 12(AX), 16(AX), 20(AX))
	STEP256((BX)(R11*1), 32(BX)(R11*1), (AX)(R8*1), 4(AX)(R8*1), 8(AX)(R8*1), 12(AX)(R8*1), 16(AX)(R8*1), 20(AX)(R8*1))
	STEP256((BX)(R11*2), 32(BX)(R11*2), (AX)(R8*2), 4(AX)(R8*2), 8(AX)(R8*2), 12(AX)(R8*2), 16(AX)(R8*2), 20(AX)(R8*2))
	STEP256((BX)(R12*1), 32(BX)(R12*1), (AX)(R9*1), 4(AX)(R9*1), 8(AX)(R9*1), 12(AX)(R9*1), 16(AX)(R9*1), 20(AX)(R9*1))
	ADDQ R10, AX
	ADDQ R13, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  kloop4

ktail:
	TESTQ CX, CX
	JZ    kdone

kloop1:
	STEP256((BX), 32(BX), (AX), 4(AX), 8(AX), 12(AX), 16(AX), 20(AX))
	ADDQ R8, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  kloop1

kdone:
	EPILOGUE256(alpha+56(FP), beta+60(FP), mr+64(FP), nr+72(FP), c+40(FP), ldc+48(FP))
	RET

// func sgemmR6x16AVX2(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)
TEXT ·sgemmR6x16AVX2(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), BX
	MOVQ bStride+32(FP), R11
	SHLQ $2, R8
	LEAQ (AX)(R8*2), SI
	ADDQ R8, SI                // row 3
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	LEAQ (R11*4), R13
	ZERO256

	CMPQ CX, $4
	JLT  rtail

rloop4:
	STEP256((BX), 32(BX), (AX), (AX)(R8*1), (AX)(R8*2), (SI), (SI)(R8*1), (SI)(R8*2))
	STEP256((BX)(R11*1), 32(BX)(R11*1), 4(AX), 4(AX)(R8*1), 4(AX)(R8*2), 4(SI), 4(SI)(R8*1), 4(SI)(R8*2))
	STEP256((BX)(R11*2), 32(BX)(R11*2), 8(AX), 8(AX)(R8*1), 8(AX)(R8*2), 8(SI), 8(SI)(R8*1), 8(SI)(R8*2))
	STEP256((BX)(R12*1), 32(BX)(R12*1), 12(AX), 12(AX)(R8*1), 12(AX)(R8*2), 12(SI), 12(SI)(R8*1), 12(SI)(R8*2))
	ADDQ $16, AX
	ADDQ $16, SI
	ADDQ R13, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  rloop4

rtail:
	TESTQ CX, CX
	JZ    rdone

rloop1:
	STEP256((BX), 32(BX), (AX), (AX)(R8*1), (AX)(R8*2), (SI), (SI)(R8*1), (SI)(R8*2))
	ADDQ $4, AX
	ADDQ $4, SI
	ADDQ R11, BX
	DECQ CX
	JNZ  rloop1

rdone:
	EPILOGUE256(alpha+56(FP), beta+60(FP), mr+64(FP), nr+72(FP), c+40(FP), ldc+48(FP))
	RET

// ---------------------------------------------------------------------------
// func transposePanel(dst *float32, dstStride int, src *float32, srcStride int, n8, groups int)
//
// dst[p*dstStride + r] = src[r*srcStride + p] for r < 8*groups, p < 8*n8:
// packs rows of Bᵀ into a panel with one 8x8 AVX transpose per block,
// finishing each 8 panel rows across all groups before moving on so that
// the panel lines are written whole.
TEXT ·transposePanel(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R8
	MOVQ n8+32(FP), CX
	MOVQ groups+40(FP), BX
	SHLQ $2, DX
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9        // 3 src rows
	LEAQ (DX)(DX*2), R11       // 3 dst rows
	LEAQ (DX*4), R12           // 4 dst rows
	LEAQ (R8*8), R10           // 8 src rows
	TESTQ CX, CX
	JLE   tdone
	TESTQ BX, BX
	JLE   tdone

tblock:
	MOVQ SI, R13               // src of this step block, group 0
	MOVQ DI, R14               // dst of this step block, group 0
	MOVQ groups+40(FP), BX

tgroup:
	LEAQ (R13)(R8*4), AX       // row 4
	VMOVUPS (R13), Y0
	VMOVUPS (R13)(R8*1), Y1
	VMOVUPS (R13)(R8*2), Y2
	VMOVUPS (R13)(R9*1), Y3
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R8*1), Y5
	VMOVUPS (AX)(R8*2), Y6
	VMOVUPS (AX)(R9*1), Y7
	VUNPCKLPS  Y1, Y0, Y8
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0
	VSHUFPS    $0xee, Y10, Y8, Y1
	VSHUFPS    $0x44, Y11, Y9, Y2
	VSHUFPS    $0xee, Y11, Y9, Y3
	VSHUFPS    $0x44, Y14, Y12, Y4
	VSHUFPS    $0xee, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xee, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	LEAQ       (R14)(R12*1), AX // dst row 4
	VMOVUPS    Y8, (R14)
	VMOVUPS    Y9, (R14)(DX*1)
	VMOVUPS    Y10, (R14)(DX*2)
	VMOVUPS    Y11, (R14)(R11*1)
	VMOVUPS    Y12, (AX)
	VMOVUPS    Y13, (AX)(DX*1)
	VMOVUPS    Y14, (AX)(DX*2)
	VMOVUPS    Y15, (AX)(R11*1)
	ADDQ       R10, R13
	ADDQ       $32, R14
	DECQ       BX
	JNZ        tgroup

	ADDQ $32, SI
	LEAQ (DI)(R12*2), DI       // 8 dst rows
	DECQ CX
	JNZ  tblock

tdone:
	VZEROUPPER
	RET

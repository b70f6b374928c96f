//go:build !noasm

#include "textflag.h"

// LSTM gate math on one row (see LSTMGates and LSTMGatesBackward in gates.go
// for the equations). The AVX-512 functions handle any hid with a masked last
// chunk; the AVX2 functions handle hid8 = a multiple of 8 columns and leave
// the rest to Go.
//
// exp(x) is Cephes expf vectorised: n = round(x·log2e), r = x - n·ln2 in two
// parts, e^r by a degree-6 polynomial, scaled by 2^n (VSCALEFPS on AVX-512,
// exponent-field add on AVX2, with x clamped so that 2^n stays normal;
// there sigmoid patches e^-x = +Inf for -x > 88 so that sigmoid(-Inf) = 0).
// sigmoid(x) = 1/(1+e^-x); tanh(x) = x + x·P(x²) (Cephes tanhf) for
// |x| < 0.625, else sign(x)·(1 - 2/(e^2|x|+1)). NaN inputs give NaN.

DATA gk<>+0(SB)/4, $1.0
DATA gk<>+4(SB)/4, $2.0
DATA gk<>+8(SB)/4, $1.44269504088896341
DATA gk<>+12(SB)/4, $0.693359375
DATA gk<>+16(SB)/4, $-2.12194440e-4
DATA gk<>+20(SB)/4, $1.9875691500e-4
DATA gk<>+24(SB)/4, $1.3981999507e-3
DATA gk<>+28(SB)/4, $8.3334519073e-3
DATA gk<>+32(SB)/4, $4.1665795894e-2
DATA gk<>+36(SB)/4, $1.6666665459e-1
DATA gk<>+40(SB)/4, $5.0000001201e-1
DATA gk<>+44(SB)/4, $-5.70498872745e-3
DATA gk<>+48(SB)/4, $2.06390887954e-2
DATA gk<>+52(SB)/4, $-5.37397155531e-2
DATA gk<>+56(SB)/4, $1.33314422036e-1
DATA gk<>+60(SB)/4, $-3.33332819422e-1
DATA gk<>+64(SB)/4, $0.625
DATA gk<>+68(SB)/4, $0x80000000
DATA gk<>+72(SB)/4, $0x7fffffff
DATA gk<>+76(SB)/4, $89.0
DATA gk<>+80(SB)/4, $-87.3
DATA gk<>+84(SB)/4, $88.0
DATA gk<>+88(SB)/4, $-86.5
DATA gk<>+92(SB)/4, $0x7f800000
GLOBL gk<>(SB), RODATA|NOPTR, $96

#define K_ONE gk<>+0(SB)
#define K_TWO gk<>+4(SB)
#define K_LOG2E gk<>+8(SB)
#define K_C1 gk<>+12(SB)
#define K_C2 gk<>+16(SB)
#define K_P0 gk<>+20(SB)
#define K_P1 gk<>+24(SB)
#define K_P2 gk<>+28(SB)
#define K_P3 gk<>+32(SB)
#define K_P4 gk<>+36(SB)
#define K_P5 gk<>+40(SB)
#define K_Q0 gk<>+44(SB)
#define K_Q1 gk<>+48(SB)
#define K_Q2 gk<>+52(SB)
#define K_Q3 gk<>+56(SB)
#define K_Q4 gk<>+60(SB)
#define K_TSMALL gk<>+64(SB)
#define K_SIGN gk<>+68(SB)
#define K_ABS gk<>+72(SB)
#define K_HI512 gk<>+76(SB)
#define K_LO512 gk<>+80(SB)
#define K_HI256 gk<>+84(SB)
#define K_LO256 gk<>+88(SB)
#define K_INF gk<>+92(SB)

// ---------------------------------------------------------------------------
// AVX-512. Z31 = 1, Z30 = 2, Z29/Z28 = upper/lower clamp of exp.

// EXP512X2: xa = e^xa, xb = e^xb; a1, a2, b1, b2 scratch. The two
// independent chains (chunks a and b) run in lockstep so that they overlap.
// VMINPS/VMAXPS with x as the last (memory-capable) Intel operand return x
// when it is NaN. Z27 holds P0.
#define EXP512X2(xa, xb, a1, a2, b1, b2) \
	VMINPS            xa, Z29, xa;    \
	VMINPS            xb, Z29, xb;    \
	VMAXPS            xa, Z28, xa;    \
	VMAXPS            xb, Z28, xb;    \
	VMULPS.BCST       K_LOG2E, xa, a1; \
	VMULPS.BCST       K_LOG2E, xb, b1; \
	VRNDSCALEPS       $0, a1, a1;     \
	VRNDSCALEPS       $0, b1, b1;     \
	VFNMADD231PS.BCST K_C1, a1, xa;   \
	VFNMADD231PS.BCST K_C1, b1, xb;   \
	VFNMADD231PS.BCST K_C2, a1, xa;   \
	VFNMADD231PS.BCST K_C2, b1, xb;   \
	VMOVAPS           Z27, a2;        \
	VMOVAPS           Z27, b2;        \
	VFMADD213PS.BCST  K_P1, xa, a2;   \
	VFMADD213PS.BCST  K_P1, xb, b2;   \
	VFMADD213PS.BCST  K_P2, xa, a2;   \
	VFMADD213PS.BCST  K_P2, xb, b2;   \
	VFMADD213PS.BCST  K_P3, xa, a2;   \
	VFMADD213PS.BCST  K_P3, xb, b2;   \
	VFMADD213PS.BCST  K_P4, xa, a2;   \
	VFMADD213PS.BCST  K_P4, xb, b2;   \
	VFMADD213PS.BCST  K_P5, xa, a2;   \
	VFMADD213PS.BCST  K_P5, xb, b2;   \
	VMULPS            xa, a2, a2;     \
	VMULPS            xb, b2, b2;     \
	VFMADD213PS       xa, xa, a2;     \
	VFMADD213PS       xb, xb, b2;     \
	VADDPS            Z31, a2, a2;    \
	VADDPS            Z31, b2, b2;    \
	VSCALEFPS         a1, a2, xa;     \
	VSCALEFPS         b1, b2, xb

// SIG512X2: x = 1/(1+e^-x) for xa and xb.
#define SIG512X2(xa, xb, a1, a2, b1, b2) \
	VPXORD.BCST K_SIGN, xa, xa;        \
	VPXORD.BCST K_SIGN, xb, xb;        \
	EXP512X2(xa, xb, a1, a2, b1, b2);  \
	VADDPS      Z31, xa, xa;           \
	VADDPS      Z31, xb, xb;           \
	VDIVPS      xa, Z31, xa;           \
	VDIVPS      xb, Z31, xb

// TANH512X2: x = tanh(x) for xa and xb; clobbers K2 and K4. Z26 holds Q0.
#define TANH512X2(xa, xb, a1, a2, a3, a4, b1, b2, b3, b4) \
	VPANDD.BCST      K_ABS, xa, a3;         \
	VPANDD.BCST      K_ABS, xb, b3;         \
	VCMPPS.BCST      $1, K_TSMALL, a3, K2;  \
	VCMPPS.BCST      $1, K_TSMALL, b3, K4;  \
	VMULPS           xa, xa, a1;            \
	VMULPS           xb, xb, b1;            \
	VMOVAPS          Z26, a4;               \
	VMOVAPS          Z26, b4;               \
	VFMADD213PS.BCST K_Q1, a1, a4;          \
	VFMADD213PS.BCST K_Q1, b1, b4;          \
	VFMADD213PS.BCST K_Q2, a1, a4;          \
	VFMADD213PS.BCST K_Q2, b1, b4;          \
	VFMADD213PS.BCST K_Q3, a1, a4;          \
	VFMADD213PS.BCST K_Q3, b1, b4;          \
	VFMADD213PS.BCST K_Q4, a1, a4;          \
	VFMADD213PS.BCST K_Q4, b1, b4;          \
	VMULPS           a1, a4, a4;            \
	VMULPS           b1, b4, b4;            \
	VFMADD213PS      xa, xa, a4;            \
	VFMADD213PS      xb, xb, b4;            \
	VADDPS           a3, a3, a3;            \
	VADDPS           b3, b3, b3;            \
	EXP512X2(a3, b3, a1, a2, b1, b2);       \
	VADDPS           Z31, a3, a3;           \
	VADDPS           Z31, b3, b3;           \
	VDIVPS           a3, Z30, a3;           \
	VDIVPS           b3, Z30, b3;           \
	VSUBPS           a3, Z31, a3;           \
	VSUBPS           b3, Z31, b3;           \
	VPANDD.BCST      K_SIGN, xa, a1;        \
	VPANDD.BCST      K_SIGN, xb, b1;        \
	VPORD            a1, a3, a3;            \
	VPORD            b1, b3, b3;            \
	VMOVAPS          a4, K2, a3;            \
	VMOVAPS          b4, K4, b3;            \
	VMOVAPS          a3, xa;                \
	VMOVAPS          b3, xb

// CHUNKMASK512 sets K1 to the lanes left in this chunk: min(R10, 16).
#define CHUNKMASK512 \
	MOVL  $0xffff, R11; \
	CMPQ  R10, $16;     \
	JGE   full;         \
	MOVQ  R10, CX;      \
	MOVL  $1, R11;      \
	SHLL  CX, R11;      \
	DECL  R11;          \
full:                   \
	KMOVW R11, K1

// LOADGATES512 loads z + bias of chunk at byte offset off under mask k into
// i, f, g, o.
#define LOADGATES512(off, k, i, f, g, o, t) \
	VMOVUPS.Z off(AX), k, i;        \
	VMOVUPS.Z off(BX), k, t;        \
	VADDPS    t, i, i;              \
	VMOVUPS.Z off(AX)(R8*1), k, f;  \
	VMOVUPS.Z off(BX)(R8*1), k, t;  \
	VADDPS    t, f, f;              \
	VMOVUPS.Z off(AX)(R8*2), k, g;  \
	VMOVUPS.Z off(BX)(R8*2), k, t;  \
	VADDPS    t, g, g;              \
	VMOVUPS.Z off(AX)(R9*1), k, o;  \
	VMOVUPS.Z off(BX)(R9*1), k, t;  \
	VADDPS    t, o, o

// STOREGATES512 stores chunk results at byte offset off under mask k.
#define STOREGATES512(off, k, i, f, g, o, c, t, h) \
	VMOVUPS i, k, off(AX);        \
	VMOVUPS f, k, off(AX)(R8*1);  \
	VMOVUPS g, k, off(AX)(R8*2);  \
	VMOVUPS o, k, off(AX)(R9*1);  \
	VMOVUPS c, k, off(DX);        \
	VMOVUPS t, k, off(SI);        \
	VMOVUPS h, k, off(DI)

// func lstmGatesRowAVX512(h, c, tc, z, cPrev, bias *float32, hid int)
//
// Two chunks of 16 columns per iteration (masks K1, K3), computed in
// lockstep: chunk a in Z0..Z7, chunk b in Z8..Z13, scratch Z14..Z21.
TEXT ·lstmGatesRowAVX512(SB), NOSPLIT, $0-56
	MOVQ h+0(FP), DI
	MOVQ c+8(FP), DX
	MOVQ tc+16(FP), SI
	MOVQ z+24(FP), AX
	MOVQ cPrev+32(FP), R12
	MOVQ bias+40(FP), BX
	MOVQ hid+48(FP), R10
	MOVQ R10, R8
	SHLQ $2, R8                // gate stride in bytes
	LEAQ (R8)(R8*2), R9
	VBROADCASTSS K_ONE, Z31
	VBROADCASTSS K_TWO, Z30
	VBROADCASTSS K_HI512, Z29
	VBROADCASTSS K_LO512, Z28
	VBROADCASTSS K_P0, Z27
	VBROADCASTSS K_Q0, Z26

loop:
	// K1/K3: lanes of the two chunks, from min(R10, 32) low bits.
	MOVQ  $0xffffffff, R11
	CMPQ  R10, $32
	JGE   full
	MOVQ  R10, CX
	MOVL  $1, R11
	SHLQ  CX, R11
	DECQ  R11

full:
	KMOVW R11, K1
	SHRQ  $16, R11
	KMOVW R11, K3
	LOADGATES512(0, K1, Z0, Z1, Z2, Z3, Z14)
	LOADGATES512(64, K3, Z8, Z9, Z10, Z11, Z15)
	SIG512X2(Z0, Z8, Z14, Z15, Z16, Z17)
	SIG512X2(Z1, Z9, Z18, Z19, Z20, Z21)
	SIG512X2(Z3, Z11, Z14, Z15, Z16, Z17)
	TANH512X2(Z2, Z10, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21)
	VMULPS    Z2, Z0, Z4           // c = i·g
	VMULPS    Z10, Z8, Z12
	TESTQ     R12, R12
	JZ        nocp
	VMOVUPS.Z (R12), K1, Z7
	VMOVUPS.Z 64(R12), K3, Z13
	VFMADD231PS Z7, Z1, Z4         // c += f·cPrev
	VFMADD231PS Z13, Z9, Z12
	ADDQ      $128, R12

nocp:
	VMOVAPS Z4, Z5
	VMOVAPS Z12, Z13
	TANH512X2(Z5, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21)
	VMULPS  Z5, Z3, Z6             // h = o·tanh(c)
	VMULPS  Z13, Z11, Z7
	STOREGATES512(0, K1, Z0, Z1, Z2, Z3, Z4, Z5, Z6)
	STOREGATES512(64, K3, Z8, Z9, Z10, Z11, Z12, Z13, Z7)
	ADDQ    $128, AX
	ADDQ    $128, BX
	ADDQ    $128, DX
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, R10
	JG      loop
	VZEROUPPER
	RET

// func lstmGatesBackwardRowAVX512(dz, dc, dh, dy, gates, tc, cPrev *float32, hid int)
TEXT ·lstmGatesBackwardRowAVX512(SB), NOSPLIT, $0-64
	MOVQ dz+0(FP), DI
	MOVQ dc+8(FP), DX
	MOVQ dh+16(FP), SI
	MOVQ dy+24(FP), R13
	MOVQ gates+32(FP), AX
	MOVQ tc+40(FP), BX
	MOVQ cPrev+48(FP), R12
	MOVQ hid+56(FP), R10
	MOVQ R10, R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	VBROADCASTSS K_ONE, Z31

bloop:
	CHUNKMASK512
	VMOVUPS.Z (AX), K1, Z0         // i
	VMOVUPS.Z (AX)(R8*1), K1, Z1   // f
	VMOVUPS.Z (AX)(R8*2), K1, Z2   // g
	VMOVUPS.Z (AX)(R9*1), K1, Z3   // o
	VMOVUPS.Z (BX), K1, Z4         // tanh(c)
	VMOVUPS.Z (SI), K1, Z5         // dh
	VMOVUPS.Z (DX), K1, Z6         // dc
	TESTQ     R13, R13
	JZ        nody
	VMOVUPS.Z (R13), K1, Z7
	VADDPS    Z7, Z5, Z5           // dh += dy
	ADDQ      $64, R13

nody:
	VPXORD    Z14, Z14, Z14        // cPrev (zero state)
	TESTQ     R12, R12
	JZ        nocp
	VMOVUPS.Z (R12), K1, Z14
	ADDQ      $64, R12

nocp:
	VMOVAPS      Z31, Z7
	VFNMADD231PS Z4, Z4, Z7        // 1 - t²
	VMULPS       Z3, Z5, Z8        // dh·o
	VFMADD231PS  Z7, Z8, Z6        // dc' = dc + dh·o·(1-t²)
	VSUBPS       Z0, Z31, Z9       // dz_i = dc'·g·i·(1-i)
	VMULPS       Z0, Z9, Z9
	VMULPS       Z2, Z9, Z9
	VMULPS       Z6, Z9, Z9
	VSUBPS       Z1, Z31, Z10      // dz_f = dc'·cPrev·f·(1-f)
	VMULPS       Z1, Z10, Z10
	VMULPS       Z14, Z10, Z10
	VMULPS       Z6, Z10, Z10
	VMOVAPS      Z31, Z11          // dz_g = dc'·i·(1-g²)
	VFNMADD231PS Z2, Z2, Z11
	VMULPS       Z0, Z11, Z11
	VMULPS       Z6, Z11, Z11
	VSUBPS       Z3, Z31, Z12      // dz_o = dh·t·o·(1-o)
	VMULPS       Z3, Z12, Z12
	VMULPS       Z4, Z12, Z12
	VMULPS       Z5, Z12, Z12
	VMULPS       Z1, Z6, Z13       // dc_{t-1} = dc'·f
	VMOVUPS      Z9, K1, (DI)
	VMOVUPS      Z10, K1, (DI)(R8*1)
	VMOVUPS      Z11, K1, (DI)(R8*2)
	VMOVUPS      Z12, K1, (DI)(R9*1)
	VMOVUPS      Z13, K1, (DX)
	ADDQ         $64, DI
	ADDQ         $64, DX
	ADDQ         $64, SI
	ADDQ         $64, AX
	ADDQ         $64, BX
	SUBQ         $16, R10
	JG           bloop
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 + FMA. Y15 = 1, Y13/Y12 = upper/lower clamp of exp; constants are
// broadcast into scratch registers as needed.

// EXP256: x = e^x; t1..t3 scratch.
#define EXP256(x, t1, t2, t3) \
	VMINPS       x, Y13, x;   \
	VMAXPS       x, Y12, x;   \
	VBROADCASTSS K_LOG2E, t1; \
	VMULPS       t1, x, t1;   \
	VROUNDPS     $0, t1, t1;  \
	VBROADCASTSS K_C1, t2;    \
	VFNMADD231PS t2, t1, x;   \
	VBROADCASTSS K_C2, t2;    \
	VFNMADD231PS t2, t1, x;   \
	VBROADCASTSS K_P0, t2;    \
	VBROADCASTSS K_P1, t3;    \
	VFMADD213PS  t3, x, t2;   \
	VBROADCASTSS K_P2, t3;    \
	VFMADD213PS  t3, x, t2;   \
	VBROADCASTSS K_P3, t3;    \
	VFMADD213PS  t3, x, t2;   \
	VBROADCASTSS K_P4, t3;    \
	VFMADD213PS  t3, x, t2;   \
	VBROADCASTSS K_P5, t3;    \
	VFMADD213PS  t3, x, t2;   \
	VMULPS       x, t2, t2;   \
	VFMADD213PS  x, x, t2;    \
	VADDPS       Y15, t2, t2; \
	VCVTPS2DQ    t1, t1;      \
	VPSLLD       $23, t1, t1; \
	VPADDD       t1, t2, x

#define SIG256(x, t1, t2, t3, t4) \
	VBROADCASTSS K_SIGN, t1;    \
	VXORPS       t1, x, x;      \
	VCMPPS       $0x1e, Y13, x, t4; \
	EXP256(x, t1, t2, t3);      \
	VBROADCASTSS K_INF, t1;     \
	VBLENDVPS    t4, t1, x, x;  \
	VADDPS       Y15, x, x;     \
	VDIVPS       x, Y15, x

// TANH256: x = tanh(x); t1..t6 scratch.
#define TANH256(x, t1, t2, t3, t4, t5, t6) \
	VBROADCASTSS K_ABS, t4;      \
	VANDPS       t4, x, t4;      \
	VBROADCASTSS K_TSMALL, t5;   \
	VCMPPS       $1, t5, t4, t5; \
	VMULPS       x, x, t1;       \
	VBROADCASTSS K_Q0, t6;       \
	VBROADCASTSS K_Q1, t2;       \
	VFMADD213PS  t2, t1, t6;     \
	VBROADCASTSS K_Q2, t2;       \
	VFMADD213PS  t2, t1, t6;     \
	VBROADCASTSS K_Q3, t2;       \
	VFMADD213PS  t2, t1, t6;     \
	VBROADCASTSS K_Q4, t2;       \
	VFMADD213PS  t2, t1, t6;     \
	VMULPS       t1, t6, t6;     \
	VFMADD213PS  x, x, t6;       \
	VADDPS       t4, t4, t4;     \
	EXP256(t4, t1, t2, t3);      \
	VADDPS       Y15, t4, t4;    \
	VBROADCASTSS K_TWO, t1;      \
	VDIVPS       t4, t1, t4;     \
	VSUBPS       t4, Y15, t4;    \
	VBROADCASTSS K_SIGN, t1;     \
	VANDPS       x, t1, t1;      \
	VORPS        t1, t4, t4;     \
	VBLENDVPS    t5, t6, t4, x

// func lstmGatesRowAVX2(h, c, tc, z, cPrev, bias *float32, hid, hid8 int)
TEXT ·lstmGatesRowAVX2(SB), NOSPLIT, $0-64
	MOVQ h+0(FP), DI
	MOVQ c+8(FP), DX
	MOVQ tc+16(FP), SI
	MOVQ z+24(FP), AX
	MOVQ cPrev+32(FP), R12
	MOVQ bias+40(FP), BX
	MOVQ hid+48(FP), R8
	MOVQ hid8+56(FP), R10
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	VBROADCASTSS K_ONE, Y15
	VBROADCASTSS K_HI256, Y13
	VBROADCASTSS K_LO256, Y12
	TESTQ R10, R10
	JLE   done

loop:
	VMOVUPS (AX), Y0
	VADDPS  (BX), Y0, Y0
	VMOVUPS (AX)(R8*1), Y1
	VADDPS  (BX)(R8*1), Y1, Y1
	VMOVUPS (AX)(R8*2), Y2
	VADDPS  (BX)(R8*2), Y2, Y2
	VMOVUPS (AX)(R9*1), Y3
	VADDPS  (BX)(R9*1), Y3, Y3
	SIG256(Y0, Y4, Y5, Y6, Y7)
	SIG256(Y1, Y4, Y5, Y6, Y7)
	SIG256(Y3, Y4, Y5, Y6, Y7)
	TANH256(Y2, Y4, Y5, Y6, Y7, Y8, Y9)
	VMULPS  Y2, Y0, Y10            // c = i·g
	TESTQ   R12, R12
	JZ      nocp
	VMOVUPS (R12), Y11
	VFMADD231PS Y11, Y1, Y10       // c += f·cPrev
	ADDQ    $32, R12

nocp:
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R8*1)
	VMOVUPS Y2, (AX)(R8*2)
	VMOVUPS Y3, (AX)(R9*1)
	VMOVAPS Y10, Y11
	TANH256(Y11, Y4, Y5, Y6, Y7, Y8, Y9)
	VMULPS  Y11, Y3, Y14           // h = o·tanh(c)
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, (SI)
	VMOVUPS Y14, (DI)
	ADDQ    $32, AX
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, R10
	JG      loop

done:
	VZEROUPPER
	RET

// func lstmGatesBackwardRowAVX2(dz, dc, dh, dy, gates, tc, cPrev *float32, hid, hid8 int)
TEXT ·lstmGatesBackwardRowAVX2(SB), NOSPLIT, $0-72
	MOVQ dz+0(FP), DI
	MOVQ dc+8(FP), DX
	MOVQ dh+16(FP), SI
	MOVQ dy+24(FP), R13
	MOVQ gates+32(FP), AX
	MOVQ tc+40(FP), BX
	MOVQ cPrev+48(FP), R12
	MOVQ hid+56(FP), R8
	MOVQ hid8+64(FP), R10
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	VBROADCASTSS K_ONE, Y15
	TESTQ R10, R10
	JLE   done

bloop:
	VMOVUPS (AX), Y0               // i
	VMOVUPS (AX)(R8*1), Y1         // f
	VMOVUPS (AX)(R8*2), Y2         // g
	VMOVUPS (AX)(R9*1), Y3         // o
	VMOVUPS (BX), Y4               // tanh(c)
	VMOVUPS (SI), Y5               // dh
	VMOVUPS (DX), Y6               // dc
	TESTQ   R13, R13
	JZ      nody
	VADDPS  (R13), Y5, Y5          // dh += dy
	ADDQ    $32, R13

nody:
	VXORPS  Y14, Y14, Y14          // cPrev (zero state)
	TESTQ   R12, R12
	JZ      nocp
	VMOVUPS (R12), Y14
	ADDQ    $32, R12

nocp:
	VMOVAPS      Y15, Y7
	VFNMADD231PS Y4, Y4, Y7        // 1 - t²
	VMULPS       Y3, Y5, Y8        // dh·o
	VFMADD231PS  Y7, Y8, Y6        // dc'
	VSUBPS       Y0, Y15, Y9       // dz_i
	VMULPS       Y0, Y9, Y9
	VMULPS       Y2, Y9, Y9
	VMULPS       Y6, Y9, Y9
	VSUBPS       Y1, Y15, Y10      // dz_f
	VMULPS       Y1, Y10, Y10
	VMULPS       Y14, Y10, Y10
	VMULPS       Y6, Y10, Y10
	VMOVAPS      Y15, Y11          // dz_g
	VFNMADD231PS Y2, Y2, Y11
	VMULPS       Y0, Y11, Y11
	VMULPS       Y6, Y11, Y11
	VSUBPS       Y3, Y15, Y12      // dz_o
	VMULPS       Y3, Y12, Y12
	VMULPS       Y4, Y12, Y12
	VMULPS       Y5, Y12, Y12
	VMULPS       Y1, Y6, Y13       // dc_{t-1}
	VMOVUPS      Y9, (DI)
	VMOVUPS      Y10, (DI)(R8*1)
	VMOVUPS      Y11, (DI)(R8*2)
	VMOVUPS      Y12, (DI)(R9*1)
	VMOVUPS      Y13, (DX)
	ADDQ         $32, DI
	ADDQ         $32, DX
	ADDQ         $32, SI
	ADDQ         $32, AX
	ADDQ         $32, BX
	SUBQ         $8, R10
	JG           bloop

done:
	VZEROUPPER
	RET

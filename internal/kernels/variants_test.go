package kernels

import (
	"os"
	"testing"
)

// TestMain logs the dispatch table once for the package and fails when
// LSTMCTL_REQUIRE_AVX512=1 and a variant of this build cannot run.
func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// variantsOf returns every variant of family f that this build has and
// this CPU runs, generic first, so that tests and benchmarks cover them all.
// With LSTMCTL_REQUIRE_AVX512=1 a variant of this build that the CPU cannot
// run fails the test instead of being left out silently.
func variantsOf(tb testing.TB, f family) []level {
	tb.Helper()
	if err := CheckRequired(); err != nil {
		tb.Fatal(err)
	}
	ls := available(f)
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.String()
	}
	tb.Logf("%s variants run: %v (in use: %s)", familyNames[f], names, active[f])
	return ls
}

// namedFn is one variant of a kernel: its name and its function.
type namedFn[F any] struct {
	name string
	fn   F
}

// variantFns returns variantsOf(tb, f) with their functions, at(l).
func variantFns[F any](tb testing.TB, f family, at func(level) F) []namedFn[F] {
	var v []namedFn[F]
	for _, l := range variantsOf(tb, f) {
		v = append(v, namedFn[F]{l.String(), at(l)})
	}
	return v
}

func sgemmVariants(tb testing.TB) []sgemmVariant { return variantFns(tb, famSgemm, sgemmAt) }

func colSumsVariants(tb testing.TB) []colSumsVariant { return variantFns(tb, famColSum, colSumsAt) }

func transposeVariants(tb testing.TB) []transposeVariant {
	return variantFns(tb, famTranspose, transposeAt)
}

func gatesVariants(tb testing.TB) []gatesVariant {
	var v []gatesVariant
	for _, l := range variantsOf(tb, famGates) {
		fwd, bwd := gatesAt(l)
		v = append(v, gatesVariant{l.String(), fwd, bwd})
	}
	return v
}

// withVariant runs f with family fam forced to variant l.
func withVariant(fam family, l level, f func()) {
	saved := active[fam]
	active[fam] = l
	defer func() { active[fam] = saved }()
	f()
}

// TestVariantsTable checks the dispatch table: every family runs the best
// variant available, Variants reports it, and Force switches and restores.
func TestVariantsTable(t *testing.T) {
	t.Logf("kernel variants: %v", Variants())
	vs := Variants()
	for f := range numFamilies {
		ls := variantsOf(t, f)
		if got, want := vs[familyNames[f]], ls[len(ls)-1].String(); got != want {
			t.Errorf("%s: in use %s, want the best available %s", familyNames[f], got, want)
		}
		for _, l := range ls {
			restore, err := Force(familyNames[f], l.String())
			if err != nil {
				t.Fatal(err)
			}
			if got := Variants()[familyNames[f]]; got != l.String() {
				t.Errorf("Force(%s, %s): Variants says %s", familyNames[f], l, got)
			}
			restore()
		}
		if got := Variants()[familyNames[f]]; got != vs[familyNames[f]] {
			t.Errorf("%s: %s after restore, want %s", familyNames[f], got, vs[familyNames[f]])
		}
	}
	if _, err := Force("sgemm", "mmx"); err == nil {
		t.Error("Force accepted an unknown variant")
	}
	if _, err := Force("fft", "generic"); err == nil {
		t.Error("Force accepted an unknown family")
	}
	if len(compiled[famSgemm]) == 0 { // -tags noasm, or not amd64
		for fam, v := range vs {
			if v != "generic" {
				t.Errorf("%s runs %s in a build without assembly", fam, v)
			}
		}
	}
}

// TestRequireEnv: with LSTMCTL_REQUIRE_AVX512=1, a CPU below AVX-512 fails
// an assembly build, and a build without assembly never does.
func TestRequireEnv(t *testing.T) {
	saved := cpuLevel
	defer func() { cpuLevel = saved }()
	cpuLevel = avx2
	t.Setenv(RequireEnv, "")
	if err := CheckRequired(); err != nil {
		t.Errorf("unset: %v", err)
	}
	t.Setenv(RequireEnv, "1")
	err := CheckRequired()
	if hasAsm := len(compiled[famSgemm]) > 0; hasAsm != (err != nil) {
		t.Errorf("assembly build %v, CPU at avx2: CheckRequired = %v", hasAsm, err)
	}
	t.Logf("on an AVX2 CPU: %v", err)
}

package kernels

import (
	"fmt"
	"os"
	"strings"
)

// family is a group of kernels that switch variant together.
type family int

const (
	famSgemm     family = iota // Sgemm, SgemmNTWithBT (and BLAS.Sgemm)
	famGates                   // LSTMGates, LSTMGatesBackward
	famColSum                  // AddColumnSums
	famTranspose               // Transpose
	famAdam                    // AdamUpdate, EMAUpdate
	famRows                    // GatherRows, AddRows
	famQGemm                   // QGemm
	numFamilies
)

var familyNames = [numFamilies]string{"sgemm", "gates", "colsum", "transpose", "adam", "rows", "qgemm"}

// level is a variant: the instruction set a kernel is written for. The
// levels are nested: a CPU that runs one runs every lower one.
type level uint8

const (
	generic    level = iota // pure Go
	avx                     // AVX
	avx2                    // AVX2 and FMA
	avx512                  // AVX-512F, AVX2 and FMA
	avx512vnni              // avx512 and AVX512_VNNI
	numLevels
)

var levelNames = [numLevels]string{"generic", "avx", "avx2", "avx512", "avx512vnni"}

func (l level) String() string { return levelNames[l] }

// active is the dispatch table: the variant every family runs. init fills
// it with the best variant of each family that this build has (compiled)
// and this CPU runs (cpuLevel); only Force changes it afterwards.
var active [numFamilies]level

func init() {
	for f := range numFamilies {
		active[f] = available(f)[len(available(f))-1]
	}
}

// available returns the variants of family f that this build has and this
// CPU runs, generic first.
func available(f family) []level {
	ls := []level{generic}
	for _, l := range compiled[f] {
		if l <= cpuLevel {
			ls = append(ls, l)
		}
	}
	return ls
}

// Variants returns the variant in use for every kernel family ("sgemm",
// "gates", "colsum", "transpose", "adam", "rows", "qgemm"): "avx512vnni",
// "avx512", "avx2", "avx" or "generic".
func Variants() map[string]string {
	m := make(map[string]string, numFamilies)
	for f, l := range active {
		m[familyNames[f]] = l.String()
	}
	return m
}

// Unsupported returns the assembly variants that this build has but this
// CPU cannot run, as "family/variant" (none under -tags noasm).
func Unsupported() []string {
	var out []string
	for f := range numFamilies {
		for _, l := range compiled[f] {
			if l > cpuLevel {
				out = append(out, familyNames[f]+"/"+l.String())
			}
		}
	}
	return out
}

// Force makes family run variant (a name of Variants) until restore is
// called, so that tests and benchmarks of the callers can run every variant
// the CPU supports. It is not safe to call while kernels run.
func Force(familyName, variant string) (restore func(), err error) {
	f := family(-1)
	for i, n := range familyNames {
		if n == familyName {
			f = family(i)
		}
	}
	if f < 0 {
		return nil, fmt.Errorf("kernels: no kernel family %q", familyName)
	}
	for _, l := range available(f) {
		if l.String() == variant {
			saved := active[f]
			active[f] = l
			return func() { active[f] = saved }, nil
		}
	}
	return nil, fmt.Errorf("kernels: %s has no variant %q on this CPU and build", familyName, variant)
}

// Available returns the variants of family that this build has and this CPU
// runs, "generic" first.
func Available(familyName string) []string {
	var out []string
	for f, n := range familyNames {
		if n == familyName {
			for _, l := range available(family(f)) {
				out = append(out, l.String())
			}
		}
	}
	return out
}

// RequireEnv is the environment variable that, set to 1, makes the tests
// fail when this build has an assembly variant (AVX-512 included) that the
// CPU cannot run, instead of silently testing the others only.
const RequireEnv = "LSTMCTL_REQUIRE_AVX512"

// RunTests is a TestMain for the packages that use the kernels: it prints
// the variants in use (shown with go test -v or on failure), fails when
// RequireEnv is set and a variant cannot run, else returns m.Run().
func RunTests(m interface{ Run() int }) int {
	fmt.Printf("kernel variants: %v\n", Variants())
	if err := CheckRequired(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// CheckRequired returns an error when RequireEnv is set to 1 and this build
// has assembly variants the CPU cannot run.
func CheckRequired() error {
	if os.Getenv(RequireEnv) != "1" {
		return nil
	}
	if u := Unsupported(); len(u) > 0 {
		return fmt.Errorf("%s=1 but this CPU cannot run %s", RequireEnv, strings.Join(u, ", "))
	}
	return nil
}

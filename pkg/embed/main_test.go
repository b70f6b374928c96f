package embed

import (
	"os"
	"testing"

	"github.com/lstmctl/lstmctl/internal/kernels"
)

// TestMain prints the kernel variants the tests run on (go test -v) and
// fails when LSTMCTL_REQUIRE_AVX512=1 and a variant cannot run here.
func TestMain(m *testing.M) { os.Exit(kernels.RunTests(m)) }

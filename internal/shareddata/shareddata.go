package shareddata

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvVar is the environment variable that names the shared data folder.
const EnvVar = "LSTMCTL_SHARED_DATA"

// modulePath identifies the repository's go.mod among the go.mod files
// above a package.
const modulePath = "github.com/lstmctl/lstmctl"

// Dir returns the shared data folder. When it is not there, Dir skips the
// test, or fails it in CI (see the package doc).
func Dir(tb testing.TB) string {
	tb.Helper()
	return Path(tb)
}

// Path returns filepath.Join(Dir(tb), elem...) after checking that it
// exists. When it does not, Path skips the test, or fails it in CI.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		missing(tb, "the shared data folder could not be located: "+err.Error())
		return ""
	}
	dir, err := locate(os.Getenv, wd)
	if err != nil {
		missing(tb, "the shared data folder could not be located: "+err.Error())
		return ""
	}
	p := filepath.Join(append([]string{dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		what := "no shared data at " + p
		if !errors.Is(err, os.ErrNotExist) {
			what += ": " + err.Error()
		}
		missing(tb, what)
		return ""
	}
	return p
}

// Locate returns the shared data folder by the rules of the package doc,
// without checking that it exists: for the development scripts, which
// take it as the default of their -data flag.
func Locate() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return locate(os.Getenv, wd)
}

// locate returns the shared data folder for the environment getenv and the
// absolute working directory wd, without checking that it exists.
func locate(getenv func(string) string, wd string) (string, error) {
	v := getenv(EnvVar)
	if filepath.IsAbs(v) {
		return filepath.Clean(v), nil
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	if v != "" {
		return filepath.Join(root, v), nil
	}
	return filepath.Join(filepath.Dir(root), "shared", "data"), nil
}

// moduleRoot returns the nearest directory at or above dir whose go.mod
// declares modulePath. Other modules on the way (a nested tool module, a
// checkout inside another module) are passed over.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if declaresModule(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("no go.mod of module %s at or above %s", modulePath, dir)
		}
		d = up
	}
}

// declaresModule reports whether the go.mod file at path declares
// modulePath. A missing or unreadable file declares nothing.
func declaresModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		return strings.Trim(strings.TrimSpace(rest), `"`) == modulePath
	}
	return false
}

// inCI reports whether the tests run in CI, where a missing data set is a
// failure.
func inCI() bool {
	v := os.Getenv("CI")
	return v == "1" || strings.EqualFold(v, "true")
}

// missing skips tb, or fails it in CI, with what went wrong and where the
// folder is looked for.
func missing(tb testing.TB, what string) {
	tb.Helper()
	where := fmt.Sprintf("%s is unset, so the folder is shared/data beside the repository's root; "+
		"set it to the folder holding trec/, sst2/, mr/ and 20news-bydate-train/", EnvVar)
	if v := os.Getenv(EnvVar); v != "" {
		where = fmt.Sprintf("from %s=%s", EnvVar, v)
	}
	if inCI() {
		tb.Fatalf("%s (%s); CI is set, so real-data tests fail instead of skipping", what, where)
		return
	}
	tb.Skipf("%s (%s)", what, where)
}

package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of acting
// on the test; like the real ones, they end the goroutine that calls them.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs f with a recorder on a goroutine of its own, as the testing
// package runs a test, and returns what f returned and what it recorded.
func record(t *testing.T, f func(testing.TB) string) (string, *recorder) {
	r := &recorder{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = f(r)
	}()
	<-done
	return got, r
}

// mkdir creates the folder elem below dir and returns its path.
func mkdir(t *testing.T, dir string, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{dir}, elem...)...)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkout lays out a repository beside a shared folder in a temporary
// directory, as locally and in CI, and returns the temporary directory and
// the repository's root.
func checkout(t *testing.T) (tmp, root string) {
	tmp = t.TempDir()
	root = mkdir(t, tmp, "repo")
	writeFile(t, filepath.Join(root, "go.mod"), "module github.com/lstmctl/lstmctl\n\ngo 1.26.0\n")
	mkdir(t, root, "pkg", "data")
	return tmp, root
}

func noEnv(string) string { return "" }

func TestLocateBesideModuleRoot(t *testing.T) {
	tmp, root := checkout(t)
	want := filepath.Join(tmp, "shared", "data")
	for _, wd := range []string{root, filepath.Join(root, "pkg"), filepath.Join(root, "pkg", "data")} {
		got, err := locate(noEnv, wd)
		if err != nil || got != want {
			t.Errorf("locate from %s = %q, %v; want %q", wd, got, err, want)
		}
	}
}

func TestLocatePassesOverOtherModules(t *testing.T) {
	tmp, root := checkout(t)
	// A nested module of its own, and one whose path only starts like ours.
	tool := mkdir(t, root, "scripts", "tool")
	writeFile(t, filepath.Join(tool, "go.mod"), "module example.com/tool\n")
	v2 := mkdir(t, root, "v2")
	writeFile(t, filepath.Join(v2, "go.mod"), "module github.com/lstmctl/lstmctl/v2\n")
	want := filepath.Join(tmp, "shared", "data")
	for _, wd := range []string{tool, v2} {
		got, err := locate(noEnv, wd)
		if err != nil || got != want {
			t.Errorf("locate from %s = %q, %v; want %q", wd, got, err, want)
		}
	}
}

func TestDeclaresModule(t *testing.T) {
	for _, tc := range []struct {
		gomod string
		want  bool
	}{
		{"module github.com/lstmctl/lstmctl\n", true},
		{"// the CLI\nmodule \"github.com/lstmctl/lstmctl\" // quoted\n\ngo 1.26.0\n", true},
		{"\tmodule\tgithub.com/lstmctl/lstmctl\n", true},
		{"// module github.com/lstmctl/lstmctl\nmodule example.com/x\n", false},
		{"modules github.com/lstmctl/lstmctl\n", false},
		{"module github.com/lstmctl/lstmctl/v2\n", false},
		{"go 1.26.0\n", false},
		{"", false},
	} {
		p := filepath.Join(t.TempDir(), "go.mod")
		writeFile(t, p, tc.gomod)
		if got := declaresModule(p); got != tc.want {
			t.Errorf("declaresModule(%q) = %v, want %v", tc.gomod, got, tc.want)
		}
	}
	if declaresModule(filepath.Join(t.TempDir(), "go.mod")) {
		t.Error("a missing go.mod declares the module")
	}
}

func TestLocateWithoutModule(t *testing.T) {
	// Walking up from a bare temporary directory reads go.mod files above it
	// (none, on a sane machine) and finds no root.
	_, err := locate(noEnv, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), modulePath) {
		t.Errorf("locate outside the module: %v, want an error naming %s", err, modulePath)
	}
}

func TestLocateFromEnv(t *testing.T) {
	tmp, root := checkout(t)
	wd := filepath.Join(root, "pkg", "data")
	abs := filepath.Join(tmp, "elsewhere", "data")
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvVar {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct{ env, want string }{
		{abs, abs},
		{abs + string(filepath.Separator), abs},
		// Relative to the module root, not to the package being tested.
		{filepath.Join("..", "elsewhere", "data"), abs},
	} {
		got, err := locate(env(tc.env), wd)
		if err != nil || got != tc.want {
			t.Errorf("locate with %s=%q = %q, %v; want %q", EnvVar, tc.env, got, err, tc.want)
		}
	}
	// An absolute value needs no module root.
	if got, err := locate(env(abs), t.TempDir()); err != nil || got != abs {
		t.Errorf("locate with %s=%q outside the module = %q, %v", EnvVar, abs, got, err)
	}
}

func TestModuleRootOfThisRepository(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if want := filepath.Dir(filepath.Dir(wd)); err != nil || root != want { // internal/shareddata
		t.Errorf("moduleRoot(%s) = %q, %v; want %q", wd, root, err, want)
	}
}

func TestPathFromEnv(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(mkdir(t, dir, "trec"), "train.txt"), "__label__HUM Who ?\n")
	t.Setenv(EnvVar, dir)
	t.Setenv("CI", "true")
	if got := Dir(t); got != dir {
		t.Errorf("Dir = %q, want %q", got, dir)
	}
	if got, want := Path(t, "trec", "train.txt"), filepath.Join(dir, "trec", "train.txt"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	mkdir(t, dir, "trec")
	absent := filepath.Join(dir, "absent")
	for _, tc := range []struct {
		name, env, ci string
		call          func(testing.TB) string
		path          string // the path the message names
		fail          bool
	}{
		{"dir", absent, "", Dir, absent, false},
		{"dir CI=false", absent, "false", Dir, absent, false},
		{"dir CI=0", absent, "0", Dir, absent, false},
		{"dir CI=true", absent, "true", Dir, absent, true},
		{"dir CI=1", absent, "1", Dir, absent, true},
		{"dir CI=TRUE", absent, "TRUE", Dir, absent, true},
		{"file", dir, "", func(tb testing.TB) string { return Path(tb, "trec", "test.txt") },
			filepath.Join(dir, "trec", "test.txt"), false},
		{"file CI=true", dir, "true", func(tb testing.TB) string { return Path(tb, "trec", "test.txt") },
			filepath.Join(dir, "trec", "test.txt"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvVar, tc.env)
			t.Setenv("CI", tc.ci)
			got, r := record(t, tc.call)
			if got != "" {
				t.Errorf("returned %q for missing data", got)
			}
			msg, other := r.skip, r.fatal
			if tc.fail {
				msg, other = r.fatal, r.skip
			}
			if other != "" {
				t.Errorf("fatal %q, skip %q: want only a %s", r.fatal, r.skip, map[bool]string{false: "skip", true: "failure"}[tc.fail])
			}
			if !strings.Contains(msg, "no shared data at "+tc.path+" ") || !strings.Contains(msg, EnvVar+"="+tc.env) {
				t.Errorf("message %q does not name the path %s and %s", msg, tc.path, EnvVar)
			}
			if tc.fail && !strings.Contains(msg, "CI") {
				t.Errorf("failure %q does not say that CI makes it one", msg)
			}
		})
	}
}

func TestMissingWithoutEnvNamesTheVariable(t *testing.T) {
	t.Setenv(EnvVar, "")
	t.Setenv("CI", "")
	_, r := record(t, func(tb testing.TB) string { missing(tb, "no shared data at /x"); return "" })
	if !strings.HasPrefix(r.skip, "no shared data at /x (") || !strings.Contains(r.skip, EnvVar+" is unset") || r.fatal != "" {
		t.Errorf("skip %q, fatal %q", r.skip, r.fatal)
	}
}

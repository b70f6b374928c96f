package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

var updateCLIReference = flag.Bool("update", false, "rewrite docs/cli from the command tree")

// cliReferenceDir is docs/cli seen from this package's directory.
const cliReferenceDir = "../../docs/cli"

// TestCLIReference keeps docs/cli, the Markdown reference generated from the
// cobra commands, equal to what the current command tree generates. Run with
// -update to rewrite it.
func TestCLIReference(t *testing.T) {
	got := generateCLIReference(t)

	if *updateCLIReference {
		if err := os.RemoveAll(cliReferenceDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(cliReferenceDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range got {
			if err := os.WriteFile(filepath.Join(cliReferenceDir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d files into docs/cli", len(got))
		return
	}

	want := map[string][]byte{}
	entries, err := os.ReadDir(cliReferenceDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(cliReferenceDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want[e.Name()] = b
	}

	var stale []string
	for name, content := range got {
		old, ok := want[name]
		switch {
		case !ok:
			stale = append(stale, name+" (missing)")
		case !bytes.Equal(old, content):
			stale = append(stale, name+" (differs)")
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			stale = append(stale, name+" (no such command any more)")
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		t.Fatalf("docs/cli is not the reference the commands generate:\n\t%s\nregenerate it with\n\tgo test ./cmd/lstmctl -run TestCLIReference -update\n(or make docs) and commit the result",
			strings.Join(stale, "\n\t"))
	}
}

// generateCLIReference renders the Markdown reference of the whole command
// tree, file name to content.
func generateCLIReference(t *testing.T) map[string][]byte {
	t.Helper()
	ios, _, _, _ := Test()
	root := newRootCmd(&factory{IO: ios})
	// These are added by cobra when a command line is executed; the
	// reference documents them too.
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true // no generation date
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	dir := t.TempDir()
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkMachineIndependent(t, e.Name(), b)
		out[e.Name()] = b
	}
	return out
}

// checkMachineIndependent fails when the reference would carry something of
// the machine that generated it, such as a home directory in a default.
func checkMachineIndependent(t *testing.T, name string, b []byte) {
	t.Helper()
	var local []string
	if home, err := os.UserHomeDir(); err == nil && len(home) > 1 {
		local = append(local, home)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		local = append(local, cache)
	}
	local = append(local, os.TempDir())
	if v := buildVersion(); v != "(devel)" && v != "" {
		local = append(local, v)
	}
	for _, s := range local {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("docs/cli/%s would contain %q, which depends on the machine or the build", name, s)
		}
	}
}

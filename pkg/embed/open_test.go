package embed

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeZip(t *testing.T, path string, files ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func readOpen(path string) (string, error) {
	rc, err := Open(path)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// Open reads plain files, a member of a zip archive named ARCHIVE#MEMBER,
// and a zip archive of one file named alone.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	glove := filepath.Join(dir, "glove.6B.zip")
	writeZip(t, glove, "glove.6B.50d.txt", "the 1 2\n", "sub/", "", "glove.6B.100d.txt", "the 3 4\n")
	one := filepath.Join(dir, "one.zip")
	writeZip(t, one, "v.txt", "cat 5 6\n")
	plain := filepath.Join(dir, "v.vec")
	os.WriteFile(plain, []byte("dog 7 8\n"), 0o644)
	hash := filepath.Join(dir, "odd#name.vec") // a path that exists wins
	os.WriteFile(hash, []byte("odd 1\n"), 0o644)
	for path, want := range map[string]string{
		glove + "#glove.6B.100d.txt": "the 3 4\n",
		glove + "#glove.6B.50d.txt":  "the 1 2\n",
		one:                          "cat 5 6\n",
		one + "#v.txt":               "cat 5 6\n",
		plain:                        "dog 7 8\n",
		hash:                         "odd 1\n",
	} {
		if got, err := readOpen(path); err != nil || got != want {
			t.Errorf("Open(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
	for path, want := range map[string]string{
		glove + "#glove.6B.300d.txt":   `glove.6B.zip has no file "glove.6B.300d.txt" (it holds: glove.6B.50d.txt, glove.6B.100d.txt): name one as glove.6B.zip#FILE`,
		glove:                          "glove.6B.zip holds 2 files (glove.6B.50d.txt, glove.6B.100d.txt): name one as glove.6B.zip#FILE",
		plain + "#x":                   "v.vec: not a zip archive (or a damaged one)",
		filepath.Join(dir, "no.zip#x"): "no such file or directory",
	} {
		if _, err := readOpen(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s): %v, want an error containing %q", path, err, want)
		}
	}
	if _, err := readOpen(plain + "#x"); !errors.Is(err, ErrMalformed) {
		t.Errorf("not a zip: %v is not ErrMalformed", err)
	}
	// What Open returns feeds ReadVectors.
	rc, err := Open(glove + "#glove.6B.100d.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	v, err := ReadVectors(rc, glove+"#glove.6B.100d.txt", testVocab, 0)
	if err != nil || v.Dim != 2 || v.Vector(2)[0] != 3 {
		t.Fatalf("ReadVectors of a zip member: %v, %v", v, err)
	}
}

// CaseOnly counts the tokens that have a vector only in another case.
func TestCaseOnly(t *testing.T) {
	vocab := []string{"", "[UNK]", "paris", "the", "rome", "Bonn"}
	v, err := ReadVectors(strings.NewReader("Paris 1 1\nthe 2 2\nThe 3 3\nROME 4 4\nbonn 5 5\n"), "v", vocab, 0)
	if err != nil {
		t.Fatal(err)
	}
	// paris and rome have no vector but a cased word; the has one; Bonn
	// takes bonn's through the lower-case fallback.
	if v.CaseOnly != 2 || v.Lowered != 1 || v.Found() != 2 {
		t.Errorf("CaseOnly %d Lowered %d Found %d, want 2 1 2", v.CaseOnly, v.Lowered, v.Found())
	}
}

package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dirSource reads a directory with one sub-directory per class, like Keras
// text_dataset_from_directory: the class is the sub-directory's name, every
// regular file below it (sub-folders included, walked in lexical order) is
// one document, whatever its extension. Classes are visited in ascending
// name order. Names starting with "." (hidden files and folders) are
// skipped, and so are files directly in the root. A gzip-compressed
// document (told by its first bytes; a name ending in .gz must be one) is
// decompressed. A UTF-8 byte order mark at
// the start of a document is dropped; its content is otherwise the text as
// is (invalid UTF-8 repaired). A file or folder that cannot be read is a
// *ParseError naming it (Line 0), so --skip-bad skips it.
type dirSource struct {
	root    string
	classes []string
	ci      int        // next class to list
	docs    []dirEntry // documents of the current class
	di      int
	label   string
}

type dirEntry struct {
	path string
	err  error // listing error to report at this position
}

func newDirSource(root string) (*dirSource, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	s := &dirSource{root: root}
	for _, e := range ents {
		if hidden(e.Name()) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(root, e.Name())); err == nil && fi.IsDir() {
				isDir = true
			}
		}
		if isDir {
			s.classes = append(s.classes, e.Name())
		}
	}
	slices.Sort(s.classes) // os.ReadDir sorts already; be explicit
	return s, nil
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// list collects the documents of one class folder. A class folder that is
// a symbolic link is followed (links below it are not, so there is no loop
// to detect); its documents are named by the path the link resolves to.
func list(dir string) []dirEntry {
	var out []dirEntry
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return []dirEntry{{path: dir, err: err}}
		}
		dir = real
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			out = append(out, dirEntry{path: p, err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != dir && hidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err == nil && fi.IsDir() {
				return nil // do not follow links to folders
			}
		} else if !d.Type().IsRegular() {
			return nil // devices, pipes, sockets
		}
		out = append(out, dirEntry{path: p})
		return nil
	})
	return out
}

func (s *dirSource) next() (Example, error) {
	for s.di >= len(s.docs) {
		if s.ci >= len(s.classes) {
			return Example{}, io.EOF
		}
		s.label = s.classes[s.ci]
		s.docs = list(filepath.Join(s.root, s.label))
		s.di = 0
		s.ci++
	}
	e := s.docs[s.di]
	s.di++
	if e.err != nil {
		return Example{}, unreadable(e.path, e.err)
	}
	b, err := readFile(e.path)
	if err != nil {
		return Example{}, unreadable(e.path, err)
	}
	if len(b) >= 3 && string(b[:3]) == utf8BOM {
		b = b[3:]
	}
	text, cut := cutText(repair(b))
	if fi, err := os.Stat(e.path); cut > 0 && err == nil {
		cut = max(cut, int(fi.Size())) // a plain document was read only in part
	}
	return Example{Text: text, Label: s.label, File: e.path, Cut: cut}, nil
}

// readFile reads a document, decompressed when it is gzip.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readDocument(f, path)
}

func unreadable(path string, err error) *ParseError {
	if pe, ok := errors.AsType[*ParseError](err); ok {
		return pe
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return &ParseError{File: path, Err: fmt.Errorf("%w: %w", ErrUnreadable, err)}
}

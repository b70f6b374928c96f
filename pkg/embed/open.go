package embed

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// decompress returns what ReadVectors reads from br: br itself, or, when br
// starts with gzip's magic bytes, a reader of the same size over its
// decompressed bytes (a .vec.gz as fastText ships its vectors). Other
// compressed files and archives are refused by name: they are not text.
func decompress(br *bufio.Reader, name string) (*bufio.Reader, error) {
	head, _ := br.Peek(6)
	switch {
	case strings.HasPrefix(string(head), "\x1f\x8b"):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Line: 1, Msg: "damaged gzip header: " + err.Error()}
		}
		return bufio.NewReaderSize(&damagedAs{r: zr, name: name, what: "gzip", fix: "fetch the file again"}, br.Size()), nil
	case strings.HasPrefix(string(head), "PK\x03\x04"):
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("a zip archive, not a text vectors file (name the file inside as %s#MEMBER)", name)}
	}
	for _, f := range []struct{ magic, what string }{
		{"BZh", "bzip2"}, {"\xfd7zXZ\x00", "xz"}, {"\x28\xb5\x2f\xfd", "zstd"}, {"7z\xbc\xaf\x27\x1c", "7-Zip"},
	} {
		if strings.HasPrefix(string(head), f.magic) {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("%s-compressed, not a text vectors file: decompress it first (lstmctl reads vectors as text, gzip or zip)", f.what)}
		}
	}
	return br, nil
}

// damagedAs reports the errors of a decompressing reader as *ParseErrors
// (the parser adds the line), since a damaged download is bad input, not a
// failure of the machine.
type damagedAs struct {
	r               io.Reader
	name, what, fix string
}

func (d *damagedAs) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = &ParseError{File: d.name, Msg: fmt.Sprintf("damaged %s data: %v (%s)", d.what, err, d.fix)}
	}
	return n, err
}

// Open opens the vectors file that path names, for ReadVectors: a file
// (plain or gzip; ReadVectors tells them apart), or a file inside a zip
// archive named as ARCHIVE#MEMBER, such as glove.6B.zip#glove.6B.100d.txt
// (Stanford ships GloVe so). A zip archive named alone must hold exactly one
// file. A path that exists as it is always names that file.
func Open(path string) (io.ReadCloser, error) {
	if _, err := os.Stat(path); err != nil {
		if archive, member, ok := SplitMember(path); ok {
			return openMember(archive, member)
		}
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var head [4]byte
	if n, _ := io.ReadFull(f, head[:]); n < 4 || string(head[:]) != "PK\x03\x04" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	f.Close()
	return openMember(path, "")
}

// SplitMember splits "ARCHIVE#MEMBER" where ARCHIVE is an existing file.
func SplitMember(path string) (archive, member string, ok bool) {
	i := strings.LastIndexByte(path, '#')
	if i <= 0 || i == len(path)-1 {
		return "", "", false
	}
	archive, member = path[:i], path[i+1:]
	if fi, err := os.Stat(archive); err != nil || fi.IsDir() {
		return "", "", false
	}
	return archive, member, true
}

// openMember opens member of the zip archive ("" for its only file).
func openMember(archive, member string) (io.ReadCloser, error) {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, &ParseError{File: archive, Msg: "not a zip archive (or a damaged one), so it has no member to read"}
		}
		return nil, err
	}
	var names []string
	var found *zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		names = append(names, f.Name)
		if f.Name == member || (member == "" && found == nil) {
			found = f
		}
	}
	name := filepath.Base(archive)
	switch {
	case member == "" && len(names) != 1:
		zr.Close()
		return nil, fmt.Errorf("%s holds %d files (%s): name one as %s#FILE", archive, len(names), strings.Join(names, ", "), name)
	case found == nil:
		zr.Close()
		return nil, fmt.Errorf("%s has no file %q (it holds: %s): name one as %s#FILE", archive, member, strings.Join(names, ", "), name)
	}
	rc, err := found.Open()
	if err != nil {
		zr.Close()
		return nil, &ParseError{File: archive + "#" + found.Name, Msg: err.Error()}
	}
	return &memberReader{
		Reader: &damagedAs{r: rc, name: archive + "#" + found.Name, what: "zip", fix: "fetch the archive again"},
		member: rc, zip: zr,
	}, nil
}

// memberReader reads a zip member; closing it closes the archive too.
type memberReader struct {
	io.Reader
	member io.Closer
	zip    *zip.ReadCloser
}

func (m *memberReader) Close() error {
	err := m.member.Close()
	if zerr := m.zip.Close(); err == nil {
		err = zerr
	}
	return err
}

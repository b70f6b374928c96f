// Command builtinvectors makes the vectors built into lstmctl
// (internal/pretrained, glove.6B.100d.int8) from GloVe 6B 100d: the first
// -words lines of the file (GloVe lists its words by frequency), written in
// the built-in int8 format. It is a development tool, run once when the
// built-in set changes:
//
//	go run ./scripts/builtinvectors -out internal/pretrained/glove.6B.100d.int8.bin
//
// It reads glove.6B.100d from lstmctl's cache (fetching it when missing) or
// -vectors FILE, and prints the output's sha256 for Builtin.SHA256.
//
// -dim k instead centres the vectors and projects them onto their k
// principal components (the earlier built-in set, glove.6B.pca64, and the
// variants README "Pretrained vectors" measured). The components come from
// gonum's symmetric eigendecomposition of the covariance matrix in
// float64, each signed so that its largest component is positive; the same
// input gives the same bytes on the same architecture (another may round a
// last bit differently).
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

func main() {
	vectors := flag.String("vectors", "glove.6B.100d", "source vectors: a .vec / GloVe text file or a name of lstmctl vectors")
	nWords := flag.Int("words", 100000, "keep the first this many words")
	dim := flag.Int("dim", 0, "principal components kept (0: the vectors as they are)")
	out := flag.String("out", "internal/pretrained/glove.6B.100d.int8.bin", "output file")
	flag.Parse()

	cache := pretrained.DefaultCache(os.Getenv)
	cache.Log = os.Stderr
	path, err := cache.Resolve(context.Background(), *vectors)
	check(err)
	words, rows, err := readFirst(path, *nWords)
	check(err)
	proj := rows
	if *dim == 0 {
		*dim = len(rows[0])
		fmt.Fprintf(os.Stderr, "%d words, %d dimensions\n", len(words), *dim)
	} else {
		var explained float64
		proj, explained = pca(rows, *dim)
		fmt.Fprintf(os.Stderr, "%d words, %d → %d dimensions, %.1f%% of the variance\n", len(words), len(rows[0]), *dim, 100*explained)
	}

	h := sha256.New()
	check(atomicfile.Write(*out, 0o644, func(w io.Writer) error {
		return pretrained.EncodeBuiltin(io.MultiWriter(w, h), words, *dim, func(i int) []float32 { return proj[i] })
	}))
	fmt.Printf("%s %x\n", *out, h.Sum(nil))
}

// readFirst reads the first n words of a text vectors file (after an
// "N D" header line, if any) and their vectors. The words come from the
// lines' first fields; the vectors from embed.ReadVectors, the reader
// lstmctl train uses, with its checks and its file:line errors.
func readFirst(path string, n int) ([]string, [][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	vocab := []string{"", "[UNK]"} // ReadVectors never looks up ids 0 and 1
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; len(vocab)-2 < n && sc.Scan(); line++ {
		if line == 1 && len(strings.Fields(sc.Text())) == 2 {
			continue // header
		}
		word, _, _ := strings.Cut(sc.Text(), " ")
		vocab = append(vocab, word)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if len(vocab)-2 < n {
		return nil, nil, fmt.Errorf("%s: %d words, want %d", path, len(vocab)-2, n)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	v, err := embed.ReadVectors(f, path, vocab, 0)
	if err != nil {
		return nil, nil, err
	}
	rows := make([][]float32, n)
	for i := range rows {
		if rows[i] = v.Vector(int32(i + 2)); rows[i] == nil {
			return nil, nil, fmt.Errorf("%s: word %q has no vector of its own", path, vocab[i+2])
		}
	}
	return vocab[2:], rows, nil
}

// pca centres rows and projects them onto their k principal components,
// returning the projections and the fraction of the variance they keep.
func pca(rows [][]float32, k int) ([][]float32, float64) {
	d := len(rows[0])
	if k > d {
		check(fmt.Errorf("cannot keep %d of %d dimensions", k, d))
	}
	mean := make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(len(rows))
	}
	cov := mat.NewSymDense(d, nil)
	c := make([]float64, d)
	for _, r := range rows {
		for j := range r {
			c[j] = float64(r[j]) - mean[j]
		}
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				cov.SetSym(a, b, cov.At(a, b)+c[a]*c[b])
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		check(fmt.Errorf("eigendecomposition failed"))
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	total, kept := 0.0, 0.0
	for i, o := range order {
		total += vals[o]
		if i < k {
			kept += vals[o]
		}
	}
	comp := make([][]float64, k) // comp[i]: the i-th component, signed
	for i := range comp {
		comp[i] = mat.Col(nil, order[i], &vecs)
		big := 0
		for j, v := range comp[i] {
			if math.Abs(v) > math.Abs(comp[i][big]) {
				big = j
			}
		}
		if comp[i][big] < 0 {
			for j := range comp[i] {
				comp[i][j] = -comp[i][j]
			}
		}
	}
	proj := make([][]float32, len(rows))
	for n, r := range rows {
		p := make([]float32, k)
		for i, v := range comp {
			s := 0.0
			for j := range r {
				s += (float64(r[j]) - mean[j]) * v[j]
			}
			p[i] = float32(s)
		}
		proj[n] = p
	}
	return proj, kept / total
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "builtinvectors:", err)
		os.Exit(1)
	}
}

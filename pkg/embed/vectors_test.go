package embed

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

var testVocab = []string{"", "[UNK]", "the", "cat", "sat", "mat", "\uFFFD"}

func gz(s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, s)
	zw.Close()
	return buf.String()
}

func TestReadVectors(t *testing.T) {
	long := "x" + strings.Repeat("y", 200_000) // a 200 001-byte word: no match
	hugeVals := "cat" + strings.Repeat(" 0.5", 50_000)
	for _, tc := range []struct {
		name    string
		in      string
		dim     int
		want    map[string][]float32 // token -> vector; absent tokens have none
		words   int
		skipped int
		wantDim int
		err     string // substring of the error, "" = none
	}{
		{name: "header", in: "3 2\nthe 1 2\ndog 3 4\ncat -0.5 1e-3\n", dim: 2,
			want: map[string][]float32{"the": {1, 2}, "cat": {-0.5, 0.001}}, words: 3},
		{name: "no header (GloVe)", in: "the 1 2\ndog 3 4\ncat 5 6\n", dim: 2,
			want: map[string][]float32{"the": {1, 2}, "cat": {5, 6}}, words: 3},
		{name: "fastText trailing space, CRLF, no final newline", in: "2 3 \r\nthe 1 2 3 \r\nsat 4 5 6 ", dim: 3,
			want: map[string][]float32{"the": {1, 2, 3}, "sat": {4, 5, 6}}, words: 2},
		{name: "blank lines and tabs", in: "\n\n2 2\n\n the\t1  2\n   \n\r\nmat 3\t4\n\n", dim: 2,
			want: map[string][]float32{"the": {1, 2}, "mat": {3, 4}}, words: 2},
		{name: "dim from header", in: "1 4\nthe 1 2 3 4\n", dim: 0,
			want: map[string][]float32{"the": {1, 2, 3, 4}}, words: 1, wantDim: 4},
		{name: "dim from first line", in: "dog 1 2 3\nthe 4 5 6\n", dim: 0,
			want: map[string][]float32{"the": {4, 5, 6}}, words: 2, wantDim: 3},
		{name: "duplicates: first wins", in: "the 1 1\ncat 2 2\nthe 3 3\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}, "cat": {2, 2}}, words: 3},
		{name: "reserved tokens never read", in: "[UNK] 9 9\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 2},
		{name: "case sensitive", in: "The 9 9\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 2},
		{name: "invalid UTF-8 word does not match U+FFFD", in: "\xff 9 9\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 2},
		{name: "U+FFFD itself matches", in: "\uFFFD 7 7\n", dim: 2,
			want: map[string][]float32{"\uFFFD": {7, 7}}, words: 1},
		{name: "BOM", in: "\xef\xbb\xbfthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 1},
		{name: "BOM before header", in: "\xef\xbb\xbf1 2\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 1},
		{name: "200 000-char word", in: long + " 1 2\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 2},
		{name: "200 000-char line", in: hugeVals + "\nthe" + strings.Repeat(" 1", 50_000) + "\n", dim: 50_000,
			want: map[string][]float32{"cat": slices.Repeat([]float32{0.5}, 50_000), "the": slices.Repeat([]float32{1}, 50_000)}, words: 2},
		{name: "multi-word entry skipped", in: "at name@domain.com 1 2\n. . . 3 4\nthe 1 1\n", dim: 2,
			want: map[string][]float32{"the": {1, 1}}, words: 1, skipped: 2},
		{name: "multi-word entry starting with a token", in: "cat name@x 1 2\ndog 1 2\n", dim: 2,
			want: map[string][]float32{}, words: 1, skipped: 1},
		{name: "numeric word with dim 1 is not a header", in: "7 3\nthe 1\n", dim: 1,
			want: map[string][]float32{"the": {1}}, words: 2},
		{name: "header with dim 1", in: "1 1\nthe 1\n", dim: 1,
			want: map[string][]float32{"the": {1}}, words: 1},
		{name: "hex, sign and exponent", in: "the +1.5E2 -0x1p-2\n", dim: 2,
			want: map[string][]float32{"the": {150, -0.25}}, words: 1},
		{name: "underflow is zero", in: "the 1e-50 1\n", dim: 2,
			want: map[string][]float32{"the": {0, 1}}, words: 1},
		{name: "gzip", in: gz("2 2\nthe 1 2\ncat 3 4\n"), dim: 0,
			want: map[string][]float32{"the": {1, 2}, "cat": {3, 4}}, words: 2, wantDim: 2},
		{name: "value letters of inf and hex", in: "dog inf -Infinity\nthe 0x1p-2 0X1P+1\n", dim: 0,
			want: map[string][]float32{"the": {0.25, 2}}, words: 2, wantDim: 2},

		// Files that are not vectors are refused, not read as 0 vectors.
		{name: "empty file, dim given", in: "", dim: 3, err: "embed: vec.txt: no word vectors in the file"},
		{name: "header only", in: "0 3\n", dim: 3, err: "embed: vec.txt: no word vectors in the file"},
		{name: "only words with spaces", in: "at name@x 1 2\n", dim: 2, err: "no word vectors in the file (its 1 lines hold words with spaces"},
		{name: "a fastText training file", in: "__label__a some text\n", dim: 0,
			err: `embed: vec.txt:1: value 1 "some" is not a number: not a text vectors file (lines "word v1 v2 ...",`},
		{name: "a word list", in: "cat\ndog\n", dim: 0, err: "embed: vec.txt:1: no values after the word: not a text vectors file"},
		{name: "binary: NUL in a value", in: "dog 1\x002 3\n", dim: 0, err: "embed: vec.txt:1: binary data (byte 0x00 in value 1): not a text vectors file"},
		{name: "binary: NUL in the word", in: "the 1 2\nd\x00g 1 2\n", dim: 0, err: "embed: vec.txt:2: binary data (byte 0x00 in the word)"},
		{name: "binary: a control byte in the first word", in: "\x01\x02\x03", dim: 0, err: "embed: vec.txt:1: binary data (byte 0x01 in the word): not a text vectors file"},
		{name: "invalid UTF-8 in value 1", in: "w \xff\xfe", dim: 0, err: "embed: vec.txt:1: value 1 is not a number (it holds the byte 0xff): not a text vectors file"},
		{name: "binary: a control byte in value 1", in: "w \x01", dim: 0, err: "embed: vec.txt:1: binary data (byte 0x01 in value 1): not a text vectors file"},
		{name: "garbage in an unused row", in: "the 1 2\ndog 1 \xe9\n", dim: 0, err: "embed: vec.txt:2: value 2 is not a number (it holds the byte 0xe9)"},
		{name: "garbage in the first value of an unused row", in: "the 1 2\ndog 1! 2\n", dim: 0, err: `embed: vec.txt:2: value 1 "1!" is not a number`},
		{name: "garbage after a long value", in: "the 1 2\ndog 1 " + strings.Repeat("9", 70_000) + "z\n", dim: 0, err: `embed: vec.txt:2: value 2 is not a number (it holds 'z')`},
		{name: "zip archive", in: "PK\x03\x04rest", dim: 0, err: "embed: vec.txt: a zip archive, not a text vectors file (name the file inside as vec.txt#MEMBER)"},
		{name: "bzip2", in: "BZh91AY&SY", dim: 0, err: "embed: vec.txt: bzip2-compressed, not a text vectors file: decompress it first"},
		{name: "damaged gzip", in: gz("2 2\nthe 1 2\ncat 3 4\n")[:20], dim: 0, err: "embed: vec.txt:2: damaged gzip data: unexpected EOF (fetch the file again)"},
		{name: "damaged gzip header", in: "\x1f\x8b\x00", dim: 0, err: "embed: vec.txt:1: damaged gzip header"},

		{name: "too few values", in: "the 1 2\ncat 1 2 3\n", dim: 3, err: "embed: vec.txt:1: 2 values, want 3"},
		{name: "too few values, word not in vocabulary", in: "the 1 2 3\n\ndog 1 2\n", dim: 3, err: "embed: vec.txt:3: 2 values, want 3"},
		{name: "too many values", in: "the 1 2 3 4\n", dim: 3, err: "embed: vec.txt:1: 4 values, want 3"},
		{name: "no values", in: "the 1\ncat\n", dim: 1, err: "embed: vec.txt:2: 0 values, want 1"},
		{name: "no values, dim unknown", in: "cat\n", dim: 0, err: "embed: vec.txt:1: no values after the word"},
		{name: "inconsistent rows, dim from first", in: "dog 1 2\nthe 1 2 3\n", dim: 0, err: "embed: vec.txt:2: 3 values, want 2"},
		{name: "bad float", in: "2 3\nthe 1 2 3\ncat 1 x 3\n", dim: 3, err: `embed: vec.txt:3: value 2 "x" is not a number`},
		{name: "bad first float", in: "the 1 2\ncat , 2\n", dim: 2, err: `embed: vec.txt:2: value 1 "," is not a number`},
		{name: "NaN", in: "the NaN 2\n", dim: 2, err: `embed: vec.txt:1: value 1 "NaN" is not a finite number`},
		{name: "Inf", in: "the 1 -Inf\n", dim: 2, err: `value 2 "-Inf" is not a finite number`},
		{name: "float32 overflow", in: "the 1 1e39\n", dim: 2, err: `value 2 "1e39" is out of the float32 range`},
		{name: "header dim mismatch", in: "3 300\nthe 1 2\n", dim: 100, err: "embed: vec.txt:1: header says 300 dimensions, want 100"},
		{name: "header zero dim", in: "3 0\n", dim: 0, err: "header says 0 dimensions"},
		{name: "header count too large (truncated file)", in: "5 2\nthe 1 2\ncat 1 2\n", dim: 2, err: "embed: vec.txt: header says 5 words, file has 2"},
		{name: "header count too small", in: "1 2\nthe 1 2\ncat 1 2\n", dim: 2, err: "header says 1 words, file has 2"},
		{name: "header later is a row", in: "the 1 2\n3 2\n", dim: 2, err: "embed: vec.txt:2: 1 values, want 2"},
		{name: "empty file, dim unknown", in: "\n\n", dim: 0, err: "cannot tell the dimension"},
		{name: "negative dim", in: "the 1\n", dim: -1, err: "dimension must be in [1, 65536]"},
		{name: "dim too large", in: "the 1\n", dim: MaxDim + 1, err: "dimension must be in [1, 65536]"},
		{name: "header dim too large", in: "1 70000\nthe 1\n", dim: 0, err: "embed: vec.txt:1: header says 70000 dimensions, want 1 to 65536"},
		{name: "header numbers too large", in: "99999999999999999999 2\n", dim: 0, err: "numbers too large"},
		{name: "first line too long, dim unknown", in: "the" + strings.Repeat(" 1", MaxDim+1) + "\n", dim: 0, err: "embed: vec.txt:1: 65537 values, want at most 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ReadVectors(strings.NewReader(tc.in), "vec.txt", testVocab, tc.dim)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				var pe *ParseError
				if tc.dim >= 0 && tc.dim <= MaxDim && (!errors.As(err, &pe) || !errors.Is(err, ErrMalformed)) {
					t.Fatalf("err %v is not a *ParseError wrapping ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantDim := tc.dim
			if tc.wantDim != 0 {
				wantDim = tc.wantDim
			}
			if v.Dim != wantDim || v.Words != tc.words || v.Skipped != tc.skipped {
				t.Fatalf("Dim, Words, Skipped = %d, %d, %d, want %d, %d, %d", v.Dim, v.Words, v.Skipped, wantDim, tc.words, tc.skipped)
			}
			if f, total := v.Coverage(); f != len(tc.want) || total != len(testVocab)-2 || v.Found() != f {
				t.Fatalf("Coverage = %d of %d, want %d of %d", f, total, len(tc.want), len(testVocab)-2)
			}
			if v.VocabSize() != len(testVocab) {
				t.Fatalf("VocabSize %d", v.VocabSize())
			}
			for id, tok := range testVocab {
				got, want := v.Vector(int32(id)), tc.want[tok]
				if id < 2 {
					want = nil
				}
				if !slices.Equal(got, want) || (got == nil) != (want == nil) {
					t.Fatalf("Vector(%q) = %v, want %v", tok, short(got), short(want))
				}
			}
			if v.Vector(-1) != nil || v.Vector(int32(len(testVocab))) != nil {
				t.Fatal("Vector out of range is not nil")
			}
		})
	}
}

func short(v []float32) []float32 { return v[:min(len(v), 8)] }

// TestReadVectorsLowerCaseFallback: a token with no exact entry takes the
// vector of its lower-cased form (GloVe is lower-cased; a vocabulary that
// keeps case would otherwise miss every capitalised word), an exact entry
// wins wherever it comes in the file, and duplicates keep the first line.
func TestReadVectorsLowerCaseFallback(t *testing.T) {
	vocab := []string{"", "[UNK]", "The", "the", "Cat", "CAT", "Über", "Dog", "dOG", "x"}
	in := "the 1 1\ncat 2 2\nüber 3 3\ncat 9 9\nDog 4 4\ndog 5 5\ndOG 6 6\n"
	v, err := ReadVectors(strings.NewReader(in), "v", vocab, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{
		"The": {1, 1}, "the": {1, 1}, // fallback, exact
		"Cat": {2, 2}, "CAT": {2, 2}, // both from the first "cat" line
		"Über": {3, 3}, // Unicode lower-casing, as the tokenizer's
		"Dog":  {4, 4}, // exact, although "dog" is in the file too
		"dOG":  {6, 6}, // exact, after its lower-cased form
	}
	for id, tok := range vocab {
		if got := v.Vector(int32(id)); !slices.Equal(got, want[tok]) || (got == nil) != (want[tok] == nil) {
			t.Errorf("Vector(%q) = %v, want %v", tok, got, want[tok])
		}
	}
	if f, total := v.Coverage(); f != 7 || total != 8 || v.Lowered != 4 || v.Words != 7 {
		t.Fatalf("coverage %d of %d, Lowered %d, Words %d; want 7 of 8, 4, 7", f, total, v.Lowered, v.Words)
	}
	// A bad value in a row kept only for the fallback is still an error
	// with its line.
	if _, err := ReadVectors(strings.NewReader("the 1 1\ncat 1 x\n"), "v", vocab, 2); err == nil ||
		err.Error() != `embed: v:2: value 2 "x" is not a number` {
		t.Fatalf("err = %v", err)
	}
}

// TestMatchVectors: a word list in memory gives the tokens the vectors
// that the same words as a file give them, fallback included, and only the
// rows some token takes are asked for.
func TestMatchVectors(t *testing.T) {
	vocab := []string{"", "[UNK]", "The", "the", "Cat", "CAT", "Über", "Dog", "dOG", "x"}
	lines := []string{"the 1 1", "cat 2 2", "über 3 3", "cat 9 9", "Dog 4 4", "dog 5 5", "dOG 6 6", "zebra 7 7"}
	want, err := ReadVectors(strings.NewReader(strings.Join(lines, "\n")), "v", vocab, 2)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, l := range lines {
		words = append(words, strings.Fields(l)[0])
	}
	var asked []int
	got, err := MatchVectors("m", vocab, words, 2, func(i int, dst []float32) {
		asked = append(asked, i)
		v, _ := strconv.ParseFloat(strings.Fields(lines[i])[1], 32)
		dst[0], dst[1] = float32(v), float32(v)
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, tok := range vocab {
		if g, w := got.Vector(int32(id)), want.Vector(int32(id)); !slices.Equal(g, w) || (g == nil) != (w == nil) {
			t.Errorf("Vector(%q) = %v, ReadVectors gives %v", tok, g, w)
		}
	}
	if got.Words != want.Words || got.Lowered != want.Lowered || got.Found() != want.Found() || got.Dim != 2 || got.Name != "m" {
		t.Errorf("Words %d Lowered %d Found %d Dim %d, want %d %d %d 2", got.Words, got.Lowered, got.Found(), got.Dim, want.Words, want.Lowered, want.Found())
	}
	// Not the second cat (the first line wins) nor zebra (no token). dog is
	// asked for as the fallback of Dog and dOG, which find exact lines only
	// later, as ReadVectors keeps it.
	if !slices.Equal(asked, []int{0, 1, 2, 4, 5, 6}) {
		t.Errorf("rows asked for %v, want [0 1 2 4 5 6]", asked)
	}
	if _, err := MatchVectors("m", vocab, words, 0, nil); err == nil {
		t.Error("dimension 0 accepted")
	}
}

// TestReadVectorsReaders: the result does not depend on how the input is
// chunked by the reader (one byte at a time, errors with the last data).
func TestReadVectorsReaders(t *testing.T) {
	in := "\xef\xbb\xbf3 3 \r\nthe 1 2 3 \r\n\r\ndog " + strings.Repeat("9", 70_000) + " 1 2\ncat 4 5 6"
	want, err := ReadVectors(strings.NewReader(in), "v", testVocab, 3)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{
		"one byte":  iotest.OneByteReader(strings.NewReader(in)),
		"half":      iotest.HalfReader(strings.NewReader(in)),
		"data+EOF":  iotest.DataErrReader(strings.NewReader(in)),
		"timeout":   iotest.TimeoutReader(strings.NewReader(in)),
		"bytes.Buf": bytes.NewBufferString(in),
	} {
		got, err := ReadVectors(r, "v", testVocab, 3)
		if name == "timeout" {
			if !errors.Is(err, iotest.ErrTimeout) || !strings.HasPrefix(err.Error(), "embed: v: ") {
				t.Fatalf("%s: err = %v", name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Words != 3 || !slices.Equal(got.Vector(2), want.Vector(2)) || !slices.Equal(got.Vector(3), []float32{4, 5, 6}) {
			t.Fatalf("%s: %d words, the %v cat %v", name, got.Words, got.Vector(2), got.Vector(3))
		}
	}
}

func TestApplyVectors(t *testing.T) {
	vocab := []string{"", "[UNK]", "a", "b", "c", "d"}
	v, err := ReadVectors(strings.NewReader("4 3\n[UNK] 9 9 9\nb 1 2 3\nzz 0 0 0\nd 4 5 6\n"), "v", vocab, 3)
	if err != nil {
		t.Fatal(err)
	}
	tab := New(len(vocab), 3)
	tab.Init(rand.New(rand.NewPCG(1, 2)))
	before := slices.Clone(tab.W)
	found, err := ApplyVectors(tab, v)
	if err != nil {
		t.Fatal(err)
	}
	if f, total := v.Coverage(); found != 2 || f != 2 || total != 4 {
		t.Fatalf("found %d, coverage %d of %d; want 2, 2 of 4", found, f, total)
	}
	for id := range vocab {
		row, old := tab.Row(int32(id)), before[id*3:id*3+3]
		switch vocab[id] {
		case "b":
			old = []float32{1, 2, 3}
		case "d":
			old = []float32{4, 5, 6}
		}
		if !slices.Equal(row, old) {
			t.Fatalf("row %d (%q) = %v, want %v", id, vocab[id], row, old)
		}
	}
	for _, bad := range []*Table{New(len(vocab), 4), New(len(vocab)+1, 3), {V: len(vocab), E: 3, W: make([]float32, 5)}} {
		w := slices.Clone(bad.W)
		if _, err := ApplyVectors(bad, v); err == nil || !strings.Contains(err.Error(), "do not fit") {
			t.Fatalf("%d×%d table: err = %v", bad.V, bad.E, err)
		}
		if !slices.Equal(w, bad.W) {
			t.Fatal("a rejected ApplyVectors changed the table")
		}
	}
}

// TestMemoryBoundedByVocabulary: reading a file much larger than the kept
// vectors allocates about the kept vectors plus the read buffer, not the
// file.
func TestMemoryBoundedByVocabulary(t *testing.T) {
	const words, dim = 20_000, 50
	in := synthetic(words, dim)
	vocab := []string{"", "[UNK]", "w7", "w19999"}
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, err := ReadVectors(bytes.NewReader(in), "v", vocab, dim)
			if err != nil || v.Found() != 2 {
				b.Fatal(v, err)
			}
		}
	}).AllocedBytesPerOp()
	// The file is ~10 MB; the buffer is 64 KiB; each row's first value
	// is parsed to tell multi-word entries (a few bytes per line).
	if limit := int64(len(in) / 20); allocs > limit {
		t.Fatalf("%d bytes allocated reading a %d-byte file, want ≤ %d", allocs, len(in), limit)
	}
}

func synthetic(words, dim int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %d\n", words, dim)
	for i := range words {
		fmt.Fprintf(&b, "w%d", i)
		for range dim {
			fmt.Fprintf(&b, " %.4f", rng.Float64()*2-1)
		}
		b.WriteString(" \n")
	}
	return b.Bytes()
}

// BenchmarkReadVectors reads a synthetic 50 000 × 100 .vec file for a
// vocabulary of 10 000 tokens of which 7 999 are in the file.
func BenchmarkReadVectors(b *testing.B) {
	const words, dim = 50_000, 100
	in := synthetic(words, dim)
	vocab := []string{"", "[UNK]"}
	for i := range 10_000 - 2 {
		if i%5 == 4 {
			vocab = append(vocab, fmt.Sprintf("oov%d", i))
		} else {
			vocab = append(vocab, fmt.Sprintf("w%d", i*5))
		}
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := ReadVectors(bytes.NewReader(in), "bench.vec", vocab, dim)
		if err != nil {
			b.Fatal(err)
		}
		if f, _ := v.Coverage(); f != 7999 {
			b.Fatalf("found %d", f)
		}
	}
}

func FuzzReadVectors(f *testing.F) {
	for _, s := range []string{
		"3 2\nthe 1 2\ndog 3 4\ncat -0.5 1e-3\n",
		"the 1 2\r\ncat 3 4 \r\n",
		"\xef\xbb\xbf1 1\nthe 1\n",
		"7 3\nthe 1\n",
		"at name@domain.com 1 2\nthe 1 1\n",
		"the NaN 2\n",
		"\n\n \t\r\n",
		"cat\n",
		"the 1 2 3 4 5 6 7 8 9",
		"99999999999999999999999 2\n",
		gz("the 1 2\ncat 3 4\n"),
		gz("the 1 2\ncat 3 4\n")[:25],
		"dog 1 \xe9\x00\n",
	} {
		for _, dim := range []int{0, 1, 2} {
			f.Add([]byte(s), dim)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, dim int) {
		dim = min(max(dim, 0), 9)
		v, err := ReadVectors(bytes.NewReader(in), "f", testVocab, dim)
		// The result does not depend on how the reader splits the input.
		v1, err1 := ReadVectors(iotest.OneByteReader(bytes.NewReader(in)), "f", testVocab, dim)
		if fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("errors differ: %v vs one byte at a time %v", err, err1)
		}
		if err == nil {
			for id := range testVocab {
				if a, b := v.Vector(int32(id)), v1.Vector(int32(id)); !slices.Equal(a, b) || (a == nil) != (b == nil) {
					t.Fatalf("Vector(%d) = %v vs one byte at a time %v", id, a, b)
				}
			}
			if v.Words != v1.Words || v.Skipped != v1.Skipped || v.Dim != v1.Dim {
				t.Fatal("counts differ when read one byte at a time")
			}
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if v.Dim <= 0 || v.Dim > MaxDim || (dim > 0 && v.Dim != dim) {
			t.Fatalf("Dim %d for dim %d", v.Dim, dim)
		}
		found, total := v.Coverage()
		if found > total || v.Found() != found {
			t.Fatalf("coverage %d of %d", found, total)
		}
		n := 0
		for id := range testVocab {
			if vec := v.Vector(int32(id)); vec != nil {
				if id < 2 || len(vec) != v.Dim {
					t.Fatalf("Vector(%d) = %v", id, vec)
				}
				n++
			}
		}
		if n != found {
			t.Fatalf("%d vectors, Found %d", n, found)
		}
		tab := New(len(testVocab), v.Dim)
		if got, err := ApplyVectors(tab, v); err != nil || got != found {
			t.Fatalf("ApplyVectors = %d, %v", got, err)
		}
		for _, w := range tab.W[:2*v.Dim] {
			if w != 0 {
				t.Fatal("rows 0/1 overwritten")
			}
		}
	})
}

package pretrained

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/embed"
)

// A Builtin is a vector set compiled into lstmctl: it needs neither the
// network nor the cache, so the built-in defaults can start from it.
//
// The one built-in set, glove.6B.100d.int8, is GloVe 6B 100d's 100,000
// most frequent words (the first lines of glove.6B.100d, which lists its
// words by frequency), stored as int8 with one float32 scale per word (the
// largest magnitude maps to 127): 11 MB instead of the 296 MB of the .vec
// file. go run ./scripts/builtinvectors makes it from the cached
// glove.6B.100d.
//
// docs/decisions/built-in-vectors.md gives the measurements behind the
// choice of this set and its 100 dimensions.
type Builtin struct {
	Name   string
	About  string
	Dim    int    // values per vector
	SHA256 string // hex sha256 of data, as scripts/builtinvectors printed it; checked by the tests
	data   []byte
}

//go:embed glove.6B.100d.int8.bin
var glove100Int8 []byte

// Builtins are the vector sets compiled into lstmctl.
var Builtins = []*Builtin{{
	Name:   "glove.6B.100d.int8",
	Dim:    100,
	About:  "built into lstmctl: glove.6B.100d's 100000 most frequent words, int8; PDDL",
	SHA256: "860b7e0fadfb1eb2a609fec4012b6113293e72054e515a97b3f4f1ac6df57b68",
	data:   glove100Int8,
}}

// LookupBuiltin returns the built-in set called name.
func LookupBuiltin(name string) (*Builtin, bool) {
	for _, b := range Builtins {
		if b.Name == name {
			return b, true
		}
	}
	return nil, false
}

// Vectors returns the vectors of vocab's tokens (embed.MatchVectors: the
// exact word, else its lower-cased form's) with Name set to b.Name.
func (b *Builtin) Vectors(vocab []string) (*embed.Vectors, error) {
	words, dim, scales, q, err := decodeBuiltin(b.data)
	if err != nil {
		return nil, fmt.Errorf("built-in vectors %s: %w", b.Name, err)
	}
	return embed.MatchVectors(b.Name, vocab, words, dim, func(i int, dst []float32) {
		s, row := scales[i], q[i*dim:(i+1)*dim]
		for j := range dst {
			dst[j] = float32(int8(row[j])) * s
		}
	})
}

// The built-in format, little-endian: the 16-byte magic, then uint32
// words, uint32 dim and uint32 bytes of the word list; the words, each
// ended by '\n'; one float32 scale per word; words×dim int8 values. Value
// j of word i is int8 × scale_i.
const builtinMagic = "lstmctl vectors\n"

var errBuiltin = errors.New("malformed built-in vectors")

// EncodeBuiltin writes words and their dim-dimensional vectors (vec(i) is
// word i's) in the built-in format, quantized to int8 per word.
func EncodeBuiltin(w io.Writer, words []string, dim int, vec func(i int) []float32) error {
	if dim < 1 || dim > embed.MaxDim {
		return fmt.Errorf("dimension %d out of range", dim)
	}
	var list bytes.Buffer
	for _, word := range words {
		if word == "" || strings.ContainsAny(word, " \t\r\n") {
			return fmt.Errorf("word %q: empty or with white space", word)
		}
		list.WriteString(word)
		list.WriteByte('\n')
	}
	scales := make([]float32, len(words))
	q := make([]byte, len(words)*dim)
	for i := range words {
		v := vec(i)
		if len(v) != dim {
			return fmt.Errorf("word %q: %d values, want %d", words[i], len(v), dim)
		}
		var top float32
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("word %q: value %v", words[i], x)
			}
			top = max(top, abs32(x))
		}
		if top == 0 {
			continue
		}
		scales[i] = top / 127
		for j, x := range v {
			q[i*dim+j] = byte(int8(max(-127, min(127, math.Round(float64(x/scales[i]))))))
		}
	}
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(words)))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(dim))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(list.Len()))
	var buf bytes.Buffer
	buf.WriteString(builtinMagic)
	buf.Write(hdr)
	buf.Write(list.Bytes())
	for _, s := range scales {
		buf.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(s)))
	}
	buf.Write(q)
	_, err := w.Write(buf.Bytes())
	return err
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// decodeBuiltin splits data in the built-in format into its words, their
// dimension, scales and int8 values, checking every length.
func decodeBuiltin(data []byte) (words []string, dim int, scales []float32, q []byte, err error) {
	if !bytes.HasPrefix(data, []byte(builtinMagic)) || len(data) < len(builtinMagic)+12 {
		return nil, 0, nil, nil, fmt.Errorf("%w: no header", errBuiltin)
	}
	p := data[len(builtinMagic):]
	n := int(binary.LittleEndian.Uint32(p))
	dim = int(binary.LittleEndian.Uint32(p[4:]))
	listLen := int(binary.LittleEndian.Uint32(p[8:]))
	p = p[12:]
	if dim < 1 || dim > embed.MaxDim || listLen > len(p) || int64(len(p)-listLen) != int64(n)*int64(4+dim) {
		return nil, 0, nil, nil, fmt.Errorf("%w: %d words × %d dimensions do not fit %d bytes", errBuiltin, n, dim, len(data))
	}
	list := string(p[:listLen])
	if n == 0 || !strings.HasSuffix(list, "\n") {
		return nil, 0, nil, nil, fmt.Errorf("%w: bad word list", errBuiltin)
	}
	if words = strings.Split(list[:len(list)-1], "\n"); len(words) != n {
		return nil, 0, nil, nil, fmt.Errorf("%w: %d words listed, header says %d", errBuiltin, len(words), n)
	}
	p = p[listLen:]
	scales = make([]float32, n)
	for i := range scales {
		scales[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return words, dim, scales, p[4*n:], nil
}

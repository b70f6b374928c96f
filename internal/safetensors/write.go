package safetensors

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
)

// Write writes tensors (in the given order) and meta to w in the safetensors
// format, adding the "sha256" and "header_sha256" metadata described in the
// package doc. Tensor names must be unique, non-empty, valid UTF-8 and not
// "__metadata__"; len(Data) must equal product(Shape); metadata must be
// valid UTF-8 and may not use the keys "sha256" or "header_sha256".
func Write(w io.Writer, tensors []Tensor, meta map[string]string) error {
	return WriteTyped(w, typed(tensors), meta)
}

// WriteTyped is Write for tensors of either dtype (F32 and I8); each
// Typed's DType says which of its slices holds the values.
func WriteTyped(w io.Writer, tensors []Typed, meta map[string]string) error {
	header, err := prepare(tensors, meta)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := writeAll(w, header, tensors); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	return nil
}

// Encode returns the bytes Write would write.
func Encode(tensors []Tensor, meta map[string]string) ([]byte, error) {
	return EncodeTyped(typed(tensors), meta)
}

// EncodeTyped returns the bytes WriteTyped would write.
func EncodeTyped(tensors []Typed, meta map[string]string) ([]byte, error) {
	var b sliceWriter
	if err := WriteTyped(&b, tensors, meta); err != nil {
		return nil, err
	}
	return b, nil
}

// typed views F32 tensors as Typed ones, sharing their data.
func typed(tensors []Tensor) []Typed {
	out := make([]Typed, len(tensors))
	for i, t := range tensors {
		out[i] = Typed{Name: t.Name, DType: DTypeF32, Shape: t.Shape, F32: t.Data}
	}
	return out
}

type sliceWriter []byte

func (s *sliceWriter) Write(p []byte) (int, error) {
	*s = append(*s, p...)
	return len(p), nil
}

// wrapFile lets tests inject write failures (disk full) into WriteFile.
var wrapFile = func(f *os.File) io.Writer { return f }

// WriteFile writes the file atomically (see the package doc): after an error
// no temporary file is left and path is either untouched or replaced. A
// symbolic link at path is replaced, not followed. Errors are
// "safetensors: write PATH: CAUSE" and errors.Unwrap returns CAUSE.
func WriteFile(path string, tensors []Tensor, meta map[string]string) error {
	return WriteFileTyped(path, typed(tensors), meta)
}

// WriteFileTyped is WriteFile for tensors of either dtype (see WriteTyped).
func WriteFileTyped(path string, tensors []Typed, meta map[string]string) (err error) {
	header, err := prepare(tensors, meta)
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	f, err := atomicfile.CreateTemp(path)
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	tmp := f.Name()
	closed, renamed := false, false
	defer func() {
		if err == nil {
			return
		}
		if !closed {
			f.Close() // already failing; the close error adds nothing
		}
		if !renamed {
			os.Remove(tmp)
		}
		err = fmt.Errorf("safetensors: write %s: %w", path, err)
	}()
	bw := bufio.NewWriterSize(wrapFile(f), 1<<20)
	if err := writeAll(bw, header, tensors); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync directories.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync directory: %w", err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// prepare checks the input and returns the padded header (without the
// 8-byte length), including both checksums.
func prepare(tensors []Typed, meta map[string]string) ([]byte, error) {
	seen := make(map[string]struct{}, len(tensors))
	infos := make([]Info, len(tensors))
	var pos int64
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("tensor %d has an empty name", i)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("tensor name %q is reserved", t.Name)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
		case len(t.Shape) > MaxRank:
			return nil, fmt.Errorf("tensor %q: rank %d exceeds %d", t.Name, len(t.Shape), MaxRank)
		}
		if _, dup := seen[t.Name]; dup {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = struct{}{}
		elems := int64(1)
		for _, d := range t.Shape {
			if d < 0 || (d != 0 && elems > maxElems/int64(d)) {
				return nil, fmt.Errorf("tensor %q: invalid shape %v", t.Name, t.Shape)
			}
			elems *= int64(d)
		}
		size, have := elemSize(t.DType), len(t.F32)
		switch {
		case size == 0:
			return nil, fmt.Errorf("tensor %q: dtype %q not supported (only F32 and I8)", t.Name, t.DType)
		case t.DType == DTypeI8 && t.F32 != nil, t.DType == DTypeF32 && t.I8 != nil:
			return nil, fmt.Errorf("tensor %q: %s tensor with values of the other dtype", t.Name, t.DType)
		case t.DType == DTypeI8:
			have = len(t.I8)
		}
		if elems != int64(have) {
			return nil, fmt.Errorf("tensor %q: shape %v needs %d values, Data has %d", t.Name, t.Shape, elems, have)
		}
		if pos > math.MaxInt64-size*elems {
			return nil, fmt.Errorf("tensor %q: data too large", t.Name)
		}
		infos[i] = Info{Name: t.Name, DType: t.DType, Shape: t.Shape, Begin: pos, End: pos + size*elems}
		pos += size * elems
	}
	full := make(map[string]string, len(meta)+2)
	for k, v := range meta {
		switch {
		case k == SHA256Key || k == HeaderSHA256Key:
			return nil, fmt.Errorf("metadata key %q is reserved", k)
		case !utf8.ValidString(k) || !utf8.ValidString(v):
			return nil, fmt.Errorf("metadata %q is not valid UTF-8", k)
		}
		full[k] = v
	}
	h := sha256.New()
	if err := writeData(h, tensors); err != nil {
		return nil, err
	}
	full[SHA256Key] = hex.EncodeToString(h.Sum(nil))
	// The header checksum takes the entries in data order, as the reader
	// sorts them (only empty tensors can be out of order here).
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, dataOrder)
	full[HeaderSHA256Key] = headerSum(full, sorted)
	header := buildHeader(infos, full)
	if len(header) > MaxHeaderSize {
		return nil, fmt.Errorf("header of %d bytes exceeds the limit of %d", len(header), MaxHeaderSize)
	}
	return header, nil
}

// buildHeader writes the JSON header: "__metadata__" first (keys sorted),
// then the tensors in the given order, padded with spaces to a multiple of 8.
func buildHeader(infos []Info, meta map[string]string) []byte {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte(`{"` + metadataKey + `":{`)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, meta[k])
	}
	b = append(b, '}')
	for _, t := range infos {
		b = append(b, ',')
		b = appendString(b, t.Name)
		b = append(b, `:{"dtype":"`+t.DType+`","shape":[`...)
		for i, d := range t.Shape {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, t.Begin, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, t.End, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	return b
}

// appendString appends s (valid UTF-8) as a JSON string, escaping only '"',
// '\\' and control characters.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func writeAll(w io.Writer, header []byte, tensors []Typed) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	return writeData(w, tensors)
}

// writeData writes the tensors' values in order, F32 as little-endian
// float32, I8 as bytes.
func writeData(w io.Writer, tensors []Typed) error {
	var buf [16 << 10]byte
	for _, t := range tensors {
		for k := 0; k < len(t.I8); {
			n := min(len(buf), len(t.I8)-k)
			for j, v := range t.I8[k : k+n] {
				buf[j] = byte(v)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			k += n
		}
		for k := 0; k < len(t.F32); {
			n := min(len(buf)/4, len(t.F32)-k)
			for j, v := range t.F32[k : k+n] {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*n]); err != nil {
				return err
			}
			k += n
		}
	}
	return nil
}
